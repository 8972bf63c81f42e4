"""The encoder backends: ONNX Runtime (default) and torch give the same vectors; int8 is its own
model; concurrent queries are encoded together and each caller gets its own vector."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from ingest.pipeline import ingest
from kb.embedding.embedder import Embedder, config_for_model_id
from kb.embedding.query_batcher import QueryBatcher
from kb.errors import ModelMismatch
from kb.knowledge_base import KnowledgeBase
from tests.test_e5_convert import parity_texts


@pytest.fixture(scope="module")
def embedder(model_embedder):
    """The model as the product runs it: these tests are about the encoder, so nothing is
    remembered between calls."""
    return model_embedder


@pytest.fixture(scope="module")
def torch_embedder(base_config) -> Embedder:
    return Embedder(base_config.with_(embed_backend="torch"))


@pytest.fixture(scope="module")
def int8_embedder(base_config) -> Embedder:
    return Embedder(base_config.with_(embed_quantize="int8"))


def test_the_default_backend_is_onnx(embedder):
    assert embedder.backend == "onnx"
    assert type(embedder.encoder).__name__ == "_OnnxEncoder"


def test_one_tokenizer_truncates_and_pads_as_its_own_settings_would(embedder):
    from tokenizers import Tokenizer

    graph = embedder.encoder.graph  # one tokenizer for encoding and counting (~300 MB each)
    reference = Tokenizer.from_str(graph.tokenizer.to_str())
    reference.enable_truncation(graph.max_seq_length)
    reference.enable_padding(pad_id=reference.token_to_id("<pad>"), pad_token="<pad>")
    long = " ".join(parity_texts()) * 2  # far over 512 tokens
    batches = [["", "kort"], ["ord " * 509, "ord " * 510, "ord " * 511], [long, "Tullverket"]]
    for texts in batches:
        ids, mask = graph._batch(texts)
        expected = reference.encode_batch(texts)
        assert ids.tolist() == [e.ids for e in expected]
        assert mask.tolist() == [e.attention_mask for e in expected]
    assert ids.shape[1] == graph.max_seq_length
    assert graph.count_tokens([long])[0] > 2 * graph.max_seq_length  # counting is not cut


def test_onnx_and_torch_vectors_are_interchangeable(embedder, torch_embedder, parity_vectors):
    texts = parity_texts()
    passages, queries = parity_vectors  # the default backend's (onnx)
    cosines = np.concatenate(
        [
            (passages * torch_embedder.embed_passages(texts)).sum(axis=1),
            (queries * torch_embedder.embed_queries(texts)).sum(axis=1),
        ]
    )
    print(f"\nonnx vs torch over {len(texts)} texts x 2 prompts: min cosine {cosines.min():.6f}")
    assert cosines.min() >= 0.999
    assert embedder.model_id == torch_embedder.model_id  # so switching needs no re-index
    assert embedder.token_counts(texts) == torch_embedder.token_counts(texts)


def test_int8_is_close_but_a_model_of_its_own(embedder, int8_embedder, parity_vectors):
    texts = parity_texts()[::4]  # closeness, not parity: a quarter of the texts tells it
    fp32 = parity_vectors[0][::4]
    cosines = (fp32 * int8_embedder.embed_passages(texts)).sum(axis=1)
    print(f"\nint8 vs fp32: min cosine {cosines.min():.4f}, mean {cosines.mean():.4f}")
    assert cosines.mean() > 0.95  # the same model, coarser weights
    assert cosines.min() < 0.9999  # but not the same vectors
    assert int8_embedder.model_id == embedder.model_id + "+int8"
    same = config_for_model_id(embedder.config, int8_embedder.model_id)
    assert Embedder(same).model_id == int8_embedder.model_id
    assert Embedder(config_for_model_id(embedder.config, embedder.model_id)).model_id == (
        embedder.model_id
    )


def test_embedders_of_one_model_share_its_loaded_session(
    embedder, int8_embedder, torch_embedder, base_config
):
    again = Embedder(base_config)  # as a CLI command run in the web app's process makes one
    assert again.encoder is embedder.encoder  # loaded once per process, not once per Embedder
    assert int8_embedder.encoder is not embedder.encoder  # another model file
    assert torch_embedder.encoder is not embedder.encoder
    text = "Tullverket upphandlade ett nytt ärendehanteringssystem."
    assert np.array_equal(again.embed_query(text), embedder.embed_query(text))


def test_a_store_indexed_in_fp32_refuses_int8_and_takes_torch(config, kb, tmp_path):
    (tmp_path / "tull.md").write_text("Tullverket planerade ett nytt utredningsstöd.\n")
    assert ingest(kb, [tmp_path / "tull.md"]).ok
    kb.close()
    with pytest.raises(ModelMismatch, match="kb reindex"):
        KnowledgeBase(config.with_(embed_quantize="int8"))
    KnowledgeBase(config.with_(embed_backend="torch")).close()


@pytest.mark.parametrize(
    "settings",
    [
        {"embed_backend": "tensorflow"},
        {"embed_quantize": "int4"},
        {"embed_backend": "torch", "embed_quantize": "int8"},
    ],
)
def test_settings_that_cannot_work_are_refused(base_config, settings):
    with pytest.raises(ValueError, match="KB_EMBED_"):
        Embedder(base_config.with_(**settings))


def test_concurrent_queries_share_model_calls_and_get_their_own_vectors(embedder):
    queries = [f"Vad kostade upphandling nummer {i} hos Tullverket?" for i in range(24)]
    alone = {q: embedder.embed_query(q) for q in queries}
    calls: list[int] = []
    encode = embedder._queries._encode
    embedder._queries._encode = lambda texts: (calls.append(len(texts)), encode(texts))[1]
    try:
        results: dict[str, np.ndarray] = {}
        barrier = threading.Barrier(len(queries))

        def search(q: str) -> None:
            barrier.wait()
            results[q] = embedder.embed_query(q)

        threads = [threading.Thread(target=search, args=(q,)) for q in queries]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        embedder._queries._encode = encode
    assert sum(calls) == len(queries)
    assert len(calls) < len(queries)  # some arrived while the model was busy and went together
    for q in queries:
        assert float(results[q] @ alone[q]) > 0.9999


def test_a_failed_batch_tells_every_caller_and_the_next_batch_runs():
    started, release = threading.Event(), threading.Event()
    seen: list[list[str]] = []

    def encode(texts: list[str]) -> np.ndarray:
        seen.append(texts)
        if texts == ["first"]:
            started.set()
            release.wait(5)
            raise RuntimeError("model failed")
        return np.ones((len(texts), 2), dtype=np.float32)

    batcher = QueryBatcher(encode)
    outcome: dict[str, object] = {}

    def call(name: str) -> None:
        try:
            outcome[name] = batcher.embed([name]).shape
        except RuntimeError as exc:
            outcome[name] = str(exc)

    first = threading.Thread(target=call, args=("first",))
    first.start()
    started.wait(5)
    later = [threading.Thread(target=call, args=(n,)) for n in ("b", "c")]
    for t in later:
        t.start()
    while len(batcher._waiting) < 2:  # both wait behind the busy model
        threading.Event().wait(0.01)
    release.set()
    for t in [first, *later]:
        t.join(5)
    assert outcome == {"first": "model failed", "b": (1, 2), "c": (1, 2)}
    assert seen == [["first"], ["b", "c"]]
    assert batcher.embed(["again"]).shape == (1, 2)  # nothing left stuck

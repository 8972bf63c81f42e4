"""The embedder under concurrent use: batches in the caller's order, queries not starved."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from kb.embedding.priority_lock import PriorityLock
from tests.hostile import SV


@pytest.fixture(scope="module")
def embedder(model_embedder):
    """The model as the product runs it: these tests are about the encoder, so nothing is
    remembered between calls."""
    return model_embedder


def test_batched_encoding_matches_one_call(embedder):
    texts = [SV[: 20 + 7 * i] for i in range(70)]  # several batches, lengths all different
    vectors = embedder.embed_passages(texts)
    one_by_one = np.stack([embedder.embed_passages([t])[0] for t in texts[::9]])
    assert vectors.shape == (70, embedder.dimension)
    assert np.allclose(vectors[::9], one_by_one, atol=1e-5)


def test_a_text_repeated_in_one_call_is_embedded_once(embedder, monkeypatch):
    texts = ["[" * 600, SV, "[" * 600, "[" * 600, SV[:40]]  # a hostile file's identical chunks
    seen: list[str] = []
    encode = embedder.encoder.encode_passages
    monkeypatch.setattr(
        embedder.encoder, "encode_passages", lambda batch: (seen.extend(batch), encode(batch))[1]
    )
    vectors = embedder.embed_passages(texts)
    assert sorted(seen) == sorted({"[" * 600, SV, SV[:40]})
    assert vectors.shape == (5, embedder.dimension)
    assert np.array_equal(vectors[0], vectors[2]) and np.array_equal(vectors[0], vectors[3])
    assert np.allclose(vectors[[0, 1, 4]], encode(["[" * 600, SV, SV[:40]]), atol=1e-5)


def test_a_query_waits_for_one_batch_not_a_whole_upload(embedder):
    passages = [f"{SV} Stycke {i}." * 6 for i in range(160)]  # 10 batches, ~12 s
    finished: list[str] = []
    worker = threading.Thread(
        target=lambda: (embedder.embed_passages(passages), finished.append("upload"))
    )
    worker.start()
    time.sleep(0.5)  # the upload is well under way
    started = time.perf_counter()
    embedder.embed_query("kostnader för beslag")
    waited = time.perf_counter() - started
    finished.append("query")
    worker.join()
    assert finished == ["query", "upload"]
    print(f"query waited {waited:.2f} s beside a 160-passage embedding")


def _arrive(lock: PriorityLock, urgent: bool, name: str, order: list) -> threading.Thread:
    def take() -> None:
        with lock.turn(urgent):
            order.append(name)

    thread = threading.Thread(target=take)
    thread.start()
    time.sleep(0.1)  # each arrives after the one before
    return thread


def test_searches_go_first_in_arrival_order():
    lock, order = PriorityLock(max_wait=60), []
    with lock.turn(urgent=False):  # an upload's batch is running
        threads = [
            _arrive(lock, False, "batch-2", order),
            _arrive(lock, True, "query-1", order),
            _arrive(lock, True, "query-2", order),
        ]
    for t in threads:
        t.join()
    assert order == ["query-1", "query-2", "batch-2"]


def test_a_waiting_batch_is_not_starved_by_searches():
    lock, order = PriorityLock(max_wait=0.3), []
    with lock.turn(urgent=True):
        batch = _arrive(lock, False, "batch", order)
        time.sleep(0.4)  # the batch is now overdue
        query = _arrive(lock, True, "query", order)
    batch.join()
    query.join()
    assert order == ["batch", "query"]


def test_the_test_embedder_hands_its_vectors_to_the_next_pass_of_the_same_model(
    base_config, tmp_path
):
    from tests.conftest import RememberingEmbedder

    texts = ["Tullverkets ärendehantering", "Försäkringskassans e-tjänst"]
    first = RememberingEmbedder(base_config)
    vectors = first.embed_passages(texts)
    first.save(tmp_path / "vectors.pickle")

    second = RememberingEmbedder(base_config)
    second.load(tmp_path / "vectors.pickle")
    assert set(second._vectors) == set(texts)
    assert np.array_equal(second.embed_passages(texts), vectors)

    other = RememberingEmbedder(base_config)
    other.model_id = "another-model"  # vectors of another model are not taken
    other.load(tmp_path / "vectors.pickle")
    assert other._vectors == {}

"""`kb reindex`: a model change re-embeds into a new collection while the old one serves."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from ingest.pipeline import ingest
from kb.embedding.embedder import ensure_default_model
from kb.errors import ModelMismatch
from kb.knowledge_base import KnowledgeBase
from kb.models import passage_text
from kb.operations.reindex import PENDING, reindex
from kb.storage.vectors import open_client
from tests.conftest import CORPUS, RememberingEmbedder, dense_search

FILES = sorted(CORPUS.glob("*.md"))[:6]


@pytest.fixture(scope="module")
def other_model(base_config, tmp_path_factory):
    """A genuinely different model: the same encoder with max instead of mean pooling."""
    folder = tmp_path_factory.mktemp("models") / "e5-small-maxpool"
    source = ensure_default_model(base_config.cache_dir)
    # the small files copied (one is changed below), the weights linked: the ONNX files, a
    # gigabyte between them, are not needed, since a model of its own runs on torch
    shutil.copytree(source, folder, ignore=shutil.ignore_patterns("onnx", "model.safetensors"))
    (folder / "model.safetensors").symlink_to(source / "model.safetensors")
    pooling = folder / "1_Pooling" / "config.json"
    settings = json.loads(pooling.read_text())
    settings.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    pooling.write_text(json.dumps(settings))
    # Remembering, as the session's embedder does: each test re-indexes the same six files,
    # and the model gives a text the same vector each time.
    embedder = RememberingEmbedder(base_config.with_(embed_model=str(folder)))
    embedder.encoder  # noqa: B018 - load once for the module
    return embedder


@pytest.fixture
def small_kb(kb):
    report = ingest(kb, FILES)
    assert report.ok and len(report.added) == len(FILES)
    return kb


def test_reindex_switches_model_and_collection(small_kb, other_model):
    config = small_kb.config
    old_collection = small_kb.store.name
    chunks_before = {d.id: small_kb.catalog.chunks(d.id) for d in small_kb.catalog.documents()}

    result = reindex(config.with_(embed_model=other_model.model_name), other_model, drain_seconds=0)

    assert result.documents == len(FILES)
    assert result.chunks == sum(len(c) for c in chunks_before.values())
    assert result.new_collection != old_collection
    assert old_collection not in {c.name for c in open_client(config).list_collections()}

    # The old model is now refused with advice; the new one opens and searches.
    with pytest.raises(ModelMismatch, match="kb reindex"):
        KnowledgeBase(config, embedder=small_kb.embedder)
    moved = KnowledgeBase(config.with_(embed_model=other_model.model_name), other_model)
    try:
        assert moved.store.name == result.new_collection
        doc_id, chunks = next(iter(chunks_before.items()))
        meta = moved.catalog.get(doc_id).meta
        expected = other_model.embed_passages([passage_text(meta, c.text) for c in chunks])
        stored = moved.store.vectors([c.id for c in chunks])
        assert np.allclose(stored, expected, atol=1e-5)
        assert not np.allclose(
            stored,
            small_kb.embedder.embed_passages([passage_text(meta, c.text) for c in chunks]),
            atol=1e-2,
        )
        hits = dense_search(moved, chunks[0].text[:300], 3)
        assert (hits[0].doc_id, hits[0].passages[0].seq) == (chunks[0].doc_id, chunks[0].seq)
    finally:
        moved.close()


def test_web_app_keeps_serving_and_then_follows_the_switch(small_kb, other_model):
    from web import create_app

    config = small_kb.config
    app = create_app({"TESTING": True}, kb_config=config, embedder=small_kb.embedder)
    client = app.test_client()
    shared_model = app.extensions["kb"]["model"]
    old_collection = small_kb.store.name
    during: list = []

    def search_while_reindexing(_n: int) -> None:
        response = client.get("/api/search?q=kostnader&mode=dense")
        during.append(
            (response.status_code, len(response.get_json()["results"]), shared_model.store.name)
        )

    result = reindex(
        config.with_(embed_model=other_model.model_name),
        other_model,
        on_chunks=search_while_reindexing,
        drain_seconds=0,
    )

    assert during and all(
        status == 200 and n > 0 and name == old_collection for status, n, name in during
    )
    after = client.get("/api/search?q=kostnader&mode=dense")
    assert after.status_code == 200 and after.get_json()["results"]
    assert shared_model.store.name == result.new_collection
    assert shared_model.embedder.model_id == other_model.model_id


def test_interrupted_reindex_leaves_the_old_collection_serving(small_kb, other_model):
    config = small_kb.config.with_(embed_model=other_model.model_name, embed_pool_chunks=4)

    def die(_n: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        reindex(config, other_model, on_chunks=die, drain_seconds=0)

    leftover = small_kb.catalog.setting(PENDING)
    names = {c.name for c in open_client(config).list_collections()}
    assert leftover in names and small_kb.store.name in names
    assert small_kb.catalog.setting("collection") == small_kb.store.name
    assert dense_search(small_kb, "kostnader", 3)  # the old model and collection still answer

    old = small_kb.store.name
    result = reindex(config, other_model, drain_seconds=0)
    names = {c.name for c in open_client(config).list_collections()}
    assert result.new_collection in names
    assert leftover not in names and old not in names

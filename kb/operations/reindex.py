"""`kb reindex`: re-embed every chunk into a new collection while the old one keeps serving,
then switch the catalog to it in one transaction (blue/green, for a model change)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from kb.config import Config
from kb.embedding.embedder import Embedder
from kb.knowledge_base import KnowledgeBase, active_collection
from kb.models import passage_text
from kb.storage.catalog import Catalog
from kb.storage.vectors import (
    VectorStore,
    drop_collection,
    lessons_collection,
    new_collection_name,
    open_client,
)
from kb.writer import Writer

log = logging.getLogger(__name__)

PENDING = "reindex_pending"  # the collection being built; dropped if a run dies half-way


@dataclass(frozen=True)
class ReindexResult:
    documents: int
    chunks: int
    old_model: str | None
    new_model: str
    old_collection: str
    new_collection: str


def reindex(
    config: Config,
    embedder: Embedder,
    on_start: Callable[[int], None] = lambda total: None,
    on_chunks: Callable[[int], None] = lambda n: None,
    on_wait: Callable[[str], None] | None = None,
    drain_seconds: float = 5.0,
) -> ReindexResult:
    """Readers go on using the old collection until the switch; writers wait on the lock
    (an upload made meanwhile is ingested after, into the new collection)."""
    # The new model is the point: it may differ from the one the catalog records.
    knowledge_base = KnowledgeBase(config, embedder, check_model=False)
    try:
        with knowledge_base.writing(on_wait=on_wait, task="a re-index (kb reindex)") as writer:
            client = open_client(config)
            try:
                return _reindex(writer, client, embedder, on_start, on_chunks, drain_seconds)
            finally:
                client.close()
    finally:
        knowledge_base.close()


def _reindex(writer: Writer, client, embedder, on_start, on_chunks, drain_seconds) -> ReindexResult:
    catalog, config = writer.base.catalog, writer.base.config
    old_name = active_collection(catalog)
    _drop_leftover(catalog, client, old_name)
    new_name = new_collection_name()
    writer.set_settings({PENDING: new_name})
    new = VectorStore(client, new_name)

    documents = catalog.documents(status="ready")
    dimension = embedder.dimension  # loads the model before the progress bar starts
    on_start(sum(d.n_chunks for d in documents))
    batch: list = []
    chunks_done = 0

    def flush() -> None:
        texts = [passage_text(doc.meta, c.text) for doc, chunks in batch for c in chunks]
        vectors = embedder.embed_passages(texts)
        items, at = [], 0
        for doc, chunks in batch:
            items.append((chunks, vectors[at : at + len(chunks)], doc.meta))
            at += len(chunks)
        new.replace_documents(items)
        on_chunks(len(texts))
        batch.clear()

    for doc in documents:
        chunks = catalog.chunks(doc.id)
        batch.append((doc, chunks))
        chunks_done += len(chunks)
        if sum(len(c) for _, c in batch) >= config.embed_pool_chunks:
            flush()
    if batch:
        flush()
    _reembed_lessons(writer, embedder, VectorStore(client, lessons_collection(new_name)))

    old_model = catalog.setting("embed_model")
    writer.set_settings(
        {
            "collection": new_name,
            "embed_model": embedder.model_id,
            "embed_dimension": str(dimension),
            PENDING: "",
        }
    )
    log.info("switched from %s to %s", old_name, new_name)
    # Requests already running on the old collection finish before it goes.
    time.sleep(drain_seconds)
    drop_collection(client, old_name)
    drop_collection(client, lessons_collection(old_name))
    return ReindexResult(
        len(documents), chunks_done, old_model, embedder.model_id, old_name, new_name
    )


def _reembed_lessons(writer: Writer, embedder: Embedder, store: VectorStore) -> None:
    """The lessons into the new generation's lesson collection, with the new model."""
    lessons = writer.base.records.lessons()
    if lessons:
        vectors = embedder.embed_passages([lesson.text for lesson in lessons])
        store.upsert([lesson.id for lesson in lessons], vectors, [x.text for x in lessons])


def _drop_leftover(catalog: Catalog, client, active: str) -> None:
    """A collection from a re-index that was killed before its switch."""
    pending = catalog.setting(PENDING)
    if pending and pending != active:
        log.info("dropping %s, left by an interrupted re-index", pending)
        drop_collection(client, pending)
        drop_collection(client, lessons_collection(pending))

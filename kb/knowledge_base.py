"""The knowledge base: catalog + vector store + embedder, opened together from one config."""

from __future__ import annotations

import logging
from functools import cached_property

import numpy as np

from kb.catalog import Catalog
from kb.config import Config
from kb.embedder import Embedder
from kb.errors import InvalidQuery, ModelMismatch
from kb.models import Chunk, Document, Hit, Metadata, passage_text
from kb.store import COLLECTION, VectorStore, new_collection_name

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 2000


def active_collection(catalog: Catalog, config: Config) -> str:
    """The Chroma collection that holds this knowledge base's vectors now (`kb reindex`
    switches it). Embedded stores keep the historical name; on a shared Chroma server each
    knowledge base gets a name of its own."""
    default = new_collection_name() if config.chroma_url else COLLECTION
    return catalog.setting_or_default("collection", default)


class KnowledgeBase:
    def __init__(
        self,
        config: Config,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
        catalog: Catalog | None = None,
    ) -> None:
        """Shares `embedder`, `store` and `catalog` when given: a web app opens one catalog
        connection per thread but loads the model and the Chroma client once."""
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.catalog = catalog or Catalog(config.catalog_path)
        self.embedder = embedder or Embedder(config)
        if store is not None:
            self.store = store
        self._check_model()

    @cached_property
    def store(self) -> VectorStore:
        return VectorStore.open(self.config, active_collection(self.catalog, self.config))

    def close(self) -> None:
        self.catalog.close()

    def _check_model(self) -> None:
        recorded = self.catalog.setting("embed_model")
        if recorded is None or recorded == self.embedder.model_id:
            return
        raise ModelMismatch(
            f"this knowledge base ({self.config.data_dir}) was indexed with the model "
            f"{recorded!r}, but {self.embedder.model_id!r} is configured. Set KB_EMBED_MODEL "
            f"back to {recorded!r}, or run "
            f"`kb reindex` with KB_EMBED_MODEL={self.embedder.model_id!r} to re-embed everything."
        )

    def record_model(self) -> None:
        """Bind the store to the embedding model (on first write)."""
        if self.catalog.setting("embed_model") is None:
            self.catalog.set_setting("embed_model", self.embedder.model_id)
            self.catalog.set_setting("embed_dimension", str(self.embedder.dimension))

    # writing ---------------------------------------------------------------
    def write_documents(self, items: list[tuple[Document, list[Chunk], np.ndarray]]) -> None:
        """Catalog first (status 'indexing'), then vectors, then 'ready'.

        A crash anywhere leaves the documents 'indexing', which the next ingest redoes.
        """
        if not items:
            return
        self.record_model()
        for doc, chunks, _ in items:
            self.catalog.begin_document(doc, chunks)
        self.store.replace_documents(
            [(chunks, vectors, doc.meta) for doc, chunks, vectors in items]
        )
        self.catalog.mark_ready([doc.id for doc, _, _ in items])

    def update_metadata(self, doc_id: str, meta: Metadata, meta_inputs: str | None = None) -> int:
        """Change a document's metadata; returns how many passages had to be re-embedded."""
        before, chunks = self.catalog.get(doc_id), self.catalog.chunks(doc_id)
        vectors = None
        if meta.context_title != before.meta.context_title and chunks:
            # a real title is embedded with every passage (passage_text), so the vectors change too
            vectors = self.embedder.embed_passages([passage_text(meta, c.text) for c in chunks])
        self.catalog.update_metadata(doc_id, meta, meta_inputs)
        self.store.update_metadata(chunks, meta, vectors)
        return 0 if vectors is None else len(chunks)

    def delete(self, doc_id: str) -> None:
        self.catalog.get(doc_id)  # raises NotFound
        self.store.delete_document(doc_id)
        self.catalog.delete(doc_id)

    # reading ---------------------------------------------------------------
    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Plain dense search over chunks (the hybrid search builds on this)."""
        query = query.strip()
        if not query:
            raise InvalidQuery("the query is empty")
        if len(query) > MAX_QUERY_CHARS:
            raise InvalidQuery(f"the query is longer than {MAX_QUERY_CHARS} characters")
        if not 1 <= limit <= 1000:
            raise InvalidQuery("limit must be between 1 and 1000")
        vector = self.embedder.embed_query(query)
        matches = self.store.query(vector, limit)
        chunks = self.catalog.chunks_by_id((m.doc_id, m.seq) for m in matches)
        hits = []
        docs: dict[str, Document | None] = {}
        for m in matches:
            chunk = chunks.get((m.doc_id, m.seq))
            if m.doc_id not in docs:
                docs[m.doc_id] = self.catalog.find(m.doc_id)
            doc = docs[m.doc_id]
            if chunk is None or doc is None or doc.status != "ready":
                continue  # vectors of a document being rewritten
            hits.append(
                Hit(m.chunk_id, m.doc_id, doc.meta.title, m.score, chunk.text, chunk.page, doc.meta)
            )
        return hits

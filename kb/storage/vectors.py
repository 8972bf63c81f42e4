"""The vector store: chunk embeddings in Chroma, converted to our own types at this boundary."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from urllib.parse import urlsplit

import numpy as np

from kb.config import Config
from kb.errors import StoreUnavailable
from kb.models import Chunk, Filters, Metadata
from kb.storage.data_folder import private_folder

log = logging.getLogger(__name__)

COLLECTION = "chunks"


@dataclass(frozen=True)
class VectorMatch:
    chunk_id: str
    doc_id: str
    seq: int
    score: float  # cosine similarity


def _chunk_metadata(chunk: Chunk, meta: Metadata) -> dict:
    # Chroma refuses None and empty lists, so absent values are simply left out.
    out: dict = {"doc_id": chunk.doc_id, "seq": chunk.seq, "kind": meta.kind}
    if meta.agency:
        out["agency"] = meta.agency
    if meta.year is not None:
        out["year"] = meta.year
    if meta.tags:
        out["tags"] = list(meta.tags)
    if chunk.page is not None:
        out["page"] = chunk.page
    return out


def open_client(config: Config):
    """The embedded store in the data folder, or the Chroma server at KB_CHROMA_URL."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if not config.chroma_url:
        private_folder(config.chroma_path)
        return chromadb.PersistentClient(path=str(config.chroma_path), settings=settings)
    url = urlsplit(config.chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise StoreUnavailable(f"KB_CHROMA_URL={config.chroma_url!r} is not an http(s) URL")
    try:
        return chromadb.HttpClient(
            host=url.hostname,
            port=url.port or (443 if url.scheme == "https" else 80),
            ssl=url.scheme == "https",
            settings=settings,
        )
    except Exception as exc:  # chromadb raises plain ValueError/ConnectError on a dead server
        raise StoreUnavailable(
            f"cannot reach the Chroma server at {config.chroma_url} ({exc}); "
            f"is `chroma run` running there?"
        ) from exc


def lessons_collection(chunks_collection: str) -> str:
    """Lessons' vectors live next to the chunks' of the same model and generation, so that
    `kb reindex` builds and drops both together."""
    return f"{chunks_collection}-lessons"


def new_collection_name() -> str:
    # Unique per knowledge base and generation, so many KBs can share one Chroma server.
    return f"{COLLECTION}-{uuid.uuid4().hex[:12]}"


class VectorStore:
    """One Chroma collection of chunk vectors; which one is current is kept in the catalog."""

    def __init__(self, client, name: str = COLLECTION) -> None:
        self.client, self.name = client, name
        self.collection = self.client.get_or_create_collection(
            name,
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=None,  # we embed ourselves; never Chroma's default model
        )

    @classmethod
    def open(cls, config: Config, name: str = COLLECTION) -> VectorStore:
        return cls(open_client(config), name)

    def count(self) -> int:
        return self.collection.count()

    def close(self) -> None:
        """Release the client (an embedded store's SQLite and index files); idempotent."""
        self.client.close()

    def replace_documents(self, items: list[tuple[list[Chunk], np.ndarray, Metadata]]) -> None:
        """Make each document's vectors exactly its `chunks` (idempotent: safe to repeat).

        One delete and few upserts for many documents: Chroma's per-call cost dominates
        when documents are small.
        """
        doc_ids = list({c.doc_id for chunks, _, _ in items for c in chunks})
        if doc_ids:
            self.collection.delete(where={"doc_id": {"$in": doc_ids}})
        chunks = [c for cs, _, _ in items for c in cs]
        if not chunks:
            return
        vectors = np.concatenate([v for _, v, _ in items])
        metadatas = [_chunk_metadata(c, meta) for cs, _, meta in items for c in cs]
        step = self.client.get_max_batch_size()
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            self.collection.upsert(
                ids=[c.id for c in part],
                embeddings=vectors[i : i + step],
                documents=[c.text for c in part],
                metadatas=metadatas[i : i + step],
            )

    def update_metadata(
        self, chunks: list[Chunk], meta: Metadata, vectors: np.ndarray | None = None
    ) -> None:
        """New metadata on a document's chunks, and new vectors if its title changed."""
        step = self.client.get_max_batch_size()
        for i in range(0, len(chunks), step):
            part = chunks[i : i + step]
            self.collection.update(
                ids=[c.id for c in part],
                metadatas=[_chunk_metadata(c, meta) for c in part],
                embeddings=None if vectors is None else vectors[i : i + step],
            )

    def delete_document(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    def delete_chunks(self, chunk_ids: list[str]) -> None:
        if chunk_ids:
            self.collection.delete(ids=chunk_ids)

    def upsert(self, ids: list[str], vectors: np.ndarray, texts: list[str]) -> None:
        """Items that are not chunks (lessons), by id, with the text embedded."""
        step = self.client.get_max_batch_size()
        for i in range(0, len(ids), step):
            self.collection.upsert(
                ids=ids[i : i + step],
                embeddings=vectors[i : i + step],
                documents=texts[i : i + step],
                metadatas=[{"id": item} for item in ids[i : i + step]],
            )

    def ids(self) -> set[str]:
        return set(self.collection.get(include=[])["ids"])

    def chunk_texts(self) -> dict[str, str]:
        """Every stored chunk id with the text stored beside its vector (for `kb check`)."""
        got = self.collection.get(include=["documents"])
        return {cid: text or "" for cid, text in zip(got["ids"], got["documents"])}

    def stored(self, chunk_ids: list[str]) -> dict[str, tuple[str, np.ndarray]]:
        """The text and vector stored for each of these chunks that the store holds."""
        got = self.collection.get(ids=chunk_ids, include=["documents", "embeddings"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32)
        return {
            cid: (text or "", vectors[i])
            for i, (cid, text) in enumerate(zip(got["ids"], got["documents"]))
        }

    def document_ids(self) -> set[str]:
        got = self.collection.get(include=["metadatas"])
        return {m["doc_id"] for m in got["metadatas"]}

    def vectors(self, chunk_ids: list[str]) -> np.ndarray:
        got = self.collection.get(ids=chunk_ids, include=["embeddings"])
        return np.asarray(got["embeddings"], dtype=np.float32)

    def similarities(self, vector: np.ndarray, chunk_ids: list[str]) -> dict[str, float]:
        """The cosine of `vector` with each stored chunk of `chunk_ids` (the scale `query`
        gives), for chunks that another retriever found; unknown ids are left out."""
        got = self.collection.get(ids=chunk_ids, include=["embeddings"])
        if not len(got["ids"]):
            return {}
        stored = np.asarray(got["embeddings"], dtype=np.float32)
        vector = np.asarray(vector, dtype=np.float32)
        norms = np.linalg.norm(stored, axis=1) * np.linalg.norm(vector)
        cosines = stored @ vector / np.where(norms > 0, norms, 1.0)
        return dict(zip(got["ids"], cosines.tolist()))

    def query(
        self,
        vector: np.ndarray,
        limit: int,
        filters: Filters | None = None,
        exclude_doc: str | None = None,
    ) -> list[VectorMatch]:
        res = self.collection.query(
            query_embeddings=[vector],
            n_results=limit,  # Chroma returns fewer when the store holds fewer
            where=chroma_where(filters or Filters(), exclude_doc),
            include=["metadatas", "distances"],
        )
        return [
            VectorMatch(chunk_id=cid, doc_id=m["doc_id"], seq=int(m["seq"]), score=1.0 - float(d))
            for cid, m, d in zip(res["ids"][0], res["metadatas"][0], res["distances"][0])
        ]


def chroma_where(filters: Filters, exclude_doc: str | None = None) -> dict | None:
    """Filters as a Chroma `where` clause (None when nothing is filtered)."""
    clauses: list[dict] = []
    if filters.agencies:
        clauses.append({"agency": {"$in": list(filters.agencies)}})
    if filters.kinds:
        clauses.append({"kind": {"$in": list(filters.kinds)}})
    if filters.year_from is not None:
        clauses.append({"year": {"$gte": filters.year_from}})
    if filters.year_to is not None:
        clauses.append({"year": {"$lte": filters.year_to}})
    if filters.tags:
        tag_clauses = [{"tags": {"$contains": t}} for t in filters.tags]
        clauses.append(tag_clauses[0] if len(tag_clauses) == 1 else {"$or": tag_clauses})
    if exclude_doc is not None:
        clauses.append({"doc_id": {"$ne": exclude_doc}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def drop_collection(client, name: str) -> None:
    """Delete a collection (one a re-index replaced or left half-built); gone already is fine."""
    try:
        client.delete_collection(name)
    except Exception:  # noqa: BLE001 - Chroma's error types vary by mode
        log.debug("collection %s was not there to delete", name)

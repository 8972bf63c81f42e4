"""The catalog: documents and chunks in SQLite, the source of truth the vector store mirrors."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from kb import keyword_index
from kb.errors import NotFound
from kb.models import Chunk, Document, Metadata

SCHEMA_VERSION = 3  # 2: the keyword index (chunk_terms); 3: its title column

_SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    meta TEXT NOT NULL,              -- JSON of Metadata
    kind TEXT NOT NULL,              -- copies of filterable metadata, for SQL filters
    agency TEXT,
    year INTEGER,
    file_type TEXT NOT NULL,
    n_chunks INTEGER NOT NULL DEFAULT 0,
    n_pages INTEGER,
    size_bytes INTEGER NOT NULL,
    status TEXT NOT NULL,            -- 'indexing' until chunks and vectors are all written
    index_signature TEXT NOT NULL,
    meta_inputs TEXT NOT NULL DEFAULT '',  -- hash of metadata given outside the file
    text TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_source ON documents(source);
CREATE TABLE IF NOT EXISTS chunks (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    page INTEGER,
    char_start INTEGER NOT NULL,
    char_end INTEGER NOT NULL,
    PRIMARY KEY (doc_id, seq)
);
"""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Catalog:
    """SQLite file in the data folder; one connection per instance (not shared across threads)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_SCHEMA)
        version = int(self.setting("schema_version") or SCHEMA_VERSION)
        if version < 3:
            keyword_index.drop(self.db)  # its shape changed: made anew below
        self.db.executescript(keyword_index.SCHEMA)
        if version < 3:
            self.rebuild_keyword_index()
        self.set_setting("schema_version", str(SCHEMA_VERSION))

    def rebuild_keyword_index(self) -> None:
        """Re-derive the keyword index from the chunks (after an analyzer change)."""
        with self.db:
            self.db.execute("DELETE FROM chunk_terms")
            for doc in self.documents():
                keyword_index.add_chunks(self.db, doc.meta.context_title, self.chunks(doc.id))

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.db:
            yield self.db

    # settings ------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def set_settings(self, values: dict[str, str]) -> None:
        """Several settings in one transaction (e.g. the switch to a re-indexed collection)."""
        with self.db:
            self.db.executemany(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )

    def setting_or_default(self, key: str, default: str) -> str:
        """The setting, first storing `default` if none is set yet (the first writer wins)."""
        value = self.setting(key)
        if value is not None:  # read on every web request: no write transaction then
            return value
        with self.db:
            self.db.execute("INSERT OR IGNORE INTO settings(key, value) VALUES (?, ?)",
                            (key, default))  # fmt: skip
        return self.setting(key) or default

    # documents -------------------------------------------------------------
    def get(self, doc_id: str, with_text: bool = False) -> Document:
        doc = self.find(doc_id, with_text=with_text)
        if doc is None:
            raise NotFound(f"no document with id {doc_id!r}")
        return doc

    def find(self, doc_id: str, with_text: bool = False) -> Document | None:
        row = self.db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return _document(row, with_text) if row else None

    def find_many(self, doc_ids: list[str]) -> dict[str, Document]:
        """Documents by id, without their text, in one query."""
        found: dict[str, Document] = {}
        for start in range(0, len(doc_ids), 500):  # under SQLite's bound-parameter limit
            part = doc_ids[start : start + 500]
            rows = self.db.execute(
                f"SELECT * FROM documents WHERE id IN ({','.join('?' * len(part))})", part
            )
            found.update((r["id"], _document(r, False)) for r in rows)
        return found

    def documents(self, status: str | None = None) -> list[Document]:
        sql, args = "SELECT * FROM documents", ()
        if status:
            sql, args = sql + " WHERE status = ?", (status,)
        return [_document(r, False) for r in self.db.execute(sql + " ORDER BY id", args)]

    def begin_document(self, doc: Document, chunks: list[Chunk]) -> None:
        """Write a document as 'indexing' with its chunks, replacing any earlier version."""
        now = _now()
        with self.db:
            old = self.db.execute(
                "SELECT created_at FROM documents WHERE id = ?", (doc.id,)
            ).fetchone()
            self.db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc.id,))
            keyword_index.delete_document(self.db, doc.id)
            self.db.execute(
                "INSERT OR REPLACE INTO documents (id, source, content_hash, meta, kind, agency,"
                " year, file_type, n_chunks, n_pages, size_bytes, status, index_signature,"
                " meta_inputs, text, created_at, updated_at)"
                " VALUES (?,?,?,?,?,?,?,?,?,?,?,'indexing',?,?,?,?,?)",
                (
                    doc.id, doc.source, doc.content_hash, json.dumps(doc.meta.to_dict()),
                    doc.meta.kind, doc.meta.agency, doc.meta.year, doc.file_type, len(chunks),
                    doc.n_pages, doc.size_bytes, doc.index_signature, doc.meta_inputs, doc.text,
                    old["created_at"] if old else now, now,
                ),
            )  # fmt: skip
            self.db.executemany(
                "INSERT INTO chunks (doc_id, seq, text, page, char_start, char_end)"
                " VALUES (?,?,?,?,?,?)",
                [(c.doc_id, c.seq, c.text, c.page, c.char_start, c.char_end) for c in chunks],
            )
            keyword_index.add_chunks(self.db, doc.meta.context_title, chunks)

    def mark_ready(self, doc_ids: list[str]) -> None:
        with self.db:
            self.db.executemany(
                "UPDATE documents SET status = 'ready' WHERE id = ?", [(i,) for i in doc_ids]
            )

    def update_metadata(self, doc_id: str, meta: Metadata, meta_inputs: str | None = None) -> None:
        with self.db:
            self.db.execute(
                "UPDATE documents SET meta = ?, kind = ?, agency = ?, year = ?,"
                " meta_inputs = COALESCE(?, meta_inputs), updated_at = ? WHERE id = ?",
                (json.dumps(meta.to_dict()), meta.kind, meta.agency, meta.year, meta_inputs,
                 _now(), doc_id),
            )  # fmt: skip
            keyword_index.delete_document(self.db, doc_id)  # the title is indexed with each chunk
            keyword_index.add_chunks(self.db, meta.context_title, self.chunks(doc_id))

    def delete(self, doc_id: str) -> bool:
        with self.db:
            keyword_index.delete_document(self.db, doc_id)
            cur = self.db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        return cur.rowcount > 0

    # chunks ----------------------------------------------------------------
    def chunks(self, doc_id: str) -> list[Chunk]:
        rows = self.db.execute("SELECT * FROM chunks WHERE doc_id = ? ORDER BY seq", (doc_id,))
        return [_chunk(r) for r in rows]

    def chunks_by_id(self, ids: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Chunk]:
        keys = list(ids)
        out = {}
        for start in range(0, len(keys), 400):
            part = keys[start : start + 400]
            where = " OR ".join(["(doc_id = ? AND seq = ?)"] * len(part))
            rows = self.db.execute(f"SELECT * FROM chunks WHERE {where}",
                                   [v for key in part for v in key])  # fmt: skip
            out.update(((r["doc_id"], r["seq"]), _chunk(r)) for r in rows)
        return out

    def stats(self) -> dict:
        docs = self.db.execute(
            "SELECT COUNT(*) n, COALESCE(SUM(n_chunks),0) c, COALESCE(SUM(size_bytes),0) b,"
            " SUM(status != 'ready') pending FROM documents"
        ).fetchone()
        by_kind = dict(self.db.execute("SELECT kind, COUNT(*) FROM documents GROUP BY kind"))
        by_agency = dict(
            self.db.execute("SELECT COALESCE(agency, '-'), COUNT(*) FROM documents GROUP BY agency")
        )
        return {
            "documents": docs["n"],
            "chunks": docs["c"],
            "bytes": docs["b"],
            "incomplete": docs["pending"] or 0,
            "by_kind": by_kind,
            "by_agency": by_agency,
        }


def _document(row: sqlite3.Row, with_text: bool) -> Document:
    return Document(
        id=row["id"],
        source=row["source"],
        content_hash=row["content_hash"],
        meta=Metadata.from_dict(json.loads(row["meta"]), stored=True),
        file_type=row["file_type"],
        n_chunks=row["n_chunks"],
        n_pages=row["n_pages"],
        size_bytes=row["size_bytes"],
        status=row["status"],
        index_signature=row["index_signature"],
        meta_inputs=row["meta_inputs"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        text=row["text"] if with_text else "",
    )


def _chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(
        doc_id=row["doc_id"],
        seq=row["seq"],
        text=row["text"],
        page=row["page"],
        char_start=row["char_start"],
        char_end=row["char_end"],
    )

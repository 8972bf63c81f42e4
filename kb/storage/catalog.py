"""The catalog: documents and chunks in SQLite, the source of truth the vector store mirrors."""

from __future__ import annotations

import functools
import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from kb.errors import NotFound
from kb.models import Chunk, Document, Filters, ManualEdit, Metadata, OcrPage
from kb.near_duplicates import NearDuplicate
from kb.storage import (
    keyword_copy,
    keyword_index,
    migrations,
    near_duplicates,
    records,
    references,
    suggestions,
    versions,
)
from kb.storage.data_folder import private_folder
from kb.storage.faults import FULL_BELOW, free_bytes, is_read_only
from kb.storage.versions import Origin, Version


def _unwritable(folder: Path) -> bool:
    return is_read_only(folder) or free_bytes(folder) < FULL_BELOW


def _open(target: str, uri: bool) -> sqlite3.Connection:
    db = sqlite3.connect(target, timeout=30, check_same_thread=False, uri=uri)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys=ON")
    return db


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Catalog:
    """SQLite file in the data folder; one connection per instance (not shared across threads)."""

    def __init__(self, path: Path, migrate: bool = False) -> None:
        """Opening to read never writes; `migrate` (opening for writing: the CLI, the web
        app's start) first applies the schema migrations this catalog lacks."""
        if migrate:
            private_folder(path.parent)
        self.path = path
        self.read_only = False
        # the tantivy copy searches answer from while it is current (KnowledgeBase sets it)
        self.keyword_copy: keyword_copy.KeywordCopy | None = None
        self._db = self._connect(path, migrate)
        if migrate and migrations.pending(self._db):
            self._db.execute("PRAGMA journal_mode=WAL")  # kept in the file from then on
            migrations.migrate(self._db)

    def _connect(self, path: Path, migrate: bool) -> sqlite3.Connection:
        try:
            db = _open(str(path), uri=False)
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # damage shows here
            return db
        except sqlite3.OperationalError:
            # A WAL catalog on a read-only or full disk cannot be opened as usual (SQLite
            # wants to make its -shm file). With no write-ahead log left, the file holds all
            # of it and nobody can write there: reading it as immutable is then safe.
            if migrate or not path.exists() or not _unwritable(path.parent):
                raise
            wal = path.with_name(path.name + "-wal")
            if wal.exists() and wal.stat().st_size:
                raise
        db = _open(f"file:{path}?immutable=1", uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        self.read_only = True
        return db

    @property
    def connection(self) -> sqlite3.Connection:
        """For the other tables in this file (accounts, login throttling): their modules own
        their SQL, migrations own their schema."""
        return self._db

    # keyword index ---------------------------------------------------------
    def keyword_search(
        self,
        stems: list[str],
        limit: int,
        filters: Filters,
        prefix: bool,
        title_weight: float = 1.0,
    ) -> list[keyword_index.KeywordMatch]:
        # Unfiltered searches skip the documents subquery; unready documents are dropped
        # when results are grouped, as they are for dense matches.
        doc_filter = sql_documents(filters) if filters.active else None
        # The copy holds title + text in one field: other title weights are FTS5's alone.
        if self.keyword_copy is not None and title_weight == 1.0:
            doc_ids = None
            if doc_filter:
                doc_ids = [r[0] for r in self._db.execute(*doc_filter)]
            found = self.keyword_copy.search(self._db, stems, limit, doc_ids, prefix)
            if found is not None:
                return found
        return keyword_index.search(
            self._db, stems, limit, doc_filter, prefix=prefix, title_weight=title_weight
        )

    def follow_keywords(self, rebuild: bool = False) -> bool:
        """Bring the keyword copy to this catalog's changes (kb/storage/keyword_copy.py)."""
        if self.keyword_copy is None or self.read_only:
            return False
        return self.keyword_copy.follow(self.path, rebuild=rebuild)

    def keyword_state(self) -> keyword_copy.State:
        """The last change to the keyword terms (number, token): what a current copy holds."""
        return keyword_copy.catalog_state(self._db)

    def term_frequency(self) -> Callable[[str], int]:
        """How many chunks hold a term or its continuations (for compound splitting)."""
        return keyword_index.vocabulary(self._db)

    def keyword_keys(self) -> set[tuple[str, int]]:
        return keyword_index.keys(self._db)

    def rebuild_keywords(self) -> None:
        """Re-derive the keyword index from the chunks (after an analyzer change, or to mend
        what `kb check` found)."""
        with self._db:
            keyword_index.rebuild(self._db)

    def known_filter_values(self) -> tuple[list[str], list[str]]:
        """The agencies and tags documents have, to check a search's filters against."""
        # Both from indexes (migration 19): no document's JSON metadata is parsed.
        agencies = self._db.execute(
            "SELECT DISTINCT agency FROM documents WHERE agency IS NOT NULL ORDER BY agency"
        ).fetchall()
        tags = self._db.execute("SELECT DISTINCT tag FROM document_tags ORDER BY tag").fetchall()
        return [r[0] for r in agencies], [r[0] for r in tags]

    def close(self) -> None:
        self._db.close()

    # settings ------------------------------------------------------------
    def setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row["value"] if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def set_settings(self, values: dict[str, str]) -> None:
        """Several settings in one transaction (e.g. the switch to a re-indexed collection)."""
        with self._db:
            self._db.executemany(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                list(values.items()),
            )

    def record_setting_once(self, key: str, default: str) -> str:
        """The setting, storing `default` first if none is set yet (the first writer wins)."""
        value = self.setting(key)
        if value is not None:
            return value
        with self._db:
            self._db.execute(
                "INSERT OR IGNORE INTO settings(key, value) VALUES (?, ?)", (key, default)
            )
        return self.setting(key) or default

    # documents -------------------------------------------------------------
    def get(self, doc_id: str, with_text: bool = False) -> Document:
        doc = self.find(doc_id, with_text=with_text)
        if doc is None:
            raise NotFound("no_document", id=doc_id)
        return doc

    def find(self, doc_id: str, with_text: bool = False) -> Document | None:
        columns = "*" if with_text else _LISTED
        row = self._db.execute(f"SELECT {columns} FROM documents WHERE id = ?", (doc_id,))
        row = row.fetchone()
        return _document(row, with_text, self._edits([doc_id])) if row else None

    def find_many(self, doc_ids: list[str]) -> dict[str, Document]:
        """Documents by id, without their text, in one query."""
        found: dict[str, Document] = {}
        for start in range(0, len(doc_ids), 500):  # under SQLite's bound-parameter limit
            part = doc_ids[start : start + 500]
            rows = self._db.execute(
                f"SELECT {_LISTED} FROM documents WHERE id IN ({','.join('?' * len(part))})", part
            )
            edits = self._edits(part)
            found.update((r["id"], _document(r, False, edits)) for r in rows)
        return found

    def documents(self, status: str | None = None) -> list[Document]:
        sql, args = f"SELECT {_LISTED} FROM documents", ()
        if status:
            sql, args = sql + " WHERE status = ?", (status,)
        edits = self._edits(None)
        return [_document(r, False, edits) for r in self._db.execute(sql + " ORDER BY id", args)]

    def ready_documents(self, filters: Filters) -> list[Document]:
        """The ready documents that pass the filters, without their text."""
        sql, args = sql_documents(filters)
        return list(self.find_many([r[0] for r in self._db.execute(sql, args)]).values())

    def _edits(self, doc_ids: list[str] | None) -> dict[str, tuple[ManualEdit, ...]]:
        """The editors' edits of these documents (None: of all), by document."""
        sql, args = "SELECT * FROM manual_edits", doc_ids or []
        if doc_ids is not None:
            sql += f" WHERE doc_id IN ({','.join('?' * len(doc_ids))})"
        out: dict[str, list[ManualEdit]] = {}
        for r in self._db.execute(sql + " ORDER BY doc_id, field", args):
            edit = ManualEdit(r["field"], json.loads(r["value"]), r["editor"], r["edited_at"])
            out.setdefault(r["doc_id"], []).append(edit)
        return {doc_id: tuple(edits) for doc_id, edits in out.items()}

    def _write_edits(self, doc_id: str, edits: Iterable[ManualEdit]) -> None:
        self._db.execute("DELETE FROM manual_edits WHERE doc_id = ?", (doc_id,))
        self._db.executemany(
            "INSERT INTO manual_edits (doc_id, field, value, editor, edited_at) VALUES (?,?,?,?,?)",
            [
                (doc_id, e.field, json.dumps(e.value, ensure_ascii=False), e.editor, e.edited_at)
                for e in edits
            ],
        )

    def begin_document(
        self, doc: Document, chunks: list[Chunk], origin: Origin | None = None
    ) -> int | None:
        """Write a document as 'indexing' with its chunks, replacing any earlier version; its
        editors' edits are the ones `doc` carries. New content is kept as a new version (made
        by `origin`), whose number is returned (None: the content is the latest version's)."""
        now = _now()
        with self._db:
            old = self._db.execute(
                "SELECT created_at FROM documents WHERE id = ?", (doc.id,)
            ).fetchone()
            self._db.execute("DELETE FROM chunks WHERE doc_id = ?", (doc.id,))
            if old:  # FTS5 finds a document's rows by scanning them all: only for a known one
                keyword_index.delete_document(self._db, doc.id)
            self._db.execute(
                "INSERT OR REPLACE INTO documents (id, source, content_hash, meta, kind, agency,"
                " year, file_type, n_chunks, n_pages, size_bytes, status, index_signature,"
                " meta_inputs_hash, text, structure, created_at, updated_at, file_meta,"
                " ocr_pages) VALUES (?,?,?,?,?,?,?,?,?,?,?,'indexing',?,?,?,?,?,?,?,?)",
                (
                    doc.id,
                    doc.source,
                    doc.content_hash,
                    json.dumps(doc.meta.to_dict()),
                    doc.meta.kind,
                    doc.meta.agency,
                    doc.meta.year,
                    doc.file_type,
                    len(chunks),
                    doc.n_pages,
                    doc.size_bytes,
                    doc.index_signature,
                    doc.meta_inputs_hash,
                    doc.text,
                    json.dumps([list(s) for s in doc.structure]),
                    old["created_at"] if old else now,
                    now,
                    json.dumps(doc.file_metadata.to_dict()),
                    json.dumps([[p.page, p.seconds] for p in doc.ocr]),
                ),
            )
            self._write_edits(doc.id, doc.manual_edits)  # after the REPLACE, which drops them
            _write_tags(self._db, doc.id, doc.meta.tags)
            self._db.executemany(
                "INSERT INTO chunks (doc_id, seq, text, page, char_start, char_end)"
                " VALUES (?,?,?,?,?,?)",
                [(c.doc_id, c.seq, c.text, c.page, c.char_start, c.char_end) for c in chunks],
            )
            keyword_index.add_chunks(self._db, doc.meta.context_title, chunks)
            # in the same transaction: the records' quotes found in the new text, or flagged
            records.reanchor_document(self._db, doc.id, doc.text, chunks)
            versions.drop_alias(self._db, doc.id)
            return versions.record(self._db, doc, chunks, origin or Origin(), now)

    def mark_ready(self, doc_ids: list[str]) -> None:
        with self._db:
            self._db.executemany(
                "UPDATE documents SET status = 'ready' WHERE id = ?", [(i,) for i in doc_ids]
            )

    def update_metadata(
        self,
        doc_id: str,
        meta: Metadata,
        file_meta: Metadata,
        edits: Iterable[ManualEdit],
        meta_inputs_hash: str | None = None,
    ) -> None:
        """`meta` is `file_meta` with `edits` laid on top (kb/manual_edits.py)."""
        with self._db:
            self._db.execute(
                "UPDATE documents SET meta = ?, kind = ?, agency = ?, year = ?, file_meta = ?,"
                " meta_inputs_hash = COALESCE(?, meta_inputs_hash), updated_at = ? WHERE id = ?",
                (
                    json.dumps(meta.to_dict()),
                    meta.kind,
                    meta.agency,
                    meta.year,
                    json.dumps(file_meta.to_dict()),
                    meta_inputs_hash,
                    _now(),
                    doc_id,
                ),
            )
            self._write_edits(doc_id, edits)
            _write_tags(self._db, doc_id, meta.tags)
            keyword_index.delete_document(self._db, doc_id)  # the title is indexed with each chunk
            keyword_index.add_chunks(self._db, meta.context_title, self.chunks(doc_id))

    def delete(self, doc_id: str) -> bool:
        with self._db:
            keyword_index.delete_document(self._db, doc_id)
            records.flag_document(self._db, doc_id)  # the lessons stay, for an editor to see
            references.forget(self._db, doc_id)
            suggestions.forget(self._db, doc_id)
            versions.forget(self._db, doc_id)
            self._db.execute(
                "DELETE FROM near_duplicates WHERE doc_id = ? OR other_id = ?", (doc_id, doc_id)
            )
            self._db.execute("DELETE FROM document_minhash WHERE doc_id = ?", (doc_id,))
            _write_tags(self._db, doc_id, ())
            cur = self._db.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
        return cur.rowcount > 0

    # versions --------------------------------------------------------------
    def versions(self, doc_id: str) -> list[Version]:
        """The document's versions, newest (the current one) first, without their texts."""
        return versions.versions(self._db, doc_id)

    def version(self, doc_id: str, n: int) -> Version:
        found = versions.version(self._db, doc_id, n)
        if found is None:
            raise NotFound("no_version", id=doc_id, n=n)
        return found

    def set_version_original(self, doc_id: str, n: int, relative: str) -> None:
        versions.set_original(self._db, doc_id, n, relative)

    def alias_of(self, doc_id: str) -> str | None:
        """The document an id now leads to, when that id's document became its version."""
        return versions.alias_of(self._db, doc_id)

    # near-duplicates (found at ingest) ---------------------------------------
    def near_duplicate(self, a: str, b: str) -> NearDuplicate | None:
        """The pair of `a` and `b`, whichever was read in first."""
        return near_duplicates.find(self._db, a, b)

    def open_near_duplicates(self, doc_id: str) -> list[NearDuplicate]:
        """The document's pairs that wait for an editor, most alike first."""
        return near_duplicates.of_document(self._db, doc_id)

    # chunks ----------------------------------------------------------------
    def ready_chunk_count(self) -> int:
        """Chunks of ready documents: what the vector store must hold at least."""
        return self._db.execute(
            "SELECT coalesce(sum(n_chunks), 0) FROM documents WHERE status = 'ready'"
        ).fetchone()[0]

    def integrity_problem(self) -> str | None:
        """SQLite's own quick check of the file: None when sound, else its first complaint."""
        rows = [r[0] for r in self._db.execute("PRAGMA quick_check(5)")]
        return None if rows == ["ok"] else "; ".join(rows)

    def chunks(self, doc_id: str) -> list[Chunk]:
        rows = self._db.execute("SELECT * FROM chunks WHERE doc_id = ? ORDER BY seq", (doc_id,))
        return [_chunk(r) for r in rows]

    def chunks_by_id(self, ids: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Chunk]:
        keys = list(ids)
        out = {}
        for start in range(0, len(keys), 400):
            part = keys[start : start + 400]
            where = " OR ".join(["(doc_id = ? AND seq = ?)"] * len(part))
            rows = self._db.execute(
                f"SELECT * FROM chunks WHERE {where}", [v for key in part for v in key]
            )
            out.update(((r["doc_id"], r["seq"]), _chunk(r)) for r in rows)
        return out

    def stats(self) -> dict:
        docs = self._db.execute(
            "SELECT COUNT(*) n, COALESCE(SUM(n_chunks),0) c, COALESCE(SUM(size_bytes),0) b,"
            " SUM(status != 'ready') pending FROM documents"
        ).fetchone()
        by_kind = dict(self._db.execute("SELECT kind, COUNT(*) FROM documents GROUP BY kind"))
        by_agency = dict(
            self._db.execute(
                "SELECT COALESCE(agency, '-'), COUNT(*) FROM documents GROUP BY agency"
            )
        )
        return {
            "documents": docs["n"],
            "chunks": docs["c"],
            "bytes": docs["b"],
            "incomplete": docs["pending"] or 0,
            "by_kind": by_kind,
            "by_agency": by_agency,
        }


def _write_tags(db: sqlite3.Connection, doc_id: str, tags: Iterable[str]) -> None:
    """The document's tags as its metadata has them (the caller holds the transaction)."""
    db.execute("DELETE FROM document_tags WHERE doc_id = ?", (doc_id,))
    db.executemany(
        "INSERT OR IGNORE INTO document_tags (doc_id, tag) VALUES (?, ?)",
        [(doc_id, tag) for tag in tags],
    )


# A document's columns but its text and structure, which a listing never shows: reading
# them made fetching a search's 200 candidate documents take 1.8 times as long (7.9 ms against
# 4.4 on regeringen-dev).
_LISTED = (
    "id, source, content_hash, meta, kind, agency, year, file_type, n_chunks, n_pages,"
    " size_bytes, status, index_signature, meta_inputs_hash, created_at, updated_at,"
    " file_meta, ocr_pages"
)


@functools.lru_cache(maxsize=8192)
def _stored_metadata(stored: str) -> Metadata:
    """A row's metadata JSON parsed, remembered by its text (Metadata is frozen, so one object
    serves every reader): each search reads its ~200 candidate documents again."""
    return Metadata.from_dict(json.loads(stored), stored=True)


def _document(
    row: sqlite3.Row, with_text: bool, edits: dict[str, tuple[ManualEdit, ...]]
) -> Document:
    file_meta = row["file_meta"]
    return Document(
        id=row["id"],
        source=row["source"],
        content_hash=row["content_hash"],
        meta=_stored_metadata(row["meta"]),
        file_type=row["file_type"],
        n_chunks=row["n_chunks"],
        n_pages=row["n_pages"],
        size_bytes=row["size_bytes"],
        status=row["status"],
        index_signature=row["index_signature"],
        meta_inputs_hash=row["meta_inputs_hash"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        text=row["text"] if with_text else "",
        file_meta=_stored_metadata(file_meta) if file_meta else None,
        manual_edits=edits.get(row["id"], ()),
        structure=_structure(row["structure"]) if with_text else (),
        ocr=tuple(OcrPage(int(page), float(s)) for page, s in json.loads(row["ocr_pages"])),
    )


def _structure(stored: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(start), str(style)) for start, style in json.loads(stored or "[]"))


def _chunk(row: sqlite3.Row) -> Chunk:
    return Chunk(
        doc_id=row["doc_id"],
        seq=row["seq"],
        text=row["text"],
        page=row["page"],
        char_start=row["char_start"],
        char_end=row["char_end"],
    )


def sql_documents(filters: Filters) -> tuple[str, list]:
    """A subquery selecting the ids of ready documents that pass the filters."""
    sql, args = "SELECT id FROM documents WHERE status = 'ready'", []
    if filters.agencies:
        sql += f" AND agency IN ({','.join('?' * len(filters.agencies))})"
        args += list(filters.agencies)
    if filters.kinds:
        sql += f" AND kind IN ({','.join('?' * len(filters.kinds))})"
        args += list(filters.kinds)
    if filters.year_from is not None:
        sql += " AND year >= ?"
        args.append(filters.year_from)
    if filters.year_to is not None:
        sql += " AND year <= ?"
        args.append(filters.year_to)
    if filters.tags:
        sql += (
            " AND id IN (SELECT doc_id FROM document_tags"
            f" WHERE tag IN ({','.join('?' * len(filters.tags))}))"
        )
        args += list(filters.tags)
    return sql, args

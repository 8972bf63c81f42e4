"""Document versions in the catalog: every content a document has had, the current one last.

Only the catalog keeps them; the vector store and the keyword index hold the current version,
so search finds the newest text only. A version is recorded when a document is written with a
content hash other than its latest version's (a re-read with a new chunker is not a version).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import PurePath

from kb.models import Chunk, Document, Metadata

ORIGINS = ("upload", "ingest", "reingest", "restore", "link", "import", "")


@dataclass(frozen=True)
class Origin:
    """Who or what made a version: an upload by an editor, an ingest from a path, …"""

    kind: str = ""  # one of ORIGINS; '' for versions made before versions were kept
    actor: str = ""  # the editor, or the path a `kb ingest` read
    note: str = ""  # restore: the version restored; link: the document linked


@dataclass(frozen=True)
class Version:
    doc_id: str
    n: int
    content_hash: str
    meta: Metadata
    source_name: str
    file_type: str
    n_pages: int | None
    size_bytes: int
    origin: Origin
    created_at: str
    original: str | None = None  # relative to originals/
    text: str = field(default="", repr=False)
    file_meta: Metadata | None = field(default=None, repr=False)
    structure: tuple[tuple[int, str], ...] = field(default=(), repr=False)
    pages: tuple[tuple[int, int | None], ...] = field(default=(), repr=False)

    def to_dict(self, with_text: bool = False, public: bool = False) -> dict:
        """`public`: for readers, who see a file's name, never a path on the server."""
        by = self.origin.actor
        if public and self.origin.kind == "ingest":
            by = PurePath(by).name
        out = {
            "n": self.n,
            "content_hash": self.content_hash,
            "title": self.meta.title,
            "meta": self.meta.to_dict(),
            "source": self.source_name,
            "file_type": self.file_type,
            "n_pages": self.n_pages,
            "size_bytes": self.size_bytes,
            "origin": self.origin.kind,
            "by": by,
            "note": self.origin.note,
            "created_at": self.created_at,
            "has_original": self.original is not None,
        }
        return {**out, "text": self.text} if with_text else out


def latest(db: sqlite3.Connection, doc_id: str) -> tuple[int, str] | None:
    """(n, content hash) of the document's latest version."""
    row = db.execute(
        "SELECT n, content_hash FROM document_versions WHERE doc_id = ? ORDER BY n DESC LIMIT 1",
        (doc_id,),
    ).fetchone()
    return (row["n"], row["content_hash"]) if row else None


def record(
    db: sqlite3.Connection, doc: Document, chunks: list[Chunk], origin: Origin, at: str
) -> int | None:
    """A new version if `doc` holds content its latest version does not; returns its n."""
    last = latest(db, doc.id)
    if last is not None and last[1] == doc.content_hash:
        return None
    n = last[0] + 1 if last else 1
    db.execute(
        "INSERT INTO document_versions (doc_id, n, content_hash, text, meta, file_meta,"
        " structure, pages, source_name, file_type, n_pages, size_bytes, origin, actor, note,"
        " created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            doc.id,
            n,
            doc.content_hash,
            doc.text,
            json.dumps(doc.meta.to_dict()),
            json.dumps(doc.file_metadata.to_dict()),
            json.dumps([list(s) for s in doc.structure]),
            json.dumps([[c.char_start, c.page] for c in chunks]),
            PurePath(doc.source).name,
            doc.file_type,
            doc.n_pages,
            doc.size_bytes,
            origin.kind,
            origin.actor,
            origin.note,
            at,
        ),
    )
    return n


def set_original(db: sqlite3.Connection, doc_id: str, n: int, relative: str) -> None:
    with db:
        db.execute(
            "UPDATE document_versions SET original = ? WHERE doc_id = ? AND n = ?",
            (relative, doc_id, n),
        )


def versions(db: sqlite3.Connection, doc_id: str) -> list[Version]:
    """Newest first, without their texts."""
    rows = db.execute(
        "SELECT doc_id, n, content_hash, meta, source_name, file_type, n_pages, size_bytes,"
        " origin, actor, note, original, created_at FROM document_versions WHERE doc_id = ?"
        " ORDER BY n DESC",
        (doc_id,),
    )
    return [_version(r, False) for r in rows]


def version(db: sqlite3.Connection, doc_id: str, n: int) -> Version | None:
    row = db.execute(
        "SELECT * FROM document_versions WHERE doc_id = ? AND n = ?", (doc_id, n)
    ).fetchone()
    return _version(row, True) if row else None


def forget(db: sqlite3.Connection, doc_id: str) -> None:
    db.execute("DELETE FROM document_versions WHERE doc_id = ?", (doc_id,))
    db.execute("DELETE FROM document_aliases WHERE doc_id = ? OR alias = ?", (doc_id, doc_id))


def add_alias(db: sqlite3.Connection, alias: str, doc_id: str, at: str) -> None:
    # what led to the alias now leads to its document, and no chain is ever longer than one
    db.execute("UPDATE document_aliases SET doc_id = ? WHERE doc_id = ?", (doc_id, alias))
    db.execute(
        "INSERT OR REPLACE INTO document_aliases (alias, doc_id, created_at) VALUES (?,?,?)",
        (alias, doc_id, at),
    )


def alias_of(db: sqlite3.Connection, alias: str) -> str | None:
    row = db.execute("SELECT doc_id FROM document_aliases WHERE alias = ?", (alias,)).fetchone()
    return row["doc_id"] if row else None


def drop_alias(db: sqlite3.Connection, alias: str) -> None:
    """A document of that id exists again: the id is its own."""
    db.execute("DELETE FROM document_aliases WHERE alias = ?", (alias,))


def _version(row: sqlite3.Row, with_text: bool) -> Version:
    keys = row.keys()
    return Version(
        doc_id=row["doc_id"],
        n=row["n"],
        content_hash=row["content_hash"],
        meta=Metadata.from_dict(json.loads(row["meta"]), stored=True),
        source_name=row["source_name"],
        file_type=row["file_type"],
        n_pages=row["n_pages"],
        size_bytes=row["size_bytes"],
        origin=Origin(row["origin"], row["actor"], row["note"]),
        created_at=row["created_at"],
        original=row["original"],
        text=row["text"] if with_text and "text" in keys else "",
        file_meta=(
            Metadata.from_dict(json.loads(row["file_meta"]), stored=True)
            if with_text and row["file_meta"]
            else None
        ),
        structure=(
            tuple((int(s), str(t)) for s, t in json.loads(row["structure"])) if with_text else ()
        ),
        pages=tuple((int(s), p) for s, p in json.loads(row["pages"])) if with_text else (),
    )


def move_references(db: sqlite3.Connection, from_id: str, to_id: str) -> None:
    """What named `from_id` (evidence, investments' documents, citations) names `to_id`:
    the document became a version of `to_id`. Quotes are re-found when `to_id` is written."""
    db.execute("UPDATE evidence SET doc_id = ? WHERE doc_id = ?", (to_id, from_id))
    db.execute("UPDATE investment_documents SET doc_id = ? WHERE doc_id = ?", (to_id, from_id))
    db.execute("UPDATE doc_references SET cited_id = ? WHERE cited_id = ?", (to_id, from_id))

"""References between documents ("refererad av"), detected at ingest; migrations own the schema.

Writes take the catalog's connection inside a transaction the caller (the Writer) holds; reads
go through `ReferenceReader` (a knowledge base's `references`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class DocumentReference:
    """One place in `citing_id` that names `cited_id` (None: no known document carries it)."""

    citing_id: str
    cited_id: str | None
    kind: str  # rir, sou, … dnr, or "title"
    designation: str
    start: int
    end: int

    def to_dict(self) -> dict:
        return {
            "citing": self.citing_id,
            "cited": self.cited_id,
            "kind": self.kind,
            "designation": self.designation,
            "start": self.start,
            "end": self.end,
        }


def replace(
    db: sqlite3.Connection,
    citing_id: str,
    designations: Sequence[str],
    references: Sequence[DocumentReference],
) -> None:
    """A document's own designations and everything it cites, instead of what was stored."""
    db.execute("DELETE FROM doc_designations WHERE doc_id = ?", (citing_id,))
    db.executemany(
        "INSERT OR IGNORE INTO doc_designations (doc_id, designation) VALUES (?, ?)",
        [(citing_id, d) for d in designations],
    )
    db.execute("DELETE FROM doc_references WHERE citing_id = ?", (citing_id,))
    db.executemany(
        "INSERT INTO doc_references (citing_id, n, cited_id, kind, designation, char_start,"
        " char_end) VALUES (?,?,?,?,?,?,?)",
        [
            (citing_id, n, r.cited_id, r.kind, r.designation, r.start, r.end)
            for n, r in enumerate(references)
        ],
    )


def forget(db: sqlite3.Connection, doc_id: str) -> None:
    """The document is deleted: what it cites goes; citations of it wait unresolved."""
    db.execute("DELETE FROM doc_designations WHERE doc_id = ?", (doc_id,))
    db.execute("DELETE FROM doc_references WHERE citing_id = ?", (doc_id,))
    db.execute("DELETE FROM doc_references WHERE cited_id = ? AND kind = 'title'", (doc_id,))
    db.execute("UPDATE doc_references SET cited_id = NULL WHERE cited_id = ?", (doc_id,))


def _reference(row: sqlite3.Row) -> DocumentReference:
    return DocumentReference(
        row["citing_id"],
        row["cited_id"],
        row["kind"],
        row["designation"],
        row["char_start"],
        row["char_end"],
    )


class ReferenceReader:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def cited_by(self, doc_id: str) -> list[DocumentReference]:
        """The places in other documents that name this one."""
        rows = self._db.execute(
            "SELECT * FROM doc_references WHERE cited_id = ? AND citing_id != ?"
            " ORDER BY citing_id, n",
            (doc_id, doc_id),
        )
        return [_reference(r) for r in rows]

    def cites(self, doc_id: str) -> list[DocumentReference]:
        """What this document names, resolved or not, in order of position."""
        rows = self._db.execute(
            "SELECT * FROM doc_references WHERE citing_id = ? ORDER BY n", (doc_id,)
        )
        return [_reference(r) for r in rows]

    def designations(self) -> dict[str, tuple[str, ...]]:
        """Every document's own designations."""
        out: dict[str, list[str]] = {}
        for row in self._db.execute("SELECT doc_id, designation FROM doc_designations"):
            out.setdefault(row[0], []).append(row[1])
        return {k: tuple(v) for k, v in out.items()}

    def citing_unresolved(self, designations: Sequence[str]) -> list[str]:
        """Documents holding an unresolved citation of one of these designations."""
        if not designations:
            return []
        marks = ",".join("?" * len(designations))
        rows = self._db.execute(
            "SELECT DISTINCT citing_id FROM doc_references WHERE cited_id IS NULL"
            f" AND designation COLLATE NOCASE IN ({marks})",
            list(designations),
        )
        return [r[0] for r in rows]

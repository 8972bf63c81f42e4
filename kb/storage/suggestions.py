"""The review queue's SQL: what the suggesters proposed at ingest, and what an editor decided."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

KINDS = ("theme", "lesson", "investment")
PENDING, ACCEPTED, REJECTED = "pending", "accepted", "rejected"
STATUSES = (PENDING, ACCEPTED, REJECTED)


@dataclass(frozen=True)
class Suggestion:
    id: int
    doc_id: str
    kind: str  # one of KINDS
    key: str  # tells the same suggestion again in a later version of the document
    payload: dict
    content_hash: str = ""
    status: str = PENDING
    decided_by: str | None = None
    decided_at: str | None = None
    result: dict = field(default_factory=dict)  # what was accepted

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "document": self.doc_id,
            "kind": self.kind,
            "payload": self.payload,
            "status": self.status,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "result": self.result or None,
        }


@dataclass(frozen=True)
class NewSuggestion:
    kind: str
    key: str
    payload: dict


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def replace_pending(
    db: sqlite3.Connection, doc_id: str, content_hash: str, found: Sequence[NewSuggestion]
) -> int:
    """The suggestions for a new version of a document: its pending ones are replaced; one an
    editor has decided is not proposed again. The same version again adds nothing. Returns
    how many were stored."""
    if db.execute(
        "SELECT 1 FROM suggestions WHERE doc_id = ? AND content_hash = ? LIMIT 1",
        (doc_id, content_hash),
    ).fetchone():
        return 0
    db.execute("DELETE FROM suggestions WHERE doc_id = ? AND status = ?", (doc_id, PENDING))
    decided = {
        (r[0], r[1])
        for r in db.execute("SELECT kind, key FROM suggestions WHERE doc_id = ?", (doc_id,))
    }
    return _add_new(db, doc_id, content_hash, found, decided)


def _add_new(
    db: sqlite3.Connection,
    doc_id: str,
    content_hash: str,
    found: Sequence[NewSuggestion],
    known: set[tuple[str, str]],
) -> int:
    """Store the suggestions whose (kind, key) the document has not had; returns how many."""
    rows = [
        (doc_id, s.kind, s.key, json.dumps(s.payload, ensure_ascii=False), content_hash, _now())
        for s in found
        if (s.kind, s.key) not in known
    ]
    db.executemany(
        "INSERT INTO suggestions (doc_id, kind, key, payload, content_hash, created_at)"
        " VALUES (?,?,?,?,?,?)",
        rows,
    )
    return len(rows)


def replace_kind(
    db: sqlite3.Connection,
    doc_id: str,
    content_hash: str,
    kind: str,
    found: Sequence[NewSuggestion],
) -> int:
    """Suggestions for a document from outside the suggesters (a contribution's fields): its
    pending ones of `kind` give way to `found`; one decided, or already pending, is not added
    again. Returns how many were stored."""
    db.execute(
        "DELETE FROM suggestions WHERE doc_id = ? AND kind = ? AND status = ?",
        (doc_id, kind, PENDING),
    )
    known = {
        (r[0], r[1])
        for r in db.execute("SELECT kind, key FROM suggestions WHERE doc_id = ?", (doc_id,))
    }
    return _add_new(db, doc_id, content_hash, found, known)


def decide(
    db: sqlite3.Connection, suggestion_id: int, status: str, editor: str, result: dict
) -> None:
    db.execute(
        "UPDATE suggestions SET status = ?, decided_by = ?, decided_at = ?, result = ?"
        " WHERE id = ?",
        (status, editor, _now(), json.dumps(result, ensure_ascii=False), suggestion_id),
    )


def forget(db: sqlite3.Connection, doc_id: str) -> None:
    """The document is deleted: its pending suggestions go (decisions stay as history)."""
    db.execute("DELETE FROM suggestions WHERE doc_id = ? AND status = ?", (doc_id, PENDING))


def _suggestion(row: sqlite3.Row) -> Suggestion:
    return Suggestion(
        id=row["id"],
        doc_id=row["doc_id"],
        kind=row["kind"],
        key=row["key"],
        payload=json.loads(row["payload"]),
        content_hash=row["content_hash"],
        status=row["status"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        result=json.loads(row["result"]) if row["result"] else {},
    )


class SuggestionReader:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def get(self, suggestion_id: int) -> Suggestion | None:
        row = self._db.execute("SELECT * FROM suggestions WHERE id = ?", (suggestion_id,))
        found = row.fetchone()
        return _suggestion(found) if found else None

    def list(
        self, status: str | None = PENDING, doc_id: str | None = None, kind: str | None = None
    ) -> list[Suggestion]:
        """Suggestions by document, then kind (lessons first), then id."""
        where, args = [], []
        for column, value in (("status", status), ("doc_id", doc_id), ("kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = "SELECT * FROM suggestions"
        if where:
            sql += " WHERE " + " AND ".join(where)
        order = " ORDER BY doc_id, CASE kind WHEN 'lesson' THEN 0 WHEN 'investment' THEN 1 ELSE 2"
        return [_suggestion(r) for r in self._db.execute(sql + order + " END, id", args)]

    def count_pending(self, doc_ids: Sequence[str]) -> dict[str, int]:
        if not doc_ids:
            return {}
        rows = self._db.execute(
            "SELECT doc_id, COUNT(*) FROM suggestions WHERE status = ?"
            f" AND doc_id IN ({','.join('?' * len(doc_ids))}) GROUP BY doc_id",
            [PENDING, *doc_ids],
        )
        return {r[0]: r[1] for r in rows}

    def pending_by_document(self) -> list[tuple[str, int, str]]:
        """(document, pending suggestions, when the oldest was made), oldest first."""
        rows = self._db.execute(
            "SELECT doc_id, COUNT(*), MIN(created_at) FROM suggestions WHERE status = ?"
            " GROUP BY doc_id ORDER BY MIN(created_at), doc_id",
            (PENDING,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def decided(self, doc_id: str, limit: int = 50) -> list[Suggestion]:
        """The decisions on a document's suggestions, newest first."""
        rows = self._db.execute(
            "SELECT * FROM suggestions WHERE doc_id = ? AND status != ?"
            " ORDER BY decided_at DESC, id DESC LIMIT ?",
            (doc_id, PENDING, limit),
        )
        return [_suggestion(r) for r in rows]

"""The SQL of "Dela en erfarenhet": contributors' submissions and the editors' decisions on them."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

SUBMITTED, CHANGES, PUBLISHED, REJECTED = "submitted", "changes_requested", "published", "rejected"
STATUSES = (SUBMITTED, CHANGES, PUBLISHED, REJECTED)
FIELDS = ("agency", "investment_id", "investment_name", "went_well", "went_badly", "advice")


@dataclass(frozen=True)
class Attachment:
    name: str  # safe_name'd
    path: str  # relative to the data folder
    size: int

    def to_dict(self) -> dict:
        return {"name": self.name, "size": self.size}


@dataclass(frozen=True)
class Contribution:
    id: int
    author: str
    status: str
    agency: str
    investment_id: str | None
    investment_name: str | None
    went_well: str
    went_badly: str
    advice: str
    attachments: tuple[Attachment, ...] = ()
    message: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    doc_id: str | None = None
    job_id: str | None = None
    created_at: str = ""
    updated_at: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def editable(self) -> bool:
        """The contributor may change it while an editor has asked for changes."""
        return self.status == CHANGES

    @property
    def open(self) -> bool:
        """Waiting for an editor, or for the contributor's changes."""
        return self.status in (SUBMITTED, CHANGES)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "author": self.author,
            "status": self.status,
            "agency": self.agency,
            "investment_id": self.investment_id,
            "investment_name": self.investment_name,
            "went_well": self.went_well,
            "went_badly": self.went_badly,
            "advice": self.advice,
            "attachments": [a.to_dict() for a in self.attachments],
            "message": self.message,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "document": self.doc_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _contribution(row: sqlite3.Row) -> Contribution:
    return Contribution(
        id=row["id"],
        author=row["author"],
        status=row["status"],
        agency=row["agency"],
        investment_id=row["investment_id"],
        investment_name=row["investment_name"],
        went_well=row["went_well"],
        went_badly=row["went_badly"],
        advice=row["advice"],
        attachments=tuple(Attachment(**a) for a in json.loads(row["attachments"])),
        message=row["message"],
        decided_by=row["decided_by"],
        decided_at=row["decided_at"],
        doc_id=row["doc_id"],
        job_id=row["job_id"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _attachments(attachments) -> str:
    return json.dumps(
        [{"name": a.name, "path": a.path, "size": a.size} for a in attachments],
        ensure_ascii=False,
    )


def insert(db: sqlite3.Connection, author: str, values: dict) -> int:
    at = now()
    with db:
        cursor = db.execute(
            "INSERT INTO contributions (author, status, agency, investment_id, investment_name,"
            " went_well, went_badly, advice, created_at, updated_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?)",
            (author, SUBMITTED, *(values[k] for k in FIELDS), at, at),
        )
    return cursor.lastrowid


def set_attachments(db: sqlite3.Connection, contribution_id: int, attachments) -> None:
    with db:
        db.execute(
            "UPDATE contributions SET attachments = ? WHERE id = ?",
            (_attachments(attachments), contribution_id),
        )


def resubmit(db: sqlite3.Connection, contribution_id: int, values: dict) -> None:
    """The contributor's changes: back in the queue, the editor's message kept until decided."""
    sets = ", ".join(f"{k} = ?" for k in FIELDS)
    with db:
        db.execute(
            f"UPDATE contributions SET {sets}, status = ?, updated_at = ? WHERE id = ?",
            (*(values[k] for k in FIELDS), SUBMITTED, now(), contribution_id),
        )


def decide(
    db: sqlite3.Connection,
    contribution_id: int,
    status: str,
    editor: str,
    message: str | None = None,
    doc_id: str | None = None,
) -> None:
    at = now()
    with db:
        db.execute(
            "UPDATE contributions SET status = ?, message = ?, decided_by = ?, decided_at = ?,"
            " doc_id = coalesce(?, doc_id), updated_at = ? WHERE id = ?",
            (status, message, editor, at, doc_id, at, contribution_id),
        )


def set_job(db: sqlite3.Connection, contribution_id: int, job_id: str) -> None:
    with db:
        db.execute("UPDATE contributions SET job_id = ? WHERE id = ?", (job_id, contribution_id))


class ContributionReader:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def get(self, contribution_id: int) -> Contribution | None:
        row = self._db.execute(
            "SELECT * FROM contributions WHERE id = ?", (contribution_id,)
        ).fetchone()
        return _contribution(row) if row else None

    def list(self, author: str | None = None, status: str | None = None) -> list[Contribution]:
        """Newest first; open ones (waiting for an editor) before decided ones."""
        where, args = [], []
        for column, value in (("author", author), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        sql = "SELECT * FROM contributions" + (" WHERE " + " AND ".join(where) if where else "")
        order = " ORDER BY CASE status WHEN 'submitted' THEN 0 ELSE 1 END, updated_at DESC, id DESC"
        return [_contribution(r) for r in self._db.execute(sql + order, args)]

    def submitted_since(self, author: str, hours: float = 24) -> int:
        """How many the account submitted in the last `hours` (the rate limit counts these)."""
        since = (datetime.now(UTC) - timedelta(hours=hours)).isoformat(timespec="seconds")
        return self._db.execute(
            "SELECT count(*) FROM contributions WHERE author = ? AND created_at >= ?",
            (author, since),
        ).fetchone()[0]

    def count(self, status: str) -> int:
        return self._db.execute(
            "SELECT count(*) FROM contributions WHERE status = ?", (status,)
        ).fetchone()[0]

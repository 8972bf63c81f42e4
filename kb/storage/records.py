"""The records' SQL (investments, lessons, recommendations, evidence); migrations own the schema.

Writes take the catalog's connection inside a transaction the caller holds (the Writer's, or
the catalog's own when a document's text is rewritten); reads go through `RecordReader`."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from kb.models import Chunk
from kb.records.anchors import flagged, placed
from kb.records.models import (
    ESTIMATE,
    NEEDS_REVIEW,
    CostFigure,
    Evidence,
    FollowUp,
    Investment,
    InvestmentDocument,
    Lesson,
    Recommendation,
    Record,
)

TABLES = {"investment": "investments", "lesson": "lessons", "recommendation": "recommendations"}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# writing ------------------------------------------------------------------
def save(db: sqlite3.Connection, record: Record) -> None:
    """Insert or replace a record with its parts and evidence."""
    _delete_parts(db, record.id)
    if isinstance(record, Investment):
        est, act = record.estimated_cost, record.actual_cost
        _upsert(
            db,
            "investments",
            {
                "id": record.id,
                "name": record.name,
                "agency": record.agency,
                "description": record.description,
                "start_year": record.start_year,
                "end_year": record.end_year,
                "phase": record.phase,
                "outcome": record.outcome,
                "estimated_msek": est.msek if est else None,
                "actual_msek": act.msek if act else None,
                "actual_kind": act.kind if act else None,
            },
        )
        db.executemany(
            "INSERT INTO investment_documents (investment_id, n, doc_id, role) VALUES (?,?,?,?)",
            [(record.id, n, d.doc_id, d.role) for n, d in enumerate(record.documents)],
        )
        for slot, cost in (("estimated_cost", est), ("actual_cost", act)):
            if cost is not None and cost.evidence is not None:
                _insert_evidence(db, record.id, slot, [cost.evidence])
    elif isinstance(record, Lesson):
        _upsert(
            db,
            "lessons",
            {
                "id": record.id,
                "text": record.text,
                "polarity": record.polarity,
                "investment_id": record.investment,
            },
        )
        db.executemany(
            "INSERT INTO lesson_themes (lesson_id, n, theme_id) VALUES (?,?,?)",
            [(record.id, n, t) for n, t in enumerate(record.themes)],
        )
        _insert_evidence(db, record.id, "lesson", record.evidence)
    else:
        _upsert(
            db,
            "recommendations",
            {
                "id": record.id,
                "text": record.text,
                "given_by": record.given_by,
                "agency": record.agency,
                "investment_id": record.investment,
            },
        )
        db.executemany(
            "INSERT INTO follow_ups (recommendation_id, n, status) VALUES (?,?,?)",
            [(record.id, n, f.status) for n, f in enumerate(record.follow_ups)],
        )
        _insert_evidence(db, record.id, "source", [record.source])
        _insert_evidence(db, record.id, "follow_up", [f.evidence for f in record.follow_ups])


def _upsert(db: sqlite3.Connection, table: str, values: dict) -> None:
    # An update in place, never REPLACE's delete and insert: lessons refer to investments.
    values = {**values, "updated_at": _now()}
    columns = ", ".join(values)
    updates = ", ".join(f"{c} = excluded.{c}" for c in values if c != "id")
    db.execute(
        f"INSERT INTO {table} ({columns}) VALUES ({','.join('?' * len(values))})"
        f" ON CONFLICT(id) DO UPDATE SET {updates}",
        list(values.values()),
    )


def _delete_parts(db: sqlite3.Connection, record_id: str) -> None:
    db.execute("DELETE FROM evidence WHERE record_id = ?", (record_id,))
    db.execute("DELETE FROM investment_documents WHERE investment_id = ?", (record_id,))
    db.execute("DELETE FROM lesson_themes WHERE lesson_id = ?", (record_id,))
    db.execute("DELETE FROM follow_ups WHERE recommendation_id = ?", (record_id,))


def _insert_evidence(
    db: sqlite3.Connection, record_id: str, slot: str, evidence: Iterable[Evidence]
) -> None:
    db.executemany(
        "INSERT INTO evidence (record_id, slot, n, doc_id, exact, prefix, suffix, char_start,"
        " char_end, seq, status) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (record_id, slot, n, e.doc_id, e.exact, e.prefix, e.suffix, e.start, e.end, e.seq)
            + (e.status,)
            for n, e in enumerate(evidence)
        ],
    )


def delete(db: sqlite3.Connection, record_type: str, record_id: str) -> None:
    _delete_parts(db, record_id)
    db.execute(f"DELETE FROM {TABLES[record_type]} WHERE id = ?", (record_id,))


def reanchor_document(
    db: sqlite3.Connection, doc_id: str, text: str, chunks: Sequence[Chunk]
) -> int:
    """Find every quote on a document in its new text: new offsets and chunk if it is still
    there, else flagged for review. Returns how many now need review."""
    rows = db.execute("SELECT * FROM evidence WHERE doc_id = ?", (doc_id,)).fetchall()
    lost = 0
    for row in rows:
        moved = placed(_evidence(row), text, chunks)
        lost += moved.status == NEEDS_REVIEW
        _update_evidence(db, row, moved)
    return lost


def flag_document(db: sqlite3.Connection, doc_id: str) -> None:
    """The document is deleted: its evidence waits for an editor (the records stay)."""
    for row in db.execute("SELECT * FROM evidence WHERE doc_id = ?", (doc_id,)).fetchall():
        _update_evidence(db, row, flagged(_evidence(row)))


def _update_evidence(db: sqlite3.Connection, row: sqlite3.Row, e: Evidence) -> None:
    db.execute(
        "UPDATE evidence SET exact = ?, prefix = ?, suffix = ?, char_start = ?, char_end = ?,"
        " seq = ?, status = ? WHERE record_id = ? AND slot = ? AND n = ?",
        (e.exact, e.prefix, e.suffix, e.start, e.end, e.seq, e.status)
        + (row["record_id"], row["slot"], row["n"]),
    )


def _evidence(row: sqlite3.Row) -> Evidence:
    return Evidence(
        doc_id=row["doc_id"],
        exact=row["exact"],
        prefix=row["prefix"],
        suffix=row["suffix"],
        start=row["char_start"],
        end=row["char_end"],
        seq=row["seq"],
        status=row["status"],
    )


# reading ------------------------------------------------------------------
class RecordReader:
    """The records, read (a knowledge base's `records`, as `catalog` is its documents)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def record_type(self, record_id: str) -> str | None:
        for record_type, table in TABLES.items():
            if self._db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (record_id,)).fetchone():
                return record_type
        return None

    def get(self, record_id: str) -> Record | None:
        record_type = self.record_type(record_id)
        if record_type is None:
            return None
        return self.list(record_type, [record_id])[0]

    def list(self, record_type: str | None = None, ids: list[str] | None = None) -> list[Record]:
        """Records of one type (None: all), by id; `ids` picks some."""
        if record_type is None:
            return [r for t in TABLES for r in self.list(t, ids)]
        sql, args = f"SELECT * FROM {TABLES[record_type]}", list(ids or [])
        if ids is not None:
            sql += f" WHERE id IN ({','.join('?' * len(ids))})"
        rows = self._db.execute(sql + " ORDER BY id", args).fetchall()
        build = {
            "investment": self._investment,
            "lesson": self._lesson,
            "recommendation": self._recommendation,
        }[record_type]
        return [build(row, self._evidence_of(row["id"])) for row in rows]

    def investments(self) -> list[Investment]:
        return self.list("investment")  # type: ignore[return-value]

    def lessons(self, ids: list[str] | None = None) -> list[Lesson]:
        return self.list("lesson", ids)  # type: ignore[return-value]

    def recommendations(self) -> list[Recommendation]:
        return self.list("recommendation")  # type: ignore[return-value]

    def lesson_ids(
        self,
        themes: Sequence[str] = (),
        polarities: Sequence[str] = (),
        agencies: Sequence[str] = (),
        investments: Sequence[str] = (),
    ) -> list[str]:
        """The lessons that pass the filters (values of one filter are alternatives); a
        lesson's agency is its investment's."""
        sql = "SELECT l.id FROM lessons l LEFT JOIN investments i ON i.id = l.investment_id"
        where, args = [], []
        if themes:
            where.append(
                "EXISTS (SELECT 1 FROM lesson_themes t WHERE t.lesson_id = l.id"
                f" AND t.theme_id IN ({','.join('?' * len(themes))}))"
            )
            args += list(themes)
        for column, values in (
            ("l.polarity", polarities),
            ("i.agency", agencies),
            ("l.investment_id", investments),
        ):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                args += list(values)
        if where:
            sql += " WHERE " + " AND ".join(where)
        return [r[0] for r in self._db.execute(sql + " ORDER BY l.id", args)]

    def updated_at(self, record_type: str, ids: Sequence[str]) -> dict[str, str]:
        """When each record was saved last (its feed entry's `updated`), by id."""
        out: dict[str, str] = {}
        for start in range(0, len(ids), 500):
            part = list(ids[start : start + 500])
            rows = self._db.execute(
                f"SELECT id, updated_at FROM {TABLES[record_type]}"
                f" WHERE id IN ({','.join('?' * len(part))})",
                part,
            )
            out.update((r[0], r[1]) for r in rows)
        return out

    def cited_documents(self, record_ids: Sequence[str]) -> list[str]:
        """The documents the records' evidence quotes, by id."""
        found: set[str] = set()
        for start in range(0, len(record_ids), 500):
            part = list(record_ids[start : start + 500])
            rows = self._db.execute(
                "SELECT DISTINCT doc_id FROM evidence"
                f" WHERE record_id IN ({','.join('?' * len(part))})",
                part,
            )
            found.update(r[0] for r in rows)
        return sorted(found)

    def uses_of_investment(self, investment_id: str) -> int:
        """How many lessons and recommendations name the investment."""
        return sum(
            self._db.execute(
                f"SELECT COUNT(*) FROM {table} WHERE investment_id = ?", (investment_id,)
            ).fetchone()[0]
            for table in ("lessons", "recommendations")
        )

    def evidence_needing_review(self) -> list[tuple[str, Evidence]]:
        """(record id, evidence) whose quote its document no longer holds."""
        rows = self._db.execute(
            "SELECT * FROM evidence WHERE status = ? ORDER BY record_id, slot, n", (NEEDS_REVIEW,)
        )
        return [(row["record_id"], _evidence(row)) for row in rows]

    def _evidence_of(self, record_id: str) -> dict[str, list[Evidence]]:
        out: dict[str, list[Evidence]] = {}
        rows = self._db.execute(
            "SELECT * FROM evidence WHERE record_id = ? ORDER BY slot, n", (record_id,)
        )
        for row in rows:
            out.setdefault(row["slot"], []).append(_evidence(row))
        return out

    def _investment(self, row: sqlite3.Row, evidence: dict) -> Investment:
        docs = self._db.execute(
            "SELECT doc_id, role FROM investment_documents WHERE investment_id = ? ORDER BY n",
            (row["id"],),
        )
        estimated = actual = None
        if row["estimated_msek"] is not None:
            found = evidence.get("estimated_cost")
            estimated = CostFigure(row["estimated_msek"], ESTIMATE, found[0] if found else None)
        if row["actual_msek"] is not None:
            found = evidence.get("actual_cost")
            actual = CostFigure(row["actual_msek"], row["actual_kind"], found[0] if found else None)
        return Investment(
            id=row["id"],
            name=row["name"],
            agency=row["agency"],
            description=row["description"],
            start_year=row["start_year"],
            end_year=row["end_year"],
            phase=row["phase"],
            outcome=row["outcome"],
            estimated_cost=estimated,
            actual_cost=actual,
            documents=tuple(InvestmentDocument(d["doc_id"], d["role"]) for d in docs),
        )

    def _lesson(self, row: sqlite3.Row, evidence: dict) -> Lesson:
        themes = self._db.execute(
            "SELECT theme_id FROM lesson_themes WHERE lesson_id = ? ORDER BY n", (row["id"],)
        )
        return Lesson(
            id=row["id"],
            text=row["text"],
            polarity=row["polarity"],
            themes=tuple(t[0] for t in themes),
            investment=row["investment_id"],
            evidence=tuple(evidence.get("lesson", ())),
        )

    def _recommendation(self, row: sqlite3.Row, evidence: dict) -> Recommendation:
        statuses = self._db.execute(
            "SELECT status FROM follow_ups WHERE recommendation_id = ? ORDER BY n", (row["id"],)
        )
        answers = evidence.get("follow_up", [])
        return Recommendation(
            id=row["id"],
            text=row["text"],
            given_by=row["given_by"],
            source=evidence["source"][0],
            agency=row["agency"],
            investment=row["investment_id"],
            follow_ups=tuple(FollowUp(e, s[0]) for e, s in zip(answers, statuses)),
        )

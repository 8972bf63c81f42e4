"""The near-duplicate pairs found at ingest, and each document's MinHash signature."""

from __future__ import annotations

import sqlite3

import numpy as np

from kb.near_duplicates import NearDuplicate, from_bytes, to_bytes


def signatures(db: sqlite3.Connection) -> dict[str, tuple[str, np.ndarray]]:
    """doc id -> (the content hash it was made from, signature)."""
    rows = db.execute("SELECT doc_id, content_hash, signature FROM document_minhash")
    return {r["doc_id"]: (r["content_hash"], from_bytes(r["signature"])) for r in rows}


def save_signature(db: sqlite3.Connection, doc_id: str, content_hash: str, sig) -> None:
    db.execute(
        "INSERT OR REPLACE INTO document_minhash (doc_id, content_hash, signature) VALUES (?,?,?)",
        (doc_id, content_hash, to_bytes(sig)),
    )


def find(db: sqlite3.Connection, a: str, b: str) -> NearDuplicate | None:
    """The pair of `a` and `b`, whichever was read in first."""
    row = db.execute(
        "SELECT * FROM near_duplicates WHERE (doc_id = ? AND other_id = ?)"
        " OR (doc_id = ? AND other_id = ?)",
        (a, b, b, a),
    ).fetchone()
    return _pair(row) if row else None


def add(db: sqlite3.Connection, doc_id: str, other_id: str, score: float, at: str) -> bool:
    """A new pair, or a new score for an open one; a decided pair stays decided. Returns
    whether the pair is open (to be shown)."""
    known = find(db, doc_id, other_id)
    if known is None:
        db.execute(
            "INSERT INTO near_duplicates (doc_id, other_id, score, found_at) VALUES (?,?,?,?)",
            (doc_id, other_id, score, at),
        )
        return True
    if known.status != "open":
        return False
    db.execute(
        "UPDATE near_duplicates SET score = ? WHERE doc_id = ? AND other_id = ?",
        (score, known.doc_id, known.other_id),
    )
    return True


def of_document(db: sqlite3.Connection, doc_id: str, status: str | None = "open") -> list:
    sql = "SELECT * FROM near_duplicates WHERE (doc_id = ? OR other_id = ?)"
    args: list = [doc_id, doc_id]
    if status:
        sql, args = sql + " AND status = ?", [*args, status]
    return [_pair(r) for r in db.execute(sql + " ORDER BY score DESC", args)]


def decide(db: sqlite3.Connection, pair: NearDuplicate, status: str, editor: str, at: str) -> None:
    db.execute(
        "UPDATE near_duplicates SET status = ?, decided_by = ?, decided_at = ?"
        " WHERE doc_id = ? AND other_id = ?",
        (status, editor, at, pair.doc_id, pair.other_id),
    )


def _pair(row: sqlite3.Row) -> NearDuplicate:
    return NearDuplicate(
        row["doc_id"],
        row["other_id"],
        row["score"],
        row["status"],
        row["found_at"],
        row["decided_by"],
    )

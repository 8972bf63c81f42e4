"""BM25 keyword search: an SQLite FTS5 table of stemmed chunk text beside the catalog
(its schema is in migrations.py).

It lives in the catalog's database file and is written in the same transactions, so the two
can never disagree. Each change also notes the document in `keyword_changes`, which the tantivy
copy used for top-k search follows (kb/storage/keyword_copy.py).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from kb.analysis import index_terms
from kb.models import Metadata


@dataclass(frozen=True)
class KeywordMatch:
    doc_id: str
    seq: int
    score: float  # BM25, higher is better


def add_chunks(db: sqlite3.Connection, title: str, chunks) -> None:
    # The title goes with every chunk, as it does for the embedded passage.
    title_terms = index_terms(title)
    db.executemany(
        "INSERT INTO chunk_terms (terms, title, doc_id, seq) VALUES (?, ?, ?, ?)",
        [(index_terms(c.text), title_terms, c.doc_id, c.seq) for c in chunks],
    )
    _changed(db, dict.fromkeys(c.doc_id for c in chunks))


def delete_document(db: sqlite3.Connection, doc_id: str) -> None:
    db.execute("DELETE FROM chunk_terms WHERE doc_id = ?", (doc_id,))
    _changed(db, [doc_id])


def _changed(db: sqlite3.Connection, doc_ids) -> None:
    """Note the documents whose terms changed ("" for all), for the copy to follow."""
    db.executemany("INSERT INTO keyword_changes (doc_id) VALUES (?)", [(d,) for d in doc_ids])


def keys(db: sqlite3.Connection) -> set[tuple[str, int]]:
    return {(doc_id, int(seq)) for doc_id, seq in db.execute("SELECT doc_id, seq FROM chunk_terms")}


def rebuild(db: sqlite3.Connection) -> None:
    """Every chunk's terms derived again, the title with each (the caller holds the
    transaction)."""
    fill(db)
    db.execute("DELETE FROM keyword_changes")  # the copy is built anew: no need to keep these
    _changed(db, [""])


def fill(db: sqlite3.Connection) -> None:
    """`rebuild` without noting the change (for migrations older than the change log)."""
    db.execute("DELETE FROM chunk_terms")
    rows = db.execute(
        "SELECT c.doc_id, c.seq, c.text, d.meta FROM chunks c JOIN documents d ON d.id = c.doc_id"
        # in the order ingest wrote them: BM25 ties come back in row order, so a rebuilt index
        # ranks ties as the one ingest made (tune_search's figures move by up to 0.001 otherwise)
        " ORDER BY c.rowid"
    ).fetchall()
    titles: dict[str, str] = {}  # a document's title terms, analysed once for all its chunks
    for doc_id, _, _, meta in rows:
        if doc_id not in titles:
            titles[doc_id] = index_terms(
                Metadata.from_dict(json.loads(meta), stored=True).context_title
            )
    db.executemany(
        "INSERT INTO chunk_terms (terms, title, doc_id, seq) VALUES (?, ?, ?, ?)",
        [(index_terms(text), titles[doc_id], doc_id, seq) for doc_id, seq, text, _ in rows],
    )


def vocabulary(db: sqlite3.Connection) -> Callable[[str], int]:
    """How often the index holds a term or its continuations (as the search matches stems as
    prefixes: Snowball stems "kostnad" to "kostn" but "kostnaden" to "kostnad"), from the
    keyword index's vocabulary; remembered per call."""
    seen: dict[str, int] = {}

    def frequency(term: str) -> int:
        if term not in seen:
            (seen[term],) = db.execute(
                "SELECT COALESCE(SUM(doc), 0) FROM chunk_vocab WHERE term >= ? AND term < ?",
                (term, term + "\U0010ffff"),
            ).fetchone()
        return seen[term]

    return frequency


# Shorter stems as prefixes match other words: "nytt*" finds "nyttorealisering". 4, 5 and 6
# give the same hybrid nDCG@10 on the development sets (mean 0.8565 / 0.8565 / 0.8567); 5 keeps
# "nytt" to itself. The highlighting follows the same rule (kb/search/highlight.py).
MIN_PREFIX = 5


def match_expression(stems: list[str], prefix: bool, common: set[str] = frozenset()) -> str:
    """An FTS5 query OR-ing the stems; each is quoted, so no user text acts as syntax.

    `common` holds terms (or prefixes, as "stem*") found in over half the chunks: FTS5's BM25
    gives them no weight, yet scoring their long posting lists is most of a query's cost.
    """
    terms = []
    for stem in stems:
        if '"' in stem or stem in common:
            continue
        star = "*" if prefix and len(stem) >= MIN_PREFIX and f"{stem}*" not in common else ""
        terms.append(f'"{stem}"{star}')
    return " OR ".join(terms)


def common_terms(db: sqlite3.Connection, stems: list[str], prefix: bool) -> set[str]:
    total = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    common: set[str] = set()
    if total < 1000:  # small stores are fast anyway; keep every term
        return common
    for stem in stems:
        row = db.execute("SELECT doc FROM chunk_vocab WHERE term = ?", (stem,)).fetchone()
        if row and row[0] > total / 2:
            common.add(stem)
        if prefix and len(stem) >= MIN_PREFIX:
            (n,) = db.execute(
                "SELECT COALESCE(SUM(doc), 0) FROM chunk_vocab WHERE term >= ? AND term < ?",
                (stem, stem + "\U0010ffff"),
            ).fetchone()
            if n > total / 2:
                common.add(f"{stem}*")
    if all(s in common for s in stems):
        common.clear()  # nothing else to search by: better slow than empty
    return common


def search(
    db: sqlite3.Connection,
    stems: list[str],
    limit: int,
    doc_filter: tuple[str, list] | None = None,
    prefix: bool = False,
    title_weight: float = 1.0,
) -> list[KeywordMatch]:
    expression = match_expression(stems, prefix, common_terms(db, stems, prefix))
    if not expression:
        return []
    sql = (
        "SELECT doc_id, seq, bm25(chunk_terms, 1.0, ?) AS rank FROM chunk_terms"
        " WHERE chunk_terms MATCH ?"
    )
    args: list = [float(title_weight), expression]
    if doc_filter:
        sql += f" AND doc_id IN ({doc_filter[0]})"
        args += doc_filter[1]
    sql += " ORDER BY rank LIMIT ?"
    rows = db.execute(sql, [*args, limit]).fetchall()
    return [KeywordMatch(r[0], int(r[1]), -float(r[2])) for r in rows]

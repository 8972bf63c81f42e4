"""The search log: what was searched for, how many results it had and which were opened; never
who searched or from where (no user, address or session). Migrations own the schema.

A search must never fail or wait for its log: every write waits at most `WRITE_WAIT_MS` for
the catalog's write lock (a `kb check --repair` may hold it for minutes), then the entry is
dropped with a warning."""

from __future__ import annotations

import json
import logging
import secrets
import sqlite3
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

log = logging.getLogger(__name__)

WRITE_WAIT_MS = 100
# Active search asks as the reader types, and again at each facet ticked: such a search that
# extends or shortens one made this recently, of which nothing was opened, replaces it (its
# refinements and count too) rather than counting again. Two readers typing alike within
# the same seconds are then counted once: there is no session to tell them apart.
TYPING_SECONDS = 20
TOP = 20  # queries per list and week


@dataclass(frozen=True)
class QueryCount:
    query: str
    count: int

    def to_dict(self) -> dict:
        return {"query": self.query, "count": self.count}


@dataclass(frozen=True)
class Week:
    week: str  # ISO week, "2026-W49"
    searches: int
    frequent: list[QueryCount]
    no_results: list[QueryCount]
    never_opened: list[QueryCount]  # had results, none opened in any of the week's searches

    def to_dict(self) -> dict:
        return {
            "week": self.week,
            "searches": self.searches,
            "frequent": [q.to_dict() for q in self.frequent],
            "no_results": [q.to_dict() for q in self.no_results],
            "never_opened": [q.to_dict() for q in self.never_opened],
        }


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def normalized(query: str) -> str:
    """How queries are counted alike: whitespace folded, lower case."""
    return " ".join(query.split()).lower()


class SearchLog:
    def __init__(self, db: sqlite3.Connection, enabled: bool = True, days: int = 90) -> None:
        self.db, self.enabled, self.days = db, enabled, days

    @contextmanager
    def _short_wait(self):
        """A transaction that waits briefly for the write lock instead of the usual 30 s."""
        (previous,) = self.db.execute("PRAGMA busy_timeout").fetchone()
        (durability,) = self.db.execute("PRAGMA synchronous").fetchone()
        self.db.execute(f"PRAGMA busy_timeout = {WRITE_WAIT_MS}")
        # A logged search is not worth an fsync per search (about 14 ms of a page's time):
        # in WAL mode NORMAL can lose only the last few entries to a power cut, never the
        # catalog's consistency; the catalog's own writes keep their setting.
        self.db.execute("PRAGMA synchronous = NORMAL")
        try:
            with self.db:
                yield
        finally:
            self.db.execute(f"PRAGMA busy_timeout = {int(previous)}")
            self.db.execute(f"PRAGMA synchronous = {int(durability)}")

    def record(
        self, query: str, filters: dict, result_type: str, results: int, refining: bool = False
    ) -> str | None:
        """Log a search; returns its id (for the links that record an opened result), or None
        when the log is off or the catalog was busy. `refining`: asked by active search, as
        the reader types or ticks a facet."""
        if not self.enabled or not query.strip():
            return None
        now = _now()
        stored = json.dumps(filters, ensure_ascii=False, sort_keys=True)
        text = " ".join(query.split())
        try:
            with self._short_wait():
                self.db.execute("DELETE FROM search_log WHERE at < ?", (self._cutoff(now),))
                replaced = self._refined(text, now) if refining else None
                if replaced is not None:
                    self.db.execute(
                        "UPDATE search_log SET at = ?, query = ?, filters = ?, result_type = ?,"
                        " results = ? WHERE id = ?",
                        (_stamp(now), text, stored, result_type, results, replaced),
                    )
                    return replaced
                search_id = secrets.token_hex(8)
                self.db.execute(
                    "INSERT INTO search_log (id, at, query, filters, result_type, results)"
                    " VALUES (?,?,?,?,?,?)",
                    (search_id, _stamp(now), text, stored, result_type, results),
                )
                return search_id
        except sqlite3.OperationalError as exc:  # locked by a long writer: the search goes on
            log.warning("search not logged: %s", exc)
            return None

    def _refined(self, text: str, now: datetime) -> str | None:
        """The recent search this one refines, if any."""
        rows = self.db.execute(
            "SELECT s.id, s.query FROM search_log s WHERE s.at >= ?"
            " AND NOT EXISTS (SELECT 1 FROM search_log_opened o WHERE o.search_id = s.id)"
            " ORDER BY s.at DESC LIMIT 5",
            (_stamp(now - timedelta(seconds=TYPING_SECONDS)),),
        ).fetchall()
        new = normalized(text)
        for search_id, earlier in rows:
            old = normalized(earlier)
            if new.startswith(old) or old.startswith(new):
                return search_id
        return None

    def opened(self, search_id: str, target: str, rank: int) -> bool:
        """Note that a result of a logged search was opened (once per search and result);
        False if there is no such search (purged, logged nowhere, or made up)."""
        if not self.enabled:
            return False
        try:
            with self._short_wait():
                known = self.db.execute(
                    "SELECT 1 FROM search_log WHERE id = ?", (search_id,)
                ).fetchone()
                seen = self.db.execute(
                    "SELECT 1 FROM search_log_opened WHERE search_id = ? AND target = ?",
                    (search_id, target),
                ).fetchone()
                if known and not seen:
                    self.db.execute(
                        "INSERT INTO search_log_opened (search_id, target, rank) VALUES (?,?,?)",
                        (search_id, target, rank),
                    )
        except sqlite3.OperationalError as exc:
            log.warning("opened result not logged: %s", exc)
            return False
        return bool(known)

    def purge(self) -> int:
        """Delete the searches older than the retention; returns how many."""
        with self.db:
            cur = self.db.execute("DELETE FROM search_log WHERE at < ?", (self._cutoff(_now()),))
        return cur.rowcount

    def _cutoff(self, now: datetime) -> str:
        return _stamp(now - timedelta(days=self.days))

    def weeks(self) -> list[Week]:
        """Per ISO week, newest first: the most frequent queries, those with no results and
        those whose results were never opened (within the retention, even if not yet purged)."""
        rows = self.db.execute(
            "SELECT s.at, s.query, s.results,"
            " EXISTS (SELECT 1 FROM search_log_opened o WHERE o.search_id = s.id) AS opened"
            " FROM search_log s WHERE s.at >= ? ORDER BY s.at",
            (self._cutoff(_now()),),
        ).fetchall()
        by_week: dict[str, list] = {}
        for at, query, results, opened in rows:
            year, week, _ = datetime.fromisoformat(at).isocalendar()
            by_week.setdefault(f"{year}-W{week:02d}", []).append(
                (normalized(query), results, opened)
            )
        return [_week(name, entries) for name, entries in sorted(by_week.items(), reverse=True)]


def _week(name: str, entries: list) -> Week:
    def top(counter: Counter) -> list[QueryCount]:
        ordered = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
        return [QueryCount(q, n) for q, n in ordered[:TOP]]

    ever_opened = {q for q, _, opened in entries if opened}
    return Week(
        name,
        len(entries),
        top(Counter(q for q, _, _ in entries)),
        top(Counter(q for q, n, _ in entries if n == 0)),
        top(Counter(q for q, n, _ in entries if n > 0 and q not in ever_opened)),
    )

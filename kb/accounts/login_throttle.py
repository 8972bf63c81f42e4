"""Login throttling: failed attempts per (client address, name) and per client address,
kept in the catalog's database so every `kb serve` worker counts together."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Attempt:
    """A login attempt let through: counted as failed unless `LoginThrottle.succeeded` says not."""

    rowids: tuple[int, ...]
    pair_key: str
    delay: float  # seconds to wait before checking the password (the name is under attack)


class LoginThrottle:
    """Failed logins are throttled per (client address, name) and per client address; failures
    for a name from everywhere only slow its logins down, so nobody can lock an editor out.

    An attempt is counted before its password is checked, in the same write transaction as the
    check, so parallel attempts cannot all pass; a success takes its count back. Kept in the
    catalog's database, so all `kb serve --workers` processes count together.
    """

    def __init__(
        self,
        db: sqlite3.Connection,
        per_name: int = 5,
        per_address: int = 20,
        window: float = 300.0,
        free_per_name: int = 3,
        delay_step: float = 0.25,
        max_delay: float = 2.0,
    ) -> None:
        self.db, self.window = db, window
        self.per_name, self.per_address = per_name, per_address
        self.free_per_name, self.delay_step, self.max_delay = free_per_name, delay_step, max_delay

    def attempt(self, address: str, name: str) -> Attempt | None:
        """None when this address has failed too often (for this name, or for any)."""
        name = name.lower()
        keys = (f"pair:{address}|{name}", f"addr:{address}", f"user:{name}")
        now = time.time()
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.execute("DELETE FROM login_failures WHERE at < ?", (now - self.window,))
            pair, addr, user = (self._count(key) for key in keys)
            if pair >= self.per_name or addr >= self.per_address:
                self.db.commit()
                return None
            rowids = tuple(
                self.db.execute(
                    "INSERT INTO login_failures(key, at) VALUES (?, ?)", (key, now)
                ).lastrowid
                for key in keys
            )
            self.db.commit()
        except BaseException:
            self.db.rollback()
            raise
        excess = user - self.free_per_name + 1
        delay = min(self.max_delay, self.delay_step * excess) if excess > 0 else 0.0
        return Attempt(rowids, keys[0], delay)

    def succeeded(self, attempt: Attempt) -> None:
        """Take back this attempt and forget this address's earlier typos of the password."""
        with self.db:
            self.db.executemany(
                "DELETE FROM login_failures WHERE rowid = ?", [(rowid,) for rowid in attempt.rowids]
            )
            self.db.execute("DELETE FROM login_failures WHERE key = ?", (attempt.pair_key,))

    def _count(self, key: str) -> int:
        return self.db.execute(
            "SELECT count(*) FROM login_failures WHERE key = ?", (key,)
        ).fetchone()[0]

"""Editors (the secretariat): accounts with scrypt-hashed passwords, and API tokens.

Kept in the catalog's database; readers need no account.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from kb.errors import KBError, NotFound

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    created_at TEXT NOT NULL
);
"""
ROLES = ("editor", "reader")
_NAME = re.compile(r"^[\w.@-]{1,64}$")
# scrypt at n=2^14, r=8, p=1: OWASP's minimum, ~50 ms per check on these machines.
_N, _R, _P = 2**14, 8, 1
MIN_PASSWORD = 10


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str

    @property
    def is_editor(self) -> bool:
        return self.role == "editor"


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n),
                                   r=int(r), p=int(p), dklen=len(digest) // 2)  # fmt: skip
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


class Users:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        db.executescript(SCHEMA)

    def add(self, name: str, password: str, editor: bool) -> User:
        if not _NAME.match(name):
            raise KBError("a user name is 1–64 letters, digits or . @ - _")
        _check_strength(password)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            with self.db:
                self.db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?)",
                    (name, hash_password(password), ROLES[0 if editor else 1], now),
                )
        except sqlite3.IntegrityError as exc:
            raise KBError(f"user {name!r} already exists") from exc
        return self.get(name)

    def get(self, name: str) -> User:
        row = self.db.execute("SELECT name, role, created_at FROM users WHERE name = ?",
                              (name,)).fetchone()  # fmt: skip
        if row is None:
            raise NotFound(f"no user {name!r}")
        return User(*row)

    def list(self) -> list[User]:
        return [User(*r) for r in self.db.execute(
            "SELECT name, role, created_at FROM users ORDER BY name")]  # fmt: skip

    def set_password(self, name: str, password: str) -> None:
        self.get(name)
        _check_strength(password)
        with self.db:
            self.db.execute("UPDATE users SET password_hash = ? WHERE name = ?",
                            (hash_password(password), name))  # fmt: skip

    def authenticate(self, name: str, password: str) -> User | None:
        row = self.db.execute("SELECT password_hash FROM users WHERE name = ?",
                              (name,)).fetchone()  # fmt: skip
        # Hash even for unknown names, so timing does not tell which names exist.
        stored = row[0] if row else hash_password("not a user")
        return self.get(name) if check_password(stored, password) and row else None

    def create_token(self, name: str) -> str:
        user = self.get(name)
        if not user.is_editor:
            raise KBError(f"{name!r} is not an editor; tokens are for editors")
        token = "kb_" + secrets.token_urlsafe(32)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.db:
            self.db.execute("INSERT INTO tokens VALUES (?, ?, ?)", (_token_hash(token), name, now))
        return token

    def user_for_token(self, token: str) -> User | None:
        row = self.db.execute("SELECT name FROM tokens WHERE token_hash = ?",
                              (_token_hash(token),)).fetchone()  # fmt: skip
        return self.get(row[0]) if row else None


def _token_hash(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough to store them safely.
    return hashlib.sha256(token.encode()).hexdigest()


def _check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise KBError(f"the password must be at least {MIN_PASSWORD} characters")

"""Accounts with scrypt-hashed passwords, sessions that can be ended, and API tokens that can
be listed and revoked. Roles, highest first: editors (the secretariat) change the knowledge
base; contributors (agency staff) share experiences for editors to publish; readers only
read (an account is needed only where KB_READ_REQUIRES_LOGIN is set).

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

ROLES = ("editor", "contributor", "reader")  # highest first
_NAME = re.compile(r"^[\w.@-]{1,64}$")
MIN_PASSWORD = 10


@dataclass(frozen=True)
class Scrypt:
    n: int
    r: int
    p: int


# OWASP's minimum for scrypt: ~0.5 s and 128 MiB per hash on our 2-core machines (2^14: 50 ms).
DEFAULT_SCRYPT = Scrypt(n=2**17, r=8, p=1)
# The cost new hashes get; hashes made with another are rehashed at the next login.
# A module setting rather than configuration, so only code (the test suite) can lower it.
SCRYPT = DEFAULT_SCRYPT
# scrypt needs 128 * n * r bytes (128 MiB at the default); OpenSSL refuses above maxmem.
_MAXMEM = 256 * 1024 * 1024
_dummy_hashes: dict[Scrypt, str] = {}


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str

    @property
    def is_editor(self) -> bool:
        return self.role == "editor"

    @property
    def can_contribute(self) -> bool:
        """Contributors, and editors above them, may share experiences."""
        return self.role in ("editor", "contributor")


@dataclass(frozen=True)
class Token:
    id: str  # public: names the token in `kb token list/revoke`; the token itself is not kept
    name: str
    created_at: str


def hash_password(password: str) -> str:
    cost, salt = SCRYPT, secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=cost.n, r=cost.r, p=cost.p, maxmem=_MAXMEM, dklen=32
    )
    return f"scrypt${cost.n}${cost.r}${cost.p}${salt.hex()}${digest.hex()}"


def check_password(stored: str, password: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(
            password.encode(),
            salt=bytes.fromhex(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_MAXMEM,
            dklen=len(digest) // 2,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def needs_rehash(stored: str) -> bool:
    return not stored.startswith(f"scrypt${SCRYPT.n}${SCRYPT.r}${SCRYPT.p}$")


def _dummy_hash() -> str:
    # Checked for unknown names, so they cost one scrypt like known ones: made once per cost.
    if SCRYPT not in _dummy_hashes:
        _dummy_hashes[SCRYPT] = hash_password(secrets.token_urlsafe(16))
    return _dummy_hashes[SCRYPT]


class Users:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db  # the catalog's connection; the tables are made by its migrations

    def add(self, name: str, password: str, editor: bool = False, role: str | None = None) -> User:
        """A reader, an editor (`editor=True`) or the `role` named."""
        role = role or ("editor" if editor else "reader")
        if role not in ROLES:
            raise KBError(f"a role is one of {', '.join(ROLES)}")
        if not _NAME.match(name):
            raise KBError("a user name is 1–64 letters, digits or . @ - _")
        _check_strength(password)
        try:
            with self.db:
                self.db.execute(
                    "INSERT INTO users(name, password_hash, role, created_at, session_gen) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, hash_password(password), role, _now(), _new_gen()),
                )
        except sqlite3.IntegrityError as exc:
            raise KBError(f"user {name!r} already exists") from exc
        return self.get(name)

    def get(self, name: str) -> User:
        row = self.db.execute(
            "SELECT name, role, created_at FROM users WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no user {name!r}")
        return User(*row)

    def list(self) -> list[User]:
        return [
            User(*r)
            for r in self.db.execute("SELECT name, role, created_at FROM users ORDER BY name")
        ]

    def set_password(self, name: str, password: str) -> None:
        """A new password also ends the account's sessions everywhere."""
        self.get(name)
        _check_strength(password)
        with self.db:
            self.db.execute(
                "UPDATE users SET password_hash = ?, session_gen = ? WHERE name = ?",
                (hash_password(password), _new_gen(), name),
            )

    def set_role(self, name: str, role: str) -> User:
        """Only editors hold tokens: demoting an editor revokes theirs."""
        if role not in ROLES:
            raise KBError(f"a role is one of {', '.join(ROLES)}")
        self.get(name)
        with self.db:
            self.db.execute("UPDATE users SET role = ? WHERE name = ?", (role, name))
            if role != "editor":
                self.db.execute("DELETE FROM tokens WHERE name = ?", (name,))
        return self.get(name)

    def remove(self, name: str) -> None:
        self.get(name)
        with self.db:
            self.db.execute("DELETE FROM tokens WHERE name = ?", (name,))
            self.db.execute("DELETE FROM feed_tokens WHERE name = ?", (name,))
            self.db.execute("DELETE FROM users WHERE name = ?", (name,))

    def authenticate(self, name: str, password: str) -> User | None:
        row = self.db.execute("SELECT password_hash FROM users WHERE name = ?", (name,)).fetchone()
        # Unknown names check a dummy hash: one scrypt either way, so timing tells nothing.
        stored = row[0] if row else _dummy_hash()
        if not check_password(stored, password) or row is None:
            return None
        if needs_rehash(stored):
            with self.db:
                self.db.execute(
                    "UPDATE users SET password_hash = ? WHERE name = ? AND password_hash = ?",
                    (hash_password(password), name, stored),
                )
        return self.get(name)

    # sessions -----------------------------------------------------------
    def session_gen(self, name: str) -> str:
        """Stored in a session at login; the session is valid while the account's matches."""
        row = self.db.execute("SELECT session_gen FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"no user {name!r}")
        return row[0]

    def for_session(self, name: str, gen: str) -> User | None:
        row = self.db.execute(
            "SELECT name, role, created_at, session_gen FROM users WHERE name = ?", (name,)
        ).fetchone()
        if row is None or not hmac.compare_digest(str(row[3]), str(gen)):
            return None
        return User(*row[:3])

    def end_sessions(self, name: str) -> None:
        """Every session of the account, on every device, stops authenticating."""
        self.get(name)
        with self.db:
            self.db.execute("UPDATE users SET session_gen = ? WHERE name = ?", (_new_gen(), name))

    # tokens -------------------------------------------------------------
    def create_token(self, name: str) -> str:
        user = self.get(name)
        if not user.is_editor:
            raise KBError(f"{name!r} is not an editor; tokens are for editors")
        token = "kb_" + secrets.token_urlsafe(32)
        with self.db:
            self.db.execute(
                "INSERT INTO tokens(token_hash, name, created_at, id) VALUES (?, ?, ?, ?)",
                (_token_hash(token), name, _now(), secrets.token_hex(6)),
            )
        return token

    def tokens(self, name: str | None = None) -> list[Token]:
        sql = "SELECT id, name, created_at FROM tokens"
        args: tuple = ()
        if name is not None:
            self.get(name)
            sql, args = sql + " WHERE name = ?", (name,)
        return [Token(*r) for r in self.db.execute(sql + " ORDER BY name, created_at, id", args)]

    def revoke_token(self, token_id: str) -> Token:
        row = self.db.execute(
            "SELECT id, name, created_at FROM tokens WHERE id = ?", (token_id,)
        ).fetchone()
        if row is None:
            raise NotFound(f"no token with id {token_id!r}")
        with self.db:
            self.db.execute("DELETE FROM tokens WHERE id = ?", (token_id,))
        return Token(*row)

    def user_for_token(self, token: str) -> User | None:
        row = self.db.execute(
            "SELECT name FROM tokens WHERE token_hash = ?", (_token_hash(token),)
        ).fetchone()
        return self.get(row[0]) if row else None

    # feed tokens -------------------------------------------------------
    # Read-only, for feed readers (which cannot log in) where reading needs an account: they
    # open the feeds and nothing else, never the API or a write; any account may have them.
    def create_feed_token(self, name: str) -> str:
        self.get(name)
        token = "kbfeed_" + secrets.token_urlsafe(32)
        with self.db:
            self.db.execute(
                "INSERT INTO feed_tokens(id, token_hash, name, created_at) VALUES (?, ?, ?, ?)",
                (secrets.token_hex(6), _token_hash(token), name, _now()),
            )
        return token

    def feed_tokens(self, name: str | None = None) -> list[Token]:
        sql, args = "SELECT id, name, created_at FROM feed_tokens", ()
        if name is not None:
            self.get(name)
            sql, args = sql + " WHERE name = ?", (name,)
        return [Token(*r) for r in self.db.execute(sql + " ORDER BY name, created_at, id", args)]

    def revoke_feed_token(self, token_id: str, name: str | None = None) -> Token:
        """`name`: only if it is this account's (the account page revokes its own)."""
        row = self.db.execute(
            "SELECT id, name, created_at FROM feed_tokens WHERE id = ?", (token_id,)
        ).fetchone()
        if row is None or (name is not None and row[1] != name):
            raise NotFound(f"no feed token with id {token_id!r}")
        with self.db:
            self.db.execute("DELETE FROM feed_tokens WHERE id = ?", (token_id,))
        return Token(*row)

    def user_for_feed_token(self, token: str) -> User | None:
        row = self.db.execute(
            "SELECT name FROM feed_tokens WHERE token_hash = ?", (_token_hash(token),)
        ).fetchone()
        return self.get(row[0]) if row else None


def _new_gen() -> str:
    return secrets.token_hex(8)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _token_hash(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough to store them safely.
    return hashlib.sha256(token.encode()).hexdigest()


def _check_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise KBError(f"the password must be at least {MIN_PASSWORD} characters")

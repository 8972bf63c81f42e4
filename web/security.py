"""Web hardening: security headers, CSRF tokens on every form, and login rate limiting."""

from __future__ import annotations

import hmac
import secrets
import sqlite3
import time
from dataclasses import dataclass

from flask import Flask, abort, current_app, request, session

UPLOAD_ENDPOINTS = {"upload.create", "api.upload"}

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def sent_csrf_token(read_form: bool = True) -> str:
    sent = request.headers.get("X-CSRF-Token", "")
    if not sent and read_form:
        sent = request.form.get("csrf_token", "")
    return sent


def csrf_valid(sent: str) -> bool:
    expected = session.get("csrf", "")
    # Bytes, not str: compare_digest refuses non-ASCII text (csrf_token=å was a 500).
    return bool(expected) and hmac.compare_digest(sent.encode(), expected.encode())


def _check_csrf() -> None:
    if request.method in SAFE_METHODS:
        return
    if request.path.startswith("/api/"):
        # The API is authenticated by Bearer token; a session cookie counts only with the
        # CSRF header (web/auth.py), so a cross-site form cannot act as a logged-in editor.
        return
    if not _may_write(request.endpoint):
        return  # the view refuses before anything reads the body
    if not csrf_valid(sent_csrf_token()):
        abort(400, description="Formuläret har gått ut. Ladda om sidan och försök igen.")


def _may_write(endpoint: str | None) -> bool:
    """False when the view needs a role this client lacks: its body is never parsed."""
    from web.auth import current_user, has_role

    view = current_app.view_functions.get(endpoint or "")
    role = getattr(view, "required_role", None)
    return role is None or has_role(current_user(), role)


def _limit_body() -> None:
    """Only an editor's upload may send a large body; everything else gets a small limit."""
    config = current_app.config["KB_CONFIG"]
    large = request.endpoint in UPLOAD_ENDPOINTS and _may_write(request.endpoint)
    request.max_content_length = config.max_upload_bytes if large else config.max_form_bytes


@dataclass(frozen=True)
class Attempt:
    """A login attempt let through: counted as failed unless `LoginLimiter.succeeded` says not."""

    rowids: tuple[int, ...]
    pair_key: str
    delay: float  # seconds to wait before checking the password (the name is under attack)


class LoginLimiter:
    """Failed logins are throttled per (client address, name) and per client address; failures
    for a name from everywhere only slow its logins down, so nobody can lock an editor out.

    An attempt is counted before its password is checked, in the same write transaction as the
    check, so parallel attempts cannot all pass; a success takes its count back. Kept in the
    catalog's database, so all `kb serve --workers` processes count together.
    """

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at REAL NOT NULL);
    CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at);
    """

    def __init__(self, db: sqlite3.Connection, per_name: int = 5, per_address: int = 20,
                 window: float = 300.0, free_per_name: int = 3, delay_step: float = 0.25,
                 max_delay: float = 2.0) -> None:  # fmt: skip
        self.db, self.window = db, window
        self.per_name, self.per_address = per_name, per_address
        self.free_per_name, self.delay_step, self.max_delay = free_per_name, delay_step, max_delay
        db.executescript(self.SCHEMA)

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
                self.db.execute("INSERT INTO login_failures(key, at) VALUES (?, ?)",
                                (key, now)).lastrowid
                for key in keys
            )  # fmt: skip
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
            self.db.executemany("DELETE FROM login_failures WHERE rowid = ?",
                                [(rowid,) for rowid in attempt.rowids])  # fmt: skip
            self.db.execute("DELETE FROM login_failures WHERE key = ?", (attempt.pair_key,))

    def _count(self, key: str) -> int:
        return self.db.execute("SELECT count(*) FROM login_failures WHERE key = ?",
                               (key,)).fetchone()[0]  # fmt: skip


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.before_request(_limit_body)
    app.before_request(_check_csrf)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response

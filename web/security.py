"""Web hardening: security headers, CSRF tokens on every form, and login rate limiting."""

from __future__ import annotations

import hmac
import secrets
import sqlite3
import time

from flask import Flask, abort, request, session

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.path.startswith("/api/"):
        return  # the API takes Bearer tokens, which browsers never send by themselves
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    expected = session.get("csrf", "")
    if not expected or not hmac.compare_digest(sent, expected):
        abort(400, description="Formuläret har gått ut. Ladda om sidan och försök igen.")


class LoginLimiter:
    """At most `attempts` failed logins per client address and per account in `window` s.

    Kept in the catalog's database, so all `kb serve --workers` processes count together.
    """

    SCHEMA = "CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at REAL NOT NULL)"

    def __init__(self, db: sqlite3.Connection, attempts: int = 5, window: float = 300.0) -> None:
        self.db, self.attempts, self.window = db, attempts, window
        with db:
            db.execute(self.SCHEMA)

    def blocked(self, *keys: str) -> bool:
        since = time.time() - self.window
        return any(
            self.db.execute("SELECT count(*) FROM login_failures WHERE key = ? AND at > ?",
                            (key, since)).fetchone()[0] >= self.attempts
            for key in keys
        )  # fmt: skip

    def failed(self, *keys: str) -> None:
        now = time.time()
        with self.db:
            self.db.execute("DELETE FROM login_failures WHERE at < ?", (now - self.window,))
            self.db.executemany("INSERT INTO login_failures(key, at) VALUES (?, ?)",
                                [(key, now) for key in keys])  # fmt: skip


def init_app(app: Flask) -> None:
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.before_request(_check_csrf)

    @app.after_request
    def headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        return response

"""Web hardening: security headers, CSRF tokens on every form, and login rate limiting."""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, abort, current_app, request, session
from flask_babel import gettext

# and contributions with their attachments (limited per file as uploads are)
UPLOAD_ENDPOINTS = {
    "upload.create",
    "api.upload",
    "contribute.create",
    "api_contributions.create",
}

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
        abort(400, description=gettext("The form has expired. Reload the page and try again."))


def _may_write(endpoint: str | None) -> bool:
    """False when the view needs a role this client lacks: its body is never parsed."""
    from web.auth import current_user, has_role

    view = current_app.view_functions.get(endpoint or "")
    role = getattr(view, "required_role", None)
    return role is None or has_role(current_user(), role)


def _limit_body() -> None:
    """Only an editor's upload (or a contributor's experience with its attachments) may send a
    large body; everything else gets a small limit."""
    config = current_app.config["KB_CONFIG"]
    large = request.endpoint in UPLOAD_ENDPOINTS and _may_write(request.endpoint)
    request.max_content_length = config.max_upload_bytes if large else config.max_form_bytes


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

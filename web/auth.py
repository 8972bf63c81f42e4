"""Who may do what: editors change the knowledge base, by session (pages) or Bearer token
(API); contributors share experiences for editors to publish (by session only)."""

from __future__ import annotations

import functools
import re
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext

from kb.accounts.users import User, Users
from kb.errors import KBError
from web.services import get_kb

bp = Blueprint("auth", __name__)


def current_user() -> User | None:
    if "user" not in g:
        g.user = None
        users = get_kb().accounts
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            g.user = users.user_for_token(header[7:].strip())
        elif session.get("user") and _cookie_counts():
            g.user = _session_user(users)
            if g.user is None:  # ended (logged out everywhere, new password, removed) or expired
                session.clear()
    return g.user


def _cookie_counts() -> bool:
    """A session cookie authenticates an API write only with the CSRF header: browsers send
    cookies on cross-site form posts by themselves, never that header."""
    from web.security import SAFE_METHODS, csrf_valid, sent_csrf_token

    if not request.path.startswith("/api/") or request.method in SAFE_METHODS:
        return True
    return csrf_valid(sent_csrf_token(read_form=False))


def has_role(user: User | None, role: str) -> bool:
    """Editors may do what contributors may; an unknown role is nobody's."""
    if user is None:
        return False
    if role == "editor":
        return user.is_editor
    if role == "contributor":
        return user.can_contribute
    return False


def _session_user(users: Users) -> User | None:
    # An absolute lifetime: a cookie refreshed by use does not live for ever.
    age = time.time() - session.get("since", 0)
    if not 0 <= age <= current_app.permanent_session_lifetime.total_seconds():
        return None
    return users.for_session(session["user"], session.get("gen", ""))


def role_required(role: str):
    """The view answers only accounts with `role` (or above): anonymous clients are sent to
    log in (the API says 401), others get 403."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if has_role(user, role):
                return view(*args, **kwargs)
            if request.path.startswith("/api/"):
                abort(401 if user is None else 403)
            if user is None:
                return redirect(url_for("auth.login", next=_return_to()))
            abort(403)

        wrapped.required_role = role  # read before the body is parsed (web/security.py)
        return wrapped

    return decorate


editor_required = role_required("editor")
contributor_required = role_required("contributor")


def _return_to() -> str:
    """Where a login should lead back to: this page for a GET, and for a form's POST (an
    action such as "Ta bort") the page the form was on; a login's redirect is a GET, and a
    POST-only address answers it with 405."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("documents.index")


OPEN_ENDPOINTS = {
    "auth.login",
    "auth.logout",
    "auth.register",
    "static",
    "api.health",
    "api.openapi",
}
FEED_BLUEPRINT = "feeds"


def _feed_token_admits() -> bool:
    """A feed reader cannot log in: a feed (and nothing else) may be read with `?token=`, a
    read-only feed token (kb user feed-token). It makes no one the current user, so it can
    neither write nor open the API."""
    token = request.args.get("token", "")
    return bool(token) and get_kb().accounts.user_for_feed_token(token) is not None


@bp.before_app_request
def require_login_to_read():
    """KB_READ_REQUIRES_LOGIN: installations where even reading needs an account."""
    if not current_app.config["KB_CONFIG"].read_requires_login:
        return None
    if request.endpoint in OPEN_ENDPOINTS or current_user() is not None:
        return None
    if request.blueprint == FEED_BLUEPRINT:
        if _feed_token_admits():
            return None
        abort(401)  # a feed reader shows a status, never a login page
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never redirect a login to another host.
    if (
        not target
        or urlsplit(target).netloc
        or not target.startswith("/")
        or target.startswith("//")
    ):
        return url_for("search.index")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status = None, 200
    if request.method == "POST":
        name = request.form.get("name", "")[:64]
        limiter = get_kb().login_throttle
        # The client's address: behind KB_TRUSTED_PROXIES proxies, ProxyFix has set it.
        attempt = limiter.attempt(request.remote_addr or "", name)
        if attempt is None:
            error, status = gettext("Too many failed attempts. Wait a few minutes."), 429
        else:
            time.sleep(attempt.delay)
            user = get_kb().accounts.authenticate(name, request.form.get("password", ""))
            if user is not None:
                limiter.succeeded(attempt)
                session.clear()
                session.permanent = True  # expires after KB_SESSION_HOURS
                session.update(
                    user=user.name, since=time.time(), gen=get_kb().accounts.session_gen(user.name)
                )
                return redirect(_safe_next(request.form.get("next")), code=303)
            error, status = gettext("Wrong name or password."), 401
    return render_template("login.html", error=error, next=request.values.get("next", "")), status


@bp.route("/registrera", methods=["GET", "POST"])
def register():
    """Self-registration as a contributor, for addresses on KB_CONTRIBUTOR_DOMAINS (off when
    empty): the same password rules as `kb user add`, throttled like failed logins."""
    from kb.operations.contributions import domain_allowed
    from web.i18n import error_message

    allowed = current_app.config["KB_CONFIG"].contributor_domains
    if not allowed.strip():
        abort(404)
    error, status, email = None, 200, ""
    if request.method == "POST":
        email = request.form.get("email", "").strip().lower()[:200]
        try:
            _register(email, allowed, domain_allowed)
        except KBError as exc:
            error, status = error_message(exc), 429 if exc.code == "too_many_attempts" else 400
        else:
            return redirect(url_for("contribute.index"), code=303)
    return render_template("register.html", error=error, email=email), status


def _register(email: str, allowed: str, domain_allowed) -> None:
    from kb.accounts.users import MIN_PASSWORD

    if get_kb().login_throttle.attempt(request.remote_addr or "", f"register:{email}") is None:
        raise KBError("too_many_attempts")
    if len(email) > 64 or not _EMAIL.fullmatch(email):
        raise KBError("bad_email", field="email")
    if not domain_allowed(email, allowed):
        raise KBError("email_domain_refused", field="email", domain=email.rpartition("@")[2])
    password = request.form.get("password", "")
    if len(password) < MIN_PASSWORD:
        raise KBError("password_too_short", field="password", min=MIN_PASSWORD)
    if password != request.form.get("password_again", ""):
        raise KBError("passwords_differ", field="password_again")
    users = get_kb().accounts
    try:
        users.add(email, password, role="contributor")
    except KBError as exc:  # taken: said no more plainly, so addresses cannot be probed
        raise KBError("registration_failed", field="email") from exc
    session.clear()
    session.permanent = True
    session.update(user=email, since=time.time(), gen=users.session_gen(email))


_EMAIL = re.compile(r"[\w.-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")


@bp.post("/logout")
def logout():
    session.clear()
    return redirect(url_for("search.index"), code=303)


@bp.post("/logout/everywhere")
def logout_everywhere():
    """End every session of the account: other browsers, and cookies copied from this one."""
    user = current_user()
    if user is not None and session.get("user"):
        get_kb().accounts.end_sessions(user.name)
    session.clear()
    return redirect(url_for("search.index"), code=303)

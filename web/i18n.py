"""Swedish and English: each request's language, the switch in the header, and the messages
of kb/ and ingest/ translated by their code (gettext catalogs in web/translations/)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from babel.support import NullTranslations, Translations
from flask import Blueprint, Flask, abort, current_app, redirect, request, url_for
from flask_babel import Babel, format_decimal, get_locale, gettext

from kb.errors import KBError
from kb.messages import MESSAGES, N_

LANGUAGES = {"sv": "Svenska", "en": "English"}  # each named in its own language
DEFAULT = "sv"
COOKIE = "lang"
COOKIE_DAYS = 365
TRANSLATIONS = Path(__file__).parent / "translations"

# The parameters an error names (its `field`), as the forms label them.
FIELD_LABELS = {
    "from": N_("From"),
    "to": N_("To"),
    "agency": N_("Agency"),
    "kind": N_("Type"),
    "tag": N_("Subject"),
    "page": N_("Page"),
    "per_page": N_("Results per page"),
    "title": N_("Title"),
    "date": N_("Date"),
    "sources": N_("Sources"),
    "source_url": N_("Source"),
    "files": N_("Files"),
    "sort": N_("Sort order"),
    "id": N_("Id"),
    # Dela en erfarenhet, and registering for it
    "went_well": N_("What went well?"),
    "went_badly": N_("What went badly?"),
    "advice": N_("Your advice to others"),
    "investment_id": N_("The investment"),
    "investment_name": N_("The investment"),
    "attachments": N_("Attachments"),
    "message": N_("Message to the contributor"),
    "reason": N_("Reason for rejecting"),
    "email": N_("Work e-mail address"),
    "password": N_("Password"),
    "password_again": N_("The password again"),
}

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    """The visitor's choice (the header link's cookie), else Accept-Language, else Swedish."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return request.accept_languages.best_match(list(LANGUAGES), default=DEFAULT)


def current_language() -> str:
    return str(get_locale() or DEFAULT)


def translate(code: str | None, params: dict | None, fallback: str = "", gettext_=None) -> str:
    """A kb/ or ingest/ message in the current language; `fallback` when it has no code."""
    if not code or code not in MESSAGES:
        return fallback
    tr = gettext_ or gettext
    params = dict(params or {})
    if "field" in params and params["field"] in FIELD_LABELS:
        params["field"] = tr(FIELD_LABELS[params["field"]])
    if "what" in params:
        params["what"] = tr(params["what"])
    if gettext_ is None:
        return gettext(MESSAGES[code], **params)  # flask_babel formats only when given params
    text = tr(MESSAGES[code])
    return text % params if params else text


def error_message(exc: KBError) -> str:
    """What a page shows for an error: its message translated, or its own text."""
    return translate(exc.code, exc.params, str(exc))


def catalog(language: str) -> NullTranslations:
    """The compiled catalog for `language`, for code outside a request (the CLI)."""
    return Translations.load(str(TRANSLATIONS), [language])


def cli_message(code: str | None, params: dict | None, fallback: str, language: str) -> str:
    if language == "en" or not code:
        return fallback
    return translate(code, params, fallback, catalog(language).gettext)


def _local_path(target: str | None) -> str | None:
    """`target` when it is a path on this site (never another host), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    return target


def _same_site_referrer() -> str | None:
    """The page the visitor was on (after htmx replaced its URL, the link's `next` is stale)."""
    referrer = request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    if parts.netloc != request.host:
        return None
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    return _local_path(path)


@bp.get("/lang/<code>")
def switch(code: str):
    """Set the language by cookie and go back. A GET: it changes only how pages are shown,
    and a link works without JavaScript; the target is always a path on this site."""
    if code not in LANGUAGES:
        abort(404)
    back = _same_site_referrer() or _local_path(request.args.get("next")) or url_for("search.index")
    response = redirect(back, code=303)
    response.set_cookie(
        COOKIE,
        code,
        max_age=COOKIE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def switch_url(code: str) -> str:
    """The header's link to the other language, coming back to this page."""
    here = request.full_path.rstrip("?") if request.endpoint != "i18n.switch" else "/"
    return url_for("i18n.switch", code=code, next=here)


def check_catalogs() -> None:
    """The Swedish catalog must be compiled (`make setup`): without it every page would
    silently be in English, the msgids' language."""
    for language in LANGUAGES:
        po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
        mo = po.with_suffix(".mo")
        if po.exists() and (not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime):
            raise RuntimeError(
                f"{mo} is missing or older than its .po: run `make setup` "
                "(pybabel compile -d web/translations)"
            )


def init_app(app: Flask) -> None:
    check_catalogs()
    app.jinja_env.policies["ext.i18n.trimmed"] = True  # as `pybabel extract` reads them
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    app.register_blueprint(bp)
    app.jinja_env.globals.update(
        current_language=current_language,
        languages=LANGUAGES,
        switch_url=switch_url,
        message=translate,
        format_decimal=format_decimal,
    )

    @app.after_request
    def vary_on_language(response):
        # The same URL answers in Swedish or English: caches must keep both apart.
        response.vary.add("Accept-Language")
        response.vary.add("Cookie")
        return response

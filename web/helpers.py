"""Template helpers: highlighted text (always escaped), labels, URLs."""

from __future__ import annotations

from flask import Flask, request, url_for
from flask_babel import gettext
from markupsafe import Markup, escape

from kb.messages import N_
from kb.models import is_web_address
from web import STATIC

KIND_LABELS = {
    "recommendation": N_("Recommendation"),
    "interview": N_("Interview"),
    "case": N_("Case description"),
    "analysis": N_("Analysis"),
    "report": N_("Report"),
    "news": N_("News"),
    "experience": N_("Shared experience"),
    "other": N_("Other"),
}


def highlight(text: str, spans, limit: int | None = None) -> Markup:
    """Escape `text` and wrap the spans in <mark>; optionally cut near the first mark."""
    start, end = 0, len(text)
    if limit and len(text) > limit:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - limit // 4, len(text) - limit))
        while start > 0 and not text[start - 1].isspace():
            start -= 1
        end = min(len(text), start + limit)
        while end < len(text) and not text[end].isspace():
            end += 1
    out, pos = [], start
    if start > 0:
        out.append("… ")
    for s, e in spans:
        if s < pos or e > end:
            continue
        out += [escape(text[pos:s]), Markup("<mark>"), escape(text[s:e]), Markup("</mark>")]
        pos = e
    out.append(escape(text[pos:end]))
    if end < len(text):
        out.append(" …")
    return Markup("").join(Markup(x) if isinstance(x, Markup) else escape(x) for x in out)


def kind_label(kind: str) -> str:
    return gettext(KIND_LABELS[kind]) if kind in KIND_LABELS else kind


# The records' values are Swedish words (in the records file and the API); the pages show
# them in the reader's language.
VALUE_LABELS = {
    "gick bra": N_("went well"),
    "gick dåligt": N_("went badly"),
    "råd": N_("advice"),
    "planerad": N_("planned"),
    "pågående": N_("ongoing"),
    "avslutad": N_("completed"),
    "avbruten": N_("cancelled"),
    "lyckad": N_("successful"),
    "delvis lyckad": N_("partly successful"),
    "misslyckad": N_("failed"),
    "okänd": N_("unknown"),
    "rekommendation": N_("recommendation"),
    "intervju": N_("interview"),
    "fallbeskrivning": N_("case description"),
    "granskning": N_("audit"),
    "myndighetens svar": N_("the agency's response"),
    "uppföljning": N_("follow-up"),
    "utfall": N_("the outcome"),
    "prognos": N_("a forecast"),
    "följd": N_("followed"),
    "delvis följd": N_("partly followed"),
    "inte följd": N_("not followed"),
}


def pending_suggestions(doc_id: str) -> int:
    """How many suggestions for the document wait for an editor (shown to editors only)."""
    from web.services import get_kb

    return get_kb().suggestions.count_pending([doc_id]).get(doc_id, 0)


# A contribution's status ("Dela en erfarenhet"), as its author and the editors see it.
STATUS_LABELS = {
    "submitted": N_("submitted"),
    "changes_requested": N_("needs changes"),
    "published": N_("published"),
    "rejected": N_("rejected"),
}


def status_label(status: str) -> str:
    return gettext(STATUS_LABELS[status]) if status in STATUS_LABELS else status


def contributions_waiting() -> int:
    """How many contributions wait for an editor (shown to editors only)."""
    from web.services import get_kb

    return get_kb().contributions.count("submitted")


def value_label(value: str | None) -> str:
    return gettext(VALUE_LABELS[value]) if value in VALUE_LABELS else (value or "")


# What a hit's `match` (kb.search.relevance) means, in the reader's words: one scale for
# search, similar documents and similar cases, instead of scores that differ by mode.
MATCH_LABELS = {
    "words+meaning": N_("Has the words and is like the question"),
    "words": N_("Has the search words"),
    "meaning": N_("Is like the question"),
    "near": N_("Distant likeness"),
}


def match_label(match: str) -> str:
    return gettext(MATCH_LABELS[match]) if match in MATCH_LABELS else ""


def link_args() -> dict[str, list[str]]:
    """This request's query parameters, to build a link with: never url_for's own arguments
    (_anchor, _method, _external, _scheme), which a visitor must not set."""
    return {k: v for k, v in request.args.to_dict(flat=False).items() if not k.startswith("_")}


def with_args(**changes) -> str:
    """This page's URL with some query parameters changed (None removes one)."""
    args = link_args()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = [str(value)]
    return url_for(request.endpoint, **args)


def page_url(page: int) -> str:
    return with_args(page=page)


FEED_FILTERS = ("q", "agency", "kind", "from", "to", "tag", "theme")


def _args(names) -> dict[str, list[str]]:
    return {k: v for k in names if (v := [x for x in request.args.getlist(k) if x.strip()])}


def feed_url(**values) -> str:
    """The Atom feed of this search (its filters; never a token)."""
    return url_for("feeds.search", **_args(FEED_FILTERS), **values)


def export_url(endpoint: str, fmt: str = "csv") -> str:
    """This list page's rows as a download from the API list route `endpoint`, with the
    page's filters; a search's up to the API's most per page."""
    from web.params import KNOWN
    from web.views.documents import LIST_PARAMETERS
    from web.views.investments import FILTERS

    known = {
        "api.search": KNOWN - {"page", "per_page", "format", "chunk"},
        "api.documents": set(LIST_PARAMETERS),
        "api.investments": set(FILTERS),
    }[endpoint]
    extra = {"per_page": 100} if endpoint == "api.search" else {}
    return url_for(endpoint, **_args(sorted(known)), **extra, format=fmt)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        highlight=highlight,
        kind_label=kind_label,
        match_label=match_label,
        value_label=value_label,
        status_label=status_label,
        contributions_waiting=contributions_waiting,
        pending_suggestions=pending_suggestions,
        page_url=page_url,
        with_args=with_args,
        feed_url=feed_url,
        export_url=export_url,
        is_web_address=is_web_address,
    )

    @app.context_processor
    def page_context():
        from web.auth import current_user

        return {
            "htmx_available": (STATIC / "vendor" / "htmx.min.js").exists(),
            "user": current_user(),
        }

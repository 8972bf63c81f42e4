"""Sök: one search box with active search, facets, modes and pagination."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask import Blueprint, redirect, request
from flask_babel import format_number, gettext
from werkzeug.datastructures import MultiDict

from kb.errors import InvalidQuery
from kb.models import KINDS
from kb.search.query import MAX_QUERY_CHARS
from kb.search.results import SearchResults
from web.helpers import page_url
from web.i18n import error_message, translate
from web.params import search_query
from web.services import get_kb, get_searcher
from web.views.record_search import DOCUMENTS, RESULT_TYPES, RecordResults, record_search
from web.views.render import respond
from web.views.search_log import log_search

bp = Blueprint("search", __name__)

# The refinements of a search: one that is wrong is shown beside its field, and the search
# runs without it, so that the facets and the Från/Till fields stay there to correct it.
REFINEMENTS = ("from", "to", "agency", "kind", "tag")


@dataclass(frozen=True)
class SearchPage:
    """The Sök page's data; its JSON twin (/api/search) is the results alone."""

    args: MultiDict
    results: SearchResults | None = None
    error: str | None = None
    error_field: str | None = None  # the parameter the error is about ("from", "agency", …)
    kinds: tuple[str, ...] = KINDS
    selected: dict[str, list[str]] = field(default_factory=dict)
    title: str = ""  # the tab's: the question first, so tabs and the history list tell apart
    truncated: str | None = None  # the notice that the query was cut, when it was
    result_type: str = DOCUMENTS
    records: RecordResults | None = None  # lessons or investments, for those result types
    search_id: str | None = None  # in the search log: its result links note what is opened

    def to_dict(self) -> dict:
        if self.records:
            return self.records.to_dict()
        return self.results.to_dict() if self.results else {}


def result_type(args: MultiDict, strict: bool = False) -> str:
    """documents, lessons or investments; a page shows documents for anything else."""
    kind = args.get("type", "").strip() or DOCUMENTS
    if kind not in RESULT_TYPES:
        if strict:
            raise InvalidQuery("unknown_result_type", value=kind, known=", ".join(RESULT_TYPES))
        return DOCUMENTS
    return kind


def search_data(args: MultiDict, strict: bool = False) -> SearchPage:
    """The search a query string asks for; `strict` (the API) refuses an empty or unknown one."""
    selected = _selected(args)
    kind = result_type(args, strict)
    if not args.get("q", "").strip():
        if strict:
            raise InvalidQuery("query_empty_api")
        return SearchPage(args, selected=selected, title=page_title(args), result_type=kind)
    if kind != DOCUMENTS:
        search_query(args, strict=strict)  # the same checks of the query string
        return SearchPage(
            args,
            selected=selected,
            title=page_title(args),
            result_type=kind,
            records=record_search(get_kb(), args, kind),
        )
    results = get_searcher().search(search_query(args, strict=strict))
    return SearchPage(
        args,
        results,
        selected=selected,
        title=page_title(args, results),
        truncated=truncated_notice(results),
    )


TITLE_CHARS = 70  # a tab shows far fewer; the history list and bookmarks a little more


def page_title(args: MultiDict, results: SearchResults | None = None) -> str:
    """ "<question> – page 2 – Search": the question as typed, shortened, then the page."""
    question = " ".join(args.get("q", "").split())
    if not question:
        return gettext("Search")
    if len(question) > TITLE_CHARS:
        question = question[: TITLE_CHARS - 1].rstrip() + "…"
    page = results.query.page if results else 1
    if page > 1:
        return gettext("%(question)s – page %(page)s – Search", question=question, page=page)
    return gettext("%(question)s – Search", question=question)


def truncated_notice(results: SearchResults | None) -> str | None:
    """Says that the query was cut at MAX_QUERY_CHARS characters, if it was."""
    if not (results and results.truncated):
        return None
    return translate("query_truncated", {"limit": format_number(MAX_QUERY_CHARS)})


def _selected(args: MultiDict) -> dict[str, list[str]]:
    """The facet values ticked, kept checked even when no hit has them."""
    return {k: args.getlist(k) for k in ("agency", "kind", "tag")}


def page_with_error(args: MultiDict, exc: InvalidQuery) -> SearchPage:
    """The page for a search that cannot run as asked: the error, and when a refinement is at
    fault, the results without it (the field keeps what was typed, to be corrected)."""
    results, faulty, fields = None, exc.field, set()
    remaining = MultiDict(args)
    while faulty in REFINEMENTS and faulty not in fields and remaining.get("q", "").strip():
        fields.add(faulty)
        remaining.poplist(faulty)
        try:
            results = get_searcher().search(search_query(remaining))
            break
        except InvalidQuery as again:  # another refinement is wrong as well
            faulty = again.field
    error_field = exc.field if exc.field in REFINEMENTS else None
    return SearchPage(
        args,
        results,
        error_message(exc),
        error_field,
        selected=_selected(args),
        title=page_title(args, results),
        truncated=truncated_notice(results),
    )


@bp.get("/")
def index():
    try:
        data, status = search_data(request.args), 200
        if data.results and data.results.query.page > data.results.pages:
            # past the last page ("sida 9 av 4"): the last page, under its own address
            return redirect(page_url(data.results.pages))
        data = replace(data, search_id=log_search(data))
    except InvalidQuery as exc:
        data, status = page_with_error(request.args, exc), 400
    return respond(data, "search.html", "_search_fragment.html", status)

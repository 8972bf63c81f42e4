"""Sök: one search box with active search, facets, modes and pagination."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, redirect, request
from werkzeug.datastructures import MultiDict

from kb.errors import InvalidQuery
from kb.models import KINDS
from kb.search.results import SearchResults
from web.helpers import page_url
from web.params import search_query
from web.services import get_searcher
from web.views.render import respond

bp = Blueprint("search", __name__)


@dataclass(frozen=True)
class SearchPage:
    """The Sök page's data; its JSON twin (/api/search) is the results alone."""

    args: MultiDict
    results: SearchResults | None = None
    error: str | None = None
    kinds: tuple[str, ...] = KINDS
    selected: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return self.results.to_dict() if self.results else {}


def search_data(args: MultiDict, strict: bool = False) -> SearchPage:
    """The search a query string asks for; `strict` (the API) refuses an empty or unknown one."""
    selected = _selected(args)
    if not args.get("q", "").strip():
        if strict:
            raise InvalidQuery("the query is empty: give q=…")
        return SearchPage(args, selected=selected)
    results = get_searcher().search(search_query(args, strict=strict))
    return SearchPage(args, results, selected=selected)


def _selected(args: MultiDict) -> dict[str, list[str]]:
    """The facet values ticked, kept checked even when no hit has them."""
    return {k: args.getlist(k) for k in ("agency", "kind", "tag")}


@bp.get("/")
def index():
    try:
        data, status = search_data(request.args), 200
        if data.results and data.results.query.page > data.results.pages:
            # past the last page ("sida 9 av 4"): the last page, under its own address
            return redirect(page_url(data.results.pages))
    except InvalidQuery as exc:
        data = SearchPage(request.args, error=str(exc), selected=_selected(request.args))
        status = 400
    return respond(data, "search.html", "_results.html", status)

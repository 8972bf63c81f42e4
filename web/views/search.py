"""Sök: one search box with active search, facets, modes and pagination."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from kb.errors import InvalidQuery
from kb.models import KINDS
from web.params import search_query
from web.services import get_searcher
from web.views.htmx import is_fragment_request

bp = Blueprint("search", __name__)


@bp.get("/")
def index():
    args = request.args
    results = error = None
    query = None
    status = 200
    if args.get("q", "").strip():
        try:
            query = search_query(args)
            results = get_searcher().search(query)
        except InvalidQuery as exc:
            error, status = str(exc), 400
    context = {
        "results": results,
        "error": error,
        "args": args,
        "kinds": KINDS,
        "selected": {k: args.getlist(k) for k in ("agency", "kind", "tag")},
    }
    if is_fragment_request():
        return render_template("_results.html", **context)  # htmx swaps even on bad input
    return render_template("search.html", **context), status

"""The query string shared by the pages and the API: q, agency, kind, from, to, tag, mode, page."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from kb.errors import InvalidQuery
from kb.models import Filters
from kb.search.filters import build_filters
from kb.search.query import SearchQuery

KNOWN = {"q", "agency", "kind", "from", "to", "tag", "mode", "page", "per_page", "chunk", "near"}
KNOWN |= {"type", "theme", "outcome"}  # the result type; lessons' and investments' facets
KNOWN |= {"format"}  # the API's downloads: csv or json (web/views/export.py)


def _flag(args: MultiDict, name: str) -> bool:
    raw = args.get(name, "").strip().lower()
    if raw not in ("", "0", "1", "true", "false"):
        raise InvalidQuery("not_a_flag", field=name)
    return raw in ("1", "true")


def _int(args: MultiDict, name: str, default: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    # ASCII only: "²" passes isdigit() but not int(), and "٣" is no page number to a reader.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        raise InvalidQuery("not_whole_number", field=name)
    return int(raw)


def filters_from(args: MultiDict) -> Filters:
    return build_filters(
        agency=args.getlist("agency"),
        kind=args.getlist("kind"),
        year_from=args.get("from"),
        year_to=args.get("to"),
        tag=args.getlist("tag"),
    )


def search_query(args: MultiDict, strict: bool = False) -> SearchQuery:
    """The search a query string asks for; `strict` (the API) refuses unknown parameters."""
    if strict:
        unknown = sorted(set(args) - KNOWN)
        if unknown:
            raise InvalidQuery("unknown_parameter", name=unknown[0], known=", ".join(sorted(KNOWN)))
    return SearchQuery(  # the searcher checks the mode, the page and the text
        text=args.get("q", ""),
        mode=args.get("mode", "hybrid") or "hybrid",
        filters=filters_from(args),
        page=_int(args, "page", 1),
        per_page=_int(args, "per_page", 10),
        near=_flag(args, "near"),
    )

"""The query string shared by the pages and the API: q, agency, kind, from, to, tag, mode, page."""

from __future__ import annotations

from werkzeug.datastructures import MultiDict

from kb.errors import InvalidQuery
from kb.search.filters import Filters, parse_year
from kb.search.searcher import MODES, SearchQuery

KNOWN = {"q", "agency", "kind", "from", "to", "tag", "mode", "page", "per_page", "chunk"}
MAX_VALUES = 50  # per repeated parameter


def _list(args: MultiDict, name: str) -> tuple[str, ...]:
    values = [v.strip() for v in args.getlist(name) if v.strip()]
    if len(values) > MAX_VALUES:
        raise InvalidQuery(f"too many '{name}' values (at most {MAX_VALUES})")
    return tuple(dict.fromkeys(values))


def _int(args: MultiDict, name: str, default: int) -> int:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    # ASCII only: "²" passes isdigit() but not int(), and "٣" is no page number to a reader.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        raise InvalidQuery(f"'{name}' must be a whole number")
    return int(raw)


def filters_from(args: MultiDict) -> Filters:
    return Filters(
        agencies=_list(args, "agency"),
        kinds=_list(args, "kind"),
        year_from=parse_year(args.get("from"), "from"),
        year_to=parse_year(args.get("to"), "to"),
        tags=_list(args, "tag"),
    )


def search_query(args: MultiDict, strict: bool = False) -> SearchQuery:
    """The search a query string asks for; `strict` (the API) refuses unknown parameters."""
    if strict:
        unknown = sorted(set(args) - KNOWN)
        if unknown:
            raise InvalidQuery(
                f"unknown parameter {unknown[0]!r}; known: {', '.join(sorted(KNOWN))}"
            )
    mode = args.get("mode", "hybrid") or "hybrid"
    if mode not in MODES:
        raise InvalidQuery(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")
    return SearchQuery(
        text=args.get("q", ""),
        mode=mode,
        filters=filters_from(args),
        page=_int(args, "page", 1),
        per_page=_int(args, "per_page", 10),
    )

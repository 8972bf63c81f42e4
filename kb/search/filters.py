"""Search filters from a visitor: years parsed, values checked against the catalog's."""

from __future__ import annotations

from kb.errors import InvalidQuery
from kb.models import KINDS, Filters

MIN_YEAR, MAX_YEAR = 1900, 2100


MAX_VALUES = 50  # per facet


def build_filters(agency=(), kind=(), year_from=None, year_to=None, tag=()) -> Filters:
    """Filters from what a visitor sent (the query string, the CLI's options, a JSON body):
    values trimmed, repeats dropped, years parsed. The one place filters are built."""
    return Filters(
        agencies=_values(agency, "agency"),
        kinds=_values(kind, "kind"),
        year_from=parse_year(year_from, "from"),
        year_to=parse_year(year_to, "to"),
        tags=_values(tag, "tag"),
    )


def _values(raw, name: str) -> tuple[str, ...]:
    values = [str(v).strip() for v in raw if str(v).strip()]
    if len(values) > MAX_VALUES:
        raise InvalidQuery("too_many_values", field=name, max=MAX_VALUES)
    return tuple(dict.fromkeys(values))


def parse_year(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value).strip())
    except ValueError as exc:
        raise InvalidQuery("year_not_number", field=name, value=str(value)[:40]) from exc
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidQuery("year_out_of_range", field=name, min=MIN_YEAR, max=MAX_YEAR)
    return year


def validate(filters: Filters, known_agencies: list[str], known_tags: list[str]) -> Filters:
    """Canonical values (agency names matched without regard to case) or a clear error."""
    for kind in filters.kinds:
        if kind not in KINDS:
            raise InvalidQuery("unknown_kind", field="kind", value=kind, kinds=", ".join(KINDS))
    agencies = {a.lower(): a for a in known_agencies}
    canonical = []
    for agency in filters.agencies:
        if agency.lower() not in agencies:
            known = ", ".join(sorted(agencies.values()))
            raise InvalidQuery("unknown_agency", field="agency", value=agency[:80], known=known)
        canonical.append(agencies[agency.lower()])
    tags = set(known_tags)
    for tag in filters.tags:
        if tag.lower() not in tags:
            raise InvalidQuery("unknown_tag", field="tag", value=tag[:80])
    if filters.year_from and filters.year_to and filters.year_from > filters.year_to:
        raise InvalidQuery("from_after_to", field="from")
    return Filters(
        tuple(canonical),
        filters.kinds,
        filters.year_from,
        filters.year_to,
        tuple(t.lower() for t in filters.tags),
    )

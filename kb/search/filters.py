"""Search filters from a visitor: years parsed, values checked against the catalog's."""

from __future__ import annotations

from kb.errors import InvalidQuery
from kb.models import KINDS, Filters

MIN_YEAR, MAX_YEAR = 1900, 2100


def parse_year(value, name: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        year = int(str(value).strip())
    except ValueError as exc:
        raise InvalidQuery(
            f"'{name}' must be a year such as 2018, not {str(value)[:40]!r}"
        ) from exc
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidQuery(f"'{name}' must be a year between {MIN_YEAR} and {MAX_YEAR}")
    return year


def validate(filters: Filters, known_agencies: list[str], known_tags: list[str]) -> Filters:
    """Canonical values (agency names matched without regard to case) or a clear error."""
    for kind in filters.kinds:
        if kind not in KINDS:
            raise InvalidQuery(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    agencies = {a.lower(): a for a in known_agencies}
    canonical = []
    for agency in filters.agencies:
        if agency.lower() not in agencies:
            known = ", ".join(sorted(agencies.values()))
            raise InvalidQuery(f"unknown agency {agency[:80]!r}; known agencies: {known}")
        canonical.append(agencies[agency.lower()])
    tags = set(known_tags)
    for tag in filters.tags:
        if tag.lower() not in tags:
            raise InvalidQuery(f"unknown tag {tag[:80]!r}")
    if filters.year_from and filters.year_to and filters.year_from > filters.year_to:
        raise InvalidQuery("'from' is later than 'to'")
    return Filters(
        tuple(canonical),
        filters.kinds,
        filters.year_from,
        filters.year_to,
        tuple(t.lower() for t in filters.tags),
    )

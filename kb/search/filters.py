"""Search filters: validated against the catalog, translated for Chroma and for SQL."""

from __future__ import annotations

import json
from dataclasses import dataclass

from kb.errors import InvalidQuery
from kb.models import KINDS

MIN_YEAR, MAX_YEAR = 1900, 2100


@dataclass(frozen=True)
class Filters:
    """Values within one facet are alternatives (OR); facets combine with AND."""

    agencies: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    tags: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return (
            bool(self.agencies or self.kinds or self.tags)
            or self.year_from is not None
            or self.year_to is not None
        )

    def to_dict(self) -> dict:
        return {"agency": list(self.agencies), "kind": list(self.kinds),
                "from": self.year_from, "to": self.year_to, "tag": list(self.tags)}  # fmt: skip


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
    return Filters(tuple(canonical), filters.kinds, filters.year_from, filters.year_to,
                   tuple(t.lower() for t in filters.tags))  # fmt: skip


def chroma_where(filters: Filters) -> dict | None:
    clauses: list[dict] = []
    if filters.agencies:
        clauses.append({"agency": {"$in": list(filters.agencies)}})
    if filters.kinds:
        clauses.append({"kind": {"$in": list(filters.kinds)}})
    if filters.year_from is not None:
        clauses.append({"year": {"$gte": filters.year_from}})
    if filters.year_to is not None:
        clauses.append({"year": {"$lte": filters.year_to}})
    if filters.tags:
        tag_clauses = [{"tags": {"$contains": t}} for t in filters.tags]
        clauses.append(tag_clauses[0] if len(tag_clauses) == 1 else {"$or": tag_clauses})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def sql_documents(filters: Filters) -> tuple[str, list]:
    """A subquery selecting the ids of ready documents that pass the filters."""
    sql, args = "SELECT id FROM documents WHERE status = 'ready'", []
    if filters.agencies:
        sql += f" AND agency IN ({','.join('?' * len(filters.agencies))})"
        args += list(filters.agencies)
    if filters.kinds:
        sql += f" AND kind IN ({','.join('?' * len(filters.kinds))})"
        args += list(filters.kinds)
    if filters.year_from is not None:
        sql += " AND year >= ?"
        args.append(filters.year_from)
    if filters.year_to is not None:
        sql += " AND year <= ?"
        args.append(filters.year_to)
    if filters.tags:
        sql += (" AND EXISTS (SELECT 1 FROM json_each(documents.meta, '$.tags')"
                f" WHERE value IN ({','.join('?' * len(filters.tags))}))")  # fmt: skip
        args += list(filters.tags)
    return sql, args


def known_values(db) -> tuple[list[str], list[str]]:
    agencies = [
        r[0] for r in db.execute("SELECT DISTINCT agency FROM documents WHERE agency IS NOT NULL")
    ]
    tags = sorted({t for (meta,) in db.execute("SELECT meta FROM documents")
                   for t in json.loads(meta).get("tags", [])})  # fmt: skip
    return agencies, tags

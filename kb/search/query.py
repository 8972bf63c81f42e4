"""A search as asked: its text, mode, filters and page; checked and analysed once."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kb.errors import InvalidQuery
from kb.models import Filters

MODES = ("hybrid", "dense", "keyword")
MAX_QUERY_CHARS = 2000
MAX_PAGE = 1000
# NUL and the like; tab, newline and carriage return are whitespace (a description's
# paragraphs matter).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class SearchQuery:
    text: str
    mode: str = "hybrid"
    filters: Filters = field(default_factory=Filters)
    page: int = 1
    per_page: int = 10
    near: bool = False  # also list documents below the floor ("Visa fler som liknar")


def clean_query(text: str, limit: int = MAX_QUERY_CHARS) -> str:
    """Whitespace folded; control characters (NUL and the like), over-long queries and
    queries with nothing to search for refused. FTS or SQL syntax is just text here: the
    keyword side quotes every stem, so it can never act as an operator."""
    if CONTROL_CHARACTERS.search(text or ""):
        raise InvalidQuery("the query contains control characters (such as NUL); remove them")
    text = " ".join((text or "").split())
    if not text:
        raise InvalidQuery("the query is empty")
    if len(text) > limit:
        raise InvalidQuery(f"the query is {len(text)} characters long; the limit is {limit}")
    if not any(c.isalnum() for c in text):
        raise InvalidQuery("the query has no letters or digits to search for")
    return text


@dataclass(frozen=True)
class PreparedQuery:
    """A query checked and analysed once: its cleaned text, canonical filters and stems."""

    query: SearchQuery
    stems: tuple[str, ...]  # the query's own
    extra: tuple[str, ...] = ()  # stems added by the thesaurus and compound splitting
    also: tuple[str, ...] = ()  # the thesaurus terms searched too, as written, for the notice

    @property
    def search_stems(self) -> tuple[str, ...]:
        return self.stems + self.extra

    @property
    def text(self) -> str:
        return self.query.text

    @property
    def mode(self) -> str:
        return self.query.mode

    @property
    def filters(self) -> Filters:
        return self.query.filters

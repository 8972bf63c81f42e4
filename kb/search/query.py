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


def clean_query(text: str, limit: int = MAX_QUERY_CHARS) -> tuple[str, bool]:
    """Whitespace folded, cut to `limit` characters (at a word where there is one; the
    second value says whether it was cut); control characters (NUL and the like) and queries
    with nothing to search for refused. FTS or SQL syntax is just text here: the keyword
    side quotes every stem, so it can never act as an operator."""
    if CONTROL_CHARACTERS.search(text or ""):
        raise InvalidQuery("query_control_characters")
    text = " ".join((text or "").split())
    if not text:
        raise InvalidQuery("query_empty")
    truncated = len(text) > limit
    if truncated:
        cut = text[: limit + 1]
        text = cut.rsplit(" ", 1)[0] if " " in cut[limit // 2 :] else text[:limit]
    if not any(c.isalnum() for c in text):
        raise InvalidQuery("query_nothing_to_search")
    return text, truncated


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

    truncated: bool = False  # the text was cut at MAX_QUERY_CHARS
    without_dense: bool = False  # the vector store is missing or damaged: keywords only

    @property
    def text(self) -> str:
        return self.query.text

    @property
    def mode(self) -> str:
        return self.query.mode

    @property
    def filters(self) -> Filters:
        return self.query.filters

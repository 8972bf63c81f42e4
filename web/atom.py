"""Atom documents (RFC 4287) from feed entries; feedgen's one home."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

from feedgen.feed import FeedGenerator

ID_PREFIX = "urn:erfarenhetsbanken:"
EPOCH = "1970-01-01T00:00:00+00:00"


def stable_id(kind: str, key: str) -> str:
    """`urn:erfarenhetsbanken:document:<id>`: from what the entry is, never where it is listed
    or the host it was read through, so a reader recognises it in every feed and on re-reads."""
    return f"{ID_PREFIX}{kind}:{quote(key, safe='')}"


@dataclass(frozen=True)
class Entry:
    id: str  # stable_id(…)
    title: str
    url: str  # absolute, without any token
    updated: str  # ISO 8601 from the catalog: when it was added or last changed
    summary: str = ""
    author: str = ""  # the agency
    category: str = ""
    published: str | None = None


def _when(stamp: str | None) -> datetime:
    when = datetime.fromisoformat(stamp or EPOCH)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def render(feed_id: str, title: str, self_url: str, page_url: str, entries: list[Entry]) -> bytes:
    """The feed: `self_url` is the only link that may carry a reader's token."""
    fg = FeedGenerator()
    fg.id(feed_id)
    fg.title(title)
    fg.author(name="Erfarenhetsbanken")  # Atom needs an author for entries without one
    fg.link(href=self_url, rel="self", type="application/atom+xml")
    fg.link(href=page_url, rel="alternate", type="text/html")
    fg.language("sv")
    fg.generator("Erfarenhetsbanken")
    fg.updated(max((_when(e.updated) for e in entries), default=_when(None)))
    # feedgen writes entries in reverse order of adding (newest added last shows first).
    for entry in reversed(entries):
        fe = fg.add_entry()
        fe.id(entry.id)
        fe.title(entry.title)
        fe.link(href=entry.url, rel="alternate", type="text/html")
        fe.updated(_when(entry.updated))
        if entry.published:
            fe.published(_when(entry.published))
        if entry.summary:
            fe.summary(entry.summary)
        if entry.author:
            fe.author(name=entry.author)
        if entry.category:
            fe.category(term=entry.category)
    return fg.atom_str(pretty=True)

"""Structure-aware chunking: headings and paragraphs first, packed to a token budget.

Every chunk is an exact slice of the document's full text (`text[start:end]`), so a hit can be
shown and highlighted in place, and knows the page it starts on.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ingest.readers.base import Block

TokenCounter = Callable[[list[str]], list[int]]
BLOCK_SEPARATOR = "\n\n"
# A sentence ends at . ! ? or … followed by space and something that can start a sentence.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”»)]*\s+(?=[\"“«(\[–-]?[A-ZÅÄÖÉÜ0-9])")


@dataclass(frozen=True)
class ChunkSpan:
    start: int
    end: int
    page: int | None


@dataclass(frozen=True)
class _Unit:
    start: int
    end: int
    page: int | None
    heading: bool
    tokens: int


def layout(blocks: list[Block]) -> tuple[str, list[tuple[int, int]]]:
    """The document's full text and each block's (start, end) in it."""
    parts, spans, pos = [], [], 0
    for block in blocks:
        if parts:
            parts.append(BLOCK_SEPARATOR)
            pos += len(BLOCK_SEPARATOR)
        parts.append(block.text)
        spans.append((pos, pos + len(block.text)))
        pos += len(block.text)
    return "".join(parts), spans


def structure(blocks: list[Block], spans) -> tuple[tuple[int, str], ...]:
    """Where each heading, list item and table row starts in the full text, with its style."""
    return tuple(
        (start, block.style or "h2")
        for block, (start, _) in zip(blocks, spans)
        if block.style or block.heading
    )


def _sentences(text: str, start: int) -> list[tuple[int, int]]:
    out, pos = [], 0
    for match in _SENTENCE_END.finditer(text):
        out.append((start + pos, start + match.start()))
        pos = match.end()
    out.append((start + pos, start + len(text)))
    return [(s, e) for s, e in out if e > s]


def _split_words(text: str, start: int, end: int, tokens: int, limit: int) -> list[tuple[int, int]]:
    """Cut an over-long sentence at word boundaries into pieces of about `limit` tokens."""
    words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", text[start:end])]
    per_word = tokens / max(1, len(words))
    size = max(1, int(limit / per_word * 0.9))
    return [
        (words[i][0], words[min(i + size, len(words)) - 1][1]) for i in range(0, len(words), size)
    ]


def _units(text: str, blocks: list[Block], spans, count: TokenCounter, max_tokens: int):
    raw: list[tuple[int, int, int | None, bool]] = []
    for block, (start, end) in zip(blocks, spans):
        if block.heading:
            raw.append((start, end, block.page, True))
        else:
            raw.extend((s, e, block.page, False) for s, e in _sentences(text[start:end], start))
    counts = count([text[s:e] for s, e, _, _ in raw])
    units = []
    for (s, e, page, heading), n in zip(raw, counts):
        if n <= max_tokens:
            units.append(_Unit(s, e, page, heading, n))
            continue
        pieces = _split_words(text, s, e, n, max_tokens)
        for (ps, pe), pn in zip(pieces, count([text[a:b] for a, b in pieces])):
            units.append(_Unit(ps, pe, page, heading, pn))
    return units


def chunk_blocks(
    blocks: list[Block],
    count: TokenCounter,
    target_tokens: int = 256,
    max_tokens: int = 350,
    overlap_tokens: int = 40,
) -> tuple[str, list[ChunkSpan]]:
    """Return the full text and the chunk spans over it."""
    text, spans = layout(blocks)
    units = _units(text, blocks, spans, count, max_tokens)
    groups: list[list[_Unit]] = []
    current: list[_Unit] = []
    size = 0
    for unit in units:
        only_headings = all(u.heading for u in current)
        # A heading starts a new chunk unless the current one is still small: tiny
        # one-paragraph chunks carry too little context to be found.
        starts_section = unit.heading and not only_headings and size >= target_tokens // 3
        too_big = size + unit.tokens > target_tokens and not only_headings
        if current and (starts_section or too_big):
            groups.append(current)
            current = [] if starts_section else _tail(current, overlap_tokens)
            size = sum(u.tokens for u in current)
        current.append(unit)
        size += unit.tokens
    if current:
        groups.append(current)
    groups = _merge_small_last(groups, target_tokens, max_tokens)
    return text, [ChunkSpan(g[0].start, g[-1].end, g[0].page) for g in groups]


def chunk_document(blocks: list[Block], count: TokenCounter, *sizes: int):
    """The full text, its chunk spans and its block structure."""
    text, chunks = chunk_blocks(blocks, count, *sizes)
    return text, chunks, structure(blocks, layout(blocks)[1])


def _tail(units: list[_Unit], budget: int) -> list[_Unit]:
    """The last whole sentences of a chunk that fit in `budget` tokens (the overlap)."""
    tail: list[_Unit] = []
    total = 0
    for unit in reversed(units):
        if unit.heading or total + unit.tokens > budget:
            break
        tail.insert(0, unit)
        total += unit.tokens
    return tail


def _merge_small_last(groups, target: int, max_tokens: int):
    if len(groups) < 2:
        return groups
    last, prev = groups[-1], groups[-2]
    if any(u.heading for u in last):
        return groups
    new = [u for u in last if u.start >= prev[-1].end]
    last_size = sum(u.tokens for u in new)
    if last_size < target // 4 and sum(u.tokens for u in prev) + last_size <= max_tokens:
        return groups[:-2] + [prev + new]
    return groups

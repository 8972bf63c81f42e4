"""Evidence anchored by its text (a W3C TextQuoteSelector), so that it survives re-chunking,
a new version of the document and `kb reindex`; offsets and chunk numbers are only hints."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from kb.errors import KBError
from kb.models import Chunk
from kb.records.models import NEEDS_REVIEW, OK, Evidence

CONTEXT = 32  # characters of prefix and suffix kept with a quote


def _pattern(quote: str) -> re.Pattern | None:
    """The quote's words with any whitespace between them (line breaks differ by reader)."""
    words = quote.split()
    return re.compile(r"\s+".join(map(re.escape, words))) if words else None


def _squash(text: str) -> str:
    return " ".join(text.split())


def _shown(quote: str) -> str:
    quote = _squash(quote)
    return quote if len(quote) <= 60 else quote[:57] + "…"


def _occurrences(text: str, quote: str) -> list[tuple[int, int]]:
    pattern = _pattern(quote)
    return [(m.start(), m.end()) for m in pattern.finditer(text)] if pattern else []


def _context_fits(text: str, span: tuple[int, int], prefix: str | None, suffix: str | None) -> bool:
    before = _squash(text[max(0, span[0] - 4 * len(prefix or "") - 8) : span[0]])
    after = _squash(text[span[1] : span[1] + 4 * len(suffix or "") + 8])
    return (not prefix or before.endswith(_squash(prefix))) and (
        not suffix or after.startswith(_squash(suffix))
    )


def anchor(
    text: str,
    quote: str,
    prefix: str | None = None,
    suffix: str | None = None,
    doc_id: str = "",
) -> Evidence:
    """The selector of the one place `quote` occurs in `text` (whitespace aside); `prefix` /
    `suffix` (a few words before / after) choose among several. KBError when the quote is
    empty, missing or still ambiguous."""
    if not quote.split():
        raise KBError("quote_empty", field="quote")
    spans = _occurrences(text, quote)
    if prefix or suffix:
        spans = [s for s in spans if _context_fits(text, s, prefix, suffix)]
    if not spans:
        raise KBError("quote_not_found", field="quote", quote=_shown(quote), document=doc_id)
    if len(spans) > 1:
        raise KBError(
            "quote_ambiguous",
            field="quote",
            quote=_shown(quote),
            document=doc_id,
            count=len(spans),
        )
    start, end = spans[0]
    return Evidence(
        doc_id=doc_id,
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[end : end + CONTEXT],
        start=start,
        end=end,
    )


def _common_tail(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_head(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def reanchor(text: str, selector: Evidence) -> tuple[int, int] | None:
    """Where the selector's quote is in `text` now (whitespace aside), or None when it is gone.
    Among several places, the one whose surroundings best match the prefix and suffix, then
    the one nearest the old offset."""
    spans = _occurrences(text, selector.exact)
    if len(spans) <= 1:
        return spans[0] if spans else None
    prefix, suffix = _squash(selector.prefix), _squash(selector.suffix)
    hint = selector.start or 0

    def score(span: tuple[int, int]) -> tuple[int, int]:
        before = _squash(text[max(0, span[0] - 2 * CONTEXT) : span[0]])
        after = _squash(text[span[1] : span[1] + 2 * CONTEXT])
        fit = _common_tail(before, prefix) + _common_head(after, suffix)
        return fit, -abs(span[0] - hint)

    return max(spans, key=score)


def seq_at(chunks: Sequence[Chunk], start: int) -> int | None:
    """The first chunk that holds offset `start` (chunks overlap)."""
    for chunk in chunks:
        if chunk.char_start <= start < chunk.char_end:
            return chunk.seq
    return None


def placed(evidence: Evidence, text: str, chunks: Sequence[Chunk]) -> Evidence:
    """The evidence with its offsets, chunk and status found anew in a document's `text`
    (its prefix and suffix are taken afresh too, so the next change is judged from here)."""
    span = reanchor(text, evidence)
    if span is None:
        return flagged(evidence)
    start, end = span
    return replace(
        evidence,
        exact=text[start:end],
        prefix=text[max(0, start - CONTEXT) : start],
        suffix=text[end : end + CONTEXT],
        start=start,
        end=end,
        seq=seq_at(chunks, start),
        status=OK,
    )


def flagged(evidence: Evidence) -> Evidence:
    """The quote is gone from its document (or the document is): an editor must look again.
    The quote and its context are kept to show them; the offsets go, as they would point at
    other text."""
    return replace(evidence, start=None, end=None, seq=None, status=NEEDS_REVIEW)


def with_chunk(evidence: Evidence, chunks: Sequence[Chunk]) -> Evidence:
    return replace(evidence, seq=seq_at(chunks, evidence.start or 0))

"""Which words of a passage to highlight for a query: stem-aware, compounds included."""

from __future__ import annotations

from kb.analysis import STOP_WORDS, stem_words, word_spans
from kb.storage.keyword_index import MIN_PREFIX


def highlight_spans(
    text: str, stems: list[str] | tuple[str, ...], prefix: bool = True
) -> list[tuple[int, int]]:
    """Character spans of words in `text` whose stem matches a query stem, or starts with one
    where the keyword side matches it as a prefix too (the same rule: what is marked is what
    matched)."""
    if not stems:
        return []
    wanted = set(stems)
    prefixes = tuple(s for s in wanted if len(s) >= MIN_PREFIX) if prefix else ()
    # A passage is highlighted for every hit shown, so each distinct word is stemmed once.
    spans = word_spans(text)
    words = {w for w, _, _ in spans} - STOP_WORDS
    marked = {
        w
        for w, stem in zip(words, stem_words(list(words)))
        if stem in wanted or (prefixes and stem.startswith(prefixes))
    }
    return [(start, end) for w, start, end in spans if w in marked]

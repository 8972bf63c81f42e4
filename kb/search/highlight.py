"""Which words of a passage to highlight for a query: stem-aware, compounds included."""

from __future__ import annotations

from kb.analysis import STOP_WORDS, tokens
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
    spans = []
    for token in tokens(text):
        if token.text in STOP_WORDS:
            continue
        if token.stem in wanted or (prefixes and token.stem.startswith(prefixes)):
            spans.append((token.start, token.end))
    return spans

"""Which words of a passage to highlight for a query: stem-aware, compounds included."""

from __future__ import annotations

from kb.analysis import STOP_WORDS, tokens

MIN_PREFIX = 5  # "investering" marks "investeringsbeslut"; "mynd" marks nothing extra


def highlight_spans(text: str, stems: list[str]) -> list[tuple[int, int]]:
    """Character spans of words in `text` whose stem matches, or starts with, a query stem."""
    if not stems:
        return []
    wanted = set(stems)
    prefixes = tuple(s for s in wanted if len(s) >= MIN_PREFIX)
    spans = []
    for token in tokens(text):
        if token.text in STOP_WORDS:
            continue
        if token.stem in wanted or (prefixes and token.stem.startswith(prefixes)):
            spans.append((token.start, token.end))
    return spans

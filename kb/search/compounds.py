"""Swedish compounds on the keyword side, split by corpus frequency at query time.

"utvecklingskostnad" is searched also as "utveckling" and "kostnad" when both are frequent
terms of the index; "e-tjänst", "e tjänst" and "etjänst" meet. The index itself is not
changed: prefix matching already lets "kostnad" find "kostnadsuppskattning".
"""

from __future__ import annotations

from collections.abc import Callable

MIN_PART = 4  # "it", "ny" and the like are too short to be trusted as parts
MIN_DOCS = 3  # a part must be a term of at least this many chunks
LINKS = ("", "s", "e")  # Swedish joins parts with -s- (utvecklingskostnad) or -e-
SHORT_HEADS = ("e",)  # e-tjänst, e-legitimation, e-post: a one-letter head written three ways


def split(stem: str, frequency: Callable[[str], int]) -> tuple[str, str] | None:
    """The (head, tail) split of a stem where both are frequent terms, the most frequent
    pair (by its rarer part) winning; None when no split qualifies."""
    best, best_score = None, 0
    for i in range(MIN_PART, len(stem) - MIN_PART + 1):
        tail = stem[i:]
        for link in LINKS:
            head = stem[:i]
            if link and not head.endswith(link):
                continue
            head = head[: len(head) - len(link)] if link else head
            if len(head) < MIN_PART:
                continue
            score = min(frequency(head), frequency(tail))
            if score >= MIN_DOCS and score > best_score:
                best, best_score = (head, tail), score
    return best


def expand(stems: list[str], frequency: Callable[[str], int]) -> list[str]:
    """Extra terms for a query's stems: the parts of compounds, and the joined and the
    phrase form of a one-letter head ("e tjänst" <-> "etjänst")."""
    extra: list[str] = []
    for stem in stems:
        parts = split(stem, frequency) if len(stem) >= 2 * MIN_PART else None
        if parts:
            extra.extend(parts)
        for head in SHORT_HEADS:
            tail = stem[len(head) :]
            if stem.startswith(head) and len(tail) >= MIN_PART and frequency(tail) >= MIN_DOCS:
                extra.append(f"{head} {tail}")  # a phrase of the two index terms
    for head, tail in zip(stems, stems[1:]):
        if head in SHORT_HEADS and len(tail) >= MIN_PART:
            extra.append(head + tail)
    return [t for t in dict.fromkeys(extra) if t not in stems]

"""What a result means to a reader: it has the words, it is close in meaning, or it is only
the nearest there is. The count of a search is the documents of the first two kinds."""

from __future__ import annotations

WORDS = "words"  # the document has the query's words (the keyword side found it)
MEANING = "meaning"  # no shared words, but the model finds it close (cosine >= the floor)
BOTH = "words+meaning"
NEAR = "near"  # below the floor: listed only on request, or when nothing is clear

CLEAR = (WORDS, MEANING, BOTH)


def match_kinds(doc_ids: list[str], dense: dict, keyword: dict, floor: float) -> dict[str, str]:
    """doc_id -> one of WORDS, MEANING, BOTH, NEAR, from each side's (doc_id, seq) scores.

    `floor` is a cosine similarity (chosen on the development sets, see README): the best
    chunk of a document must reach it to count as close in meaning."""
    best_cosine: dict[str, float] = {}
    for (doc_id, _), score in dense.items():
        best_cosine[doc_id] = max(score, best_cosine.get(doc_id, -1.0))
    with_words = {doc_id for doc_id, _ in keyword}
    kinds = {}
    for doc_id in doc_ids:
        close = best_cosine.get(doc_id, -1.0) >= floor
        words = doc_id in with_words
        kinds[doc_id] = BOTH if words and close else WORDS if words else MEANING if close else NEAR
    return kinds

"""More like this, and past cases like a planned investment's description."""

from __future__ import annotations

import pytest

from kb.errors import InvalidQuery, NotFound
from kb.search.filters import Filters
from kb.search.searcher import Searcher
from kb.search.similar import MAX_DESCRIPTION_CHARS, Similarity, split_description

PLANNED = """Vi planerar att ersätta vårt ärendehanteringssystem för brottsutredningar och beslag.
Dagens system är gammalt och svårt att anpassa när lagstiftningen ändras.

Investeringen beräknas kosta omkring 80 miljoner kronor över tre år. Anmälningar och beslag
ska hanteras digitalt från start till arkivering, och uppgifterna ska kunna skickas vidare till
åklagare och domstolar.

Vi vill veta vad andra myndigheter har lärt sig om kalkyler, nyttorealisering och beroenden
till andra myndigheter."""


@pytest.fixture(scope="module")
def similarity(corpus_kb):
    return Similarity(Searcher(corpus_kb))


def test_similar_documents_are_about_the_same_case(similarity):
    hits = similarity.similar_documents("ertms-granskning-riksrevisionen", limit=5)
    ids = [h.doc_id for h in hits]
    assert "ertms-granskning-riksrevisionen" not in ids
    assert {"ertms-rekommendationer", "lardomar-ertms-kostnadsuppskattning"} <= set(ids[:3])


def test_similar_documents_of_unknown_id(similarity):
    with pytest.raises(NotFound):
        similarity.similar_documents("finns-inte")


def test_planned_investment_finds_similar_cases_with_recommendations(similarity):
    cases = similarity.similar_to_text(PLANNED, limit=5)
    ids = [c.hit.doc_id for c in cases]
    assert any(i.startswith("tullverket-utredningsstod") for i in ids[:3]), ids
    with_advice = [c for c in cases if c.recommendations]
    assert with_advice, "a Tullverket case should bring the recommendations Tullverket got"
    for case in with_advice:
        assert case.hit.meta.kind != "recommendation"
        assert all(
            p.doc_id == "tullverket-utredningsstod-rekommendationer"
            for _, p in case.recommendations
        )
    assert all(c.hit.passages for c in cases)


def test_description_filters_apply(similarity):
    cases = similarity.similar_to_text(PLANNED, filters=Filters(agencies=("Trafikverket",)))
    assert cases and all(c.hit.meta.agency == "Trafikverket" for c in cases)


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "empty"), ("\n\n \x00", "empty"), ("a" * (MAX_DESCRIPTION_CHARS + 1), "limit")],
)
def test_bad_descriptions_get_clear_errors(similarity, text, message):
    with pytest.raises(InvalidQuery, match=message):
        similarity.similar_to_text(text)


def test_long_descriptions_are_split_into_pieces():
    pieces = split_description("\n\n".join(["Ett stycke om kostnader. " * 20] * 6))
    assert len(pieces) >= 3 and all(len(p) <= 1200 + 520 for p in pieces)

"""Query expansion on the keyword side: compound parts, e-words and the field's thesaurus."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ingest.pipeline import ingest
from kb.analysis import query_stems
from kb.config import THESAURUS_FILE
from kb.knowledge_base import KnowledgeBase
from kb.search import compounds, thesaurus
from kb.search.query import SearchQuery
from kb.search.searcher import Searcher, SearchSettings


def frequency_of(counts: dict[str, int]):
    return lambda term: counts.get(term, 0)


def test_compound_splits_where_both_parts_are_frequent_terms():
    counts = frequency_of({"utveckling": 40, "kostnad": 90, "utvecklingsk": 1})
    assert compounds.split("utvecklingskostnad", counts) == ("utveckling", "kostnad")
    assert compounds.split("utvecklingskostnad", frequency_of({"kostnad": 90})) is None


def test_e_words_written_three_ways_meet():
    counts = frequency_of({"tjänst": 50})
    assert "e tjänst" in compounds.expand(["etjänst"], counts)
    assert "etjänst" in compounds.expand(["e", "tjänst"], counts)


def test_thesaurus_groups_expand_abbreviations_and_phrases():
    t = thesaurus.parse([["FK", "Försäkringskassan"], ["benefits realisation", "nyttorealisering"]])
    assert t.expansions(query_stems("Vad gjorde FK 2015?")) == ["Försäkringskassan"]
    assert t.expansions(query_stems("benefits realisation in agencies")) == ["nyttorealisering"]
    assert t.expansions(query_stems("realisation")) == []


def test_shipped_thesaurus_file_loads():
    groups = thesaurus.load(THESAURUS_FILE).groups
    assert ("FK", "Försäkringskassan") in groups
    assert any("upphandling" in g and "procurement" in g for g in groups)


@pytest.fixture
def compound_kb(kb, tmp_path):
    texts = {
        "a": "Utvecklingskostnaden för systemet blev dubbelt så hög som planerat.",
        "b": "Kostnaden för drift steg. Kostnad och utveckling följdes upp varje månad."
        " Kostnaden redovisades. Utvecklingen av tjänsten tog tid.",
        "c": "Myndigheten lanserade en ny e-tjänst för ansökningar.",
        "d": "Kostnader för utveckling och kostnader för förvaltning skiljs åt i utvecklingen.",
        "e": "Försäkringskassan redovisade kostnaden för tjänsten och dess utveckling.",
    }
    for name, text in texts.items():
        (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    assert ingest(kb, sorted(tmp_path.glob("*.txt"))).ok
    return kb


def ids(results) -> list[str]:
    return [h.doc_id for h in results.hits]


def test_compound_query_finds_documents_with_its_parts(compound_kb):
    query = SearchQuery("utvecklingskostnad", mode="keyword")
    plain = Searcher(compound_kb, replace(SearchSettings(), compounds=False))
    split = Searcher(compound_kb, replace(SearchSettings(), compounds=True))
    assert ids(plain.search(query)) == ["a"]
    assert {"a", "b", "d"} <= set(ids(split.search(query)))


def test_e_tjanst_written_without_hyphen_finds_the_hyphenated_word(compound_kb):
    split = Searcher(compound_kb, replace(SearchSettings(), compounds=True))
    assert ids(split.search(SearchQuery("etjänst", mode="keyword")))[0] == "c"


def test_thesaurus_expansion_is_searched_highlighted_and_announced(compound_kb):
    results = Searcher(compound_kb).search(SearchQuery("FK kostnad", mode="keyword"))
    assert results.hits[0].doc_id == "e"
    assert "also searched: Försäkringskassan" in results.notice
    passage = results.hits[0].passages[0]
    assert "Försäkringskassan" in [passage.text[a:b] for a, b in passage.highlights]


def test_no_notice_without_thesaurus_terms(compound_kb):
    assert Searcher(compound_kb).search(SearchQuery("kostnad", mode="keyword")).notice is None


def test_modal_verbs_are_not_highlighted(compound_kb):
    results = Searcher(compound_kb).search(SearchQuery("vad ska kostnaden vara", mode="keyword"))
    assert query_stems("vad ska kostnaden vara") == ["kostnad"]
    assert results.hits


def test_the_thesaurus_file_comes_from_the_configuration(config, embedder, tmp_path):
    own = tmp_path / "synonymer.yaml"
    own.write_text("- [ESV, Ekonomistyrningsverket]\n", encoding="utf-8")
    knowledge_base = KnowledgeBase(config.with_(thesaurus_file=own), embedder=embedder)
    try:
        expansions = Searcher(knowledge_base).thesaurus.expansions(query_stems("ESV"))
        assert expansions == ["Ekonomistyrningsverket"]
    finally:
        knowledge_base.close()

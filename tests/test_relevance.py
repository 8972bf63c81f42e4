"""What a search's count means: the documents with the query's words, plus those the model
finds close enough (the similarity floor); the rest only on request or when nothing is clear."""

from __future__ import annotations

from dataclasses import replace

import pytest

from kb.search import relevance
from kb.search.query import SearchQuery
from kb.search.searcher import Searcher, SearchSettings


@pytest.fixture(scope="module")
def searcher(corpus_kb):
    # every chunk a candidate, so that the model ranks the whole sample corpus however it grows
    chunks = corpus_kb.catalog.stats()["chunks"]
    return Searcher(corpus_kb, replace(SearchSettings(), candidates=max(chunks, 100)))


def test_nonsense_counts_nothing_but_shows_the_nearest(searcher, corpus_kb):
    everything = corpus_kb.catalog.stats()["documents"]
    results = searcher.search(SearchQuery("xyzzyqqq"))
    assert results.clear == 0 and results.nearest_only
    assert results.hits and all(h.match == relevance.NEAR for h in results.hits)
    assert results.near == everything  # the model ranks them all, none clears the floor


def test_a_real_question_counts_what_matches(searcher, corpus_kb):
    everything = corpus_kb.catalog.stats()["documents"]
    results = searcher.search(SearchQuery("Varför blev det nya signalsystemet ERTMS så dyrt?"))
    assert results.clear > 0 and not results.nearest_only
    assert results.total == results.clear and results.clear + results.near == everything
    assert results.hits[0].doc_id.startswith(("ertms", "lardomar-ertms"))
    assert results.hits[0].match in (relevance.WORDS, relevance.BOTH)
    assert all(h.match in relevance.CLEAR for h in results.hits)
    # the facets count what is counted
    assert sum(n for _, n in results.facets["kind"]) == results.clear


def test_near_lists_the_rest_after_the_clear_ones(corpus_kb):
    # a high floor, so that some documents of the sample corpus fall below it
    searcher = Searcher(corpus_kb, replace(SearchSettings(), dense_floor=0.83))
    question = "Varför blev det nya signalsystemet ERTMS så dyrt?"
    clear = searcher.search(SearchQuery(question, per_page=100))
    everything = searcher.search(SearchQuery(question, per_page=100, near=True))
    assert everything.total == clear.clear + clear.near > clear.total
    assert {h.doc_id for h in clear.hits} < {h.doc_id for h in everything.hits}
    assert any(h.match == relevance.NEAR for h in everything.hits)


def test_stop_words_alone_never_claim_to_match_words(searcher):
    results = searcher.search(SearchQuery("och att"))
    assert results.only_common_words
    assert all(h.match in (relevance.MEANING, relevance.NEAR) for h in results.hits)


def test_keyword_mode_counts_only_documents_with_the_words(searcher):
    results = searcher.search(SearchQuery("beslagshantering", mode="keyword"))
    assert results.total == results.clear and results.near == 0
    assert all(h.match == relevance.WORDS for h in results.hits)


def test_the_api_and_the_page_say_the_same(corpus_app, corpus_kb):
    client = corpus_app.test_client()
    api = client.get("/api/search", query_string={"q": "xyzzyqqq"}).get_json()
    assert api["clear"] == 0 and api["near_listed"] and api["results"]
    assert {h["match"] for h in api["results"]} == {"near"}
    page = client.get("/", query_string={"q": "xyzzyqqq"}).get_data(as_text=True)
    everything = corpus_kb.catalog.stats()["documents"]
    assert "Inga tydliga träffar" in page and f"{everything} dokument" not in page
    asked = client.get("/", query_string={"q": "signalsystemet ERTMS kostnad"})
    html = asked.get_data(as_text=True)
    assert (
        "Har sökorden" in html or "Har orden och liknar frågan" in html
    ) and "relevans 0." not in html
    assert client.get("/api/search", query_string={"q": "x", "near": "ja"}).status_code == 400

"""Hybrid, dense and keyword search over the sample corpus: ranking, filters, facets, passages."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ingest.pipeline import ingest
from kb.errors import InvalidQuery
from kb.search.filters import Filters
from kb.search.query import SearchQuery
from kb.search.searcher import Searcher, SearchSettings, fusion_strategy


@pytest.fixture(scope="module")
def searcher(corpus_kb):
    return Searcher(corpus_kb)


def search(searcher, text, **kw):
    return searcher.search(SearchQuery(text, **kw))


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_every_mode_finds_the_case(searcher, mode):
    results = search(searcher, "ERTMS signalsystem kostnader ramavtal", mode=mode)
    assert results.hits[0].doc_id.startswith(("ertms", "lardomar-ertms"))


def test_english_query_finds_swedish_documents(searcher):
    results = search(searcher, "Which agency wrote off money spent on a self-service portal?")
    top = [h.doc_id for h in results.hits[:3]]
    assert "forsakringskassan-sap-satsningen" in top
    assert all(h.meta.language == "sv" for h in results.hits[:3])


def test_keyword_search_is_stemmed(searcher):
    inflected = search(searcher, "rekommendationerna", mode="keyword")
    assert any(h.meta.kind == "recommendation" for h in inflected.hits[:3])


def test_keyword_search_keeps_swedish_letters_distinct(kb, tmp_path):
    (tmp_path / "a.txt").write_text("Målen för investeringen var tydliga.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Kaffet var malet och gott.", encoding="utf-8")
    ingest(kb, [tmp_path / "a.txt", tmp_path / "b.txt"])
    searcher = Searcher(kb)
    assert [h.doc_id for h in search(searcher, "mål", mode="keyword").hits] == ["a"]
    assert [h.doc_id for h in search(searcher, "malet", mode="keyword").hits] == ["b"]


def test_query_stems_find_compounds_that_start_with_them(searcher):
    # prefix matching: "nyttorealiser" finds "nyttorealisering", "nyttorealiseringen", ...
    results = search(searcher, "nyttorealiser", mode="keyword")
    assert results.total >= 3


@pytest.mark.parametrize(
    "text",
    [
        '"ERTMS',
        "ERTMS*",
        "NEAR(ertms kostnad)",
        "-ertms",
        "kind:case",
        "ertms AND OR NOT",
        "'; DROP TABLE chunks; --",
        "ertms (((( ?!.,;:",
    ],
)
def test_fts_syntax_in_queries_never_breaks_search(searcher, text):
    results = search(searcher, text)
    assert results.total >= 0  # answered, no exception
    assert search(searcher, "ERTMS").total > 0  # and the index still works


def test_stop_word_only_query_falls_back_to_meaning(searcher):
    results = search(searcher, "och att det som")
    assert results.notice and "meaning" in results.notice


def test_results_are_grouped_by_document_with_highlighted_passages(searcher):
    results = search(searcher, "investering")
    ids = [h.doc_id for h in results.hits]
    assert len(ids) == len(set(ids))
    for hit in results.hits:
        assert 1 <= len(hit.passages) <= 3
        assert [p.score for p in hit.passages] == sorted(
            (p.score for p in hit.passages), reverse=True
        )
    marked = {
        p.text[s:e].lower() for h in results.hits for p in h.passages for s, e in p.highlights
    }
    assert "investeringar" in marked or "investeringen" in marked  # stem-aware
    assert any(m.startswith("investerings") for m in marked)  # compounds too


def test_pdf_passages_carry_page_numbers(searcher):
    results = search(
        searcher,
        "Vad granskades i ERTMS och vilka rekommendationer gavs",
        filters=Filters(kinds=("report",)),
    )
    pdf_hit = next(h for h in results.hits if h.doc_id == "ertms-granskning-riksrevisionen")
    assert all(p.page in (1, 2) for p in pdf_hit.passages)


def test_filters_combine_and_facets_count_the_result_set(searcher):
    everything = search(searcher, "kostnader för IT-projekt")
    facet_total = sum(n for _, n in everything.facets["kind"])
    assert facet_total == everything.total
    narrowed = search(
        searcher,
        "kostnader för IT-projekt",
        filters=Filters(
            agencies=("tullverket",), kinds=("case", "analysis"), year_from=2017, year_to=2019
        ),
    )
    assert narrowed.total >= 1
    for hit in narrowed.hits:
        assert hit.meta.agency == "Tullverket" and hit.meta.kind in ("case", "analysis")
        assert 2017 <= hit.meta.year <= 2019
    # a facet counts as if it alone were not ticked: other agencies stay, to be added
    agencies = dict(narrowed.facets["agency"])
    assert agencies["Tullverket"] == narrowed.total and len(agencies) > 1
    tagged = search(searcher, "kostnader", filters=Filters(tags=("ertms",)))
    assert tagged.total >= 1 and all("ertms" in h.meta.tags for h in tagged.hits)


def test_a_ticked_kind_leaves_the_other_kinds_to_add(corpus_kb):
    # Counts add up exactly when each side's candidates cover the collection (with 100 of
    # more chunks, a filter changes which chunks make the cut, and so what is counted).
    every = replace(SearchSettings(), candidates=corpus_kb.store.count())
    searcher = Searcher(corpus_kb, every)
    question = "kostnader för IT-projekt"
    cases = search(searcher, question, filters=Filters(kinds=("case",)))
    kinds = dict(cases.facets["kind"])
    assert kinds["case"] == cases.total and len(kinds) > 1
    # each other kind's count is what ticking it too would add
    other = next(k for k in kinds if k != "case")
    both = search(searcher, question, filters=Filters(kinds=("case", other)), per_page=100)
    assert both.total == cases.total + kinds[other]
    assert all(h.meta.kind == "case" for h in cases.hits)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (Filters(agencies=("Finns inte-verket",)), "unknown agency"),
        (Filters(kinds=("memo",)), "unknown kind"),
        (Filters(tags=("okänd-tagg",)), "unknown tag"),
        (Filters(year_from=2020, year_to=2010), "later"),
    ],
)
def test_unknown_filter_values_get_a_clear_error(searcher, filters, message):
    with pytest.raises(InvalidQuery, match=message):
        search(searcher, "kostnad", filters=filters)


def test_pagination(searcher):
    first = search(searcher, "myndighet", per_page=5)
    second = search(searcher, "myndighet", per_page=5, page=2)
    assert first.total == second.total and first.pages == -(-first.total // 5)
    assert not {h.doc_id for h in first.hits} & {h.doc_id for h in second.hits}
    far = search(searcher, "myndighet", per_page=5, page=999)
    assert far.hits == [] and far.total == first.total


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"text": ""}, "empty"),
        ({"text": "\x00\x01 "}, "control characters"),
        ({"text": "ertms\x00kostnad"}, "control characters"),
        ({"text": "(((( ?!.,;: …"}, "no letters or digits"),
        ({"text": "x", "mode": "fuzzy"}, "unknown mode"),
        ({"text": "x", "page": 0}, "page"),
        ({"text": "x", "per_page": 1000}, "per_page"),
    ],
)
def test_bad_queries_get_clear_errors(searcher, kwargs, message):
    with pytest.raises(InvalidQuery, match=message):
        searcher.search(SearchQuery(**kwargs))


def test_a_long_query_is_cut_at_a_word_and_says_so(searcher):
    results = search(searcher, "signalsystem " * 200)  # 2,600 characters
    assert results.truncated and results.query.text.endswith("signalsystem")
    assert len(results.query.text) <= 2000
    assert not search(searcher, "signalsystem").truncated


def test_a_single_keyword_match_counts_in_the_fusion():
    """Min-max over one score used to give it 0: a word found in one document added nothing."""
    from kb.search import fusion

    fused = fusion.convex([{"a": 0.9, "b": 0.8}, {"b": 3.0}], [0.7, 0.3])
    assert fused["b"] == pytest.approx(0.3) and fused["a"] == pytest.approx(0.7)


def test_zscore_fusion_lets_a_standout_keyword_match_beat_bunched_cosines():
    from kb.search import fusion

    dense = {k: 0.84 - 0.004 * i for i, k in enumerate("abcdefghij")}  # cosines bunch
    keyword = {"e": 30.0, **{k: 3.0 - 0.2 * i for i, k in enumerate("abcdfghik")}}  # a standout
    fused = fusion.zscore([dense, keyword], [0.5, 0.5], absent=[None, 0.0])
    assert sorted(fused, key=fused.get, reverse=True)[:2] == ["e", "a"]
    # absent from one side: that side's lowest z-score, never more
    assert fused["k"] < fused["i"] and fused["j"] < fused["i"]


def test_zscore_fusion_counts_a_single_keyword_match():
    """One chunk with the word: a z-score over that one value alone is 0, the same as the
    chunks without it; BM25 gives those 0, and with that counted the match stands out."""
    from kb.search import fusion

    dense = {"junk": 0.86, "other": 0.85, "match": 0.83, "far": 0.80}
    fused = fusion.zscore([dense, {"match": 4.2}], [0.45, 0.55], absent=[None, 0.0])
    assert max(fused, key=fused.get) == "match"
    assert fused["junk"] > fused["other"] > fused["far"]  # the rest keep the dense order


def test_looked_up_cosines_join_the_dense_scale_without_changing_it():
    """A keyword-only chunk's real cosine is placed on the dense candidates' z-scale: the
    candidates' own z-scores stay as they were, and the closer of two equal keyword matches
    ranks first (before, both got the candidates' lowest score)."""
    from kb.search import fusion

    dense = {("a", 0): 0.90, ("a", 1): 0.88, ("d", 0): 0.86}
    alone, _ = fusion._standardised(dense)
    looked = {("b", 0): 0.84, ("c", 0): 0.70}
    placed, _ = fusion._standardised({**dense, **looked}, looked_up=looked.keys())
    assert all(placed[k] == pytest.approx(alone[k]) for k in dense)
    assert placed[("b", 0)] > placed[("c", 0)]

    keyword = {("b", 0): 5.0, ("c", 0): 5.0}
    fuse = fusion_strategy(SearchSettings())
    fused = fuse(dense, keyword, looked)
    assert fused[("b", 0)] > fused[("c", 0)]
    # every method other than z-scores fuses the retrievers' own tables only
    convex = fusion_strategy(replace(SearchSettings(), fusion="convex"))
    assert convex(dense, keyword, looked) == convex(dense, keyword, {})


def test_the_store_gives_a_chunks_cosine_as_its_query_does(kb, tmp_path):
    (tmp_path / "a.md").write_text("# Upphandling\n\nLeverantören valdes.\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# Budget\n\nKalkylen höll inte.\n", encoding="utf-8")
    ingest(kb, [tmp_path / "a.md", tmp_path / "b.md"])
    vector = kb.embedder.embed_queries(["hur valdes leverantören"])[0]
    by_query = {m.chunk_id: m.score for m in kb.store.query(vector, 10)}
    looked = kb.store.similarities(vector, [*by_query, "okänd#0"])
    assert set(looked) == set(by_query)
    assert all(looked[c] == pytest.approx(by_query[c], abs=1e-4) for c in by_query)


def test_title_weight_ranks_a_title_match_above_a_text_match(kb, tmp_path):
    a_text = "# Budgetunderlag\n\nDokumentet handlar om ekonomi."
    b_text = "# Ekonomi\n\nHär nämns budgetunderlag en gång, bland mycket annat om planering."
    (tmp_path / "a.md").write_text(a_text, encoding="utf-8")
    (tmp_path / "b.md").write_text(b_text, encoding="utf-8")
    ingest(kb, [tmp_path / "a.md", tmp_path / "b.md"])
    heavy = Searcher(kb, replace(SearchSettings(), title_weight=5.0))
    assert heavy.search(SearchQuery("budgetunderlag", mode="keyword")).hits[0].doc_id == "a"


def test_document_evidence_lifts_a_document_matching_in_several_places():
    from kb.search import fusion

    fused = {("long", 0): 1.0, ("long", 1): 0.9, ("long", 2): -0.5, ("short", 0): 1.05}
    lifted = fusion.add_document_evidence(fused, 0.1)
    assert lifted[("long", 0)] == pytest.approx(1.09)  # only positive (above-mean) chunks add
    assert lifted[("short", 0)] == 1.05 and fusion.add_document_evidence(fused, 0.0) is fused


def test_highlighting_marks_what_the_keyword_side_matched(kb, tmp_path):
    """A short stem is no prefix ("nytt" must not light up "nyttorealisering"), a long one
    is ("investering" marks "investeringsbeslut"), and modal verbs are never marked."""
    text = (
        "# Nytt ärendesystem\n\nMyndigheten ska köpa ett nytt system. Nyttorealiseringen "
        "följs upp efter investeringsbeslutet.\n"
    )
    (tmp_path / "nytt.md").write_text(text, encoding="utf-8")
    (tmp_path / "nytta.md").write_text(
        "# Uppföljning\n\nNyttorealisering kräver mätbara mål.\n", encoding="utf-8"
    )
    ingest(kb, [tmp_path / "nytt.md", tmp_path / "nytta.md"])
    searcher = Searcher(kb)
    found = searcher.search(SearchQuery("nytt ska investering", mode="keyword"))
    assert [h.doc_id for h in found.hits] == ["nytt"]  # not the one with only "Nyttorealisering"
    passage = found.hits[0].passages[0]
    marked = {passage.text[s:e].lower() for s, e in passage.highlights}
    assert "nytt" in marked and "investeringsbeslutet" in marked
    assert not any(w.startswith("nyttoreal") for w in marked) and "ska" not in marked


def test_new_and_benefit_are_different_words(kb, tmp_path):
    """Snowball stems "nytt" (new) and "nyttorna" (the benefits) alike; the keyword side and
    the highlighting tell them apart, while the forms of each still meet."""
    (tmp_path / "nytta.md").write_text(
        "# Uppföljning\n\nNyttorna följs upp varje år och nyttan redovisas,"
        " nyttornas värde också.\n",
        encoding="utf-8",
    )
    (tmp_path / "ny.md").write_text(
        "# Upphandling\n\nMyndigheten köper ett nytt system och nya licenser.\n", encoding="utf-8"
    )
    ingest(kb, [tmp_path / "nytta.md", tmp_path / "ny.md"])
    searcher = Searcher(kb)
    new = searcher.search(SearchQuery("nytt system", mode="keyword"))
    assert [h.doc_id for h in new.hits] == ["ny"]
    marked = {
        new.hits[0].passages[0].text[s:e].lower() for s, e in new.hits[0].passages[0].highlights
    }
    assert "nytt" in marked
    benefit = searcher.search(SearchQuery("nytta", mode="keyword"))
    assert [h.doc_id for h in benefit.hits] == ["nytta"]
    passage = benefit.hits[0].passages[0]
    marked = {passage.text[s:e].lower() for s, e in passage.highlights}
    assert marked == {"nyttorna", "nyttan", "nyttornas"}

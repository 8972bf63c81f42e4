"""Plain dense search over the sample corpus finds the right case, in Swedish and in English."""

from __future__ import annotations

import pytest

from kb.errors import InvalidQuery
from tests.conftest import dense_search


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Varför blev det nya signalsystemet för järnvägen så dyrt?", "ertms"),
        ("Tullverkets investering i ärendestöd för brottsutredningar", "tullverket-utredningsstod"),
        ("gamla IT-system som hindrar digitalisering", "foraldrade-it-system"),
        ("Why did the railway signalling system cost three times the estimate?", "ertms"),
        ("police mobile investigation system that was shut down", "polisen-pust"),
    ],
)
def test_top_hits_come_from_the_right_case(corpus_kb, query, expected):
    hits = dense_search(corpus_kb, query, 5)
    assert any(h.doc_id.startswith(expected) for h in hits[:3]), [h.doc_id for h in hits]
    assert hits == sorted(hits, key=lambda h: -h.score)


def test_hits_carry_text_page_and_metadata(corpus_kb):
    hit = next(
        h
        for h in dense_search(corpus_kb, "ramavtal med rörlig arbetsmängd", 10)
        if h.doc_id == "ertms-granskning-riksrevisionen"
    )
    best = hit.passages[0]
    assert best.page in (1, 2) and hit.meta.agency == "Trafikverket"
    assert best.text in corpus_kb.catalog.get(hit.doc_id, with_text=True).text


@pytest.mark.parametrize("query", ["", "   ", "!?" * 2001])
def test_unanswerable_queries_get_a_clear_error(corpus_kb, query):
    with pytest.raises(InvalidQuery):
        dense_search(corpus_kb, query)


def test_store_is_the_configured_backend(kb):
    """Embedded by default; a Chroma server when KB_CHROMA_URL is set (the CI's second pass)."""
    from chromadb.api.client import Client

    kb.store.count()
    kind = type(kb.store.client._server).__name__
    if kb.config.chroma_url:
        assert kind == "FastAPI", kind  # chromadb's HTTP client
        assert not kb.config.chroma_path.exists()
    else:
        assert kind == "RustBindingsAPI", kind
        assert kb.config.chroma_path.is_dir()
    assert isinstance(kb.store.client, Client)

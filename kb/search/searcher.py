"""Search: dense, keyword and hybrid retrieval over chunks, grouped into documents."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

from kb.analysis import query_stems
from kb.config import Config
from kb.errors import InvalidQuery
from kb.knowledge_base import KnowledgeBase
from kb.models import Chunk, Document, Filters
from kb.search import fusion
from kb.search.filters import validate
from kb.search.highlight import highlight_spans
from kb.search.query import MAX_PAGE, MODES, PreparedQuery, SearchQuery, clean_query
from kb.search.results import DocumentHit, Passage, SearchResults

PASSAGES_PER_DOCUMENT = 3
_DEFAULTS = {f.name: f.default for f in fields(Config)}

ChunkKey = tuple[str, int]  # (doc_id, seq)


@dataclass(frozen=True)
class SearchSettings:
    """How the two rankings are fused; defaults chosen on corpus/eval's dev split."""

    # The defaults are Config's (KB_FUSION, KB_RRF_K, …; documented there), not repeated here.
    fusion: str = _DEFAULTS["fusion"]  # "convex" or "rrf"
    rrf_k: float = _DEFAULTS["rrf_k"]
    dense_weight: float = _DEFAULTS["dense_weight"]  # the keyword ranking gets the rest
    keyword_prefix: bool = _DEFAULTS["keyword_prefix"]  # stems also match as prefixes
    candidates: int = _DEFAULTS["search_candidates"]  # chunks fetched from each retriever

    @classmethod
    def from_config(cls, config: Config) -> SearchSettings:
        return cls(
            config.fusion,
            config.rrf_k,
            config.dense_weight,
            config.keyword_prefix,
            config.search_candidates,
        )


Fuse = Callable[[dict, dict], dict]


def fusion_strategy(settings: SearchSettings) -> Fuse:
    """The fusion of a dense and a keyword score table, chosen once per searcher."""
    weights = [settings.dense_weight, 1.0 - settings.dense_weight]
    if settings.fusion == "rrf":

        def rrf(dense: dict, keyword: dict) -> dict:
            rankings = [sorted(t, key=t.get, reverse=True) for t in (dense, keyword)]
            return fusion.reciprocal_rank(rankings, weights, settings.rrf_k)

        return rrf
    if settings.fusion == "convex":
        return lambda dense, keyword: fusion.convex([dense, keyword], weights)
    raise ValueError(f"unknown fusion method {settings.fusion!r}")


class Searcher:
    def __init__(
        self, knowledge_base: KnowledgeBase, settings: SearchSettings | None = None
    ) -> None:
        self.kb = knowledge_base
        self.settings = settings or SearchSettings.from_config(knowledge_base.config)
        self._fuse = fusion_strategy(self.settings)

    # public ----------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResults:
        return self.batch_search([query])[0]

    def batch_search(self, queries: list[SearchQuery]) -> list[SearchResults]:
        prepared = [self.prepare(q) for q in queries]
        return [self._results(q, *scored) for q, scored in zip(prepared, self._score(prepared))]

    def rank_documents(self, queries: list[SearchQuery]) -> list[list[tuple[str, float]]]:
        """Every matching document per query, best first (for evaluation)."""
        prepared = [self.prepare(q) for q in queries]
        return [
            [(d, s) for d, s, _ in group_by_document(scores)] for scores, _ in self._score(prepared)
        ]

    def prepare(self, q: SearchQuery) -> PreparedQuery:
        if q.mode not in MODES:
            raise InvalidQuery("unknown_mode", mode=q.mode, modes=", ".join(MODES))
        if not 1 <= q.page <= MAX_PAGE:
            raise InvalidQuery("page_out_of_range", max=MAX_PAGE)
        if not 1 <= q.per_page <= 100:
            raise InvalidQuery("per_page_out_of_range")
        text, truncated = clean_query(q.text)
        stems = tuple(query_stems(text))
        if q.mode == "keyword" and not stems:
            raise InvalidQuery("only_stop_words")
        filters = self.valid_filters(q.filters)
        return PreparedQuery(
            SearchQuery(text, q.mode, filters, q.page, q.per_page), stems, truncated
        )

    def valid_filters(self, filters: Filters) -> Filters:
        if not filters.active:
            return filters
        return validate(filters, *self.kb.catalog.known_filter_values())

    # retrieval -------------------------------------------------------------
    def _score(self, queries: list[PreparedQuery]) -> list[tuple[dict, str | None]]:
        """Chunk scores per query: the queries are embedded in one batch, then each query
        runs its keyword and dense lookups. (Running the keyword lookup in a thread beside
        the embedding was tried: on 2 cores it slows torch more than it saves.)"""
        vectors = self._embed([q for q in queries if q.mode != "keyword"])
        return [
            self.fuse(
                q,
                self.dense(vectors[q.text], q.filters) if q.mode != "keyword" else {},
                self.keyword(q.stems, q.filters) if q.mode != "dense" else {},
            )
            for q in queries
        ]

    def fuse(self, q: PreparedQuery, dense: dict, keyword: dict) -> tuple[dict, str | None]:
        if q.mode == "dense":
            return dense, None
        if q.mode == "keyword":
            return keyword, None
        if not q.stems:
            return dense, "only common words in the query: results are by meaning alone"
        return self._fuse(dense, keyword), None

    def dense(self, vector: np.ndarray, filters: Filters) -> dict[ChunkKey, float]:
        matches = self.kb.store.query(vector, self.settings.candidates, filters)
        return {(m.doc_id, m.seq): m.score for m in matches}

    def keyword(self, stems: tuple[str, ...], filters: Filters) -> dict[ChunkKey, float]:
        matches = self.kb.catalog.keyword_search(
            list(stems), self.settings.candidates, filters, self.settings.keyword_prefix
        )
        return {(m.doc_id, m.seq): m.score for m in matches}

    # helpers ---------------------------------------------------------------
    def _embed(self, queries: list[PreparedQuery]) -> dict[str, np.ndarray]:
        texts = list(dict.fromkeys(q.text for q in queries))
        if not texts:
            return {}
        return dict(zip(texts, self.kb.embedder.embed_queries(texts)))

    def _results(self, q: PreparedQuery, scores: dict, notice: str | None) -> SearchResults:
        grouped = group_by_document(scores)
        docs = self.ready_documents([d for d, _, _ in grouped])
        grouped = [g for g in grouped if g[0] in docs]
        start = (q.query.page - 1) * q.query.per_page
        hits = self.document_hits(grouped[start : start + q.query.per_page], docs, q.stems)
        return SearchResults(
            q.query,
            len(grouped),
            hits,
            facet_counts([docs[g[0]] for g in grouped]),
            notice,
            q.truncated,
        )

    def ready_documents(self, ids: list[str]) -> dict[str, Document]:
        """Documents fully written; a half-written one (status 'indexing') is never shown."""
        return {i: d for i, d in self.kb.catalog.find_many(ids).items() if d.status == "ready"}

    def document_hits(
        self,
        grouped: list[tuple[str, float, list]],
        docs: dict[str, Document],
        stems: tuple[str, ...] = (),
    ) -> list[DocumentHit]:
        """Hits for grouped scores, their best passages fetched in one catalog call."""
        best = {doc_id: chunks[:PASSAGES_PER_DOCUMENT] for doc_id, _, chunks in grouped}
        found = self.kb.catalog.chunks_by_id(
            (doc_id, seq) for doc_id, chunks in best.items() for seq, _ in chunks
        )
        hits = []
        for doc_id, score, _ in grouped:
            passages = tuple(
                passage(found[(doc_id, seq)], s, stems)
                for seq, s in best[doc_id]
                if (doc_id, seq) in found
            )
            hits.append(DocumentHit(doc_id, docs[doc_id].meta, score, passages))
        return hits


def passage(chunk: Chunk, score: float, stems: tuple[str, ...] | list[str]) -> Passage:
    return Passage(
        chunk.doc_id,
        chunk.seq,
        chunk.text,
        chunk.page,
        score,
        tuple(highlight_spans(chunk.text, stems)),
    )


def group_by_document(scores: dict[ChunkKey, float]) -> list[tuple[str, float, list]]:
    """(doc_id, best chunk score, [(seq, score) best first]) for each document, best first."""
    per_doc: dict[str, list[tuple[int, float]]] = {}
    for (doc_id, seq), score in scores.items():
        per_doc.setdefault(doc_id, []).append((seq, score))
    grouped = []
    for doc_id, chunks in per_doc.items():
        chunks.sort(key=lambda c: -c[1])
        grouped.append((doc_id, chunks[0][1], chunks))
    grouped.sort(key=lambda g: (-g[1], g[0]))
    return grouped


def facet_counts(docs: list[Document]) -> dict[str, list[tuple[str, int]]]:
    counters = {"agency": Counter(), "kind": Counter(), "year": Counter(), "tag": Counter()}
    for doc in docs:
        if doc.meta.agency:
            counters["agency"][doc.meta.agency] += 1
        counters["kind"][doc.meta.kind] += 1
        if doc.meta.year is not None:
            counters["year"][str(doc.meta.year)] += 1
        counters["tag"].update(doc.meta.tags)
    return {name: sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) for name, c in counters.items()}

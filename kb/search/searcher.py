"""Search: dense, keyword and hybrid retrieval over chunks, grouped into documents."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields, replace

import numpy as np

from kb.analysis import query_stems
from kb.config import Config
from kb.errors import InvalidQuery, VectorsDamaged
from kb.knowledge_base import KnowledgeBase
from kb.models import Chunk, Document, Filters, chunk_id
from kb.search import compounds, fusion, relevance, thesaurus
from kb.search.filters import validate
from kb.search.highlight import highlight_spans
from kb.search.query import MAX_PAGE, MODES, PreparedQuery, SearchQuery, clean_query
from kb.search.results import DocumentHit, Passage, SearchResults

PASSAGES_PER_DOCUMENT = 3
_DEFAULTS = {f.name: f.default for f in fields(Config)}

ChunkKey = tuple[str, int]  # (doc_id, seq)


@dataclass(frozen=True)
class SearchSettings:
    """How the two rankings are fused; defaults chosen with bench/tune_search.py (README)."""

    # The defaults are Config's (KB_FUSION, KB_RRF_K, …; documented there), not repeated here.
    fusion: str = _DEFAULTS["fusion"]  # "zscore", "convex", "distribution" or "rrf"
    rrf_k: float = _DEFAULTS["rrf_k"]
    dense_weight: float = _DEFAULTS["dense_weight"]  # the keyword ranking gets the rest
    keyword_prefix: bool = _DEFAULTS["keyword_prefix"]  # stems also match as prefixes
    candidates: int = _DEFAULTS["search_candidates"]  # chunks fetched from each retriever
    # the most chunks of one document each side brings (0: any)
    chunks_per_doc: int = _DEFAULTS["chunks_per_doc"]
    # BM25 weight of a match in the title against one in the text
    title_weight: float = _DEFAULTS["keyword_title_weight"]
    # Hybrid: a document's best chunk gains doc_decay**i times its (i+1)-th best fused score.
    doc_decay: float = _DEFAULTS["doc_decay"]
    # Weights moved this far (0..1) towards how much each side's best stands out per query.
    confidence: float = _DEFAULTS["fusion_confidence"]
    compounds: bool = _DEFAULTS["compound_split"]  # also search compounds' parts (compounds.py)
    thesaurus: bool = _DEFAULTS["thesaurus"]  # also search synonyms and abbreviations
    # A document without the query's words counts (and is listed) only from this cosine up.
    dense_floor: float = _DEFAULTS["dense_floor"]

    @classmethod
    def from_config(cls, config: Config) -> SearchSettings:
        return cls(
            fusion=config.fusion,
            rrf_k=config.rrf_k,
            dense_weight=config.dense_weight,
            keyword_prefix=config.keyword_prefix,
            candidates=config.search_candidates,
            chunks_per_doc=config.chunks_per_doc,
            title_weight=config.keyword_title_weight,
            doc_decay=config.doc_decay,
            confidence=config.fusion_confidence,
            compounds=config.compound_split,
            thesaurus=config.thesaurus,
            dense_floor=config.dense_floor,
        )


# (dense candidates, keyword candidates, cosines looked up for keyword-only chunks) -> fused
Fuse = Callable[[dict, dict, dict], dict]


def fusion_strategy(settings: SearchSettings) -> Fuse:
    """The fusion of a dense and a keyword score table, chosen once per searcher."""
    weights = [settings.dense_weight, 1.0 - settings.dense_weight]
    if settings.fusion == "rrf":

        def rrf(dense: dict, keyword: dict, looked_up: dict) -> dict:
            rankings = [sorted(t, key=t.get, reverse=True) for t in (dense, keyword)]
            return fusion.reciprocal_rank(rankings, weights, settings.rrf_k)

        return rrf
    if settings.fusion in ("convex", "zscore", "distribution"):
        method = getattr(fusion, settings.fusion)

        def fuse(dense: dict, keyword: dict, looked_up: dict) -> dict:
            tables = [dense, keyword]
            fused_weights = fusion.confident_weights(tables, weights, settings.confidence)
            if settings.fusion != "zscore":
                return method(tables, fused_weights)
            # A chunk without the words has BM25 0. A keyword-only chunk's real cosine goes
            # on the scale of the dense candidates (without it: their lowest, a guess).
            return fusion.zscore(
                [{**dense, **looked_up}, keyword],
                fused_weights,
                absent=[None, 0.0],
                looked_up=[looked_up.keys(), ()],
            )

        return fuse
    raise ValueError(f"unknown fusion method {settings.fusion!r}")


@dataclass(frozen=True)
class Scored:
    """One query's fused chunk scores, with each side's own (which say why a hit is there)."""

    fused: dict[ChunkKey, float]
    notice: str | None
    dense: dict[ChunkKey, float]
    keyword: dict[ChunkKey, float]
    without_dense: bool = False  # the vector store is missing or damaged: keywords only


class Searcher:
    def __init__(
        self, knowledge_base: KnowledgeBase, settings: SearchSettings | None = None
    ) -> None:
        self.kb = knowledge_base
        self.settings = settings or SearchSettings.from_config(knowledge_base.config)
        self._fuse = fusion_strategy(self.settings)
        self.thesaurus = thesaurus.load(knowledge_base.config.thesaurus_file)
        self._vector_problem: str | None | bool = False  # False: not asked yet

    # public ----------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResults:
        return self.batch_search([query])[0]

    def batch_search(self, queries: list[SearchQuery]) -> list[SearchResults]:
        prepared = [self.prepare(q) for q in queries]
        return [self._results(q, scored) for q, scored in zip(prepared, self._score(prepared))]

    def rank_documents(
        self, queries: list[SearchQuery], listed_only: bool = False
    ) -> list[list[tuple[str, float]]]:
        """Every matching document per query, best first (for evaluation). `listed_only`:
        only what the results page lists by default (the documents that clear the floor,
        or the nearest when none does)."""
        prepared = [self.prepare(q) for q in queries]
        ranked = []
        for q, scored in zip(prepared, self._score(prepared)):
            grouped = group_by_document(scored.fused)
            if listed_only:
                grouped, _ = self.listed(q, grouped, scored)
            ranked.append([(d, s) for d, s, _ in grouped])
        return ranked

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
        cleaned = replace(q, text=text, filters=filters)
        if q.mode == "dense" or not stems:
            return PreparedQuery(cleaned, stems, truncated=truncated)
        extra, also = self.expand(stems)
        return PreparedQuery(cleaned, stems, extra, also, truncated)

    def expand(self, stems: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(extra stems, thesaurus terms as written) for the keyword side of a query."""
        also = tuple(self.thesaurus.expansions(stems)) if self.settings.thesaurus else ()
        extra = [s for term in also for s in query_stems(term)]
        if self.settings.compounds:
            extra += compounds.expand(list(stems), self.kb.catalog.term_frequency())
        return tuple(s for s in dict.fromkeys(extra) if s not in stems), also

    def valid_filters(self, filters: Filters) -> Filters:
        if not filters.active:
            return filters
        return validate(filters, *self.kb.catalog.known_filter_values())

    # retrieval -------------------------------------------------------------
    def _score(self, queries: list[PreparedQuery]) -> list[Scored]:
        """Chunk scores per query: the queries are embedded in one batch, then each query
        runs its keyword and dense lookups. (Running the keyword lookup in a thread beside
        the embedding was tried: on 2 cores it slows torch more than it saves.)"""
        if self.keyword_only([q for q in queries if q.mode != "keyword"]):
            queries = [replace(q, without_dense=True) for q in queries]
        vectors = self._embed([q for q in queries if q.mode != "keyword" and not q.without_dense])
        scored = []
        for q in queries:
            use_dense = q.mode != "keyword" and not q.without_dense
            dense = self.dense(vectors[q.text], q.filters) if use_dense else {}
            keyword = self.keyword(q.search_stems, q.filters) if q.mode != "dense" else {}
            extra = self.missing_cosines(vectors[q.text], dense, keyword) if dense else {}
            fused = self.fuse(q, dense, keyword, extra)
            # each side's own scores say why a hit is there: the real cosines included
            scored.append(Scored(*fused, {**dense, **extra}, keyword, q.without_dense))
        return scored

    def keyword_only(self, queries: list[PreparedQuery]) -> bool:
        """True when queries that need the vectors must go without: the store is missing or
        damaged (a search by meaning alone cannot be answered then)."""
        if not queries:
            return False
        if self._vector_problem is False:
            self._vector_problem = self.kb.vector_problem()
        problem = self._vector_problem
        if problem is None:
            return False
        if any(q.mode == "dense" or not q.stems for q in queries):
            raise VectorsDamaged("vectors_damaged", detail=problem)
        return True

    def fuse(
        self, q: PreparedQuery, dense: dict, keyword: dict, looked_up: dict | None = None
    ) -> tuple[dict, str | None]:
        if q.mode == "dense":
            return dense, None
        if q.mode == "keyword" or q.without_dense:
            return keyword, None
        if not q.stems:
            return dense, "only common words in the query: results are by meaning alone"
        cap = self.settings.chunks_per_doc
        dense, keyword = fusion.cap_per_document(dense, cap), fusion.cap_per_document(keyword, cap)
        looked_up = {k: v for k, v in (looked_up or {}).items() if k in keyword}
        fused = self._fuse(dense, keyword, looked_up)
        return fusion.add_document_evidence(fused, self.settings.doc_decay), None

    def dense(self, vector: np.ndarray, filters: Filters) -> dict[ChunkKey, float]:
        matches = self.kb.store.query(vector, self.settings.candidates, filters)
        return {(m.doc_id, m.seq): m.score for m in matches}

    def missing_cosines(
        self, vector: np.ndarray, dense: dict[ChunkKey, float], keyword: dict[ChunkKey, float]
    ) -> dict[ChunkKey, float]:
        """The real cosine of each keyword-found chunk the dense candidates missed (fused with
        a guess instead, a chunk with the words ranked by chance among near-identical ones)."""
        missing = {chunk_id(*key): key for key in keyword if key not in dense}
        if not missing:
            return {}
        found = self.kb.store.similarities(vector, list(missing))
        return {missing[cid]: score for cid, score in found.items()}

    def keyword(self, stems: tuple[str, ...], filters: Filters) -> dict[ChunkKey, float]:
        matches = self.kb.catalog.keyword_search(
            list(stems),
            self.settings.candidates,
            filters,
            self.settings.keyword_prefix,
            title_weight=self.settings.title_weight,
        )
        return {(m.doc_id, m.seq): m.score for m in matches}

    # helpers ---------------------------------------------------------------
    def _embed(self, queries: list[PreparedQuery]) -> dict[str, np.ndarray]:
        texts = list(dict.fromkeys(q.text for q in queries))
        if not texts:
            return {}
        return dict(zip(texts, self.kb.embedder.embed_queries(texts)))

    def listed(
        self, q: PreparedQuery, grouped: list[tuple[str, float, list]], scored: Scored
    ) -> tuple[list[tuple[str, float, list]], dict[str, str]]:
        """(the documents listed, doc_id -> match kind): those with the words or close in
        meaning, in rank order; the rest too when asked for (`near`) or when nothing is clear."""
        if q.mode == "keyword" or scored.without_dense:
            return grouped, {g[0]: relevance.WORDS for g in grouped}
        if q.mode == "hybrid" and not scored.keyword:
            # None of the query's words is in the collection (or it has only common words):
            # the model's closeness alone does not tell nonsense from sense (bench/dense_floor.py:
            # "xyzzyqqq" reaches the cosines of real answers), so nothing counts as clear.
            return grouped, {g[0]: relevance.NEAR for g in grouped}
        kinds = relevance.match_kinds(
            [g[0] for g in grouped], scored.dense, scored.keyword, self.settings.dense_floor
        )
        clear = [g for g in grouped if kinds[g[0]] in relevance.CLEAR]
        return (grouped if q.query.near or not clear else clear), kinds

    def _results(self, q: PreparedQuery, scored: Scored) -> SearchResults:
        grouped = group_by_document(scored.fused)
        docs = self.ready_documents([d for d, _, _ in grouped])
        grouped = [g for g in grouped if g[0] in docs]
        listed, kinds = self.listed(q, grouped, scored)
        clear = sum(kinds[g[0]] in relevance.CLEAR for g in grouped)
        start = (q.query.page - 1) * q.query.per_page
        page = listed[start : start + q.query.per_page]
        hits = self.document_hits(page, docs, q.search_stems, kinds)
        notice = scored.notice
        if q.also:
            also = "also searched: " + ", ".join(q.also)
            notice = f"{notice}; {also}" if notice else also
        facets = facet_counts([docs[g[0]] for g in listed])
        facets.update(self.facets_beside_filters(q))
        return SearchResults(
            q.query,
            len(listed),
            hits,
            facets,
            notice,
            clear=clear,
            near=len(grouped) - clear,
            only_common_words=q.mode != "keyword" and not q.stems,
            also=q.also,
            truncated=q.truncated,
            keyword_only=scored.without_dense,
        )

    def facets_beside_filters(self, q: PreparedQuery) -> dict[str, list[tuple[str, int]]]:
        """Counts for each facet that filters the search, taken as if that facet alone were
        not ticked: values within a facet are alternatives, so after ticking one kind the
        other kinds must stay there to be added (with what they would add)."""
        relaxed = {}
        for facet, field in (("agency", "agencies"), ("kind", "kinds"), ("tag", "tags")):
            if getattr(q.query.filters, field):
                filters = replace(q.query.filters, **{field: ()})
                other = replace(q, query=replace(q.query, filters=filters))
                scored = self._score([other])[0]
                grouped = group_by_document(scored.fused)
                docs = self.ready_documents([d for d, _, _ in grouped])
                listed, _ = self.listed(other, [g for g in grouped if g[0] in docs], scored)
                relaxed[facet] = facet_counts([docs[g[0]] for g in listed])[facet]
        return relaxed

    def ready_documents(self, ids: list[str]) -> dict[str, Document]:
        """Documents fully written; a half-written one (status 'indexing') is never shown."""
        return {i: d for i, d in self.kb.catalog.find_many(ids).items() if d.status == "ready"}

    def document_hits(
        self,
        grouped: list[tuple[str, float, list]],
        docs: dict[str, Document],
        stems: tuple[str, ...] = (),
        kinds: dict[str, str] | None = None,
    ) -> list[DocumentHit]:
        """Hits for grouped scores, their best passages fetched in one catalog call."""
        best = {doc_id: chunks[:PASSAGES_PER_DOCUMENT] for doc_id, _, chunks in grouped}
        found = self.kb.catalog.chunks_by_id(
            (doc_id, seq) for doc_id, chunks in best.items() for seq, _ in chunks
        )
        hits = []
        for doc_id, score, _ in grouped:
            passages = tuple(
                passage(found[(doc_id, seq)], s, stems, self.settings.keyword_prefix)
                for seq, s in best[doc_id]
                if (doc_id, seq) in found
            )
            match = (kinds or {}).get(doc_id, "")
            doc = docs[doc_id]
            hits.append(DocumentHit(doc_id, doc.meta, score, passages, match, doc.ocr_pages))
        return hits


def passage(
    chunk: Chunk, score: float, stems: tuple[str, ...] | list[str], prefix: bool = True
) -> Passage:
    return Passage(
        chunk.doc_id,
        chunk.seq,
        chunk.text,
        chunk.page,
        score,
        tuple(highlight_spans(chunk.text, stems, prefix)),
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

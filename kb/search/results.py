"""What a search answers: documents with their best passages, a total and facet counts."""

from __future__ import annotations

from dataclasses import dataclass

from kb.models import Metadata
from kb.search.query import SearchQuery


@dataclass(frozen=True)
class Passage:
    doc_id: str
    seq: int
    text: str
    page: int | None
    score: float
    highlights: tuple[tuple[int, int], ...]

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}#{self.seq}"

    def to_dict(self) -> dict:
        return {
            "chunk_id": self.chunk_id,
            "seq": self.seq,
            "page": self.page,
            "score": round(self.score, 6),
            "text": self.text,
            "highlights": [list(s) for s in self.highlights],
        }


@dataclass(frozen=True)
class DocumentHit:
    doc_id: str
    meta: Metadata
    score: float
    passages: tuple[Passage, ...]
    match: str = ""  # kb.search.relevance: words, meaning, words+meaning or near
    ocr_pages: tuple[int, ...] = ()  # the document's pages read by OCR (a scan)

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "score": round(self.score, 6),
            "match": self.match,
            **self.meta.to_dict(),
            "passages": [p.to_dict() for p in self.passages],
            "ocr_pages": list(self.ocr_pages),
        }


@dataclass(frozen=True)
class SearchResults:
    query: SearchQuery
    total: int  # documents in the whole result set
    hits: list[DocumentHit]
    facets: dict[str, list[tuple[str, int]]]
    notice: str | None = None
    clear: int = 0  # documents with the query's words or close in meaning (the count)
    near: int = 0  # documents below the floor (listed only with `near`, or when none is clear)
    only_common_words: bool = False
    also: tuple[str, ...] = ()  # thesaurus terms searched too

    @property
    def nearest_only(self) -> bool:
        """Nothing clears the floor: the list holds the nearest documents instead."""
        return not self.clear and bool(self.hits)

    truncated: bool = False  # the query was cut at MAX_QUERY_CHARS characters
    keyword_only: bool = False  # the vector store is missing or damaged: no dense side

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))

    def to_dict(self) -> dict:
        q = self.query
        return {
            "query": q.text,
            "mode": q.mode,
            "filters": q.filters.to_dict(),
            "page": q.page,
            "per_page": q.per_page,
            "pages": self.pages,
            "total": self.total,
            "notice": self.notice,
            "clear": self.clear,
            "near": self.near,
            "near_listed": self.query.near or not self.clear,
            "also_searched": list(self.also),
            "truncated": self.truncated,
            "keyword_only": self.keyword_only,
            "results": [h.to_dict() for h in self.hits],
            "facets": {
                k: [{"value": v, "count": n} for v, n in vs] for k, vs in self.facets.items()
            },
        }

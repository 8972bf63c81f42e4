"""More like this: documents similar to a document, and past cases similar to a description."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from kb.errors import InvalidQuery
from kb.models import HEADING_STYLES, Chunk, Document, Filters
from kb.search import relevance
from kb.search.query import CONTROL_CHARACTERS
from kb.search.results import DocumentHit, Passage
from kb.search.searcher import Searcher, group_by_document, passage

MAX_DESCRIPTION_CHARS = 20_000
PIECE_CHARS = 1200  # about 250 tokens: the size the passages were embedded at
CANDIDATES = 200


@dataclass(frozen=True)
class SimilarCase:
    hit: DocumentHit
    # What was recommended: passages from recommendation documents about the same agency.
    recommendations: tuple[tuple[str, Passage], ...]  # (document title, passage)

    def to_dict(self) -> dict:
        out = self.hit.to_dict()
        out["recommendations"] = [
            {"doc_id": p.doc_id, "title": title, **p.to_dict()} for title, p in self.recommendations
        ]
        return out


def split_description(text: str) -> list[str]:
    """Paragraphs packed into pieces of about PIECE_CHARS characters."""
    pieces, current = [], ""
    for paragraph in (" ".join(p.split()) for p in re.split(r"\n\s*\n", text)):
        if not paragraph:
            continue
        if current and len(current) + len(paragraph) > PIECE_CHARS:
            pieces.append(current)
            current = ""
        current = f"{current}\n\n{paragraph}" if current else paragraph
    if current:
        pieces.append(current)
    return pieces


class Similarity:
    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.kb = searcher.kb

    def similar_documents(self, doc_id: str, limit: int = 10) -> list[DocumentHit]:
        doc = self.kb.catalog.get(doc_id)
        chunks = self.kb.catalog.chunks(doc.id)
        if not chunks:
            return []
        centroid = self.kb.store.vectors([c.id for c in chunks]).mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        matches = self.kb.store.query(centroid, CANDIDATES, exclude_doc=doc.id)
        scores = {(m.doc_id, m.seq): m.score for m in matches}
        return self._hits(scores, limit)

    def similar_to_text(
        self, text: str, limit: int = 10, filters: Filters | None = None
    ) -> list[SimilarCase]:
        text = CONTROL_CHARACTERS.sub(" ", text or "").strip()
        if len(text) > MAX_DESCRIPTION_CHARS:
            raise InvalidQuery(
                "description_too_long", length=len(text), limit=MAX_DESCRIPTION_CHARS
            )
        pieces = split_description(text)
        if not pieces:
            raise InvalidQuery("description_empty")
        vectors = self.kb.embedder.embed_queries(pieces)
        filters = self.searcher.valid_filters(filters or Filters())
        scores: dict[tuple[str, int], float] = {}
        for vector in vectors:
            for m in self.kb.store.query(vector, CANDIDATES // 2, filters):
                key = (m.doc_id, m.seq)
                scores[key] = max(scores.get(key, 0.0), m.score)
        hits = self._hits(scores, limit)
        shown: set[tuple[str, int]] = set()  # each recommendation once, under its first case
        return [SimilarCase(h, self._recommendations(h, vectors, shown)) for h in hits]

    def _hits(self, scores: dict, limit: int) -> list[DocumentHit]:
        grouped = group_by_document(scores)
        docs = self.searcher.ready_documents([doc_id for doc_id, _, _ in grouped])
        grouped = [g for g in grouped if g[0] in docs][:limit]
        # one scale with search: close in meaning from the same floor up
        floor = self.searcher.settings.dense_floor
        kinds = {d: relevance.MEANING if s >= floor else relevance.NEAR for d, s, _ in grouped}
        return self.searcher.document_hits(grouped, docs, kinds=kinds)

    def _recommendations(self, hit: DocumentHit, vectors: np.ndarray, shown: set):
        if hit.meta.kind == "recommendation" or not hit.meta.agency:
            return ()
        recommendations = Filters(kinds=("recommendation",), agencies=(hit.meta.agency,))
        best: dict[tuple[str, int], float] = {}
        for vector in vectors:
            for m in self.kb.store.query(vector, 5, recommendations):
                best[(m.doc_id, m.seq)] = max(best.get((m.doc_id, m.seq), 0.0), m.score)
        found = self.kb.catalog.chunks_by_id(best)
        docs = {d: self.kb.catalog.get(d, with_text=True) for d in {k[0] for k in found}}
        out = []
        for key, score in sorted(best.items(), key=lambda kv: -kv[1]):
            if key in shown or key not in found:
                continue
            text = recommendation_text(found[key], docs[key[0]])
            if text:
                shown.add(key)
                out.append(
                    (docs[key[0]].meta.title, replace(passage(found[key], score, []), text=text))
                )
            if len(out) == 2:
                break
        return tuple(out)


def introduction_end(doc: Document) -> int:
    """Where a recommendation document's introduction ends: at its first list item, or its
    first heading after the title. The introduction (what the document is, a note on how it
    was written) is no recommendation. 0 when the structure does not show one."""
    starts = [(start, style) for start, style in doc.structure]
    if starts and starts[0][0] == 0 and starts[0][1] in HEADING_STYLES:
        starts = starts[1:]  # the title
    return starts[0][0] if starts else 0


def recommendation_text(chunk: Chunk, doc: Document) -> str:
    """The chunk's text without any of the document's introduction ("" when it is all
    introduction)."""
    end = introduction_end(doc)
    if chunk.char_end <= end:
        return ""
    return doc.text[max(chunk.char_start, end) : chunk.char_end]

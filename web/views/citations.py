"""Evidence as the record pages show it: the document's title, the page, and a link to the
passage on the document page (its chunk anchor), or "behöver granskas" when it is flagged."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from flask import url_for

from kb.knowledge_base import KnowledgeBase
from kb.records.models import NEEDS_REVIEW, Evidence


@dataclass(frozen=True)
class Citation:
    doc_id: str
    title: str  # the document's, or its id when the document is gone
    quote: str
    page: int | None
    seq: int | None
    url: str | None  # the passage on the document page; None when the document is gone
    needs_review: bool

    def to_dict(self) -> dict:
        return {
            "document": self.doc_id,
            "title": self.title,
            "quote": self.quote,
            "page": self.page,
            "seq": self.seq,
            "url": self.url,
            "status": NEEDS_REVIEW if self.needs_review else "ok",
        }


class Citer:
    """Turns evidence into citations, reading each document and chunk once per request."""

    def __init__(self, knowledge_base: KnowledgeBase, external: bool = False) -> None:
        self.catalog = knowledge_base.catalog
        self.external = external  # full addresses, for a brief read outside the app
        self._docs: dict = {}

    def document(self, doc_id: str):
        if doc_id not in self._docs:
            self._docs[doc_id] = self.catalog.find(doc_id)
        return self._docs[doc_id]

    def documents(self, doc_ids: Iterable[str]) -> dict:
        missing = [d for d in doc_ids if d not in self._docs]
        if missing:
            found = self.catalog.find_many(missing)
            self._docs.update({d: found.get(d) for d in missing})
        return {d: self._docs[d] for d in doc_ids}

    def cite(self, evidence: Evidence | None) -> Citation | None:
        if evidence is None:
            return None
        doc = self.document(evidence.doc_id)
        page = url = None
        if doc is not None:
            if evidence.seq is not None:
                chunk = self.catalog.chunks_by_id([(doc.id, evidence.seq)]).get(
                    (doc.id, evidence.seq)
                )
                page = chunk.page if chunk else None
                url = (
                    url_for(
                        "documents.show", doc_id=doc.id, chunk=evidence.seq, _external=self.external
                    )
                    + f"#chunk-{evidence.seq}"
                )
            else:
                url = url_for("documents.show", doc_id=doc.id, _external=self.external)
        return Citation(
            doc_id=evidence.doc_id,
            title=doc.meta.title if doc else evidence.doc_id,
            quote=evidence.exact,
            page=page,
            seq=evidence.seq,
            url=url,
            needs_review=evidence.status == NEEDS_REVIEW or doc is None,
        )

    def cite_all(self, evidence: Iterable[Evidence]) -> list[Citation]:
        return [c for c in (self.cite(e) for e in evidence) if c is not None]

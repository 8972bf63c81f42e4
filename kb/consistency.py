"""`kb check`: do the catalog, the keyword index and Chroma agree? And `--repair` what can be."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from kb import keyword_index
from kb.knowledge_base import KnowledgeBase
from kb.models import chunk_id, passage_text


@dataclass
class CheckReport:
    documents: int = 0
    chunks: int = 0
    incomplete: list[str] = field(default_factory=list)  # documents left 'indexing'
    missing_vectors: list[str] = field(default_factory=list)  # chunk ids
    orphan_vectors: list[str] = field(default_factory=list)
    stale_vectors: list[str] = field(default_factory=list)  # text differs from the catalog's
    missing_terms: list[str] = field(default_factory=list)
    orphan_terms: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.incomplete or self.missing_vectors or self.orphan_vectors
                    or self.stale_vectors or self.missing_terms or self.orphan_terms)  # fmt: skip

    def to_dict(self) -> dict:
        return {k: v if isinstance(v, int) else list(v) for k, v in vars(self).items()} | {
            "clean": self.clean
        }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check(kb: KnowledgeBase) -> CheckReport:
    report = CheckReport()
    docs = kb.catalog.documents()
    report.documents = len(docs)
    report.incomplete = [d.id for d in docs if d.status != "ready"]
    expected: dict[str, str] = {}
    for doc in docs:
        for chunk in kb.catalog.chunks(doc.id):
            expected[chunk.id] = _digest(chunk.text)
    report.chunks = len(expected)
    got = kb.store.collection.get(include=["documents"])
    stored = {cid: _digest(text or "") for cid, text in zip(got["ids"], got["documents"])}
    report.missing_vectors = sorted(set(expected) - set(stored))
    report.orphan_vectors = sorted(set(stored) - set(expected))
    report.stale_vectors = sorted(c for c in set(expected) & set(stored)
                                  if expected[c] != stored[c])  # fmt: skip
    terms = {chunk_id(d, int(s)) for d, s in
             kb.catalog.db.execute("SELECT doc_id, seq FROM chunk_terms")}  # fmt: skip
    report.missing_terms = sorted(set(expected) - terms)
    report.orphan_terms = sorted(terms - set(expected))
    return report


def repair(kb: KnowledgeBase) -> CheckReport:
    """Make the three agree, from the catalog (the source of truth): drop orphans, re-index
    terms, re-embed documents whose vectors are missing, stale or half-written."""
    found = check(kb)
    if found.orphan_vectors:
        kb.store.collection.delete(ids=found.orphan_vectors)
        found.repaired.append(f"deleted {len(found.orphan_vectors)} orphan vectors")
    if found.missing_terms or found.orphan_terms:
        with kb.catalog.transaction() as db:
            for doc in kb.catalog.documents():
                keyword_index.delete_document(db, doc.id)
                keyword_index.add_chunks(db, doc.meta.context_title, kb.catalog.chunks(doc.id))
            db.execute("DELETE FROM chunk_terms WHERE doc_id NOT IN (SELECT id FROM documents)")
        found.repaired.append("rebuilt the keyword index")
    broken = {c.split("#")[0] for c in found.missing_vectors + found.stale_vectors}
    broken |= set(found.incomplete)
    if broken:
        items = []
        for doc_id in sorted(broken):
            doc = kb.catalog.get(doc_id, with_text=True)
            chunks = kb.catalog.chunks(doc_id)
            vectors = kb.embedder.embed_passages([passage_text(doc.meta, c.text) for c in chunks])
            items.append((doc, chunks, vectors))
        kb.write_documents(items)
        found.repaired.append(f"re-embedded {len(items)} documents")
    after = check(kb)
    after.repaired = found.repaired
    return after

"""`kb check`: do the catalog, the keyword index and Chroma agree? And `--repair` what can be."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from kb.knowledge_base import KnowledgeBase
from kb.models import chunk_id
from kb.writer import Writer


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
    missing_lesson_vectors: list[str] = field(default_factory=list)  # lesson ids
    orphan_lesson_vectors: list[str] = field(default_factory=list)
    # Records whose quote a document no longer holds (a new version, or deleted): an editor's
    # work, not damage, so the report stays clean.
    evidence_needing_review: int = 0
    repaired: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (
            self.incomplete
            or self.missing_vectors
            or self.orphan_vectors
            or self.stale_vectors
            or self.missing_terms
            or self.orphan_terms
            or self.missing_lesson_vectors
            or self.orphan_lesson_vectors
        )

    def to_dict(self) -> dict:
        return {k: v if isinstance(v, int) else list(v) for k, v in vars(self).items()} | {
            "clean": self.clean
        }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check(knowledge_base: KnowledgeBase) -> CheckReport:
    report = CheckReport()
    docs = knowledge_base.catalog.documents()
    report.documents = len(docs)
    report.incomplete = [d.id for d in docs if d.status != "ready"]
    expected: dict[str, str] = {}
    for doc in docs:
        for chunk in knowledge_base.catalog.chunks(doc.id):
            expected[chunk.id] = _digest(chunk.text)
    report.chunks = len(expected)
    stored = {cid: _digest(text) for cid, text in knowledge_base.store.chunk_texts().items()}
    report.missing_vectors = sorted(set(expected) - set(stored))
    report.orphan_vectors = sorted(set(stored) - set(expected))
    report.stale_vectors = sorted(
        c for c in set(expected) & set(stored) if expected[c] != stored[c]
    )
    terms = {chunk_id(doc_id, seq) for doc_id, seq in knowledge_base.catalog.keyword_keys()}
    report.missing_terms = sorted(set(expected) - terms)
    report.orphan_terms = sorted(terms - set(expected))
    lessons = {lesson.id for lesson in knowledge_base.records.lessons()}
    stored_lessons = knowledge_base.lesson_store.ids()
    report.missing_lesson_vectors = sorted(lessons - stored_lessons)
    report.orphan_lesson_vectors = sorted(stored_lessons - lessons)
    report.evidence_needing_review = len(knowledge_base.records.evidence_needing_review())
    return report


def repair(writer: Writer) -> CheckReport:
    """Make the three agree, from the catalog (the source of truth): drop orphans, re-index
    terms, re-embed documents whose vectors are missing, stale or half-written."""
    knowledge_base = writer.base
    found = check(knowledge_base)
    if found.orphan_vectors:
        writer.delete_vectors(found.orphan_vectors)
        found.repaired.append(f"deleted {len(found.orphan_vectors)} orphan vectors")
    if found.missing_terms or found.orphan_terms:
        writer.rebuild_keywords()
        found.repaired.append("rebuilt the keyword index")
    broken = {c.split("#")[0] for c in found.missing_vectors + found.stale_vectors}
    broken |= set(found.incomplete)
    if broken:
        writer.reembed(sorted(broken))
        found.repaired.append(f"re-embedded {len(broken)} documents")
    if found.orphan_lesson_vectors:
        writer.delete_lesson_vectors(found.orphan_lesson_vectors)
        found.repaired.append(f"deleted {len(found.orphan_lesson_vectors)} orphan lesson vectors")
    if found.missing_lesson_vectors:
        writer.reembed_lessons(found.missing_lesson_vectors)
        found.repaired.append(f"re-embedded {len(found.missing_lesson_vectors)} lessons")
    after = check(knowledge_base)
    after.repaired = found.repaired
    return after

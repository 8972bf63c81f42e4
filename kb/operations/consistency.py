"""`kb check`: do the catalog, the keyword index and Chroma agree? And `--repair` what can be."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from kb.errors import CorruptCatalog, VectorsDamaged
from kb.knowledge_base import KnowledgeBase
from kb.models import chunk_id
from kb.storage.faults import storage_fault
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
    # the tantivy copy of the terms: missing, behind the catalog, unreadable or different
    keyword_copy: list[str] = field(default_factory=list)
    missing_lesson_vectors: list[str] = field(default_factory=list)  # lesson ids
    orphan_lesson_vectors: list[str] = field(default_factory=list)
    # chunks whose text is not their span of the document's text (the document's is the truth)
    mismatched_chunks: list[str] = field(default_factory=list)
    # the vector store cannot be read at all (a deleted index file): why, and rebuilt by repair
    damaged_store: list[str] = field(default_factory=list)
    # sampled stored vectors that a query with their own vector does not find
    unfindable: list[str] = field(default_factory=list)
    catalog_damage: list[str] = field(default_factory=list)  # SQLite's quick_check
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
            or self.keyword_copy
            or self.missing_lesson_vectors
            or self.orphan_lesson_vectors
            or self.mismatched_chunks
            or self.damaged_store
            or self.unfindable
            or self.catalog_damage
        )

    def to_dict(self) -> dict:
        return {k: v if isinstance(v, int) else list(v) for k, v in vars(self).items()} | {
            "clean": self.clean
        }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# Stored vectors looked up by their own vector in each check: enough to notice a broken index,
# few enough to keep `kb check` quick on a large store.
FINDABILITY_SAMPLE = 20


def check(knowledge_base: KnowledgeBase) -> CheckReport:
    report = CheckReport()
    catalog = knowledge_base.catalog
    if (problem := catalog.integrity_problem()) is not None:
        report.catalog_damage = [problem]
    docs = catalog.documents()
    report.documents = len(docs)
    report.incomplete = [d.id for d in docs if d.status != "ready"]
    expected: dict[str, str] = {}
    for doc in docs:
        text = catalog.get(doc.id, with_text=True).text
        for chunk in catalog.chunks(doc.id):
            expected[chunk.id] = _digest(chunk.text)
            if text[chunk.char_start : chunk.char_end] != chunk.text:
                report.mismatched_chunks.append(chunk.id)
    report.chunks = len(expected)
    try:
        stored_texts = knowledge_base.store.chunk_texts()
    except Exception as exc:  # noqa: BLE001 - Chroma's errors for a damaged index vary
        fault = storage_fault(exc, knowledge_base.config.data_dir)
        if fault is not None and not isinstance(fault, VectorsDamaged):
            raise fault from exc  # a full or read-only disk is not damage to rebuild
        report.damaged_store = [str(fault or exc)]
        _check_records(knowledge_base, report)
        return report
    stored = {cid: _digest(text) for cid, text in stored_texts.items()}
    report.unfindable = _unfindable(knowledge_base, sorted(set(stored) & set(expected)))
    report.missing_vectors = sorted(set(expected) - set(stored))
    report.orphan_vectors = sorted(set(stored) - set(expected))
    report.stale_vectors = sorted(
        c for c in set(expected) & set(stored) if expected[c] != stored[c]
    )
    terms = {chunk_id(doc_id, seq) for doc_id, seq in knowledge_base.catalog.keyword_keys()}
    report.missing_terms = sorted(set(expected) - terms)
    report.orphan_terms = sorted(terms - set(expected))
    report.keyword_copy = _keyword_copy_problems(knowledge_base, terms)
    _check_records(knowledge_base, report)
    return report


def _keyword_copy_problems(knowledge_base: KnowledgeBase, terms: set[str]) -> list[str]:
    """The tantivy copy against the catalog's own keyword index (`terms`: its chunk ids)."""
    catalog = knowledge_base.catalog
    copy = catalog.keyword_copy
    if copy is None:
        return []
    pointer = copy.pointer()
    if pointer is None:
        return ["the keyword copy is missing"]
    (held, token), (last, current) = pointer[1], catalog.keyword_state()
    if token != current:
        return [f"the keyword copy is behind the catalog (change {held} of {last})"]
    try:
        held = {chunk_id(doc_id, seq) for doc_id, seq in copy.keys()}
    except Exception as exc:  # noqa: BLE001 - tantivy's errors vary
        return [f"the keyword copy cannot be read: {exc}"]
    problems = []
    if missing := len(terms - held):
        problems.append(f"the keyword copy lacks {missing} chunks")
    if extra := len(held - terms):
        problems.append(f"the keyword copy holds {extra} chunks the catalog does not")
    return problems


TWIN_SCORE = 0.995
# candidates per lookup: hnswlib searches max(ef, k) deep, so a deeper lookup rides over
# the pruned links a cluster of identical passages leaves (search itself asks for 100)
FINDABILITY_DEPTH = 50


def _unfindable(knowledge_base: KnowledgeBase, chunk_ids: list[str]) -> list[str]:
    """A sample of stored vectors, each searched for with itself: a sound index returns it
    first, or a twin of it. Many near-identical passages (a file of repeated boilerplate) make
    HNSW prune links between them, so one may be reached only through its twins: any match as
    close as TWIN_SCORE counts. A damaged index returns unrelated passages (cosine < 0.95)."""
    if not chunk_ids:
        return []
    step = max(1, len(chunk_ids) // FINDABILITY_SAMPLE)
    sample = chunk_ids[::step][:FINDABILITY_SAMPLE]
    store = knowledge_base.store
    lost = []
    for cid, vector in zip(sample, store.vectors(sample)):
        found = store.query(vector, FINDABILITY_DEPTH)
        if not any(m.chunk_id == cid or m.score >= TWIN_SCORE for m in found):
            lost.append(cid)
    # HNSW is approximate: in a sound index a lone passage among many near-identical ones can
    # be unreachable (measured on the bad-input suite's files of repeated brackets). Damage
    # loses a good part of the sample; one stray miss is the index's nature, not a fault.
    return lost if len(lost) >= max(2, len(sample) // 4) else []


def _check_records(knowledge_base: KnowledgeBase, report: CheckReport) -> None:
    lessons = {lesson.id for lesson in knowledge_base.records.lessons()}
    stored_lessons = knowledge_base.lesson_store.ids()
    report.missing_lesson_vectors = sorted(lessons - stored_lessons)
    report.orphan_lesson_vectors = sorted(stored_lessons - lessons)
    report.evidence_needing_review = len(knowledge_base.records.evidence_needing_review())


def _again(knowledge_base: KnowledgeBase, repaired: list[str]) -> CheckReport:
    """A new check after a repair that changes what the others find, with the repairs so far."""
    report = check(knowledge_base)
    report.repaired = list(repaired)
    return report


def repair(writer: Writer) -> CheckReport:
    """Make the three agree, from the catalog (the source of truth): drop orphans, re-index
    terms, re-embed documents whose vectors are missing, stale or half-written."""
    knowledge_base = writer.base
    found = check(knowledge_base)
    if found.catalog_damage:
        # the catalog is the source of truth: repairing from a damaged one spreads the damage
        raise CorruptCatalog(
            "catalog_corrupt",
            path=str(knowledge_base.catalog.path),
            detail=found.catalog_damage[0],
        )
    if found.mismatched_chunks:
        mended = sorted({c.split("#")[0] for c in found.mismatched_chunks})
        writer.mend_chunk_texts(mended)
        found.repaired.append(f"cut the chunks of {len(mended)} documents again from their text")
        found = _again(knowledge_base, found.repaired)
    if found.damaged_store or found.unfindable:
        # as `kb reindex` would: a new, empty collection, and every document embedded into it
        writer.rebuild_collection()
        ready = [d.id for d in knowledge_base.catalog.documents(status="ready")]
        writer.reembed(ready)
        found.repaired.append(f"rebuilt the vector store: re-embedded {len(ready)} documents")
        found = _again(knowledge_base, found.repaired)
    if found.orphan_vectors:
        writer.delete_vectors(found.orphan_vectors)
        found.repaired.append(f"deleted {len(found.orphan_vectors)} orphan vectors")
    if found.missing_terms or found.orphan_terms:
        writer.rebuild_keywords()
        found.repaired.append("rebuilt the keyword index")
    elif found.keyword_copy:
        writer.rebuild_keyword_copy()
        found.repaired.append("rebuilt the keyword copy")
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
    knowledge_base.catalog.follow_keywords()  # the re-embedding rewrote documents' terms too
    after = check(knowledge_base)
    after.repaired = found.repaired
    return after

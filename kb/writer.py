"""Every change to a knowledge base, made while its write lock is held.

A `Writer` exists only inside `KnowledgeBase.writing()`, as datasette's writes go through
`Database.execute_write_fn`: whoever holds one holds the lock, and it refuses work after the
block ends. The catalog is written first (status 'indexing'), then the vectors, then 'ready',
so a crash anywhere leaves documents that the next ingest (or `kb check --repair`) redoes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kb import near_duplicates as near
from kb.errors import KBError, NotFound
from kb.manual_edits import apply_edits, merge_edits, revise
from kb.models import Chunk, Document, ManualEdit, Metadata, passage_text
from kb.near_duplicates import NearDuplicate
from kb.records.models import Lesson, Record
from kb.storage import near_duplicates as near_sql
from kb.storage import originals
from kb.storage import records as records_sql
from kb.storage import references as references_sql
from kb.storage import suggestions as suggestions_sql
from kb.storage import versions as versions_sql
from kb.storage.references import DocumentReference
from kb.storage.suggestions import NewSuggestion
from kb.storage.vectors import VectorStore, drop_collection
from kb.storage.versions import Origin

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase

DocumentWrite = tuple[Document, list[Chunk], np.ndarray]


class Writer:
    def __init__(self, knowledge_base: KnowledgeBase) -> None:
        self._base: KnowledgeBase | None = knowledge_base

    @property
    def base(self) -> KnowledgeBase:
        if self._base is None:
            raise KBError("this writer's write lock was released; open another with writing()")
        return self._base

    def close(self) -> None:
        self._base = None

    def write_documents(
        self, items: list[DocumentWrite], origins: Mapping[str, Origin] | None = None
    ) -> None:
        """Catalog first (status 'indexing'), then vectors, then 'ready'. A document whose
        content changed gets a new version, made by its entry in `origins`."""
        if not items:
            return
        base = self.base
        self._record_model()
        for doc, chunks, _ in items:
            n = base.catalog.begin_document(doc, chunks, (origins or {}).get(doc.id, Origin()))
            if n is not None:
                self._keep_version_file(doc, n)
        base.store.replace_documents(
            [(chunks, vectors, doc.meta) for doc, chunks, vectors in items]
        )
        base.catalog.mark_ready([doc.id for doc, _, _ in items])

    def reembed(self, doc_ids: list[str]) -> int:
        """Embed documents again from the catalog's chunks (after damage, or into a new
        collection); returns how many passages were embedded."""
        base = self.base
        items = []
        for doc_id in doc_ids:
            doc = base.catalog.get(doc_id, with_text=True)
            chunks = base.catalog.chunks(doc_id)
            items.append((doc, chunks, embed_chunks(base, doc.meta, chunks)))
        self.write_documents(items)
        return sum(len(chunks) for _, chunks, _ in items)

    def mend_chunk_texts(self, doc_ids: list[str]) -> int:
        """Chunks whose text no longer matches their span of the document's text (damage):
        cut again from the document's text, and embedded again. Returns the passages embedded."""
        base = self.base
        items = []
        for doc_id in doc_ids:
            doc = base.catalog.get(doc_id, with_text=True)
            chunks = [
                replace(c, text=doc.text[c.char_start : c.char_end])
                for c in base.catalog.chunks(doc_id)
            ]
            items.append((doc, chunks, embed_chunks(base, doc.meta, chunks)))
        self.write_documents(items)
        return sum(len(chunks) for _, chunks, _ in items)

    def rebuild_collection(self) -> None:
        """Drop the active collection (damaged beyond reading) and start it empty; the caller
        embeds the catalog's documents into it again."""
        base = self.base
        name, client = base.store.name, base.store.client
        drop_collection(client, name)
        base.store = VectorStore(client, name)

    def update_file_metadata(
        self,
        doc_id: str,
        file_meta: Metadata,
        meta_inputs_hash: str | None = None,
        new_edits: Iterable[ManualEdit] = (),
    ) -> int:
        """What the file (or its sidecar) says changed; the editors' edits stay on top, with
        `new_edits` (an upload form's fields) in place of earlier ones of the same field.
        Returns how many passages had to be re-embedded."""
        edits = merge_edits(self.base.catalog.get(doc_id).manual_edits, new_edits)
        return self._store_metadata(doc_id, file_meta, edits, meta_inputs_hash)

    def edit_metadata(
        self, doc_id: str, wanted: Metadata, editor: str, reset: Iterable[str] = ()
    ) -> int:
        """An editor's edit: each field that now differs from the file's value is kept as
        an edit (re-reading the file keeps it); one set back to the file's value, or named in
        `reset`, follows the file again. Returns how many passages were re-embedded."""
        doc = self.base.catalog.get(doc_id)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        edits = revise(doc.file_metadata, doc.edits, wanted, editor, now, reset)
        return self._store_metadata(doc_id, doc.file_metadata, edits)

    def _store_metadata(
        self,
        doc_id: str,
        file_meta: Metadata,
        edits: tuple[ManualEdit, ...],
        meta_inputs_hash: str | None = None,
    ) -> int:
        base = self.base
        before, chunks = base.catalog.get(doc_id), base.catalog.chunks(doc_id)
        meta = apply_edits(file_meta, edits)
        vectors = None
        if meta.context_title != before.meta.context_title and chunks:
            # a real title is embedded with every passage (passage_text), so the vectors change too
            vectors = embed_chunks(base, meta, chunks)
        base.catalog.update_metadata(doc_id, meta, file_meta, edits, meta_inputs_hash)
        base.store.update_metadata(chunks, meta, vectors)
        return 0 if vectors is None else len(chunks)

    def delete(self, doc_id: str) -> None:
        base = self.base
        base.catalog.get(doc_id)  # raises NotFound
        base.store.delete_document(doc_id)
        base.catalog.delete(doc_id)
        originals.discard(base.config, doc_id)
        originals.discard_versions(base.config, doc_id)

    def _keep_version_file(self, doc: Document, n: int, source: Path | None = None) -> None:
        """Each version keeps its own file, so restoring one brings back its original too."""
        config = self.base.config
        source = source or originals.servable(config, doc)
        relative = originals.keep_version(config, doc.id, n, source) if source else None
        if relative:
            self.base.catalog.set_version_original(doc.id, n, relative)

    # near-duplicates -------------------------------------------------------
    def find_near_duplicates(self, docs: Sequence[Document]) -> dict[str, list[NearDuplicate]]:
        """Each document's open near-duplicates among all the others (pairs stored, decided
        ones left as decided); the signatures of documents that lack one are made first."""
        base, db = self.base, self.base.catalog.connection
        known = near_sql.signatures(db)
        current = {d.id: d for d in base.catalog.documents()}
        with db:
            for doc_id, doc in current.items():
                if known.get(doc_id, ("",))[0] != doc.content_hash:
                    text = base.catalog.get(doc_id, with_text=True).text
                    sig = near.signature(text)
                    near_sql.save_signature(db, doc_id, doc.content_hash, sig)
                    known[doc_id] = (doc.content_hash, sig)
            found: dict[str, list[NearDuplicate]] = {}
            now = _now()
            for doc in docs:
                mine = known[doc.id][1]
                for other_id, (_, sig) in known.items():
                    if other_id == doc.id or other_id not in current:
                        continue
                    score = near.similarity(mine, sig)
                    if score >= near.THRESHOLD and near_sql.add(db, doc.id, other_id, score, now):
                        pair = near_sql.find(db, doc.id, other_id)
                        found.setdefault(doc.id, []).append(pair)
        return {k: sorted(v, key=lambda p: -p.score) for k, v in found.items()}

    def keep_both(self, doc_id: str, other_id: str, editor: str) -> None:
        """The editor keeps both documents: the warning is not shown again."""
        db = self.base.catalog.connection
        pair = self._pair(doc_id, other_id)
        with db:
            near_sql.decide(db, pair, "kept", editor, _now())

    def link_as_version(self, newer_id: str, other_id: str, editor: str) -> int:
        """`newer_id` becomes the newest version of `other_id` and goes; its id leads to
        `other_id` from then on. Returns how many passages were embedded."""
        base, db = self.base, self.base.catalog.connection
        pair = self._pair(newer_id, other_id)
        newer = base.catalog.get(newer_id, with_text=True)
        other = base.catalog.get(other_id)
        original = originals.servable(base.config, newer)
        source = newer.source
        if original is not None and not original.is_relative_to(originals.root(base.config)):
            original = None
        if original is not None and originals.KEPT in original.parts:
            # a file ingested from elsewhere: its copy is kept under the surviving id
            original = originals.keep(base.config, other_id, original.name, original.read_bytes())
        edits = merge_edits(other.manual_edits, newer.manual_edits)
        doc = replace(
            newer,
            id=other_id,
            source=source,
            meta=apply_edits(newer.file_metadata, edits),
            manual_edits=edits,
            status="indexing",
        )
        chunks = [replace(c, doc_id=other_id) for c in base.catalog.chunks(newer_id)]
        with db:
            near_sql.decide(db, pair, "linked", editor, _now())
            versions_sql.move_references(db, newer_id, other_id)
        vectors = embed_chunks(base, doc.meta, chunks)
        self.write_documents([(doc, chunks, vectors)], {other_id: Origin("link", editor, newer_id)})
        self.delete(newer_id)
        with db:
            versions_sql.add_alias(db, newer_id, other_id, _now())
        return len(chunks)

    def _pair(self, doc_id: str, other_id: str) -> NearDuplicate:
        pair = near_sql.find(self.base.catalog.connection, doc_id, other_id)
        if pair is None:
            raise NotFound("no_near_duplicate", id=doc_id, other=other_id)
        return pair

    def save_records(self, records: Sequence[Record]) -> int:
        """Investments, lessons and recommendations in one transaction (their evidence already
        anchored), then the lessons' vectors; returns how many lessons were embedded."""
        base = self.base
        lessons = [r for r in records if isinstance(r, Lesson)]
        vectors = embed_lessons(base, lessons)  # first: a model failure writes nothing
        db = base.catalog.connection
        with db:
            # investments first: lessons and recommendations refer to them
            for record in sorted(records, key=lambda r: r.type != "investment"):
                records_sql.save(db, record)
        if lessons:
            self._record_model()
            base.lesson_store.upsert([x.id for x in lessons], vectors, [x.text for x in lessons])
        return len(lessons)

    def save_references(
        self, items: Sequence[tuple[str, Sequence[str], Sequence[DocumentReference]]]
    ) -> None:
        """(document, its own designations, what it cites) in one transaction."""
        with self.base.catalog.connection as db:
            for doc_id, designations, references in items:
                references_sql.replace(db, doc_id, designations, references)

    def save_suggestions(
        self, doc_id: str, content_hash: str, found: Sequence[NewSuggestion]
    ) -> int:
        """A document version's suggestions in place of its pending ones; returns how many."""
        with self.base.catalog.connection as db:
            return suggestions_sql.replace_pending(db, doc_id, content_hash, found)

    def replace_suggestions(
        self, doc_id: str, content_hash: str, kind: str, found: Sequence[NewSuggestion]
    ) -> int:
        """`found` in place of the document's pending suggestions of `kind`; returns how many."""
        with self.base.catalog.connection as db:
            return suggestions_sql.replace_kind(db, doc_id, content_hash, kind, found)

    def decide_suggestion(
        self,
        suggestion_id: int,
        status: str,
        editor: str,
        result: dict | None = None,
        records: Sequence[Record] = (),
    ) -> None:
        """An editor's decision, with the records an acceptance makes (saved first)."""
        if records:
            self.save_records(records)
        with self.base.catalog.connection as db:
            suggestions_sql.decide(db, suggestion_id, status, editor, result or {})

    def reembed_lessons(self, lesson_ids: list[str]) -> int:
        """Embed lessons again from the catalog (vectors lost in a crash)."""
        base = self.base
        lessons = base.records.lessons(lesson_ids)
        if lessons:
            vectors = embed_lessons(base, lessons)
            base.lesson_store.upsert([x.id for x in lessons], vectors, [x.text for x in lessons])
        return len(lessons)

    def delete_record(self, record_id: str) -> Record:
        """One investment, lesson or recommendation (an investment only once nothing names it)."""
        base = self.base
        record = base.records.get(record_id)
        if record is None:
            raise NotFound("no_record", id=record_id)
        if record.type == "investment" and (uses := base.records.uses_of_investment(record_id)):
            raise KBError("record_in_use", id=record_id, count=uses)
        with base.catalog.connection as db:
            records_sql.delete(db, record.type, record_id)
        if record.type == "lesson":
            base.lesson_store.delete_chunks([record_id])
        return record

    def delete_lesson_vectors(self, lesson_ids: list[str]) -> None:
        self.base.lesson_store.delete_chunks(lesson_ids)

    def delete_vectors(self, chunk_ids: list[str]) -> None:
        self.base.store.delete_chunks(chunk_ids)

    def set_settings(self, values: dict[str, str]) -> None:
        """Several catalog settings in one transaction (a re-index's switch)."""
        self.base.catalog.set_settings(values)

    def rebuild_keywords(self) -> None:
        """FTS5's terms derived again, and the tantivy copy built anew from them."""
        self.base.catalog.rebuild_keywords()
        self.base.catalog.follow_keywords()

    def rebuild_keyword_copy(self) -> None:
        self.base.catalog.follow_keywords(rebuild=True)

    def _record_model(self) -> None:
        """Bind the store to the embedding model (on first write)."""
        base = self.base
        if base.catalog.setting("embed_model") is None:
            model = {"embed_model": base.embedder.model_id}
            base.catalog.set_settings({**model, "embed_dimension": str(base.embedder.dimension)})


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def embed_lessons(knowledge_base: KnowledgeBase, lessons: Sequence[Lesson]) -> np.ndarray:
    """A lesson is embedded as a passage is (the query finds it the same way)."""
    if not lessons:
        return np.zeros((0, knowledge_base.embedder.dimension), dtype=np.float32)
    texts = [lesson.text for lesson in lessons]
    return knowledge_base.embedder.embed_passages(texts).reshape(len(lessons), -1)


def embed_chunks(knowledge_base: KnowledgeBase, meta: Metadata, chunks: list[Chunk]) -> np.ndarray:
    """The vectors of a document's passages: a real title goes with each chunk's text."""
    if not chunks:
        return np.zeros((0, knowledge_base.embedder.dimension), dtype=np.float32)
    texts = [passage_text(meta, c.text) for c in chunks]
    return knowledge_base.embedder.embed_passages(texts).reshape(len(chunks), -1)

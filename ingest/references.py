"""Links between documents, found when documents are written: what each new or changed document
cites (designations and exact titles of known documents), and earlier citations of a
designation that a newly arrived document turns out to carry. Detected, not reviewed."""

from __future__ import annotations

from collections.abc import Sequence

from ingest.suggest.references import KnownDocument, find_references, own_designations
from kb.models import Document
from kb.storage.references import DocumentReference
from kb.writer import Writer


def link_references(writer: Writer, docs: Sequence[Document]) -> int:
    """Store what `docs` (with their text) cite, then re-read earlier documents whose
    unresolved designations one of them carries. Returns how many citations were stored."""
    base = writer.base
    stored = base.references.designations()
    own = {d.id: own_designations(d.meta.title, d.text or "") for d in docs}
    stored.update(own)
    known = [
        KnownDocument(d.id, d.meta.title, stored.get(d.id, ())) for d in base.catalog.documents()
    ]
    new_ids = {d.id for d in docs}
    earlier = [
        i
        for i in base.references.citing_unresolved([x for ds in own.values() for x in ds])
        if i not in new_ids
    ]
    texts = [(d.id, d.text or "") for d in docs]
    texts += [(i, base.catalog.get(i, with_text=True).text or "") for i in earlier]
    items, count = [], 0
    for doc_id, text in texts:
        refs = _rows(doc_id, find_references(text, known, self_id=doc_id))
        items.append((doc_id, stored.get(doc_id, ()), refs))
        count += len(refs)
    writer.save_references(items)
    return count


def _rows(doc_id: str, references) -> list[DocumentReference]:
    out = []
    for ref in references:
        targets = ref.doc_ids or (None,)
        if ref.kind == "title" and not ref.doc_ids:
            continue
        out.extend(
            DocumentReference(doc_id, t, ref.kind, ref.designation, *ref.span) for t in targets
        )
    return out

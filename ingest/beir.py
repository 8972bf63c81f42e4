"""Load a BEIR corpus into a knowledge base, one document per entry (for `kb eval`)."""

from __future__ import annotations

from ingest.metadata import slugify
from ingest.pipeline import Ingester, Progress
from ingest.readers.base import ParsedFile, paragraphs
from kb.knowledge_base import KnowledgeBase
from kb.search.evaluation import Dataset


def ingest_corpus(
    knowledge_base: KnowledgeBase, dataset: Dataset, progress: Progress | None = None
) -> dict:
    """Ingest every entry; returns our document id -> the entry's corpus id."""
    with knowledge_base.writing() as writer:
        return _ingest_entries(Ingester(writer, progress, suggest=False), dataset)


def _ingest_entries(ingester: Ingester, dataset: Dataset) -> dict:
    ingester.progress.start(len(dataset.corpus))
    ids: dict[str, str] = {}
    for entry in dataset.corpus:
        blocks = paragraphs(entry["text"]) or paragraphs(entry["title"])
        if not blocks:
            continue  # an empty entry cannot be found; it simply counts as not retrieved
        doc_id = base = slugify(entry["_id"], max_length=120)
        n = 1
        while doc_id in ids:
            n += 1
            doc_id = f"{base}-{n}"
        ids[doc_id] = entry["_id"]
        # An entry without a title gets none: resolve() shows its id, but embeds nothing.
        meta = {"title": entry["title"].strip(), "kind": "other"}
        ingester.ingest_parsed(doc_id, entry["_id"], ParsedFile("text", blocks), meta)
    ingester.flush()
    return ids

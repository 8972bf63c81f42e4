"""`kb recover`: a new catalog when the old one is damaged, rebuilt from the originals kept in
the data folder, with the vectors of the store where they are intact; every other table the
damaged catalog still lets us read (accounts, records, the review queue, contributions,
versions, the search log…) is carried over row by row (kb/storage/salvage.py), and what could
not be saved is listed."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from ingest.metadata import upload_id
from ingest.pipeline import Ingester, Progress
from ingest.sources import SourceFile
from kb.config import Config
from kb.embedding.embedder import Embedder
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.storage import originals, salvage
from kb.storage.locking import write_lock

log = logging.getLogger(__name__)


@dataclass
class RecoverReport:
    damaged_copy: str = ""  # where the damaged catalog was moved
    documents: int = 0  # rebuilt from their originals
    vectors_reused: int = 0  # documents whose stored vectors were intact
    carried: list[str] = field(default_factory=list)  # tables carried over
    lost: list[str] = field(default_factory=list)  # what could not be saved, one line each

    def to_dict(self) -> dict:
        return vars(self).copy()


def recover(
    config: Config, embedder: Embedder, progress: Progress | None = None, force: bool = False
) -> RecoverReport:
    # The lock first: no other writer may touch the catalog while it is moved and made anew.
    with write_lock(config.data_dir, task="a recovery (kb recover)") as lock:
        if not force and salvage.sound(config.catalog_path):
            raise KBError(
                f"the catalog {config.catalog_path} is sound: nothing to recover "
                "(`kb recover --force` rebuilds it anyway)"
            )
        report = RecoverReport()
        damaged = salvage.move_aside(config.catalog_path)
        report.damaged_copy = str(damaged)
        saved = salvage.open_damaged(damaged)
        try:
            later = saved.make_catalog(config.catalog_path)
            knowledge_base = KnowledgeBase(config, embedder)
            try:
                with knowledge_base.writing(held=lock) as writer:
                    _rebuild(writer, saved, later, progress, report)
            finally:
                knowledge_base.close()
        finally:
            saved.close()
        report.carried, report.lost = saved.carried, saved.lost + report.lost
    return report


def _rebuild(writer, saved: salvage.Salvage, later: list[str], progress, report) -> None:
    """The documents from their originals, then the rows that name them, then the editors'
    edits laid on top of what the files say."""
    knowledge_base = writer.base
    config, db = knowledge_base.config, knowledge_base.catalog.connection
    old_documents, whole = saved.documents()
    # The review queue came through: reading the files again proposes nothing new (a linked
    # version, never read by the suggesters, would get its drafts anew under other ids).
    suggest = "suggestions" not in saved.whole
    ingester = Ingester(writer, progress, reuse_vectors=True, suggest=suggest)
    files = _files(config, old_documents, whole, saved.aliases())
    (progress or Progress()).start(len(files))
    for path, doc_id in files:
        ingester.ingest_file(SourceFile(path, path.name), {"id": doc_id, "replace": True})
    ingester.flush()
    done = ingester.report
    report.documents = len(done.added) + len(done.updated) + len(done.unchanged)
    report.lost += [f"document file {p}: {reason}" for p, reason in done.failed]
    report.vectors_reused = ingester.vectors_reused
    recovered = {d.id for d in knowledge_base.catalog.documents()}
    kept = originals.root(config).resolve() / originals.KEPT
    salvage.restore_documents(db, old_documents, kept)
    report.lost += [
        f"document {doc_id}: its original is not in the data folder ({source})"
        for doc_id, (source, _) in sorted(old_documents.items())
        if doc_id not in recovered
    ]
    saved.copy(db, later)
    report.lost += [
        f"editors' edits of document {doc_id}: the document could not be rebuilt"
        for doc_id in salvage.drop_orphan_edits(db)
    ]
    for doc_id in sorted(salvage.edited_documents(db)):
        writer.update_file_metadata(doc_id, knowledge_base.catalog.get(doc_id).file_metadata)


def _files(config: Config, old: dict, whole: bool, aliases: set[str]) -> list[tuple[Path, str]]:
    """(file, document id) to read again. An upload's file is the document whose source it
    is in the damaged catalog (a document linked as another's version took that one's id);
    one that is no document's source is an earlier version's, or a deleted document's: read
    only when the catalog's documents could not all be read, and never under an id that
    another file or an alias has."""
    by_source = {str(Path(source).resolve()): doc_id for doc_id, (source, _) in old.items()}
    found = [
        (path, doc_id if certain else by_source.get(str(path)), doc_id)
        for path, doc_id, certain in _originals(config)
    ]
    taken = {doc_id for _, doc_id, _ in found if doc_id}
    files = []
    for path, doc_id, guess in found:
        if doc_id is None and not whole and guess not in taken | aliases:
            doc_id = guess
            taken.add(guess)
        if doc_id is not None:
            files.append((path, doc_id))
    return files


def _originals(config: Config):
    """(file, document id, whether the id is certain) for every original kept in the data
    folder: a kept copy's folder is its document's id; an upload's id is guessed from its
    name (each version's own file, under versions/, is not read)."""
    root = originals.root(config)
    if not root.exists():
        return
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name == originals.KEPT:
            for doc_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
                for path in sorted(p for p in doc_folder.iterdir() if p.is_file()):
                    yield path.resolve(), doc_folder.name, True
        elif folder.name != originals.VERSIONS:  # an upload's folder
            for path in sorted(p for p in folder.iterdir() if p.is_file()):
                yield path.resolve(), upload_id(path.name), False

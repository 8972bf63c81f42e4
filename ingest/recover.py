"""`kb recover`: a new catalog when the old one is damaged, rebuilt from the originals kept in
the data folder, with the vectors of the store where they are intact; what the damaged catalog
still lets us read (accounts, records, settings, the documents' sources) is carried over, and
what could not be saved is listed."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ingest.metadata import upload_id
from ingest.pipeline import Ingester, Progress
from ingest.sources import SourceFile
from kb.config import Config
from kb.embedding.embedder import Embedder
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.storage import originals
from kb.storage.catalog import Catalog

log = logging.getLogger(__name__)

# Tables carried over row by row when the damaged catalog still yields them; documents,
# chunks and the keyword index are rebuilt from the originals instead.
CARRIED = (
    "users",
    "tokens",
    "login_failures",
    "manual_edits",
    "investments",
    "investment_documents",
    "lessons",
    "lesson_themes",
    "recommendations",
    "follow_ups",
    "evidence",
)
SETTINGS = ("collection", "embed_model", "embed_dimension")


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
    if not force and _sound(config.catalog_path):
        raise KBError(
            f"the catalog {config.catalog_path} is sound: nothing to recover "
            "(`kb recover --force` rebuilds it anyway)"
        )
    report = RecoverReport()
    damaged = _move_aside(config.catalog_path)
    report.damaged_copy = str(damaged)
    old = _open_damaged(damaged)
    settings = _read(old, "SELECT key, value FROM settings", report, "settings") or []
    sources = dict(_read(old, "SELECT id, source FROM documents", report, "documents") or [])
    fresh = Catalog(config.catalog_path, migrate=True)
    fresh.set_settings({k: v for k, v in settings if k in SETTINGS})
    fresh.close()
    knowledge_base = KnowledgeBase(config, embedder)
    try:
        with knowledge_base.writing(task="a recovery (kb recover)") as writer:
            ingester = Ingester(writer, progress, reuse_vectors=True)
            files = list(_originals(config))
            (progress or Progress()).start(len(files))
            for path, doc_id in files:
                ingester.ingest_file(SourceFile(path, path.name), {"id": doc_id, "replace": True})
            ingester.flush()
            done = ingester.report
            report.documents = len(done.added) + len(done.updated) + len(done.unchanged)
            report.lost += [f"document file {p}: {reason}" for p, reason in done.failed]
            recovered = {d.id for d in knowledge_base.catalog.documents()}
            _restore_sources(knowledge_base, sources, recovered)
            report.lost += [
                f"document {doc_id}: its original is not in the data folder ({source})"
                for doc_id, source in sorted(sources.items())
                if doc_id not in recovered
            ]
            report.vectors_reused = ingester.vectors_reused
            _carry_tables(knowledge_base.catalog.connection, old, report)
            _apply_edits(writer, recovered)
    finally:
        knowledge_base.close()
        if old is not None:
            old.close()
    return report


def _sound(path: Path) -> bool:
    if not path.exists():
        return False
    try:
        catalog = Catalog(path)
    except sqlite3.DatabaseError:
        return False
    try:
        return catalog.integrity_problem() is None
    except sqlite3.DatabaseError:
        return False
    finally:
        catalog.close()


def _move_aside(catalog: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = catalog.with_name(f"{catalog.stem}.damaged-{stamp}{catalog.suffix}")
    for suffix in ("", "-wal", "-shm"):
        part = catalog.with_name(catalog.name + suffix)
        if part.exists():
            part.rename(target.with_name(target.name + suffix))
    return target


def _open_damaged(path: Path) -> sqlite3.Connection | None:
    if not path.exists():
        return None
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db
    except sqlite3.DatabaseError as exc:
        log.warning("the damaged catalog cannot be read at all: %s", exc)
        return None


def _read(db: sqlite3.Connection | None, sql: str, report: RecoverReport, what: str) -> list | None:
    if db is None:
        return None
    try:
        return db.execute(sql).fetchall()
    except sqlite3.DatabaseError as exc:
        report.lost.append(f"{what}: unreadable in the damaged catalog ({exc})")
        return None


def _originals(config: Config):
    """(file, document id) for every original kept in the data folder."""
    root = originals.root(config)
    if not root.exists():
        return
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if folder.name == originals.KEPT:
            for doc_folder in sorted(p for p in folder.iterdir() if p.is_dir()):
                for path in sorted(p for p in doc_folder.iterdir() if p.is_file()):
                    yield path.resolve(), doc_folder.name
        else:  # an upload's folder
            for path in sorted(p for p in folder.iterdir() if p.is_file()):
                yield path.resolve(), upload_id(path.name)


def _restore_sources(knowledge_base: KnowledgeBase, sources: dict, recovered: set) -> None:
    """A file ingested from elsewhere keeps its own path as its source (the copy is only
    what is served), so that the next `kb ingest` of its folder finds it the same."""
    db = knowledge_base.catalog.connection
    kept = originals.root(knowledge_base.config).resolve() / originals.KEPT
    with db:
        for doc_id, source in sources.items():
            if doc_id in recovered and source and not Path(source).is_relative_to(kept):
                current = db.execute("SELECT source FROM documents WHERE id = ?", (doc_id,))
                row = current.fetchone()
                if row and Path(row[0]).is_relative_to(kept):
                    db.execute("UPDATE documents SET source = ? WHERE id = ?", (source, doc_id))


def _apply_edits(writer, recovered: set) -> None:
    """The editors' edits carried over go back on top of what the files say."""
    db = writer.base.catalog.connection
    with db:
        db.execute("DELETE FROM manual_edits WHERE doc_id NOT IN (SELECT id FROM documents)")
    edited = {row[0] for row in db.execute("SELECT DISTINCT doc_id FROM manual_edits")}
    for doc_id in sorted(edited & recovered):
        writer.update_file_metadata(doc_id, writer.base.catalog.get(doc_id).file_metadata)


def _carry_tables(db: sqlite3.Connection, old: sqlite3.Connection | None, report) -> None:
    if old is None:
        report.lost.append(
            "accounts, records and editors' edits: the damaged catalog is unreadable"
        )
        return
    db.execute("PRAGMA foreign_keys=OFF")  # rows arrive in table order, not dependency order
    try:
        for table in CARRIED:
            try:
                rows = old.execute(f"SELECT * FROM {table}")
                columns = [c[0] for c in rows.description]
                values = rows.fetchall()
            except sqlite3.DatabaseError as exc:
                report.lost.append(f"table {table}: unreadable in the damaged catalog ({exc})")
                continue
            marks = ",".join("?" * len(columns))
            with db:
                db.executemany(
                    f"INSERT OR IGNORE INTO {table} ({','.join(columns)}) VALUES ({marks})", values
                )
            report.carried.append(f"{table} ({len(values)} rows)")
    finally:
        db.execute("PRAGMA foreign_keys=ON")

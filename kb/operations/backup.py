"""`kb backup DIR`: a consistent copy of a knowledge base while it serves, to restore by copying
the folder back. The catalog is copied with SQLite's backup API (a snapshot, however busy
the server), the vector store and the originals under the write lock (no writer changes them
meanwhile), and the session key, so that logins survive a restore."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.storage import originals
from kb.storage.data_folder import private_folder

CHROMA_CATALOG = "chroma.sqlite3"


def copy_sqlite(source: Path | sqlite3.Connection, target: Path) -> None:
    """An online, consistent copy of a SQLite database (a WAL's pages included)."""
    src = source if isinstance(source, sqlite3.Connection) else sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        if src is not source:
            src.close()


def backup(knowledge_base: KnowledgeBase, target: Path) -> dict:
    """Copy the knowledge base into the new folder `target`; returns what was copied."""
    config = knowledge_base.config
    if target.exists() and any(target.iterdir()):
        raise KBError(f"{target} is not empty: a backup goes into a new folder")
    if target.resolve().is_relative_to(config.data_dir.resolve()):
        raise KBError(f"{target} is inside the data folder: back up to another disk")
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)  # a backup that was stopped half-way
    private_folder(partial)
    with knowledge_base.writing(task="a backup (kb backup)"):
        copy_sqlite(knowledge_base.catalog.connection, partial / config.catalog_path.name)
        vectors = not config.chroma_url and config.chroma_path.exists()
        if vectors:
            _copy_chroma(config.chroma_path, partial / config.chroma_path.name)
        if originals.root(config).exists():
            shutil.copytree(originals.root(config), partial / originals.root(config).name)
        if (config.data_dir / "secret_key").exists():
            shutil.copy2(config.data_dir / "secret_key", partial / "secret_key")
    if target.exists():
        target.rmdir()
    partial.rename(target)  # a backup is complete under its name, or absent
    return {
        "folder": str(target),
        "documents": len(knowledge_base.catalog.documents()),
        "vectors": vectors,
        "bytes": sum(p.stat().st_size for p in target.rglob("*") if p.is_file()),
    }


def _copy_chroma(source: Path, target: Path) -> None:
    """Chroma's own SQLite file by the backup API, its index files as they are."""
    shutil.copytree(
        source,
        target,
        ignore=lambda folder, names: [n for n in names if n.startswith(CHROMA_CATALOG)],
    )
    if (source / CHROMA_CATALOG).exists():
        copy_sqlite(source / CHROMA_CATALOG, target / CHROMA_CATALOG)

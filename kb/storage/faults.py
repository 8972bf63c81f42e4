"""Storage faults told apart: a full disk, a read-only data folder, a damaged catalog or vector
store. SQLite, the file system and Chroma each say so in their own way; `storage_fault` turns
any of them into one of our errors (kb/errors.py), so that no layer shows a traceback."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sqlite3
from pathlib import Path

from kb.errors import (
    CorruptCatalog,
    KBError,
    ReadOnlyStorage,
    StorageFault,
    StorageFull,
    VectorsDamaged,
)

log = logging.getLogger(__name__)

_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT}
# What Chroma (Rust, with its own SQLite) and SQLite write when the disk is full or read-only.
_FULL_TEXT = ("database or disk is full", "no space left on device", "disk quota exceeded")
_READ_ONLY_TEXT = ("readonly database", "read-only file system", "read-only database")
_CORRUPT_TEXT = ("database disk image is malformed", "file is not a database")
_CHROMA_DAMAGE_TEXT = (
    "hnsw",
    "error loading",
    "segment reader",
    "compactor",
    "querying knn",
    "getting embedding",
)


# Less free space than this, and SQLite cannot even make its -shm file: the disk counts as full.
FULL_BELOW = 64 * 1024


def megabytes(n_bytes: int) -> str:
    return f"{max(n_bytes, 0) / 2**20:.1f} MB"


def free_bytes(path: Path) -> int:
    """Free space on the disk that holds `path` (or its nearest existing parent)."""
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return 0


def disk_full(path: Path, needed: int) -> StorageFull:
    return StorageFull(
        "disk_full", path=str(path), free=megabytes(free_bytes(path)), needed=megabytes(needed)
    )


def is_read_only(folder: Path) -> bool:
    """A read-only mount, or a folder this process may not write (root ignores modes, so
    the mount flag is asked first)."""
    try:
        if os.statvfs(folder).f_flag & os.ST_RDONLY:
            return True
    except OSError:
        return False
    return not os.access(folder, os.W_OK)


def storage_fault(exc: BaseException, data_dir: Path, needed: int = 0) -> StorageFault | None:
    """Our error for a file-system, SQLite or Chroma failure that is a storage fault, else
    None (a bug, to be raised as it is). `needed`: bytes the failed work still had to write."""
    if isinstance(exc, StorageFault):
        return exc
    if isinstance(exc, KBError):
        return None
    text = str(exc).lower()
    where = Path(getattr(exc, "filename", None) or data_dir)
    if isinstance(exc, OSError) and not isinstance(exc, sqlite3.Error):
        if exc.errno in _FULL_ERRNOS:
            return disk_full(where, needed)
        if exc.errno == errno.EROFS or (exc.errno == errno.EACCES and is_read_only(data_dir)):
            return ReadOnlyStorage("read_only", path=str(data_dir), detail=exc.strerror or text)
        return None
    is_sqlite = isinstance(exc, sqlite3.Error)
    is_chroma = type(exc).__module__.split(".")[0] == "chromadb"
    if not (is_sqlite or is_chroma):
        return None
    # On a full disk the catalog is read as immutable (kb/storage/catalog.py), so a write
    # there says "readonly database": the disk's state decides which fault it is.
    full = free_bytes(data_dir) < FULL_BELOW and not is_read_only(data_dir)
    cannot_write = ("disk i/o error", "unable to open database file", *_READ_ONLY_TEXT)
    if any(t in text for t in _FULL_TEXT) or (full and any(t in text for t in cannot_write)):
        return disk_full(data_dir, needed)
    if any(t in text for t in _READ_ONLY_TEXT) or (
        "unable to open database file" in text and is_read_only(data_dir)
    ):
        return ReadOnlyStorage("read_only", path=str(data_dir), detail=str(exc))
    if is_sqlite and any(t in text for t in _CORRUPT_TEXT):
        return CorruptCatalog(
            "catalog_corrupt", path=str(data_dir / "catalog.sqlite3"), detail=str(exc)
        )
    if is_chroma and (
        any(t in text for t in _CHROMA_DAMAGE_TEXT) or any(t in text for t in _CORRUPT_TEXT)
    ):
        return VectorsDamaged("vectors_damaged", detail=str(exc).split(":")[-1].strip() or text)
    return None

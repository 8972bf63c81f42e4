"""Where documents' original files are kept in the data folder, and the only files of the data
folder that may ever be sent to a reader.

    originals/<12 hex>/<name>      an upload (web/views/upload.py), one folder per upload
    originals/kept/<doc id>/<name> a copy of a file ingested from elsewhere (`kb ingest PATH`)
                                   or brought by an archive (`kb import`)

The catalog's `source` is never trusted on its own: an original is served only if it is a
regular file under originals/ reached without a symlink.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import stat
import unicodedata
from pathlib import Path

from kb.config import Config
from kb.models import Document
from kb.storage.data_folder import private_folder

KEPT = "kept"  # never 12 hex digits, so never an upload's folder


def safe_name(name: str) -> str:
    """A file name that is only a name: no folders, no control characters, not too long."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    name = re.sub(r"[^\w.\- ()åäöÅÄÖ]", "_", name)
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = stem.lstrip(".")[:100] or "dokument"  # no hidden files, no ".."
    return f"{stem}.{suffix[:10]}" if suffix else stem


def root(config: Config) -> Path:
    return config.data_dir / "originals"


def kept_path(config: Config, doc_id: str, name: str) -> Path:
    """Where the copy of a document's file is kept (`doc_id` must be a valid id)."""
    return root(config) / KEPT / doc_id / safe_name(name)


def servable(config: Config, doc: Document) -> Path | None:
    """The document's original if it may be sent to a reader, else None."""
    source = Path(doc.source)
    base = root(config)
    for folder in (base, base.resolve()):  # sources are stored resolved; the data dir may not be
        if source.is_absolute() and _lexically_under(source, folder):
            # an upload, or an imported original
            return source if _plain_file_under(source, folder) else None
    # a file ingested from elsewhere: only its copy in the data folder is served
    candidate = base / KEPT / doc.id / safe_name(source.name)
    return candidate if _plain_file_under(candidate, base) else None


def operator_file(config: Config, doc: Document) -> Path | None:
    """The file on disk a `kb ingest PATH` read the document from, if it is still there;
    never a file of the data folder, whatever the catalog says."""
    source = Path(doc.source)
    if not source.is_absolute() or _lexically_under(source, config.data_dir):
        return None
    resolved = source.resolve()
    if resolved.is_relative_to(config.data_dir.resolve()) or not resolved.is_file():
        return None
    return source


def keep(config: Config, doc_id: str, name: str, data: bytes) -> Path:
    """Keep a copy of a document's file; idempotent, and a crash never leaves half a copy."""
    target = kept_path(config, doc_id, name)
    if not _plain_file_under(target, root(config)) or target.read_bytes() != data:
        _make_folder(target.parent)
        tmp = target.parent / f".partial-{secrets.token_hex(4)}"
        with open(tmp, "xb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        install(config, doc_id, name, tmp)
    _remove_others(target)
    return target


def install(config: Config, doc_id: str, name: str, staged: Path) -> Path:
    """Move a staged file (on the same file system) into place as the document's copy."""
    target = kept_path(config, doc_id, name)
    _make_folder(target.parent)
    if target.is_dir() and not target.is_symlink():
        shutil.rmtree(target)
    os.replace(staged, target)  # atomic, and replaces a symlink itself, not what it points to
    _remove_others(target)
    return target


def discard(config: Config, doc_id: str) -> None:
    """Remove the document's kept copy, if it has one."""
    folder = root(config) / KEPT / doc_id
    if Path(os.path.abspath(folder)).parent != Path(os.path.abspath(root(config) / KEPT)):
        return  # not a plain id (a catalog from an older version may hold anything)
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.is_dir():
        shutil.rmtree(folder)


def _make_folder(folder: Path) -> None:
    if folder.is_symlink() or folder.is_file():
        folder.unlink()  # never write through a link planted in the data folder
    private_folder(folder)


def _remove_others(target: Path) -> None:
    """Earlier copies under another name, and partial copies a crash left behind."""
    for other in target.parent.iterdir():
        if other.name != target.name:
            if other.is_dir() and not other.is_symlink():
                shutil.rmtree(other)
            else:
                other.unlink(missing_ok=True)


def _lexically_under(path: Path, folder: Path) -> bool:
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path != folder and path.is_relative_to(folder)


def _plain_file_under(path: Path, folder: Path) -> bool:
    """A regular file inside `folder`, with no symlink on the way from `folder` to it."""
    if not _lexically_under(path, folder):
        return False
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return False
    except OSError:
        return False
    relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(folder))
    return Path(os.path.realpath(path)) == Path(os.path.realpath(folder)) / relative


VERSIONS = "versions"  # originals/versions/<doc id>/<n>/<name>: the file of each version


def keep_version(config: Config, doc_id: str, n: int, source: Path) -> str | None:
    """Keep a copy of the file a document's version `n` was read from (its servable original,
    a regular file under originals/); returns its path relative to originals/, or None."""
    base = root(config)
    folder = base / VERSIONS / doc_id / str(n)
    if Path(os.path.abspath(folder)).parent.parent != Path(os.path.abspath(base / VERSIONS)):
        return None  # not a plain id
    if not _plain_file_under(source, base):
        return None
    _make_folder(folder.parent.parent)
    _make_folder(folder.parent)
    _make_folder(folder)
    target = folder / safe_name(source.name)
    tmp = folder / f".partial-{secrets.token_hex(4)}"
    shutil.copyfile(source, tmp, follow_symlinks=False)
    os.replace(tmp, target)
    _remove_others(target)
    return str(target.relative_to(base))


def version_file(config: Config, doc_id: str, relative: str | None) -> Path | None:
    """A version's kept file, if it may be sent to a reader (under versions/<doc id>/ only)."""
    if not relative:
        return None
    base = root(config)
    candidate = base / relative
    if not _lexically_under(candidate, base / VERSIONS / doc_id):
        return None
    return candidate if _plain_file_under(candidate, base) else None


def discard_versions(config: Config, doc_id: str) -> None:
    folder = root(config) / VERSIONS / doc_id
    if Path(os.path.abspath(folder)).parent != Path(os.path.abspath(root(config) / VERSIONS)):
        return
    if folder.is_symlink() or folder.is_file():
        folder.unlink()
    elif folder.is_dir():
        shutil.rmtree(folder)

"""The data folder holds the catalog, the originals and the session key: others may not read it."""

from __future__ import annotations

from pathlib import Path


def private_folder(path: Path) -> Path:
    """Create `path`, and the missing folders above it, readable by their owner only.

    Folders that already exist are left as they are: an operator may have shared one on purpose.
    """
    missing = []
    folder = path
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)  # from the start: never readable by others, even briefly
        except FileExistsError:
            pass  # made by another process a moment ago
    return path

"""Which files an ingest run reads: paths given, folders walked, sidecars and hidden files left."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ingest.metadata import is_sidecar
from ingest.readers import SUPPORTED_SUFFIXES


@dataclass(frozen=True)
class SourceFile:
    path: Path  # resolved absolute path
    relative_name: str  # path under the folder given on the command line; decides the id


def collect(paths: list[Path]) -> tuple[list[SourceFile], list[tuple[str, str]], list[Path]]:
    """Files to ingest, (path, reason) for paths that cannot be used, and the folders walked."""
    files: list[SourceFile] = []
    missing: list[tuple[str, str]] = []
    roots: list[Path] = []
    seen: set[Path] = set()
    for given in paths:
        if not given.exists():
            missing.append((str(given), "no such file or folder"))
            continue
        if given.is_file():
            resolved = given.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(SourceFile(resolved, given.name))
            continue
        root = given.resolve()
        roots.append(root)
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if any(part.startswith(".") for part in rel.parts) or not path.is_file():
                continue
            if is_sidecar(path) or path.suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            if path.name.lower() in ("readme.md", "license.md", "licence.md"):
                continue  # folder documentation, not knowledge
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(SourceFile(resolved, str(rel)))
    return files, missing, roots

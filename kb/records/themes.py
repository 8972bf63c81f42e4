"""The themes (KB_THEMES_FILE): the secretariat's taxonomy that lessons are filed under."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from kb.errors import KBError
from kb.models import valid_doc_id
from kb.records.models import Theme


def parse(data, name: str = "themes.yaml") -> tuple[Theme, ...]:
    if data is None:
        return ()
    entries = data.get("themes") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise KBError("themes_file_shape", name=name)
    themes = []
    for entry in entries:
        theme_id, title = str(entry.get("id") or ""), str(entry.get("name") or "").strip()
        if not valid_doc_id(theme_id) or not title:
            raise KBError("themes_file_shape", name=name)
        themes.append(Theme(theme_id, title, " ".join(str(entry.get("description", "")).split())))
    return tuple(themes)


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> tuple[Theme, ...]:
    try:
        return parse(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
    except yaml.YAMLError as exc:
        raise KBError("themes_file_yaml", name=path.name, detail=str(exc)) from exc


def load(path: Path) -> tuple[Theme, ...]:
    """The themes file, re-read when the secretariat has edited it; none if absent."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return ()
    return _load(path, mtime)

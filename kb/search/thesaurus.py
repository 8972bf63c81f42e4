"""The field's abbreviations and synonyms (KB_THESAURUS_FILE), applied at query time.

The file is a list of groups of terms that mean the same; a query holding one term of a
group is also searched, on the keyword side, for the others, and the user is told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from kb.analysis import query_stems
from kb.errors import KBError


@dataclass(frozen=True)
class Thesaurus:
    groups: tuple[tuple[str, ...], ...]  # each group's terms, as written in the file

    @cached_property
    def _analysed(self) -> list[list[tuple[str, tuple[str, ...]]]]:
        return [[(t, tuple(query_stems(t))) for t in g] for g in self.groups]

    def expansions(self, stems: tuple[str, ...] | list[str]) -> list[str]:
        """The terms, as written, of every group one of whose terms the query holds."""
        found: list[str] = []
        for group in self._analysed:
            matched = [term for term, s in group if s and _holds(stems, s)]
            if matched:
                found.extend(t for t, s in group if t not in matched and s)
        return list(dict.fromkeys(found))


def _holds(stems, phrase: tuple[str, ...]) -> bool:
    """The query's stems contain `phrase` as consecutive stems."""
    n = len(phrase)
    return any(tuple(stems[i : i + n]) == phrase for i in range(len(stems) - n + 1))


def parse(data) -> Thesaurus:
    if data is None:
        return Thesaurus(())
    if not isinstance(data, list) or not all(isinstance(g, list) for g in data):
        raise KBError("the thesaurus must be a list of groups, each a list of terms")
    groups = tuple(tuple(str(t).strip() for t in g if str(t).strip()) for g in data)
    return Thesaurus(tuple(g for g in groups if len(g) > 1))


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> Thesaurus:
    try:
        return parse(yaml.safe_load(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise KBError(f"{path.name} is not valid YAML: {exc}") from exc


def load(path: Path) -> Thesaurus:
    """The thesaurus file (KB_THESAURUS_FILE), re-read when the secretariat has edited it;
    none if absent."""
    try:
        mtime = path.stat().st_mtime
    except FileNotFoundError:
        return Thesaurus(())
    return _load(path, mtime)

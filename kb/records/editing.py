"""Records made or changed one at a time (the web's forms): the entry is written in the records
file's form and goes through the same checks as `kb records import` (known themes, values and
documents; quotes anchored in the documents' text). Evidence already flagged for review is kept
as it is, as an archive's is, so an edit of a lesson's text does not drop it."""

from __future__ import annotations

import re

from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.records.files import SECTIONS, file_form
from kb.records.importer import plan
from kb.records.models import Record

MAX_ID = 90


def checked(knowledge_base: KnowledgeBase, record_type: str, entry: dict) -> Record:
    """The record `entry` describes, or the first problem found in it (a KBError naming the
    field)."""
    result = plan(knowledge_base, {SECTIONS[record_type]: [entry]}, from_archive=True)
    if result.problems:
        raise result.problems[0].error
    return result.records[0].record


def changed(record: Record, **fields) -> dict:
    """`record` in the records file's form with `fields` laid over it (None removes one)."""
    entry = file_form(record) | fields
    return {k: v for k, v in entry.items() if v is not None}


def new_id(knowledge_base: KnowledgeBase, *words: str, field: str = "name") -> str:
    """A readable id from the words (ascii, hyphens), unique among the records."""
    text = " ".join(words).lower().translate(str.maketrans("åäöéü", "aaoeu"))
    stem = "-".join(re.findall(r"[a-z0-9]+", text)[:8])[:MAX_ID].strip("-")
    if not stem:
        raise KBError("record_missing_field", field=field)
    candidate, n = stem, 2
    while knowledge_base.records.record_type(candidate) is not None:
        candidate, n = f"{stem}-{n}", n + 1
    return candidate

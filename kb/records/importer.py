"""`kb records import`: check a whole records file, anchor its evidence, then write it.

Idempotent by id: a record equal to the stored one is left alone. A file with any invalid
record is refused whole (nothing written), each problem named with its record's id."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.models import Chunk
from kb.records import files
from kb.records.checks import FIELDS, Checker, Problem
from kb.records.models import Record

CREATED, CHANGED, UNCHANGED = "created", "changed", "unchanged"


@dataclass(frozen=True)
class Planned:
    record: Record
    action: str  # CREATED, CHANGED or UNCHANGED

    def to_dict(self) -> dict:
        return {"id": self.record.id, "type": self.record.type, "action": self.action}


@dataclass
class ImportPlan:
    records: list[Planned] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def counts(self) -> dict[str, int]:
        return {a: sum(p.action == a for p in self.records) for a in (CREATED, CHANGED, UNCHANGED)}

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "written": self.written,
            **self.counts(),
            "records": [p.to_dict() for p in self.records],
            "problems": [p.to_dict() for p in self.problems],
        }


def import_records(
    knowledge_base: KnowledgeBase,
    path: Path,
    dry_run: bool = False,
    on_start: Callable[[int], None] = lambda total: None,
    on_record: Callable[[], None] = lambda: None,
    on_wait: Callable[[str], None] | None = None,
) -> ImportPlan:
    """Check every record (and anchor its quotes) while holding the write lock, so that no
    ingest changes a document in between; write them only if all are valid."""
    raw = files.read(path)
    if dry_run:
        return plan(knowledge_base, raw, on_start, on_record)
    with knowledge_base.writing(on_wait=on_wait) as writer:
        result = plan(writer.base, raw, on_start, on_record)
        if result.ok:
            writer.save_records([p.record for p in result.records if p.action != UNCHANGED])
            result.written = True
        return result


def plan(
    knowledge_base: KnowledgeBase,
    raw: dict[str, list],
    on_start: Callable[[int], None] = lambda total: None,
    on_record: Callable[[], None] = lambda: None,
    texts: dict[str, tuple[str, list[Chunk]]] | None = None,
    from_archive: bool = False,
) -> ImportPlan:
    """What importing `raw` would do, or the problems that stop it.

    `texts`: documents' texts and chunks about to be written (an archive's), in place of the
    catalog's; `from_archive`: evidence may come flagged for review, and is kept so."""
    result = ImportPlan()
    for entry in raw.get("unknown", []):
        error = KBError("record_unknown_type", field="type", value=entry.get("type", ""))
        result.problems.append(Problem(str(entry.get("id", "")), error))
    checker = Checker(knowledge_base, raw, texts or {}, from_archive)
    on_start(sum(len(raw.get(s, [])) for s in FIELDS))
    seen: set[str] = set()
    for section, build in (
        ("investments", checker.investment),
        ("lessons", checker.lesson),
        ("recommendations", checker.recommendation),
    ):
        for entry in raw.get(section, []):
            record, problems = checker.check(section, entry, build, seen)
            result.problems += problems
            if record is not None and not problems:
                result.records.append(Planned(record, _action(knowledge_base, record)))
            on_record()
    if result.problems:
        result.records = []
    return result


def _action(knowledge_base: KnowledgeBase, record: Record) -> str:
    stored = knowledge_base.records.get(record.id)
    if stored is None:
        return CREATED
    return UNCHANGED if stored.to_dict() == record.to_dict() else CHANGED

"""`kb records import|list|show|delete`: investments, lessons and recommendations."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.output import add_json_option, emit_json, error, message, shorten, table
from cli.progress import ProgressBar, say_waiting
from kb.config import Config
from kb.errors import KBError, NotFound
from kb.knowledge_base import KnowledgeBase
from kb.records.importer import import_records
from kb.records.models import NEEDS_REVIEW, RECORD_TYPES

PROGRESS_FROM = 20  # records; a smaller file is checked before a bar would be drawn


def register(subparsers) -> None:
    group = subparsers.add_parser(
        "records", help="investments, lessons and recommendations, with their evidence"
    )
    commands = group.add_subparsers(dest="records_command", required=True, metavar="COMMAND")

    p = commands.add_parser("import", help="load records from a YAML or CSV file (by id)")
    p.add_argument("file", type=Path)
    p.add_argument("--dry-run", action="store_true", help="list what would change; write nothing")
    add_json_option(p)
    p.set_defaults(handler=import_file)

    p = commands.add_parser("list", help="list the records")
    p.add_argument("--type", choices=RECORD_TYPES, help="only records of this type")
    add_json_option(p)
    p.set_defaults(handler=list_records)

    p = commands.add_parser("show", help="show one record with its evidence")
    p.add_argument("record_id")
    add_json_option(p)
    p.set_defaults(handler=show)

    p = commands.add_parser("delete", help="delete one record")
    p.add_argument("record_id")
    add_json_option(p)
    p.set_defaults(handler=delete)


def import_file(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    with ProgressBar(not args.json, unit="record", desc="records") as bar:

        def start(total: int) -> None:
            if total >= PROGRESS_FROM:
                bar.start(total)

        result = import_records(
            knowledge_base,
            args.file,
            dry_run=args.dry_run,
            on_start=start,
            on_record=lambda: bar.add(1),
            on_wait=say_waiting,
        )
    if args.json:
        emit_json(result.to_dict())
    elif not result.ok:
        for problem in result.problems:
            e = problem.error
            print(f"{problem.record_id or '-'}: {message(e.code, e.params, str(e), args.lang)}")
    else:
        for planned in result.records:
            print(f"{planned.action:>9}  {planned.record.type:<14} {planned.record.id}")
        counts = result.counts()
        note = " (dry run: nothing written)" if args.dry_run else ""
        print(
            f"{counts['created']} created, {counts['changed']} changed, "
            f"{counts['unchanged']} unchanged{note}"
        )
    if not result.ok:
        failure = KBError("records_invalid", count=len(result.problems))
        if not args.json:
            error(message(failure.code, failure.params, str(failure), args.lang), False)
        return 1
    return 0


def _needs_review(record) -> int:
    return sum(e.status == NEEDS_REVIEW for e in record.evidence)


def list_records(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase.to_read(config)
    records = knowledge_base.records.list(args.type)
    if args.json:
        emit_json([r.to_dict() for r in records])
        return 0
    rows = [
        [
            r.type,
            r.id,
            shorten(getattr(r, "name", None) or r.text, 60),
            str(_needs_review(r) or "-"),
        ]
        for r in records
    ]
    print(table(rows, ["type", "id", "name or text", "needs review"]))
    print(f"{len(records)} records")
    return 0


def show(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase.to_read(config)
    record = knowledge_base.records.get(args.record_id)
    if record is None:
        raise NotFound("no_record", id=args.record_id)
    if args.json:
        emit_json(record.to_dict())
        return 0
    for key, value in record.to_dict().items():
        if isinstance(value, list | dict):
            continue
        print(f"{key:>12}: {value if value is not None else '-'}")
    if getattr(record, "themes", None):
        print(f"{'themes':>12}: {', '.join(record.themes)}")
    for evidence in record.evidence:
        where = f"{evidence.doc_id}#{evidence.seq}" if evidence.seq is not None else evidence.doc_id
        flag = "  [needs review]" if evidence.status == NEEDS_REVIEW else ""
        print(f"\n--- {where} [{evidence.start}:{evidence.end}]{flag}\n«{evidence.exact}»")
    return 0


def delete(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    with knowledge_base.writing(on_wait=say_waiting, task="a records command") as writer:
        record = writer.delete_record(args.record_id)
    if args.json:
        emit_json({"deleted": record.id, "type": record.type})
    else:
        print(f"deleted {record.type} {record.id}")
    return 0

"""`kb suggestions list|show|accept|reject`: the review queue from the command line, the same
decisions as the web's Granska page (kb/operations/review.py)."""

from __future__ import annotations

import argparse
import getpass

from cli.output import add_json_option, emit_json, shorten, table
from cli.progress import say_waiting
from kb.config import Config
from kb.knowledge_base import KnowledgeBase
from kb.operations import review
from kb.records.models import DOCUMENT_ROLES, POLARITIES
from kb.storage.suggestions import KINDS, STATUSES


def register(subparsers) -> None:
    group = subparsers.add_parser(
        "suggestions", help="the review queue: suggested lessons, investments and themes"
    )
    commands = group.add_subparsers(dest="suggestions_command", required=True, metavar="COMMAND")

    p = commands.add_parser("list", help="list suggestions (pending ones unless --status)")
    p.add_argument("--document", help="only this document's")
    p.add_argument("--kind", choices=KINDS)
    p.add_argument("--status", choices=(*STATUSES, "all"), default="pending")
    add_json_option(p)
    p.set_defaults(handler=list_suggestions)

    p = commands.add_parser("accept", help="accept one: publish the lesson, link, or tag")
    p.add_argument("suggestion_id", type=int)
    p.add_argument("--text", help="the lesson as you want it published")
    p.add_argument("--polarity", choices=POLARITIES)
    p.add_argument("--theme", action="append", dest="themes", help="theme id (repeat)")
    p.add_argument("--investment", help="the lesson's investment id")
    p.add_argument("--role", choices=DOCUMENT_ROLES, default="fallbeskrivning")
    _editor_option(p)
    add_json_option(p)
    p.set_defaults(handler=accept)

    p = commands.add_parser("reject", help="reject one, with an optional reason")
    p.add_argument("suggestion_id", type=int)
    p.add_argument("--reason", default="")
    _editor_option(p)
    add_json_option(p)
    p.set_defaults(handler=reject)


def _editor_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--editor", help="the name recorded with the decision (default: your login)")


def _editor(args: argparse.Namespace) -> str:
    return args.editor or f"cli:{getpass.getuser()}"


def list_suggestions(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    found = knowledge_base.suggestions.list(
        status=None if args.status == "all" else args.status, doc_id=args.document, kind=args.kind
    )
    if args.json:
        emit_json([s.to_dict() for s in found])
        return 0
    rows = [
        [
            str(s.id),
            s.doc_id,
            s.kind,
            s.status,
            shorten(s.payload.get("text") or s.payload.get("name") or "", 70),
        ]
        for s in found
    ]
    print(table(rows, ["id", "document", "kind", "status", "suggestion"]))
    print(f"{len(found)} suggestions")
    return 0


def accept(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    with knowledge_base.writing(on_wait=say_waiting) as writer:
        found = review.pending(writer, args.suggestion_id)
        if found.kind == "lesson":
            lesson = review.accept_lesson(
                writer,
                found.id,
                _editor(args),
                text=args.text,
                polarity=args.polarity,
                themes=args.themes,
                investment=args.investment,
            )
            outcome, line = {"lesson": lesson.to_dict()}, f"published lesson {lesson.id}"
        elif found.kind == "investment":
            investment = review.accept_investment(writer, found.id, _editor(args), args.role)
            outcome = {"investment": investment.id, "role": args.role}
            line = f"added {found.doc_id} to investment {investment.id} as {args.role}"
        else:
            tag = review.accept_theme(writer, found.id, _editor(args))
            outcome, line = {"tag": tag}, f"tagged {found.doc_id} with {tag!r}"
    if args.json:
        emit_json({"status": "accepted", **outcome})
    else:
        print(line)
    return 0


def reject(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    with knowledge_base.writing(on_wait=say_waiting) as writer:
        review.reject(writer, args.suggestion_id, _editor(args), args.reason)
    if args.json:
        emit_json({"status": "rejected", "id": args.suggestion_id})
    else:
        print(f"rejected suggestion {args.suggestion_id}")
    return 0

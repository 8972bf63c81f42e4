"""`kb contributions list|show|publish|changes|reject`: the experiences contributors shared,
decided as on the web's Granska bidrag page (kb/operations/contributions.py)."""

from __future__ import annotations

import argparse
import getpass

from cli.output import add_json_option, emit_json, shorten, table
from cli.progress import say_waiting
from ingest import contributions as publishing
from ingest.pipeline import Ingester
from ingest.sources import SourceFile
from kb.config import Config
from kb.knowledge_base import KnowledgeBase
from kb.operations import contributions as ops
from kb.storage.contributions import STATUSES


def register(subparsers) -> None:
    group = subparsers.add_parser(
        "contributions", help="shared experiences (Dela en erfarenhet) and their moderation"
    )
    commands = group.add_subparsers(dest="contributions_command", required=True, metavar="COMMAND")
    p = commands.add_parser("list", help="list contributions (all, or of --status)")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--author", help="only this account's")
    add_json_option(p)
    p.set_defaults(handler=list_contributions)

    p = commands.add_parser("show", help="one contribution with its fields")
    p.add_argument("contribution_id", type=int)
    add_json_option(p)
    p.set_defaults(handler=show)

    p = commands.add_parser(
        "publish", help="publish one: a document of kind experience, its attachments, drafts"
    )
    p.add_argument("contribution_id", type=int)
    _editor_option(p)
    add_json_option(p)
    p.set_defaults(handler=publish)

    for name, option, text in (
        ("changes", "--message", "send one back to its author with a message"),
        ("reject", "--reason", "reject one, with a reason its author sees"),
    ):
        p = commands.add_parser(name, help=text)
        p.add_argument("contribution_id", type=int)
        p.add_argument(option, required=True)
        _editor_option(p)
        add_json_option(p)
        p.set_defaults(handler=decide, action=name)


def _editor_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--editor", help="the name recorded with the decision (default: your login)")


def _editor(args: argparse.Namespace) -> str:
    return args.editor or f"cli:{getpass.getuser()}"


def list_contributions(config: Config, args: argparse.Namespace) -> int:
    found = KnowledgeBase(config).contributions.list(author=args.author, status=args.status)
    if args.json:
        emit_json([c.to_dict() for c in found])
        return 0
    rows = [
        [
            str(c.id),
            c.status,
            c.author,
            shorten(c.agency, 30),
            shorten(c.investment_name or c.investment_id or "", 40),
            c.created_at[:10],
        ]
        for c in found
    ]
    print(table(rows, ["id", "status", "author", "agency", "investment", "sent"]))
    print(f"{len(found)} contributions")
    return 0


def show(config: Config, args: argparse.Namespace) -> int:
    found = ops.get(KnowledgeBase(config), args.contribution_id)
    if args.json:
        emit_json(found.to_dict())
        return 0
    for key, value in found.to_dict().items():
        if value not in (None, "", []):
            print(f"{key}: {value}")
    return 0


def publish(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    editor = _editor(args)
    with knowledge_base.writing(on_wait=say_waiting) as writer:
        published = publishing.publish(writer, args.contribution_id, editor)
        found = knowledge_base.contributions.get(args.contribution_id)
        files, ids = publishing.attachment_uploads(config, found)
        ingester = Ingester(writer)
        options = publishing.attachment_options(found, editor)
        for (name, path), doc_id in zip(files, ids, strict=True):
            ingester.ingest_file(
                SourceFile(path.resolve(), name), {**options, "id": doc_id, "replace": True}
            )
        ingester.flush()
    report = ingester.report
    out = {
        "status": "published",
        "document": published.doc_id,
        "drafts": published.drafts,
        "attachments": {"added": len(report.added), "failed": [r for _, r in report.failed]},
    }
    if args.json:
        emit_json(out)
    else:
        print(f"published {published.doc_id}; {published.drafts} drafts wait in the review queue")
        for path, reason in report.failed:
            print(f"attachment {path}: {reason}")
    return 0


def decide(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    if args.action == "changes":
        ops.request_changes(knowledge_base, args.contribution_id, _editor(args), args.message)
    else:
        ops.reject(knowledge_base, args.contribution_id, _editor(args), args.reason)
    status = "changes_requested" if args.action == "changes" else "rejected"
    if args.json:
        emit_json({"id": args.contribution_id, "status": status})
    else:
        print(f"contribution {args.contribution_id}: {status}")
    return 0

"""`kb ingest`: add or update documents from files and folders."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.output import add_json_option, emit_json, message
from cli.progress import ProgressBar
from ingest.pipeline import ingest as run_ingest
from ingest.pipeline import ocr_summary
from kb.config import Config
from kb.knowledge_base import KnowledgeBase
from kb.messages import english
from kb.models import KINDS


def register(subparsers) -> None:
    p = subparsers.add_parser("ingest", help="add or update documents from files and folders")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    p.add_argument("--kind", choices=KINDS, help="kind of every document given")
    p.add_argument("--agency", help="agency of every document given")
    p.add_argument("--date", help="date (YYYY, YYYY-MM or YYYY-MM-DD) of every document given")
    p.add_argument("--source-url", help="public address of the document")
    p.add_argument("--tag", action="append", default=[], help="add a tag (repeatable)")
    p.add_argument("--language", help="language code, e.g. sv or en")
    p.add_argument(
        "--prune",
        action="store_true",
        help="remove documents whose files are gone from the folders given",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    add_json_option(p)
    p.set_defaults(handler=ingest)


def _metadata(args: argparse.Namespace) -> dict:
    """The metadata given on the command line, for every document of the run."""
    keys = ("kind", "agency", "date", "source_url", "language")
    options = {k: getattr(args, k) for k in keys if getattr(args, k)}
    if args.tag:
        options["tags"] = args.tag
    return options


def ingest(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    try:
        with ProgressBar(enabled=not args.quiet and not args.json) as bar:
            report = run_ingest(
                knowledge_base, args.paths, _metadata(args), prune=args.prune, progress=bar
            )
    finally:
        knowledge_base.close()
    if args.json:
        emit_json(report.to_dict())
    else:
        print(
            f"added {len(report.added)}, updated {len(report.updated)}, "
            f"unchanged {len(report.unchanged)}, failed {len(report.failed)}"
            + (f", removed {len(report.removed)}" if args.prune else "")
        )
        for path, pages in report.ocr.items():
            ocr = ocr_summary(pages)
            print(
                f"  OCR: {path}: {len(pages)} page(s), {ocr['seconds']:.1f} s,"
                f" {ocr['seconds_per_page']:.1f} s per page"
            )
        for path, found in report.near_duplicates.items():
            for d in found:  # both are kept: an editor links them or keeps both
                said = message("near_duplicate", d, english("near_duplicate", d), args.lang)
                print(f"  near-duplicate: {path}: {said}")
        for path, reason in report.failed:
            code, params = report.codes.get(path, (None, {}))
            print(f"  failed: {path}: {message(code, params, reason, args.lang)}")
    if report.stopped is not None:
        fault = report.stopped
        if not args.json:
            print(f"  not done: {report.not_done} (stopped)")
        text = message(fault.code, fault.params, str(fault), "en" if args.json else args.lang)
        print(f"kb: error: {text}", file=sys.stderr)
    return 0 if report.ok else 1

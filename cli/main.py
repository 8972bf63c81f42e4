"""`kb`: ingest documents, inspect the catalog and search, from the command line."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cli import (
    accounts,
    contributions,
    documents,
    evaluation,
    ingest,
    operations,
    records,
    search,
    serve,
    suggestions,
)
from cli.output import error
from cli.output import message as cli_message
from kb.config import load_config
from kb.errors import KBError
from kb.storage.faults import storage_fault

# In the order `kb --help` lists the commands.
COMMAND_GROUPS = (
    ingest,
    documents,
    records,
    suggestions,
    contributions,
    search,
    operations,
    accounts,
    serve,
    evaluation,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb",
        description="Erfarenhetsbanken: a searchable knowledge base of experiences "
        "from Swedish government digital investments.",
    )
    parser.add_argument("--data-dir", type=Path, help="data folder (default: $KB_DATA_DIR)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    parser.add_argument(
        "--lang",
        choices=["en", "sv"],
        default="en",
        help="language of error messages and failure reasons (default en; the output's "
        "labels are English)",
    )
    # Commands without --json (serve) still answer errors in text.
    parser.set_defaults(json=False)
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # pypdf warns on every slightly damaged file; our report already says what failed.
    logging.getLogger("pypdf").setLevel(logging.INFO if args.verbose else logging.ERROR)
    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    try:
        config = load_config(**overrides)
    except ValueError as exc:
        error(str(exc), args.json)
        return 2
    try:
        return args.handler(config, args)
    except KBError as exc:
        return _fail(exc, args)
    except Exception as exc:
        # a full or read-only disk, a damaged catalog or vector store: one line, not a trace
        fault = storage_fault(exc, config.data_dir)
        if fault is None:
            raise
        return _fail(fault, args)
    except KeyboardInterrupt:
        print("kb: interrupted", file=sys.stderr)
        return 130


def _fail(exc: KBError, args: argparse.Namespace) -> int:
    # JSON is for scripts: the English text and the code, whatever --lang says
    message = str(exc) if args.json else cli_message(exc.code, exc.params, str(exc), args.lang)
    error(message, args.json, exc.code)
    return 1


if __name__ == "__main__":
    sys.exit(main())

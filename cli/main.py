"""`kb`: ingest documents, inspect the catalog and search, from the command line."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cli.output import error
from kb.accounts.users import ROLES
from kb.config import load_config
from kb.errors import KBError
from kb.models import KINDS
from kb.search.query import MODES


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="machine-readable output")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kb",
        description="Erfarenhetsbanken: a searchable knowledge base of experiences "
        "from Swedish government digital investments.",
    )
    parser.add_argument("--data-dir", type=Path, help="data folder (default: $KB_DATA_DIR)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("ingest", help="add or update documents from files and folders")
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
    _add_json(p)

    p = sub.add_parser("list", help="list documents with their metadata")
    _add_json(p)
    p = sub.add_parser("show", help="show one document")
    p.add_argument("doc_id")
    p.add_argument("--chunks", action="store_true", help="also print its chunks")
    _add_json(p)
    p = sub.add_parser("delete", help="delete a document from the knowledge base")
    p.add_argument("doc_id")
    _add_json(p)
    p = sub.add_parser("stats", help="counts of documents and chunks")
    _add_json(p)
    p = sub.add_parser("search", help="search the knowledge base")
    p.add_argument("query")
    _add_filters(p)
    p.add_argument("--mode", choices=MODES, default="hybrid", help="default: hybrid")
    p.add_argument("--limit", type=int, default=10, help="documents per page (default 10)")
    p.add_argument("--page", type=int, default=1)
    _add_json(p)

    p = sub.add_parser("similar", help="documents like a document, or like a description")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("doc_id", nargs="?", help="find documents similar to this one")
    target.add_argument(
        "--text-file",
        type=Path,
        help="a planned investment's description ('-' reads standard input)",
    )
    _add_filters(p)
    p.add_argument("--limit", type=int, default=10)
    _add_json(p)

    p = sub.add_parser("export", help="the whole knowledge base into one portable archive")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--vectors", action="store_true", help="include the vectors (no re-embedding)")
    _add_json(p)
    p = sub.add_parser("import", help="add the documents of an export archive")
    p.add_argument("file", type=Path, metavar="FILE")
    _add_json(p)

    p = sub.add_parser("check", help="do catalog, keyword index and vectors agree?")
    p.add_argument("--repair", action="store_true", help="fix what can be fixed")
    _add_json(p)

    p = sub.add_parser(
        "reindex",
        help="re-embed everything with the configured model, "
        "into a new collection; searches go on meanwhile",
    )
    p.add_argument(
        "--drain",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="keep the old collection this long after the switch (default 5)",
    )
    _add_json(p)

    p = sub.add_parser("user", help="editor accounts (the secretariat)")
    user = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    q = user.add_parser("add", help="add an account")
    q.add_argument("name")
    q.add_argument("--editor", action="store_true", help="may upload, edit and delete")
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _add_json(q)
    q = user.add_parser("passwd", help="set an account's password")
    q.add_argument("name")
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    _add_json(q)
    _add_json(user.add_parser("list", help="list accounts"))
    q = user.add_parser("remove", help="remove an account; its sessions and tokens end")
    q.add_argument("name")
    _add_json(q)
    q = user.add_parser(
        "set-role",
        help="editor or reader (at once, also for its sessions; a reader's tokens are revoked)",
    )
    q.add_argument("name")
    q.add_argument("role", choices=ROLES)
    _add_json(q)

    p = sub.add_parser("token", help="API tokens for editors")
    tok = p.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    q = tok.add_parser("create", help="create a token (printed once; send as Bearer)")
    q.add_argument("name")
    _add_json(q)
    q = tok.add_parser("list", help="list tokens by id (the tokens themselves are not kept)")
    q.add_argument("name", nargs="?", help="only this account's tokens")
    _add_json(q)
    q = tok.add_parser("revoke", help="revoke a token; it answers 401 at once")
    q.add_argument("token_id", metavar="TOKEN_ID", help="as shown by 'kb token list'")
    _add_json(q)

    p = sub.add_parser("serve", help="serve the web app (production WSGI server)")
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    p.add_argument(
        "--workers", type=int, default=1, help="processes (default 1; above 1 needs KB_CHROMA_URL)"
    )
    p.set_defaults(json=False)

    p = sub.add_parser("eval", help="retrieval quality on a BEIR-format dataset")
    p.add_argument("dataset", type=Path, metavar="DATASET_DIR")
    p.add_argument("--mode", choices=(*MODES, "all"), default="all")
    p.add_argument("--split", default="test", help="qrels/SPLIT.tsv (default: test)")
    _add_json(p)
    return parser


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agency", action="append", default=[], help="only this agency (repeatable)")
    p.add_argument(
        "--kind", action="append", default=[], choices=KINDS, help="only this kind (repeatable)"
    )
    p.add_argument("--from", dest="year_from", help="from this year")
    p.add_argument("--to", dest="year_to", help="up to this year")
    p.add_argument("--tag", action="append", default=[], help="only with this tag (repeatable)")


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
    from cli import commands

    try:
        return commands.COMMANDS[args.command](config, args)
    except KBError as exc:
        error(str(exc), args.json)
        return 1
    except KeyboardInterrupt:
        print("kb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

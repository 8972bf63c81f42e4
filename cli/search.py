"""`kb search` and `kb similar`: find documents by a question, or like another one."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cli.output import add_json_option, emit_json, message, shorten
from kb.config import Config
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.messages import english
from kb.models import KINDS, Filters
from kb.search.filters import build_filters
from kb.search.query import MAX_QUERY_CHARS, MODES, SearchQuery
from kb.search.results import Passage
from kb.search.searcher import Searcher
from kb.search.similar import Similarity


def register(subparsers) -> None:
    p = subparsers.add_parser("search", help="search the knowledge base")
    p.add_argument("query")
    _add_filters(p)
    p.add_argument("--mode", choices=MODES, default="hybrid", help="default: hybrid")
    p.add_argument("--limit", type=int, default=10, help="documents per page (default 10)")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--near", action="store_true", help="also list documents only loosely similar")
    add_json_option(p)
    p.set_defaults(handler=search)

    p = subparsers.add_parser("similar", help="documents like a document, or like a description")
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("doc_id", nargs="?", help="find documents similar to this one")
    target.add_argument(
        "--text-file",
        type=Path,
        help="a planned investment's description ('-' reads standard input)",
    )
    _add_filters(p)
    p.add_argument("--limit", type=int, default=10)
    add_json_option(p)
    p.set_defaults(handler=similar)


def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--agency", action="append", default=[], help="only this agency (repeatable)")
    p.add_argument(
        "--kind", action="append", default=[], choices=KINDS, help="only this kind (repeatable)"
    )
    p.add_argument("--from", dest="year_from", help="from this year")
    p.add_argument("--to", dest="year_to", help="up to this year")
    p.add_argument("--tag", action="append", default=[], help="only with this tag (repeatable)")


def _filters(args: argparse.Namespace) -> Filters:
    return build_filters(args.agency, args.kind, args.year_from, args.year_to, args.tag)


def search(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase.to_read(config)
    query = SearchQuery(
        args.query, args.mode, _filters(args), args.page, args.limit, near=args.near
    )
    results = Searcher(knowledge_base).search(query)
    if args.json:
        # The very object GET /api/search answers: one shape for scripts and the API.
        emit_json(results.to_dict())
        return 0
    if results.keyword_only:
        print(f"({english('keyword_only', {})})")
    if results.notice:
        print(f"({results.notice})")
    if results.truncated:
        limit = {"limit": MAX_QUERY_CHARS}
        print(
            f"({message('query_truncated', limit, english('query_truncated', limit), args.lang)})"
        )
    if not results.hits:
        print("no results")
    if results.nearest_only:
        print("no clear matches; the nearest documents:")
    print(f"{results.total} documents, page {results.query.page} of {results.pages}")
    if results.near and not (results.query.near or results.nearest_only):
        print(f"({results.near} more only loosely similar: --near lists them)")
    first = (results.query.page - 1) * results.query.per_page
    for rank, hit in enumerate(results.hits, start=first + 1):
        meta = hit.meta
        where = ", ".join(x for x in (meta.agency, meta.kind, meta.date) if x)
        print(f"\n{rank:>2}. {meta.title}  [{hit.doc_id}]  {where}  score {hit.score:.3f}")
        for p in hit.passages:
            page = f"p. {p.page}: " if p.page else ""
            print(f"    {page}{marked(shorten(p.text, 300), p)}")
    return 0


def marked(text: str, passage: Passage) -> str:
    """Highlight the query's words in a terminal (bold), plain when piped."""
    if not sys.stdout.isatty():
        return text
    from kb.analysis import tokens
    from kb.search.highlight import highlight_spans

    stems = list({t.stem for s, e in passage.highlights for t in tokens(passage.text[s:e])})
    out, pos = [], 0
    for s, e in highlight_spans(text, stems):
        out += [text[pos:s], "\033[1m", text[s:e], "\033[0m"]
        pos = e
    return "".join(out) + text[pos:]


def _read_description(path: Path) -> str:
    if str(path) == "-":
        return sys.stdin.read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KBError(f"cannot read {path}: {exc}") from exc


def similar(config: Config, args: argparse.Namespace) -> int:
    similarity = Similarity(Searcher(KnowledgeBase.to_read(config)))
    if args.text_file is not None:
        text = _read_description(args.text_file)
        cases = similarity.similar_to_text(text, args.limit, _filters(args))
    else:
        cases = similarity.similar_documents(args.doc_id, args.limit)
    # The shape of POST /api/similar and GET /api/documents/ID/similar.
    items = [c.to_dict() for c in cases]
    if args.json:
        emit_json(items)
        return 0
    if not items:
        print("no similar documents")
    for rank, item in enumerate(items, start=1):
        print(
            f"\n{rank:>2}. {item['title']}  [{item['doc_id']}]  "
            f"{item['agency'] or '-'}, {item['kind']}  score {item['score']:.3f}"
        )
        for p in item["passages"][:2]:
            page = f"p. {p['page']}: " if p["page"] else ""
            print(f"    {page}{shorten(p['text'], 240)}")
        for rec in item.get("recommendations", []):
            print(f"    recommended ({shorten(rec['title'], 50)}): {shorten(rec['text'], 200)}")
    return 0

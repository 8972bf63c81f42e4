"""`kb list`, `show`, `delete` and `stats`: the catalog's documents."""

from __future__ import annotations

import argparse

from cli.output import add_json_option, emit_json, shorten, table
from cli.progress import say_waiting
from kb.config import Config
from kb.knowledge_base import KnowledgeBase


def register(subparsers) -> None:
    p = subparsers.add_parser("list", help="list documents with their metadata")
    add_json_option(p)
    p.set_defaults(handler=list_documents)

    p = subparsers.add_parser("show", help="show one document")
    p.add_argument("doc_id")
    p.add_argument("--chunks", action="store_true", help="also print its chunks")
    p.add_argument("--versions", action="store_true", help="list its versions instead")
    add_json_option(p)
    p.set_defaults(handler=show)

    p = subparsers.add_parser(
        "restore", help="make an earlier version of a document its newest version again"
    )
    p.add_argument("doc_id")
    p.add_argument("version", type=int, help="the version's number (kb show ID --versions)")
    add_json_option(p)
    p.set_defaults(handler=restore)

    p = subparsers.add_parser("delete", help="delete a document from the knowledge base")
    p.add_argument("doc_id")
    add_json_option(p)
    p.set_defaults(handler=delete)

    p = subparsers.add_parser("stats", help="counts of documents and chunks")
    p.add_argument(
        "--searches",
        action="store_true",
        help="the search log instead, per week: frequent queries, with no results, never opened",
    )
    add_json_option(p)
    p.set_defaults(handler=stats)


def list_documents(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase.to_read(config)
    docs = knowledge_base.catalog.documents()
    if args.json:
        emit_json([d.to_dict() for d in docs])
        return 0
    rows = [
        [
            d.id,
            shorten(d.meta.title, 50),
            d.meta.kind,
            d.meta.agency or "-",
            d.meta.date or "-",
            str(d.n_chunks),
        ]
        for d in docs
    ]
    print(table(rows, ["id", "title", "kind", "agency", "date", "chunks"]))
    print(f"{len(docs)} documents")
    return 0


def show(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase.to_read(config)
    if args.versions:
        return show_versions(knowledge_base, args)
    doc = knowledge_base.catalog.get(args.doc_id, with_text=args.chunks)
    chunks = knowledge_base.catalog.chunks(doc.id) if args.chunks else []
    references = knowledge_base.references
    cited_by, cites = references.cited_by(doc.id), references.cites(doc.id)
    if args.json:
        out = doc.to_dict()
        out["cited_by"] = [r.to_dict() for r in cited_by]
        out["cites"] = [r.to_dict() for r in cites]
        if args.chunks:
            out["chunks"] = [c.to_dict(with_text=True) for c in chunks]
        emit_json(out)
        return 0
    for key, value in doc.to_dict().items():
        if key == "edited_fields":  # set by an editor, laid over what the file says
            value = [f"{k} ({e['editor']} {e['edited_at'][:10]})" for k, e in value.items()]
        if key == "ocr":  # the pages read by OCR, and the time each took
            value = [f"page {p['page']} ({p['seconds']:.1f} s)" for p in value]
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        print(f"{key:>13}: {value if value is not None else '-'}")
    for r in cited_by:
        print(f"{'cited by':>13}: {r.citing_id} ({r.designation})")
    for r in cites:
        print(f"{'cites':>13}: {r.cited_id or '(not in the knowledge base)'} ({r.designation})")
    for c in chunks:
        page = f" p.{c.page}" if c.page else ""
        print(f"\n--- chunk {c.seq}{page} [{c.char_start}:{c.char_end}]\n{c.text}")
    return 0


def delete(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    with knowledge_base.writing(on_wait=say_waiting, task="a delete (kb delete)") as writer:
        writer.delete(args.doc_id)
    if args.json:
        emit_json({"deleted": args.doc_id})
    else:
        print(f"deleted {args.doc_id}")
    return 0


def stats(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase.to_read(config)
    if args.searches:
        return search_stats(knowledge_base, args.json)
    out = {
        **knowledge_base.catalog.stats(),
        "vectors": knowledge_base.store.count(),
        "data_dir": str(config.data_dir),
        "embed_model": knowledge_base.catalog.setting("embed_model")
        or knowledge_base.embedder.model_id,
    }
    if args.json:
        emit_json(out)
        return 0
    for key, value in out.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "-"
        print(f"{key:>12}: {value}")
    return 0


SEARCH_LISTS = (
    ("frequent", "most frequent"),
    ("no_results", "no results"),
    ("never_opened", "results never opened"),
)


def search_stats(knowledge_base: KnowledgeBase, as_json: bool) -> int:
    """The Sökstatistik page's lists, per week (`kb stats --searches`)."""
    log = knowledge_base.search_log
    weeks = log.weeks()
    if as_json:
        emit_json({"enabled": log.enabled, "days": log.days, "weeks": [w.to_dict() for w in weeks]})
        return 0
    if not log.enabled:
        print("The search log is off (KB_SEARCH_LOG=false); earlier searches are kept below.")
    if not weeks:
        print(f"No searches logged in the last {log.days} days.")
    for week in weeks:
        print(f"{week.week}: {week.searches} searches")
        for key, label in SEARCH_LISTS:
            counts = getattr(week, key)
            print(f"  {label}:")
            for entry in counts:
                print(f"    {entry.count:>4}  {entry.query}")
            if not counts:
                print("       -")
    return 0


def show_versions(knowledge_base: KnowledgeBase, args: argparse.Namespace) -> int:
    doc = knowledge_base.catalog.get(args.doc_id)
    versions = knowledge_base.catalog.versions(doc.id)
    if args.json:
        emit_json({"id": doc.id, "versions": [v.to_dict() for v in versions]})
        return 0
    rows = [
        [
            str(v.n),
            v.created_at[:19].replace("T", " "),
            v.origin.kind or "-",
            v.origin.actor or "-",
            v.origin.note or "",
            v.content_hash[:12],
            shorten(v.meta.title, 40),
        ]
        for v in versions
    ]
    print(table(rows, ["n", "made", "origin", "by / from", "note", "hash", "title"]))
    return 0


def restore(config: Config, args: argparse.Namespace) -> int:
    from ingest.pipeline import Ingester

    knowledge_base = KnowledgeBase(config)
    try:
        with knowledge_base.writing(on_wait=say_waiting) as writer:
            made = Ingester(writer).restore_version(args.doc_id, args.version, "kb restore")
    finally:
        knowledge_base.close()
    if args.json:
        emit_json({"id": args.doc_id, "restored": args.version, "version": made})
    else:
        print(f"version {args.version} of {args.doc_id} restored as version {made}")
    return 0

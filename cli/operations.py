"""`kb check`, `reindex`, `export` and `import`: keeping the knowledge base whole and portable."""

from __future__ import annotations

import argparse
from pathlib import Path

from cli.output import add_json_option, emit_json
from cli.progress import ProgressBar, say_waiting
from kb.config import Config
from kb.knowledge_base import KnowledgeBase
from kb.operations.archive import export, import_archive
from kb.operations.consistency import check, repair


def register(subparsers) -> None:
    p = subparsers.add_parser("export", help="the whole knowledge base into one portable archive")
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--vectors", action="store_true", help="include the vectors (no re-embedding)")
    add_json_option(p)
    p.set_defaults(handler=export_kb)

    p = subparsers.add_parser("import", help="add the documents of an export archive")
    p.add_argument("file", type=Path, metavar="FILE")
    add_json_option(p)
    p.set_defaults(handler=import_kb)

    p = subparsers.add_parser("check", help="do catalog, keyword index and vectors agree?")
    p.add_argument("--repair", action="store_true", help="fix what can be fixed")
    add_json_option(p)
    p.set_defaults(handler=check_store)

    p = subparsers.add_parser(
        "backup", help="a consistent copy of the knowledge base into a new folder, while it serves"
    )
    p.add_argument("folder", type=Path, metavar="DIR")
    add_json_option(p)
    p.set_defaults(handler=backup_kb)

    p = subparsers.add_parser(
        "recover",
        help="rebuild a damaged catalog from the originals (and the intact vectors); "
        "lists what could not be saved",
    )
    p.add_argument("--force", action="store_true", help="rebuild even a sound catalog")
    add_json_option(p)
    p.set_defaults(handler=recover_kb)

    p = subparsers.add_parser(
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
    add_json_option(p)
    p.set_defaults(handler=reindex_kb)


def export_kb(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase.to_read(config)
    manifest = export(knowledge_base, args.file, with_vectors=args.vectors)
    if args.json:
        emit_json({**manifest, "file": str(args.file)})
    else:
        print(
            f"exported {manifest['documents']} documents, {manifest['chunks']} chunks"
            f"{' with vectors' if args.vectors else ''} to {args.file}"
        )
    return 0


def import_kb(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    with knowledge_base.writing(on_wait=say_waiting, task="an import (kb import)") as writer:
        result = import_archive(writer, args.file)
    if args.json:
        emit_json(result)
    else:
        how = "vectors reused" if result["vectors_reused"] else "embedded again"
        records = f", {result['records']} records" if result["records"] else ""
        print(
            f"imported {result['documents']} documents, {result['chunks']} chunks ({how}){records}"
        )
    return 0


def check_store(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    with knowledge_base.writing(on_wait=say_waiting, task="a check (kb check)") as writer:
        report = repair(writer) if args.repair else check(knowledge_base)
    if args.json:
        emit_json(report.to_dict())
    else:
        print(
            f"{report.documents} documents, {report.chunks} chunks: "
            f"{'consistent' if report.clean else 'NOT consistent'}"
        )
        for name, items in vars(report).items():
            if isinstance(items, list) and items and name != "repaired":
                print(f"  {name.replace('_', ' ')}: {len(items)} ({', '.join(items[:5])})")
        for line in report.repaired:
            print(f"  repaired: {line}")
        if not args.repair and (report.damaged_store or report.unfindable or not report.clean):
            print("  run `kb check --repair` to fix it (the vector store is rebuilt if need be)")
        if report.evidence_needing_review:
            print(
                f"  {report.evidence_needing_review} evidence passages need an editor's review "
                "(their document changed or is gone): see `kb records list`"
            )
    return 0 if report.clean else 1


def reindex_kb(config: Config, args: argparse.Namespace) -> int:
    from kb.embedding.embedder import Embedder
    from kb.operations.reindex import reindex

    with ProgressBar(enabled=not args.json, unit="chunk", desc="reindex") as bar:
        result = reindex(
            config,
            Embedder(config),
            on_start=bar.start,
            on_chunks=bar.add,
            on_wait=say_waiting,
            drain_seconds=args.drain,
        )
    if args.json:
        emit_json(vars(result))
    else:
        print(
            f"re-embedded {result.documents} documents, {result.chunks} chunks with "
            f"{result.new_model} (was {result.old_model}); "
            f"now serving {result.new_collection}"
        )
    return 0


def backup_kb(config: Config, args: argparse.Namespace) -> int:
    from kb.operations.backup import backup

    knowledge_base = KnowledgeBase.to_read(config)
    try:
        result = backup(knowledge_base, args.folder)
    finally:
        knowledge_base.close()
    if args.json:
        emit_json(result)
    else:
        vectors = "with the vector store" if result["vectors"] else "without vectors"
        print(
            f"backed up {result['documents']} documents {vectors} to {result['folder']} "
            f"({result['bytes'] / 2**20:.1f} MB)"
        )
    return 0


def recover_kb(config: Config, args: argparse.Namespace) -> int:
    from ingest.recover import recover
    from kb.embedding.embedder import Embedder

    with ProgressBar(enabled=not args.json, desc="recover") as bar:
        report = recover(config, Embedder(config), bar, force=args.force)
    if args.json:
        emit_json(report.to_dict())
    else:
        print(
            f"rebuilt the catalog: {report.documents} documents from their originals "
            f"({report.vectors_reused} with their stored vectors); "
            f"the damaged catalog is kept as {report.damaged_copy}"
        )
        for line in report.carried:
            print(f"  carried over: {line}")
        for line in report.lost:
            print(f"  could not be saved: {line}")
    return 0 if not report.lost else 1

"""One function per `kb` subcommand; each returns the process exit status."""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from cli.output import emit_json, shorten, table
from ingest.pipeline import Progress
from ingest.pipeline import ingest as run_ingest
from kb.config import Config
from kb.knowledge_base import KnowledgeBase


class _Bar(Progress):
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: tqdm | None = None

    def start(self, total: int) -> None:
        if self.enabled:
            self.bar = tqdm(total=total, unit="file", desc="ingest", file=sys.stderr)

    def advance(self, outcome: str, path: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(outcome, refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _options(args: argparse.Namespace) -> dict:
    keys = ("kind", "agency", "date", "source_url", "language")
    options = {k: getattr(args, k) for k in keys if getattr(args, k)}
    if args.tag:
        options["tags"] = args.tag
    return options


def ingest(config: Config, args: argparse.Namespace) -> int:
    kb = KnowledgeBase(config)
    bar = _Bar(enabled=not args.quiet and not args.json)
    try:
        report = run_ingest(kb, args.paths, _options(args), prune=args.prune, progress=bar)
    finally:
        bar.close()
        kb.close()
    if args.json:
        emit_json(report.to_dict())
    else:
        print(
            f"added {len(report.added)}, updated {len(report.updated)}, "
            f"unchanged {len(report.unchanged)}, failed {len(report.failed)}"
            + (f", removed {len(report.removed)}" if args.prune else "")
        )
        for path, reason in report.failed:
            print(f"  failed: {path}: {reason}")
    return 0 if report.ok else 1


def list_documents(config: Config, args: argparse.Namespace) -> int:
    kb = KnowledgeBase(config)
    docs = kb.catalog.documents()
    if args.json:
        emit_json([d.to_dict() for d in docs])
        return 0
    rows = [[d.id, shorten(d.meta.title, 50), d.meta.kind, d.meta.agency or "-",
             d.meta.date or "-", str(d.n_chunks)] for d in docs]  # fmt: skip
    print(table(rows, ["id", "title", "kind", "agency", "date", "chunks"]))
    print(f"{len(docs)} documents")
    return 0


def show(config: Config, args: argparse.Namespace) -> int:
    kb = KnowledgeBase(config)
    doc = kb.catalog.get(args.doc_id, with_text=args.chunks)
    chunks = kb.catalog.chunks(doc.id) if args.chunks else []
    if args.json:
        out = doc.to_dict()
        if args.chunks:
            out["chunks"] = [
                {"seq": c.seq, "page": c.page, "char_start": c.char_start,
                 "char_end": c.char_end, "text": c.text}
                for c in chunks
            ]  # fmt: skip
        emit_json(out)
        return 0
    for key, value in doc.to_dict().items():
        if isinstance(value, list):
            value = ", ".join(value) or "-"
        print(f"{key:>13}: {value if value is not None else '-'}")
    for c in chunks:
        page = f" p.{c.page}" if c.page else ""
        print(f"\n--- chunk {c.seq}{page} [{c.char_start}:{c.char_end}]\n{c.text}")
    return 0


def delete(config: Config, args: argparse.Namespace) -> int:
    kb = KnowledgeBase(config)
    kb.delete(args.doc_id)
    if args.json:
        emit_json({"deleted": args.doc_id})
    else:
        print(f"deleted {args.doc_id}")
    return 0


def stats(config: Config, args: argparse.Namespace) -> int:
    kb = KnowledgeBase(config)
    out = {
        **kb.catalog.stats(),
        "vectors": kb.store.count(),
        "data_dir": str(config.data_dir),
        "embed_model": kb.catalog.setting("embed_model") or kb.embedder.model_id,
    }
    if args.json:
        emit_json(out)
        return 0
    for key, value in out.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in sorted(value.items())) or "-"
        print(f"{key:>12}: {value}")
    return 0


def search(config: Config, args: argparse.Namespace) -> int:
    kb = KnowledgeBase(config)
    hits = kb.search(args.query, limit=args.limit)
    if args.json:
        emit_json([h.to_dict() for h in hits])
        return 0
    if not hits:
        print("no results")
    for rank, h in enumerate(hits, start=1):
        page = f", p. {h.page}" if h.page else ""
        print(f"{rank:>2}. {h.title}  [{h.doc_id}{page}]  score {h.score:.3f}")
        print(f"    {shorten(h.text, 240)}")
    return 0


COMMANDS = {
    "ingest": ingest,
    "list": list_documents,
    "show": show,
    "delete": delete,
    "stats": stats,
    "search": search,
}

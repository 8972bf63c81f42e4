"""One function per `kb` subcommand; each returns the process exit status."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from cli.output import emit_json, shorten, table
from cli.progress import ProgressBar, say_waiting
from ingest.beir import ingest_corpus
from ingest.pipeline import ingest as run_ingest
from kb.config import Config
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.models import Filters
from kb.operations.archive import export, import_archive
from kb.operations.consistency import check, repair
from kb.search.evaluation import METRICS, load_beir, score_run
from kb.search.filters import build_filters
from kb.search.query import MAX_QUERY_CHARS, MODES, SearchQuery
from kb.search.searcher import Searcher
from kb.search.similar import Similarity


def _options(args: argparse.Namespace) -> dict:
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
                knowledge_base, args.paths, _options(args), prune=args.prune, progress=bar
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
        for path, reason in report.failed:
            print(f"  failed: {path}: {reason}")
    return 0 if report.ok else 1


def list_documents(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
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
    knowledge_base = KnowledgeBase(config)
    doc = knowledge_base.catalog.get(args.doc_id, with_text=args.chunks)
    chunks = knowledge_base.catalog.chunks(doc.id) if args.chunks else []
    if args.json:
        out = doc.to_dict()
        if args.chunks:
            out["chunks"] = [c.to_dict(with_text=True) for c in chunks]
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
    knowledge_base = KnowledgeBase(config)
    with knowledge_base.writing(on_wait=say_waiting) as writer:
        writer.delete(args.doc_id)
    if args.json:
        emit_json({"deleted": args.doc_id})
    else:
        print(f"deleted {args.doc_id}")
    return 0


def stats(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
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


def _filters(args: argparse.Namespace) -> Filters:
    return build_filters(args.agency, args.kind, args.year_from, args.year_to, args.tag)


def search(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    query = SearchQuery(args.query, args.mode, _filters(args), args.page, args.limit)
    results = Searcher(knowledge_base).search(query)
    if args.json:
        # One hit per passage, best first: the stable shape scripts rely on.
        emit_json(
            [
                {
                    "doc_id": h.doc_id,
                    "chunk_id": p.chunk_id,
                    "title": h.meta.title,
                    "score": round(h.score if i == 0 else p.score, 6),
                    "text": p.text,
                    "page": p.page,
                    "kind": h.meta.kind,
                    "agency": h.meta.agency,
                    "date": h.meta.date,
                }
                for h in results.hits
                for i, p in enumerate(h.passages[:1])
            ]
        )
        return 0
    if results.notice:
        print(f"({results.notice})")
    if not results.hits:
        print("no results")
    print(f"{results.total} documents, page {results.query.page} of {results.pages}")
    first = (results.query.page - 1) * results.query.per_page
    for rank, hit in enumerate(results.hits, start=first + 1):
        meta = hit.meta
        where = ", ".join(x for x in (meta.agency, meta.kind, meta.date) if x)
        print(f"\n{rank:>2}. {meta.title}  [{hit.doc_id}]  {where}  score {hit.score:.3f}")
        for p in hit.passages:
            page = f"p. {p.page}: " if p.page else ""
            print(f"    {page}{marked(shorten(p.text, 300), p)}")
    return 0


def marked(text: str, passage) -> str:
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


def similar(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    similarity = Similarity(Searcher(knowledge_base))
    if args.text_file is not None:
        if str(args.text_file) == "-":
            text = sys.stdin.read()
        else:
            try:
                text = args.text_file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise KBError(f"cannot read {args.text_file}: {exc}") from exc
        cases = similarity.similar_to_text(text, args.limit, _filters(args))
        items = [c.to_dict() for c in cases]
    else:
        cases = [c for c in similarity.similar_documents(args.doc_id, args.limit)]
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


def evaluate(config: Config, args: argparse.Namespace) -> int:
    dataset = load_beir(args.dataset, args.split)
    modes = list(MODES) if args.mode == "all" else [args.mode]
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as tmp:
        knowledge_base = KnowledgeBase(config.with_(data_dir=Path(tmp)))
        with ProgressBar(enabled=not args.json) as bar:
            ids = ingest_corpus(knowledge_base, dataset, bar)
        results = {mode: run_eval(knowledge_base, dataset, ids, mode) for mode in modes}
        knowledge_base.close()
    out = {
        "dataset": dataset.name,
        "split": args.split,
        "queries": len(dataset.queries),
        "model": knowledge_base.embedder.model_id,
        "results": results,
    }
    if args.json:
        emit_json(out)
        return 0
    print(
        f"{dataset.name} ({args.split}): {len(dataset.queries)} queries, "
        f"{len(dataset.corpus)} documents, model {knowledge_base.embedder.model_id}"
    )
    rows = [[mode, *(f"{v:.4f}" for v in scores.values())] for mode, scores in results.items()]
    print(table(rows, ["mode", *METRICS]))
    return 0


def run_eval(
    knowledge_base: KnowledgeBase,
    dataset,
    ids: dict[str, str],
    mode: str,
    searcher: Searcher | None = None,
) -> dict:
    searcher = searcher or Searcher(knowledge_base)
    qids = list(dataset.queries)
    queries = [SearchQuery(dataset.queries[q][:MAX_QUERY_CHARS], mode) for q in qids]
    ranked = searcher.rank_documents(queries)
    runs = {q: [ids[d] for d, _ in r] for q, r in zip(qids, ranked)}
    return score_run(runs, dataset.qrels)


def serve(config: Config, args: argparse.Namespace) -> int:
    import logging

    from web.server import serve as run_server

    logging.getLogger("web").setLevel(logging.INFO)
    logging.getLogger("waitress").setLevel(logging.INFO)
    run_server(config, args.host, args.port, args.threads, args.workers)
    return 0


def export_kb(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
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
    with knowledge_base.writing(on_wait=say_waiting) as writer:
        result = import_archive(writer, args.file)
    if args.json:
        emit_json(result)
    else:
        how = "vectors reused" if result["vectors_reused"] else "embedded again"
        print(f"imported {result['documents']} documents, {result['chunks']} chunks ({how})")
    return 0


def check_store(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    with knowledge_base.writing(on_wait=say_waiting) as writer:
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


def _password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise KBError("the passwords differ")
    return first


def user(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    users = knowledge_base.accounts
    if args.user_command == "add":
        created = users.add(args.name, _password(args), editor=args.editor)
        out = {"name": created.name, "role": created.role}
    elif args.user_command == "passwd":
        users.set_password(args.name, _password(args))
        out = {"name": args.name, "password": "changed"}
    elif args.user_command == "remove":
        users.remove(args.name)
        out = {"name": args.name, "removed": True}
    elif args.user_command == "set-role":
        out = {"name": args.name, "role": users.set_role(args.name, args.role).role}
    else:
        listed = [
            {"name": u.name, "role": u.role, "created_at": u.created_at} for u in users.list()
        ]
        if args.json:
            emit_json(listed)
        else:
            print(
                table(
                    [[u["name"], u["role"], u["created_at"]] for u in listed],
                    ["name", "role", "created"],
                )
            )
        return 0
    if args.json:
        emit_json(out)
    else:
        print(", ".join(f"{k}: {v}" for k, v in out.items()))
    return 0


def token(config: Config, args: argparse.Namespace) -> int:
    knowledge_base = KnowledgeBase(config)
    users = knowledge_base.accounts
    if args.token_command == "list":
        listed = [
            {"id": t.id, "name": t.name, "created_at": t.created_at}
            for t in users.tokens(args.name)
        ]
        if args.json:
            emit_json(listed)
        else:
            print(
                table(
                    [[t["id"], t["name"], t["created_at"]] for t in listed],
                    ["id", "name", "created"],
                )
            )
        return 0
    if args.token_command == "revoke":
        revoked = users.revoke_token(args.token_id)
        if args.json:
            emit_json({"id": revoked.id, "name": revoked.name, "revoked": True})
        else:
            print(f"revoked token {revoked.id} of {revoked.name}")
        return 0
    value = users.create_token(args.name)
    if args.json:
        emit_json({"name": args.name, "token": value})
    else:
        print(value)
        print(
            "Keep it secret: it is shown only now. Send it as 'Authorization: Bearer …'.",
            file=sys.stderr,
        )
    return 0


COMMANDS = {
    "ingest": ingest,
    "list": list_documents,
    "show": show,
    "delete": delete,
    "stats": stats,
    "search": search,
    "similar": similar,
    "eval": evaluate,
    "serve": serve,
    "user": user,
    "check": check_store,
    "reindex": reindex_kb,
    "export": export_kb,
    "import": import_kb,
    "token": token,
}

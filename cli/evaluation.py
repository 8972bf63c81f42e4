"""`kb eval`: retrieval quality of each search mode on a BEIR-format dataset."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from cli.output import add_json_option, emit_json, table
from cli.progress import ProgressBar
from ingest.beir import ingest_corpus
from kb.config import Config
from kb.knowledge_base import KnowledgeBase
from kb.search.evaluation import METRICS, load_beir, score_run
from kb.search.query import MAX_QUERY_CHARS, MODES, SearchQuery
from kb.search.searcher import Searcher


def register(subparsers) -> None:
    p = subparsers.add_parser("eval", help="retrieval quality on a BEIR-format dataset")
    p.add_argument("dataset", type=Path, metavar="DATASET_DIR")
    p.add_argument("--mode", choices=(*MODES, "all"), default="all")
    p.add_argument("--split", default="test", help="qrels/SPLIT.tsv (default: test)")
    add_json_option(p)
    p.set_defaults(handler=evaluate)


def evaluate(config: Config, args: argparse.Namespace) -> int:
    dataset = load_beir(args.dataset, args.split)
    modes = list(MODES) if args.mode == "all" else [args.mode]
    # A throwaway knowledge base: the dataset never mixes with the real documents.
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
    """The dataset's metrics for one mode; `ids` maps our document ids to its corpus ids."""
    searcher = searcher or Searcher(knowledge_base)
    qids = list(dataset.queries)
    queries = [SearchQuery(dataset.queries[q][:MAX_QUERY_CHARS], mode) for q in qids]
    ranked = searcher.rank_documents(queries)
    runs = {q: [ids[d] for d, _ in r] for q, r in zip(qids, ranked)}
    return score_run(runs, dataset.qrels)

"""The keyword copy (tantivy) against FTS5 on the development sets: nDCG@10, keyword and hybrid.

Usage: python bench/keyword_copy_quality.py [--data ../evaldata] [SET ...]

The sets are bench/tune_search.py's, ingested into DATA/<set>/ as it does (reused by later
runs); each is searched with the default settings twice, KB_KEYWORD_ENGINE=fts5 and tantivy.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tune_search import SETS, QueryCache  # noqa: E402

from cli.evaluation import run_eval  # noqa: E402
from ingest.beir import ingest_corpus  # noqa: E402
from kb.config import load_config  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.search.evaluation import load_beir  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", help=f"of {', '.join(SETS)} (default: all)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "evaldata")
    args = parser.parse_args()
    if unknown := set(args.sets) - set(SETS):
        parser.error(f"unknown sets: {', '.join(sorted(unknown))}")
    config = load_config()
    embedder = QueryCache(config, args.data)
    print(f"{'set':<16} {'engine':<8} keyword  hybrid")
    for name in args.sets or list(SETS):
        folder, split = SETS[name]
        dataset = load_beir(folder, split)
        for engine in ("fts5", "tantivy"):
            knowledge_base = KnowledgeBase(
                config.with_(data_dir=args.data / name, keyword_engine=engine), embedder=embedder
            )
            ids = ingest_corpus(knowledge_base, dataset)
            scores = [
                run_eval(knowledge_base, dataset, ids, mode)["ndcg@10"]
                for mode in ("keyword", "hybrid")
            ]
            print(f"{name:<16} {engine:<8} {scores[0]:.4f}   {scores[1]:.4f}", flush=True)
            knowledge_base.close()


if __name__ == "__main__":
    main()

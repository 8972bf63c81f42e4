"""The similarity floor (KB_DENSE_FLOOR): what it costs on the development sets, what it saves.

Usage: python bench/dense_floor.py [--data ../evaldata] [--floors 0.78 0.80 …]
(the development sets as bench/tune_search.py ingests them; its --data folder is reused).

A hybrid search lists the documents that have the query's words, plus those the model finds
close enough (best chunk's cosine >= the floor); the rest wait behind "Visa fler som liknar".
For each floor this prints, per development set, recall@10 and nDCG@10 of what is listed
against the full ranking (the floor must cost nothing), the mean number of documents counted
per query, and the share of nonsense and stop-word queries that list nothing clear (the
higher the better: "xyzzyqqq" should not report 33 documents).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.tune_search import SETS, CachingSearcher, QueryCache, open_set  # noqa: E402
from kb.config import load_config  # noqa: E402
from kb.search.evaluation import score_run  # noqa: E402
from kb.search.query import MAX_QUERY_CHARS, SearchQuery  # noqa: E402
from kb.search.searcher import SearchSettings  # noqa: E402

# Queries with nothing to find: made-up words, stop words only, a keyboard run.
NONSENSE = [
    "xyzzyqqq",
    "och att",
    "qwerty asdfgh",
    "blorpfnik zvex",
    "det är som det är",
    "lorem ipsum dolor",
    "kkkkkk",
    "the and of",
    "flumpig grövla snirre",
    "12345 67890",
]


def measure(dev, floor: float) -> dict:
    searcher = CachingSearcher(dev.knowledge_base, replace(SearchSettings(), dense_floor=floor))
    qids = list(dev.dataset.queries)
    queries = [SearchQuery(dev.dataset.queries[q][:MAX_QUERY_CHARS]) for q in qids]
    full = searcher.rank_documents(queries)
    listed = searcher.rank_documents(queries, listed_only=True)
    run = {q: [dev.ids[d] for d, _ in r] for q, r in zip(qids, listed)}
    base = {q: [dev.ids[d] for d, _ in r] for q, r in zip(qids, full)}
    listed_scores, base_scores = (
        score_run(run, dev.dataset.qrels),
        score_run(base, dev.dataset.qrels),
    )
    junk = [SearchQuery(text) for text in NONSENSE]
    empty = sum(not r.clear for r in searcher.batch_search(junk))
    return {
        "recall@10": listed_scores["recall@10"],
        "recall@10 full": base_scores["recall@10"],
        "ndcg@10": listed_scores["ndcg@10"],
        "ndcg@10 full": base_scores["ndcg@10"],
        "counted": sum(len(r) for r in listed) / len(listed),
        "nonsense without hits": empty / len(junk),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "evaldata")
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument(
        "--floors", nargs="+", type=float, default=[0.0, 0.78, 0.80, 0.82, 0.84, 0.85, 0.86]
    )
    args = parser.parse_args()
    embedder = QueryCache(load_config(), args.data)
    devs = [open_set(name, args.data, embedder) for name in args.sets]
    default = SearchSettings().dense_floor
    print("floor  set             recall@10 (full)   nDCG@10 (full)   counted  nonsense empty")
    for floor in args.floors:
        for dev in devs:
            m = measure(dev, floor)
            mark = "*" if floor == default else " "
            print(
                f"{floor:.2f}{mark} {dev.name:15} {m['recall@10']:.4f} ({m['recall@10 full']:.4f})"
                f"   {m['ndcg@10']:.4f} ({m['ndcg@10 full']:.4f})   {m['counted']:7.1f}"
                f"  {m['nonsense without hits']:.0%}"
            )


if __name__ == "__main__":
    main()

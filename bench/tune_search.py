"""Choose the fusion method, its parameters, prefix matching and chunk size on a dev split.

Usage: python bench/tune_search.py [DATASET_DIR] [--split dev] [--chunking]

Prints nDCG@10 and MRR@10 for each setting; the defaults in kb/config.py are the winners on
corpus/eval's dev split, and the held-out test split is only reported by `kb eval`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.evaluation import run_eval  # noqa: E402
from ingest.beir import ingest_corpus  # noqa: E402
from kb.config import load_config  # noqa: E402
from kb.embedding.embedder import Embedder  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.search.evaluation import load_beir  # noqa: E402
from kb.search.searcher import Searcher, SearchSettings  # noqa: E402


def fusion_grid() -> list[SearchSettings]:
    grid = []
    for prefix in (False, True):
        base = SearchSettings(fusion="rrf", rrf_k=60, dense_weight=0.5, keyword_prefix=prefix)
        for k in (5, 20, 60):
            for w in (0.5, 0.6, 0.7, 0.8):
                grid.append(replace(base, fusion="rrf", rrf_k=k, dense_weight=w))
        for w in (0.5, 0.6, 0.7, 0.8, 0.9):
            grid.append(replace(base, fusion="convex", dense_weight=w))
    return grid


def line(label: str, scores: dict) -> str:
    return f"{label:<44} ndcg@10 {scores['ndcg@10']:.4f}  mrr@10 {scores['mrr@10']:.4f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("dataset", nargs="?", type=Path, default=ROOT / "corpus" / "eval")
    parser.add_argument("--split", default="dev")
    parser.add_argument("--chunking", action="store_true", help="also try chunk sizes")
    args = parser.parse_args()
    dataset = load_beir(args.dataset, args.split)
    config = load_config()
    embedder = Embedder(config)
    sizes = [(128, 200, 20), (256, 350, 40), (350, 450, 60)] if args.chunking else [None]
    for size in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            cfg = config.with_(data_dir=Path(tmp))
            if size:
                cfg = cfg.with_(
                    chunk_tokens=size[0], chunk_max_tokens=size[1], chunk_overlap=size[2]
                )
            embedder.config = cfg
            kb = KnowledgeBase(cfg, embedder=embedder)
            ids = ingest_corpus(kb, dataset)
            print(
                f"\n{dataset.name}/{args.split}: {len(dataset.queries)} queries, chunks "
                f"{kb.store.count()}, chunking {size or 'default'}"
            )
            for mode in ("dense", "keyword"):
                for prefix in (False, True) if mode == "keyword" else (False,):
                    searcher = Searcher(kb, SearchSettings(keyword_prefix=prefix))
                    print(
                        line(f"{mode} prefix={prefix}", run_eval(kb, dataset, ids, mode, searcher))
                    )
            if size and size != sizes[1]:
                continue
            for settings in fusion_grid():
                label = (
                    f"hybrid {settings.fusion} k={settings.rrf_k:g} "
                    f"w_dense={settings.dense_weight} prefix={settings.keyword_prefix}"
                )
                if settings.fusion == "convex":
                    label = label.replace(f" k={settings.rrf_k:g}", "")
                print(line(label, run_eval(kb, dataset, ids, "hybrid", Searcher(kb, settings))))
            kb.close()


if __name__ == "__main__":
    main()

"""Every search setting on every development set, in one table, with BM25-sv beside it.

Usage: python bench/tune_search.py [--data ../evaldata] [--sets NAME ...] [--only LABEL ...]
       [--baseline]   (today's setting only, for a checkout of the code before a change)
KB_TUNE_SHARED points at the shared development sets when they are not at ../shared/eval.

The development sets are ../shared/eval/regeringen-dev, ../shared/eval/swequad-train and
corpus/eval (dev split). Each is ingested once into DATA/<set>/ and reused by later runs
(ingest is idempotent), so a re-run costs only the queries. Query vectors and each side's
chunk scores are cached within a run: most settings differ only in how the sides are fused.

Printed: nDCG@10 for each setting (rows) on each set (columns) and the mean over the sets,
for the hybrid and, where the setting changes them, for its dense and keyword sides. The row
"BM25-sv" is plain BM25 with the Swedish Snowball stemmer (bm25s over title + text), measured
in the same run; the chosen default (SearchSettings()) is marked with "*". A row is flagged
"!" on a set where its hybrid is below max(dense, keyword) or below BM25-sv + 0.03.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.evaluation import run_eval  # noqa: E402
from ingest.beir import ingest_corpus  # noqa: E402
from kb.config import load_config  # noqa: E402
from kb.embedding.embedder import Embedder  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.search.evaluation import Dataset, load_beir, score_run  # noqa: E402
from kb.search.searcher import Searcher, SearchSettings  # noqa: E402

SHARED = Path(os.environ.get("KB_TUNE_SHARED") or ROOT.parent / "shared" / "eval")
SETS = {  # name -> (folder, split)
    "regeringen-dev": (SHARED / "regeringen-dev", "test"),
    "swequad-train": (SHARED / "swequad-train", "test"),
    "corpus-eval": (ROOT / "corpus" / "eval", "dev"),
}
MARGIN = 0.03  # the hybrid must beat BM25-sv by this much
# Settings that change a side's own ranking (the rest only change how the sides are fused).
SIDE_FIELDS = ("candidates", "keyword_prefix", "title_weight", "compounds", "thesaurus")
SHORT = {"candidates": "c", "keyword_prefix": "prefix", "title_weight": "title"}


class QueryCache(Embedder):
    """The embedder with query vectors remembered: every setting asks for the same queries,
    and so does every run (kept in DATA/query-vectors-<model>.npz)."""

    def __init__(self, config, path: Path) -> None:
        super().__init__(config)
        self.path = path / f"query-vectors-{config.embed_model.replace(':', '-')}.npz"
        self._queries: dict[str, np.ndarray] = {}
        if self.path.is_file():
            saved = np.load(self.path)
            self._queries = dict(zip(saved["texts"].tolist(), saved["vectors"]))

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._queries]
        if missing:
            self._queries.update(zip(missing, super().embed_queries(missing)))
            self.path.parent.mkdir(parents=True, exist_ok=True)
            np.savez(
                self.path,
                texts=np.array(list(self._queries)),
                vectors=np.stack(list(self._queries.values())),
            )
        return np.stack([self._queries[t] for t in texts])


class CachingSearcher(Searcher):
    """A searcher whose dense and keyword lookups are remembered across settings."""

    _cache: dict = {}

    def dense(self, vector, filters):
        key = ("d", id(self.kb), vector.tobytes(), self.settings.candidates)
        if key not in self._cache:
            self._cache[key] = super().dense(vector, filters)
        return self._cache[key]

    def keyword(self, stems, filters):
        s = self.settings
        key = (
            "k",
            id(self.kb),
            stems,
            s.candidates,
            s.keyword_prefix,
            getattr(s, "title_weight", 1.0),
        )
        if key not in self._cache:
            self._cache[key] = super().keyword(stems, filters)
        return self._cache[key]


@dataclass
class DevSet:
    name: str
    dataset: Dataset
    knowledge_base: KnowledgeBase
    ids: dict[str, str]
    bm25: float


def bm25_sv(dataset: Dataset) -> float:
    """nDCG@10 of bm25s over title + text, Snowball Swedish stems and stop words."""
    import bm25s
    import Stemmer

    stemmer = Stemmer.Stemmer("swedish")
    docs = [f"{d['title']}\n{d['text']}" for d in dataset.corpus]
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(docs, stopwords="sv", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    qids = list(dataset.queries)
    tokens = bm25s.tokenize(
        [dataset.queries[q] for q in qids], stopwords="sv", stemmer=stemmer, show_progress=False
    )
    k = min(100, len(docs))
    found, _ = retriever.retrieve(tokens, k=k, show_progress=False)
    runs = {q: [dataset.corpus[i]["_id"] for i in row] for q, row in zip(qids, found)}
    return score_run(runs, dataset.qrels)["ndcg@10"]


def open_set(name: str, data: Path, embedder: Embedder) -> DevSet:
    folder, split = SETS[name]
    dataset = load_beir(folder, split)
    config = embedder.config.with_(data_dir=data / name)
    knowledge_base = KnowledgeBase(config, embedder=embedder)
    started = time.perf_counter()
    ids = ingest_corpus(knowledge_base, dataset)
    seconds = time.perf_counter() - started
    print(
        f"{name}: {len(dataset.queries)} queries, {len(ids)} documents, "
        f"{knowledge_base.store.count()} chunks (ingest check {seconds:.0f} s)",
        file=sys.stderr,
    )
    return DevSet(name, dataset, knowledge_base, ids, bm25_sv(dataset))


# One step each way from the default, one field at a time: a plateau, not a spike.
NEIGHBOURS = {
    "dense_weight": (0.35, 0.4, 0.5, 0.55),
    "candidates": (100, 200, 300),
    "chunks_per_doc": (0, 2, 4),
    "title_weight": (1.0, 2.0, 3.0, 5.0),
    "doc_decay": (0.0, 0.1, 0.2, 0.3),
    "confidence": (0.0, 0.25, 0.5),
    "compounds": (False, True),
    "thesaurus": (False, True),
}


def candidates() -> list[tuple[str, SearchSettings]]:
    """(label, settings) for every setting measured: today's, each fusion method over a range
    of weights, then the default (SearchSettings()) with one field changed at a time."""
    today = SearchSettings(
        fusion="convex",
        dense_weight=0.7,
        candidates=100,
        chunks_per_doc=0,
        title_weight=1.0,
        doc_decay=0.0,
        confidence=0.0,
        compounds=False,
        thesaurus=False,
    )
    default = SearchSettings()
    grid = [("today: convex w=0.7", today)]
    for method in ("convex", "zscore", "distribution"):
        for w in (0.3, 0.4, 0.5, 0.6):
            grid.append((f"{method} w={w}", replace(today, fusion=method, dense_weight=w)))
    for k in (10, 30, 60):
        for w in (0.4, 0.5, 0.6):
            grid.append((f"rrf k={k} w={w}", replace(today, fusion="rrf", rrf_k=k, dense_weight=w)))
    grid.append(("default", default))
    for name, values in NEIGHBOURS.items():
        for value in values:
            if value != getattr(default, name):
                grid.append((f"default, {name}={value}", replace(default, **{name: value})))
    seen: set = set()
    return [(label, s) for label, s in grid if not (s in seen or seen.add(s))]


def measure(dev: DevSet, settings: SearchSettings, mode: str) -> float:
    searcher = CachingSearcher(dev.knowledge_base, settings)
    return run_eval(dev.knowledge_base, dev.dataset, dev.ids, mode, searcher)["ndcg@10"]


def row(label: str, values: list[float], flags: list[str], width: int) -> str:
    cells = "".join(f"{v:>8.4f}{f:<2}" for v, f in zip(values, flags))
    return f"{label:<{width}}{cells}{sum(values) / len(values):>8.4f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--data",
        type=Path,
        default=ROOT.parent / "evaldata",
        help="persistent folder of ingested sets, one sub-folder each",
    )
    parser.add_argument("--sets", nargs="+", default=list(SETS), choices=list(SETS))
    parser.add_argument("--baseline", action="store_true", help="the settings of today only")
    parser.add_argument("--only", nargs="*", help="only settings whose label contains one of these")
    args = parser.parse_args()
    embedder = QueryCache(load_config(), args.data)
    devs = [open_set(name, args.data, embedder) for name in args.sets]
    # --baseline: the code before issue 13 (run from a checkout of it) knows only these
    today = [("today", SearchSettings(fusion="convex", dense_weight=0.7))]
    grid = today if args.baseline else candidates()
    default = SearchSettings()
    if args.only:
        grid = [
            (label, s) for label, s in grid if s == default or any(o in label for o in args.only)
        ]
    width = max(len(label) for label, _ in grid) + 12
    header = f"{'nDCG@10':<{width}}" + "".join(f"{d.name[:9]:>10}" for d in devs) + f"{'mean':>8}"
    lines = [header, row("BM25-sv (bm25s)", [d.bm25 for d in devs], [""] * len(devs), width)]
    sides: dict = {}
    for label, settings in grid:
        key = tuple(getattr(settings, f, None) for f in SIDE_FIELDS)
        if key not in sides:
            dense = [measure(d, settings, "dense") for d in devs]
            keyword = [measure(d, settings, "keyword") for d in devs]
            sides[key] = (dense, keyword)
            tag = " ".join(
                f"{SHORT.get(f, f)}={v:g}" if isinstance(v, float) else f"{SHORT.get(f, f)}={v:d}"
                for f, v in zip(SIDE_FIELDS, key)
                if v is not None
            )
            lines.append(row(f"  dense   {tag}", dense, [""] * len(devs), width))
            lines.append(row(f"  keyword {tag}", keyword, [""] * len(devs), width))
        dense, keyword = sides[key]
        hybrid = [measure(d, settings, "hybrid") for d in devs]
        flags = [
            "!" if h < max(a, b) or h < d.bm25 + MARGIN else ""
            for h, a, b, d in zip(hybrid, dense, keyword, devs)
        ]
        mark = "* " if settings == default else "  "
        lines.append(row(f"{mark}hybrid {label}", hybrid, flags, width))
        print(lines[-1], file=sys.stderr, flush=True)
    print("\n".join(lines))
    for d in devs:
        d.knowledge_base.close()


if __name__ == "__main__":
    main()

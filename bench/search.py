"""Query latency from 1k to 1M chunks per mode, against the floor of one raw query.

Usage: python bench/search.py [--sizes 1000 10000 100000] [--repeats 3]
       python bench/search.py --sizes 1000000 --repeats 2      (about 8 GB of disk, see README)

The corpus is scaled up synthetically: real chunks of the sample corpus are copied with their
text and a slightly perturbed vector (no re-embedding), so the stores hold realistic text and
vectors at every size. The floor, measured in the same run, is one `embed_query` plus one raw
Chroma query for the same number of candidates; the figure is hybrid p95 / floor p95.

Each size is built and measured in a process of its own, so its peak memory (max RSS) is its
own. The build goes through the Writer as ingest does, in batches of Chroma's max batch size;
it differs from ingest in two ways only, to make 1M chunks buildable: the catalog commits
without waiting for the disk (synchronous=NORMAL), and the keyword analysis of a text is
remembered (the copies repeat the sample's 84 texts; ingest analyses each chunk, ~1 ms).

The keyword side answers from the tantivy copy of the terms (kb/storage/keyword_copy.py); the
same store is then measured again with KB_KEYWORD_ENGINE=fts5 (the catalog's FTS5 table, as
before issue 17), in the same process, so the two are compared on one machine and one load.
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import ingest  # noqa: E402
from kb.config import load_config  # noqa: E402
from kb.embedding.embedder import Embedder  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.models import Chunk, Document  # noqa: E402
from kb.search import searcher as searcher_module  # noqa: E402
from kb.search.evaluation import load_beir  # noqa: E402
from kb.search.query import MODES, SearchQuery  # noqa: E402
from kb.search.searcher import Searcher  # noqa: E402
from kb.storage import keyword_copy, keyword_index  # noqa: E402

CHUNKS_PER_DOC = 8
# the parts of a hybrid search, timed separately (Searcher methods)
PARTS = ("_embed", "dense", "keyword", "missing_cosines", "fuse", "ready_documents")


def seed(embedder: Embedder, folder: Path):
    """The real corpus, ingested once: its documents, chunks and vectors."""
    knowledge_base = KnowledgeBase(embedder.config.with_(data_dir=folder), embedder=embedder)
    if not knowledge_base.catalog.documents():
        ingest(knowledge_base, [ROOT / "corpus" / "documents"])
    docs = {d.id: d for d in knowledge_base.catalog.documents()}
    chunks = [c for d in docs.values() for c in knowledge_base.catalog.chunks(d.id)]
    vectors = knowledge_base.store.vectors([c.id for c in chunks])
    knowledge_base.close()
    return docs, chunks, vectors


def synthetic_document(doc_id: str, meta, n: int) -> Document:
    return Document(
        doc_id, doc_id, doc_id, meta, "text", n, None, 0, "indexing", "bench", "", "", "", ""
    )


def build(embedder: Embedder, size: int, seed_data, path: Path) -> KnowledgeBase:
    docs, chunks, vectors = seed_data
    rng = np.random.default_rng(size)
    knowledge_base = KnowledgeBase(embedder.config.with_(data_dir=path), embedder=embedder)
    knowledge_base.catalog.connection.execute("PRAGMA synchronous=NORMAL")
    keyword_index.index_terms = functools.lru_cache(maxsize=None)(keyword_index.index_terms)
    keyword_copy.index_terms = keyword_index.index_terms  # the copy analyses changed documents
    batch = knowledge_base.store.client.get_max_batch_size()
    items, pending = [], 0
    for start in range(0, size, CHUNKS_PER_DOC):
        n = min(CHUNKS_PER_DOC, size - start)
        picks = [(start + i) % len(chunks) for i in range(n)]
        source = docs[chunks[picks[0]].doc_id]
        doc_id = f"syn-{start // CHUNKS_PER_DOC:07d}"
        new = [
            Chunk(doc_id, i, chunks[p].text, chunks[p].page, 0, len(chunks[p].text))
            for i, p in enumerate(picks)
        ]
        noisy = vectors[picks] + rng.normal(0, 0.02, (n, vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        items.append((synthetic_document(doc_id, source.meta, n), new, noisy))
        pending += n
        if pending >= batch:
            with knowledge_base.writing() as writer:
                writer.write_documents(items)
            items, pending = [], 0
    with knowledge_base.writing() as writer:
        writer.write_documents(items)
    return knowledge_base


def percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return qs[49] * 1000, qs[94] * 1000


class TimedSearcher(Searcher):
    """A searcher that records the time of each part of a search."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.times: dict[str, list[float]] = defaultdict(list)
        for name in PARTS:
            setattr(self, name, self._timed(name, getattr(self, name)))

    def _timed(self, name, method):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.times[name].append(time.perf_counter() - start)

        return timed


def measure(knowledge_base: KnowledgeBase, queries: list[str], repeats: int) -> dict:
    searcher = TimedSearcher(knowledge_base)
    facet_times: list[float] = []
    counts = searcher_module.facet_counts

    def timed_facets(docs):
        start = time.perf_counter()
        try:
            return counts(docs)
        finally:
            facet_times.append(time.perf_counter() - start)

    searcher_module.facet_counts = timed_facets
    out = {}
    for query in queries[:3]:  # warm caches and the model
        searcher.search(SearchQuery(query))
    floor = []
    for _ in range(repeats):
        for query in queries:
            start = time.perf_counter()
            vector = knowledge_base.embedder.embed_query(query)
            knowledge_base.store.collection.query(query_embeddings=[vector], n_results=100)
            floor.append(time.perf_counter() - start)
    out["floor"] = percentiles(floor)
    for mode in MODES:
        samples = []
        searcher.times.clear()
        facet_times.clear()
        for _ in range(repeats):
            for query in queries:
                start = time.perf_counter()
                searcher.search(SearchQuery(query, mode=mode))
                samples.append(time.perf_counter() - start)
        out[mode] = percentiles(samples)
        if mode == "hybrid":
            parts = {name: percentiles(searcher.times[name]) for name in PARTS}
            out["parts"] = parts | {"facet_counts": percentiles(facet_times)}
    searcher_module.facet_counts = counts
    return out


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def one_size(size: int, repeats: int, work: Path) -> dict:
    """Build and measure one size (run in a process of its own)."""
    embedder = Embedder(load_config())
    seed_data = seed(embedder, work / "seed")
    queries = list(load_beir(ROOT / "corpus" / "eval", "test").queries.values())
    start = time.perf_counter()
    knowledge_base = build(embedder, size, seed_data, work / f"kb-{size}")
    built = time.perf_counter() - start
    figures = measure(knowledge_base, queries, repeats)
    knowledge_base.close()
    config = embedder.config.with_(data_dir=work / f"kb-{size}", keyword_engine="fts5")
    fts5 = KnowledgeBase(config, embedder=embedder)
    figures["fts5"] = measure(fts5, queries, repeats)
    fts5.close()
    return {
        "size": size,
        "queries": len(queries),
        "repeats": repeats,
        "build_s": built,
        "disk_bytes": folder_bytes(work / f"kb-{size}"),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **figures,
    }


def report(r: dict) -> None:
    floor_p95 = r["floor"][1]
    print(
        f"\n{r['size']:,} chunks: built in {r['build_s']:.0f} s, {r['disk_bytes'] / 1e6:.0f} MB"
        f" on disk, peak memory {r['peak_rss_mb']:.0f} MB; {r['queries']} queries x"
        f" {r['repeats']}:"
    )
    for name in ("floor", *MODES):
        p50, p95 = r[name]
        ratio = f"  p95 / floor p95 = {p95 / floor_p95:.2f}" if name != "floor" else ""
        print(f"  {name:<8} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms{ratio}")
    print(
        "  hybrid's parts (p50 / p95 ms): "
        + ", ".join(
            f"{name.strip('_')} {p50:.1f} / {p95:.1f}" for name, (p50, p95) in r["parts"].items()
        )
    )
    before = r["fts5"]
    print("  the same store with KB_KEYWORD_ENGINE=fts5 (before):")
    for name in ("floor", *MODES):
        p50, p95 = before[name]
        ratio = f"  p95 / floor p95 = {p95 / before['floor'][1]:.2f}" if name != "floor" else ""
        print(f"  {name:<8} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms{ratio}")
    print(f"  keyword part of hybrid p95: {before['parts']['keyword'][1]:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", type=Path, help="build the stores in this folder and keep them")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a child: one size
    parser.add_argument("--work", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.repeats, args.work)))
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="kb-bench-search-") as scratch:
        tmp = str(args.keep or scratch)
        seed(Embedder(load_config()), Path(tmp) / "seed")  # once, before the children
        for size in args.sizes:
            child = subprocess.run(
                [sys.executable, __file__, "--one", str(size), "--repeats", str(args.repeats)]
                + ["--work", tmp],
                check=True,
                capture_output=True,
                text=True,
            )
            results.append(json.loads(child.stdout.strip().splitlines()[-1]))
            report(results[-1])
            if not args.keep:
                shutil.rmtree(Path(tmp) / f"kb-{size}")  # the disk for the next size
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

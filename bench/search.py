"""Query latency at 1k, 10k and 100k chunks per mode, against the floor of one raw query.

Usage: python bench/search.py [--sizes 1000 10000 100000] [--repeats 3]

The corpus is scaled up synthetically: real chunks of the sample corpus are copied with their
text and a slightly perturbed vector (no re-embedding), so the stores hold realistic text and
vectors at every size. The floor, measured in the same run, is one `embed_query` plus one raw
Chroma query for the same number of candidates; the figure is hybrid p95 / floor p95.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import ingest  # noqa: E402
from kb.config import load_config  # noqa: E402
from kb.embedding.embedder import Embedder  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.models import Chunk, Document  # noqa: E402
from kb.search.evaluation import load_beir  # noqa: E402
from kb.search.query import MODES, SearchQuery  # noqa: E402
from kb.search.searcher import Searcher  # noqa: E402

CHUNKS_PER_DOC = 8


def seed(embedder: Embedder, work: Path):
    """The real corpus, ingested once: its documents, chunks and vectors."""
    knowledge_base = KnowledgeBase(embedder.config.with_(data_dir=work / "seed"), embedder=embedder)
    ingest(knowledge_base, [ROOT / "corpus" / "documents"])
    docs = {d.id: d for d in knowledge_base.catalog.documents()}
    chunks = [c for d in docs.values() for c in knowledge_base.catalog.chunks(d.id)]
    vectors = knowledge_base.store.vectors([c.id for c in chunks])
    knowledge_base.close()
    return docs, chunks, vectors


def build(embedder: Embedder, size: int, seed_data, path: Path) -> KnowledgeBase:
    docs, chunks, vectors = seed_data
    rng = np.random.default_rng(size)
    knowledge_base = KnowledgeBase(embedder.config.with_(data_dir=path), embedder=embedder)
    items = []
    for start in range(0, size, CHUNKS_PER_DOC):
        n = min(CHUNKS_PER_DOC, size - start)
        picks = [(start + i) % len(chunks) for i in range(n)]
        source = docs[chunks[picks[0]].doc_id]
        doc_id = f"syn-{start // CHUNKS_PER_DOC:06d}"
        new = [
            Chunk(doc_id, i, chunks[p].text, chunks[p].page, 0, len(chunks[p].text))
            for i, p in enumerate(picks)
        ]
        noisy = vectors[picks] + rng.normal(0, 0.02, (n, vectors.shape[1])).astype(np.float32)
        noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
        doc = Document(
            doc_id,
            doc_id,
            doc_id,
            source.meta,
            "text",
            n,
            None,
            0,
            "indexing",
            "bench",
            "",
            "",
            "",
            "",
        )
        items.append((doc, new, noisy))
        if len(items) * CHUNKS_PER_DOC >= 4000:
            with knowledge_base.writing() as writer:
                writer.write_documents(items)
            items = []
    with knowledge_base.writing() as writer:
        writer.write_documents(items)
    return knowledge_base


def percentiles(samples: list[float]) -> tuple[float, float]:
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    return qs[49] * 1000, qs[94] * 1000


def measure(knowledge_base: KnowledgeBase, queries: list[str], repeats: int) -> dict[str, tuple]:
    searcher = Searcher(knowledge_base)
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
        for _ in range(repeats):
            for query in queries:
                start = time.perf_counter()
                searcher.search(SearchQuery(query, mode=mode))
                samples.append(time.perf_counter() - start)
        out[mode] = percentiles(samples)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    embedder = Embedder(load_config())
    dataset = load_beir(ROOT / "corpus" / "eval", "test")
    queries = list(dataset.queries.values())
    with tempfile.TemporaryDirectory(prefix="kb-bench-search-") as tmp:
        work = Path(tmp)
        seed_data = seed(embedder, work)
        for size in args.sizes:
            start = time.perf_counter()
            knowledge_base = build(embedder, size, seed_data, work / f"kb-{size}")
            built = time.perf_counter() - start
            figures = measure(knowledge_base, queries, args.repeats)
            floor_p95 = figures["floor"][1]
            print(
                f"\n{size:,} chunks (built in {built:.0f} s), {len(queries)} queries x "
                f"{args.repeats}:"
            )
            for name, (p50, p95) in figures.items():
                ratio = f"  p95 / floor p95 = {p95 / floor_p95:.2f}" if name != "floor" else ""
                print(f"  {name:<8} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms{ratio}")
            knowledge_base.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory (max RSS): {peak:.0f} MB")


if __name__ == "__main__":
    main()

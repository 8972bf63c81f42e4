"""The encoder backends side by side, in one process: passages/s, one query's latency, quality.

Usage: python bench/encoders.py [--data /work/shared/eval/swequad-train] [--passages 400]
       [--chars 1200] [--rounds 2] [--backends torch onnx onnx-int8]

Each backend embeds the same passages (the dataset's texts cut to about a chunk, batch
KB_EMBED_BATCH_SIZE, sorted by length as ingest does) and its queries one at a time; rounds
alternate the backends so the machine's noise hits all of them. Quality is dense nDCG@10 of
the queries over the whole corpus (each text embedded whole, truncated at the model's 512
tokens), with no chunking or keyword side: it isolates the encoder. Ratios are against
torch fp32 in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.config import load_config  # noqa: E402
from kb.embedding.embedder import Embedder  # noqa: E402
from kb.search.evaluation import load_beir, ndcg  # noqa: E402

SETTINGS = {
    "torch": {"embed_backend": "torch"},
    "onnx": {"embed_backend": "onnx"},
    "onnx-int8": {"embed_backend": "onnx", "embed_quantize": "int8"},
}


def text_of(row: dict) -> str:
    return f"{row['title']}. {row['text']}" if row["title"] else row["text"]


def passages_per_second(embedder: Embedder, texts: list[str]) -> float:
    start = time.perf_counter()
    embedder.embed_passages(texts)
    return len(texts) / (time.perf_counter() - start)


def query_latencies(embedder: Embedder, queries: list[str]) -> list[float]:
    times = []
    for q in queries:
        start = time.perf_counter()
        embedder.embed_query(q)
        times.append(time.perf_counter() - start)
    return times


def dense_ndcg(embedder: Embedder, dataset) -> float:
    ids = [r["_id"] for r in dataset.corpus]
    docs = embedder.embed_passages([text_of(r) for r in dataset.corpus])
    qids = list(dataset.queries)
    queries = embedder.embed_queries([dataset.queries[q] for q in qids])
    top = np.argsort(-(queries @ docs.T), axis=1)[:, :10]
    return statistics.fmean(
        ndcg([ids[i] for i in row], dataset.qrels[q], 10) for q, row in zip(qids, top)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/work/shared/eval/swequad-train"))
    parser.add_argument("--passages", type=int, default=400)
    parser.add_argument("--chars", type=int, default=1200, help="passage length for the rate")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--backends", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--no-quality", action="store_true")
    args = parser.parse_args()

    dataset = load_beir(args.data)
    # Cut to about a chunk (KB_CHUNK_TOKENS 256 is ~1,200 characters of Swedish prose), as
    # ingest hands the model; quality below embeds whole texts.
    texts = [text_of(r)[: args.chars] for r in dataset.corpus[: args.passages]]
    queries = list(dataset.queries.values())[: args.queries]
    config = load_config()
    embedders = {}
    for name in args.backends:
        start = time.perf_counter()
        embedders[name] = Embedder(config.with_(**SETTINGS[name]))
        embedders[name].embed_query("uppvärmning")  # load and warm up
        print(f"{name:>10}: loaded in {time.perf_counter() - start:.1f} s", flush=True)

    rates = {n: [] for n in embedders}
    latencies = {n: [] for n in embedders}
    for _ in range(args.rounds):
        for name, embedder in embedders.items():
            rates[name].append(passages_per_second(embedder, texts))
            latencies[name].extend(query_latencies(embedder, queries))
    quality = (
        {n: dense_ndcg(e, dataset) for n, e in embedders.items()} if not args.no_quality else {}
    )

    base = args.backends[0]
    base_rate = statistics.median(rates[base])
    base_query = statistics.median(latencies[base])
    print(
        f"\n{len(texts)} passages (batch {config.embed_batch_size}), {len(queries)} queries x "
        f"{args.rounds} rounds, {dataset.name}; ratios against {base} in this run"
    )
    print("| backend | passages/s | ratio | one query p50 | p95 | ratio | dense nDCG@10 |")
    print("|---|---|---|---|---|---|---|")
    for name in embedders:
        rate = statistics.median(rates[name])
        p50 = statistics.median(latencies[name])
        p95 = float(np.percentile(latencies[name], 95))
        score = f"{quality[name]:.4f}" if name in quality else "-"
        print(
            f"| {name} | {rate:.1f} | {rate / base_rate:.2f}x | {p50 * 1000:.1f} ms | "
            f"{p95 * 1000:.1f} ms | {base_query / p50:.2f}x | {score} |"
        )


if __name__ == "__main__":
    main()

"""Ingest throughput: our pipeline's chunks/second against raw model.encode on the same texts.

Usage: python bench/ingest.py [--copies N]

Both rates are measured in the same run (the machines are shared and noisy, so the ratio is the
figure, not the absolute numbers). The scaled-up corpus is the sample corpus copied N times with
each copy's text made unique, so every copy is really chunked and embedded.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import ingest  # noqa: E402
from kb.config import load_config  # noqa: E402
from kb.embedding.embedder import Embedder  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.models import passage_text  # noqa: E402

CORPUS = ROOT / "corpus" / "documents"


def scaled_corpus(target: Path, copies: int) -> None:
    """Copies of the text formats with a unique line each; binary formats copied once."""
    for n in range(copies):
        folder = target / f"kopia-{n:03d}"
        folder.mkdir(parents=True)
        for path in CORPUS.iterdir():
            if path.suffix in (".md", ".html"):
                text = path.read_text(encoding="utf-8")
                marker = f"\n\nKopia {n} av {path.stem} för prestandamätning.\n"
                (folder / path.name).write_text(text + marker, encoding="utf-8")
            elif n == 0:
                shutil.copy(path, folder / path.name)


def run_ours(embedder: Embedder, source: Path, data: Path) -> tuple[float, int, list[str]]:
    config = embedder.config.with_(data_dir=data)
    knowledge_base = KnowledgeBase(config, embedder=embedder)
    start = time.perf_counter()
    report = ingest(knowledge_base, [source])
    elapsed = time.perf_counter() - start
    assert report.ok, report.failed
    texts = [
        passage_text(doc.meta, chunk.text)
        for doc in knowledge_base.catalog.documents()
        for chunk in knowledge_base.catalog.chunks(doc.id)
    ]
    knowledge_base.close()
    return elapsed, report.chunks_embedded, texts


def run_raw(embedder: Embedder, texts: list[str]) -> float:
    start = time.perf_counter()
    step = embedder.config.embed_batch_size
    texts = sorted(texts, key=len, reverse=True)  # as ours are, so batches pad alike
    for start in range(0, len(texts), step):  # the encoder alone, in the same batches
        embedder.encoder.encode_passages(texts[start : start + step])
    return time.perf_counter() - start


def measure(embedder: Embedder, name: str, source: Path, work: Path) -> None:
    ours, n_chunks, texts = run_ours(embedder, source, work / f"data-{name}")
    raw = (run_raw(embedder, texts) + run_raw(embedder, texts)) / 2
    ours_rate, raw_rate = n_chunks / ours, len(texts) / raw
    print(
        f"{name:>8}: {n_chunks:5d} chunks | ours {ours_rate:7.1f} chunks/s ({ours:6.1f} s) | "
        f"raw encode {raw_rate:7.1f} chunks/s ({raw:6.1f} s) | ratio {ours_rate / raw_rate:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=32, help="copies for the scaled corpus")
    args = parser.parse_args()
    embedder = Embedder(load_config())
    embedder.embed_passages(["uppvärmning"] * 8)  # load and warm up outside the timings
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        work = Path(tmp)
        measure(embedder, "corpus", CORPUS, work)
        scaled_corpus(work / "scaled", args.copies)
        measure(embedder, "scaled", work / "scaled", work)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"peak memory (max RSS): {peak_mb:.0f} MB; model {embedder.model_id}, "
        f"batch size {embedder.config.embed_batch_size}"
    )


if __name__ == "__main__":
    main()

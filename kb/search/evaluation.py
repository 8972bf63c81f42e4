"""Retrieval evaluation on BEIR-format datasets: loading, and nDCG / recall / MRR."""

from __future__ import annotations

import csv
import json
import math
from dataclasses import dataclass
from pathlib import Path

from kb.errors import KBError

METRICS = ("ndcg@10", "recall@10", "recall@100", "mrr@10")


@dataclass(frozen=True)
class Dataset:
    name: str
    corpus: list[dict]  # {"_id", "title", "text"}
    queries: dict[str, str]  # query id -> text, only those judged in the split
    qrels: dict[str, dict[str, int]]  # query id -> {corpus id: grade}


def _jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        raise KBError(f"{path} is missing (a BEIR dataset has corpus.jsonl, queries.jsonl, qrels/)")
    rows = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise KBError(f"{path.name} line {number} is not JSON: {exc}") from exc
    return rows


def load_beir(folder: Path, split: str = "test") -> Dataset:
    qrels_path = folder / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        raise KBError(f"{qrels_path} is missing")
    qrels: dict[str, dict[str, int]] = {}
    with qrels_path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            grade = int(row["score"])
            if grade > 0:
                qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = grade
    corpus = [
        {"_id": str(r["_id"]), "title": r.get("title") or "", "text": r.get("text") or ""}
        for r in _jsonl(folder / "corpus.jsonl")
    ]
    queries = {str(r["_id"]): r["text"] for r in _jsonl(folder / "queries.jsonl")}
    judged = {q: queries[q] for q in qrels if q in queries}
    return Dataset(folder.name, corpus, judged, {q: qrels[q] for q in judged})


def ndcg(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    dcg = sum(relevant.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    return len(set(ranked[:k]) & set(relevant)) / len(relevant) if relevant else 0.0


def mrr(ranked: list[str], relevant: dict[str, int], k: int) -> float:
    return next((1.0 / (i + 1) for i, d in enumerate(ranked[:k]) if d in relevant), 0.0)


def score_run(runs: dict[str, list[str]], qrels: dict[str, dict[str, int]]) -> dict[str, float]:
    """Mean of each metric over the judged queries (a query with no results scores 0)."""
    totals = dict.fromkeys(METRICS, 0.0)
    for qid, relevant in qrels.items():
        ranked = runs.get(qid, [])
        totals["ndcg@10"] += ndcg(ranked, relevant, 10)
        totals["recall@10"] += recall(ranked, relevant, 10)
        totals["recall@100"] += recall(ranked, relevant, 100)
        totals["mrr@10"] += mrr(ranked, relevant, 10)
    n = max(1, len(qrels))
    return {m: round(v / n, 4) for m, v in totals.items()}

"""Combining the dense and the keyword ranking into one (parameters chosen by `kb eval`)."""

from __future__ import annotations

from collections.abc import Hashable


def reciprocal_rank(rankings: list[list[Hashable]], weights: list[float], k: float) -> dict:
    """Weighted reciprocal rank fusion: sum of w / (k + rank) over the rankings."""
    fused: dict = {}
    for ranking, weight in zip(rankings, weights):
        for rank, key in enumerate(ranking, start=1):
            fused[key] = fused.get(key, 0.0) + weight / (k + rank)
    return fused


def convex(scores: list[dict], weights: list[float]) -> dict:
    """Weighted sum of min-max normalised scores; absent keys count as the minimum."""
    fused: dict = {}
    for table, weight in zip(scores, weights):
        if not table:
            continue
        low, high = min(table.values()), max(table.values())
        span = (high - low) or 1.0
        for key, value in table.items():
            fused[key] = fused.get(key, 0.0) + weight * (value - low) / span
    return fused


def _standardised(table: dict) -> tuple[dict, float]:
    """(key -> z-score, the z-score an absent key gets: the table's lowest)."""
    values = list(table.values())
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 or 1.0
    z = {key: (value - mean) / std for key, value in table.items()}
    return z, min(z.values())


def zscore(scores: list[dict], weights: list[float]) -> dict:
    """Weighted sum of z-scores: robust to one retriever's scores bunching (cosine
    similarities within 0.05 of each other) while the other's spread (BM25's long tail).
    A key absent from a table counts as that table's lowest z-score."""
    tables = [(_standardised(t), w) for t, w in zip(scores, weights) if t]
    keys = {k for (z, _), _ in tables for k in z}
    return {k: sum(w * z.get(k, floor) for (z, floor), w in tables) for k in keys}


def distribution(scores: list[dict], weights: list[float]) -> dict:
    """Distribution-based score fusion: each table scaled from mean - 3 sd (0) to
    mean + 3 sd (1), then weighted and summed; absent keys count 0."""
    fused: dict = {}
    for table, weight in zip(scores, weights):
        if not table:
            continue
        z, _ = _standardised(table)
        for key, value in z.items():
            fused[key] = fused.get(key, 0.0) + weight * min(1.0, max(0.0, (value + 3) / 6))
    return fused

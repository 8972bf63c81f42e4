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
        for key, value in table.items():
            # One match (or all alike) is a full match, not the minimum: a word found in a
            # single document must count for that document.
            share = (value - low) / (high - low) if high > low else 1.0
            fused[key] = fused.get(key, 0.0) + weight * share
    return fused

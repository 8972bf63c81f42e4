"""Combining the dense and the keyword ranking into one (parameters chosen by `kb eval`)."""

from __future__ import annotations

from collections.abc import Collection, Hashable


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


def _standardised(
    table: dict, absent: float | None = None, looked_up: Collection = ()
) -> tuple[dict, float]:
    """(key -> z-score, the z-score an absent key gets).

    `absent`: the score a key missing from the table really has (BM25 gives 0 to a chunk
    without the words); it then joins the statistics as one more value, so a single match
    stands above the rest instead of being its own mean. Without it an absent key gets the
    table's lowest z-score (a dense candidate list is cut off, its tail unknown).
    `looked_up`: keys whose scores were fetched for the other side's finds: they are placed on
    the scale of the retriever's own candidates but do not change it."""
    values = [v for k, v in table.items() if k not in looked_up] or list(table.values())
    values += [absent] if absent is not None else []
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5 or 1.0
    z = {key: (value - mean) / std for key, value in table.items()}
    return z, (absent - mean) / std if absent is not None else min(z.values())


def zscore(
    scores: list[dict],
    weights: list[float],
    absent: list[float | None],
    looked_up: list[Collection] | None = None,
) -> dict:
    """Weighted sum of z-scores: robust to one retriever's scores bunching (cosine
    similarities within 0.05 of each other) while the other's spread (BM25's long tail).
    `absent[i]`, `looked_up[i]`: see `_standardised`."""
    looked_up = looked_up or [()] * len(scores)
    tables = [
        (_standardised(t, a, k), w) for t, w, a, k in zip(scores, weights, absent, looked_up) if t
    ]
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


def confidence(table: dict, depth: int = 10) -> float:
    """How far a ranking's best score stands out: (best - depth-th best) / standard deviation."""
    if len(table) < 2:
        return 0.0
    values = sorted(table.values(), reverse=True)
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / len(values)) ** 0.5
    return (values[0] - values[min(depth, len(values)) - 1]) / std if std else 0.0


def confident_weights(scores: list[dict], weights: list[float], strength: float) -> list[float]:
    """Weights moved towards each ranking's confidence for this query, by `strength` (0..1):
    a keyword side whose best match stands out gets more say than one that found a crowd."""
    if not strength:
        return weights
    shares = [w * confidence(t) for t, w in zip(scores, weights)]
    total = sum(shares)
    if not total:
        return weights
    return [(1 - strength) * w + strength * s / total for w, s in zip(weights, shares)]


def cap_per_document(table: dict, n: int) -> dict:
    """Only each document's `n` best chunks of a (doc_id, seq) -> score table: one long
    document's many near-identical chunks then cannot crowd the others out of the fusion."""
    if not n:
        return table
    kept: dict = {}
    counts: dict = {}
    for key in sorted(table, key=table.get, reverse=True):
        if counts.get(key[0], 0) < n:
            counts[key[0]] = counts.get(key[0], 0) + 1
            kept[key] = table[key]
    return kept


def add_document_evidence(fused: dict, decay: float) -> dict:
    """Each document's best chunk of a fused (doc_id, seq) table gains decay**i times its
    (i+1)-th best chunk's score where that is positive, so a document that matches in several
    places beats one lucky chunk. Made for fused z-scores (centred on the candidates' mean, so
    only above-average chunks add) and so applied to fused scores only, never to one side:
    raw cosines are all positive and close, and a sum of them favours long documents
    (measured on regeringen-dev: dense alone 0.745 -> 0.300)."""
    if not decay:
        return fused
    per_doc: dict = {}
    for key, score in fused.items():
        per_doc.setdefault(key[0], []).append((score, key))
    boosted = dict(fused)
    for chunks in per_doc.values():
        if len(chunks) > 1:
            chunks.sort(reverse=True)
            extra = sum(decay**i * max(0.0, s) for i, (s, _) in enumerate(chunks[1:], 1))
            boosted[chunks[0][1]] += extra
    return boosted

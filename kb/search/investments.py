"""Investments found by meaning: each embedded by its name and description, compared with a
description, a query or another investment (they are few: exact cosines, no index)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from kb.knowledge_base import KnowledgeBase
from kb.records.models import Investment


@dataclass(frozen=True)
class InvestmentHit:
    investment: Investment
    score: float  # cosine similarity

    def to_dict(self) -> dict:
        return {"investment": self.investment.to_dict(), "score": round(self.score, 4)}


def investment_text(investment: Investment) -> str:
    return f"{investment.name}. {investment.description}".strip()


@lru_cache(maxsize=4)
def _vectors(embedder, model_id: str, texts: tuple[str, ...]) -> np.ndarray:
    # Keyed by the texts themselves: an edited investment is embedded again, others not.
    vectors = np.asarray(embedder.embed_passages(list(texts)), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms > 0, norms, 1.0)


def _ranked(
    knowledge_base: KnowledgeBase, vector: np.ndarray, candidates: Sequence[Investment], limit: int
) -> list[InvestmentHit]:
    if not candidates:
        return []
    embedder = knowledge_base.embedder
    texts = tuple(investment_text(i) for i in candidates)
    vectors = _vectors(embedder, embedder.model_id, texts)
    vector = np.asarray(vector, dtype=np.float32)
    cosines = vectors @ (vector / (np.linalg.norm(vector) or 1.0))
    order = np.argsort(-cosines)[:limit]
    return [InvestmentHit(candidates[i], float(cosines[i])) for i in order]


def similar_investments(
    knowledge_base: KnowledgeBase, investment_id: str, limit: int = 5
) -> list[InvestmentHit]:
    """The other investments closest in meaning to this one, best first."""
    everything = knowledge_base.records.investments()
    this = next((i for i in everything if i.id == investment_id), None)
    if this is None:
        return []
    others = [i for i in everything if i.id != investment_id]
    embedder = knowledge_base.embedder
    vector = _vectors(embedder, embedder.model_id, (investment_text(this),))[0]
    return _ranked(knowledge_base, vector, others, limit)


def search_investments(
    knowledge_base: KnowledgeBase,
    query: str,
    limit: int = 10,
    outcomes: Sequence[str] = (),
    agencies: Sequence[str] = (),
) -> list[InvestmentHit]:
    """The investments closest in meaning to a query or a description, best first."""
    if not query.split():
        return []
    candidates = [
        i
        for i in knowledge_base.records.investments()
        if (not outcomes or i.outcome in outcomes) and (not agencies or i.agency in agencies)
    ]
    if not candidates:
        return []
    vector = knowledge_base.embedder.embed_query(query)
    return _ranked(knowledge_base, vector, candidates, limit)

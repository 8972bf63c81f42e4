"""The investment a document belongs to: its best chunks compared with each investment's name and
description, with a boost when the document's agency is the investment's."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kb.embedding.embedder import Embedder

# Chosen on the train split of corpus/suggest-eval (bench/suggesters.py --tune).
THRESHOLD = 0.88
AGENCY_BOOST = 0.02
MARGIN = 0.01  # a second investment only when it scores within MARGIN of the best
TOP_CHUNKS = 1  # a document's score is the mean of its best chunks' cosines
MAX_SUGGESTIONS = 3


@dataclass(frozen=True)
class InvestmentProfile:
    id: str
    name: str
    agency: str | None
    description: str


@dataclass(frozen=True)
class InvestmentSuggestion:
    investment_id: str
    score: float  # similarity plus the agency boost
    similarity: float  # mean cosine of the document's best chunks with the investment
    agency_match: bool


class InvestmentSuggester:
    """Embeds the investments once; suggests investments for documents' chunks."""

    def __init__(
        self,
        investments: list[InvestmentProfile],
        embedder: Embedder,
        threshold: float = THRESHOLD,
        agency_boost: float = AGENCY_BOOST,
        margin: float = MARGIN,
        top_chunks: int = TOP_CHUNKS,
    ) -> None:
        self.investments = investments
        self.embedder = embedder
        self.threshold = threshold
        self.agency_boost = agency_boost
        self.margin = margin
        self.top_chunks = top_chunks
        # The investment is what the document is searched for: the model's query prompt.
        self.vectors = embedder.embed_queries([f"{i.name}. {i.description}" for i in investments])

    def suggest(self, chunks: list[str], agency: str | None = None) -> list[InvestmentSuggestion]:
        """The investments a document with these chunk texts belongs to, best first."""
        return self.suggest_vectors(self.embedder.embed_passages(chunks), agency)

    def suggest_vectors(
        self, chunk_vectors: np.ndarray, agency: str | None = None
    ) -> list[InvestmentSuggestion]:
        """The same from the chunks' passage vectors (as the vector store holds them)."""
        scored = self.score_all(chunk_vectors, agency)
        if not scored:
            return []
        # One document often belongs to one investment and is merely near the agency's others
        floor = max(self.threshold, scored[0].score - self.margin)
        return [s for s in scored if s.score >= floor][:MAX_SUGGESTIONS]

    def score_all(
        self, chunk_vectors: np.ndarray, agency: str | None = None
    ) -> list[InvestmentSuggestion]:
        """Every investment with its score for the document, best first."""
        if not len(chunk_vectors) or not self.investments:
            return []
        cosines = np.asarray(chunk_vectors) @ self.vectors.T  # chunks × investments
        k = min(self.top_chunks, len(cosines))
        best = -np.sort(-cosines, axis=0)[:k].mean(axis=0)
        out = []
        for inv, sim in zip(self.investments, best, strict=True):
            match = bool(agency and inv.agency and agency.casefold() == inv.agency.casefold())
            total = float(sim) + self.agency_boost * match
            out.append(InvestmentSuggestion(inv.id, round(total, 4), round(float(sim), 4), match))
        return sorted(out, key=lambda s: -s.score)

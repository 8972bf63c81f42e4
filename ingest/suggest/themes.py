"""Zero-shot theme suggestion: a passage gets the themes whose descriptions it is most like."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from kb.embedding.embedder import Embedder

# Chosen on the train split of corpus/suggest-eval (bench/suggesters.py --tune): a theme is
# suggested when its score is at least THRESHOLD and within MARGIN of the best theme's.
THRESHOLD = -0.018
MARGIN = 0.02
MAX_THEMES = 2


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    description: str


@dataclass(frozen=True)
class ThemeSuggestion:
    theme_id: str
    score: float  # cosine with the theme's description, less the theme's baseline


def load_themes(path: Path) -> list[Theme]:
    """The themes of a themes file (corpus/themes.yaml's format)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [Theme(t["id"], t["name"], " ".join(t["description"].split())) for t in data["themes"]]


class ThemeSuggester:
    """Holds the themes' vectors (embedded once, as passages) and scores passages against them.

    A passage's score for a theme is its cosine with the description less the theme's baseline:
    the mean cosine of the other themes' descriptions with it. Some descriptions (styrning och
    ledning) are near almost any passage about an investment; raw cosines let them win most
    passages (top-1 right for 44 % of the train evidence passages, 54 % with the baseline)."""

    def __init__(
        self,
        themes: list[Theme],
        embedder: Embedder,
        threshold: float = THRESHOLD,
        margin: float = MARGIN,
        max_themes: int = MAX_THEMES,
    ) -> None:
        self.themes = themes
        self.embedder = embedder
        self.threshold = threshold
        self.margin = margin
        self.max_themes = max_themes
        # The descriptions alone: adding the name made top-1 worse on train (41 % against 44 %).
        descriptions = [t.description for t in themes]
        self.vectors = embedder.embed_passages(descriptions)
        cross = embedder.embed_queries(descriptions) @ self.vectors.T
        np.fill_diagonal(cross, np.nan)
        self.baseline = np.nanmean(cross, axis=0) if len(themes) > 1 else np.zeros(len(themes))

    def scores(self, passages: list[str]) -> np.ndarray:
        """Score of each passage (rows) for each theme (columns)."""
        # The passage is the question put to the theme descriptions: the model's query prompt.
        return self.embedder.embed_queries(passages) @ self.vectors.T - self.baseline

    def suggest(self, passages: list[str]) -> list[list[ThemeSuggestion]]:
        """For each passage, the best themes above the threshold and margin, best first."""
        return [self.pick(row) for row in self.scores(passages)]

    def suggest_vectors(self, query_vectors: np.ndarray) -> list[list[ThemeSuggestion]]:
        """The same from the passages' query vectors (a lesson detector has made them)."""
        return [
            self.pick(row) for row in np.asarray(query_vectors) @ self.vectors.T - self.baseline
        ]

    def suggest_one(self, passage: str) -> list[ThemeSuggestion]:
        return self.suggest([passage])[0]

    def pick(self, row: np.ndarray) -> list[ThemeSuggestion]:
        """The themes one row of scores earns."""
        order = np.argsort(-row)
        best = float(row[order[0]])
        out = []
        for i in order[: self.max_themes]:
            score = float(row[i])
            if score < self.threshold or score < best - self.margin:
                break
            out.append(ThemeSuggestion(self.themes[i].id, round(score, 4)))
        return out

"""What every record page shows: a lesson with its cited evidence, a recommendation with its
follow-ups, lessons grouped by theme, and the filters of the record lists."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kb.knowledge_base import KnowledgeBase
from kb.records import themes as theme_file
from kb.records.models import Lesson, Recommendation, Theme
from web.views.citations import Citation, Citer


@dataclass(frozen=True)
class CitedLesson:
    lesson: Lesson
    evidence: list[Citation]

    def to_dict(self) -> dict:
        return {**self.lesson.to_dict(), "cited": [c.to_dict() for c in self.evidence]}


@dataclass(frozen=True)
class CitedRecommendation:
    recommendation: Recommendation
    source: Citation
    follow_ups: list[tuple[str, Citation]]  # (status, the passage that says so)

    @property
    def status(self) -> str:
        """The latest follow-up's status; okänd when none has answered."""
        return self.follow_ups[-1][0] if self.follow_ups else "okänd"

    def to_dict(self) -> dict:
        return {
            **self.recommendation.to_dict(),
            "status": self.status,
            "cited_source": self.source.to_dict(),
            "cited_follow_ups": [{"status": s, **c.to_dict()} for s, c in self.follow_ups],
        }


def themes_by_id(knowledge_base: KnowledgeBase) -> dict[str, Theme]:
    return {t.id: t for t in theme_file.load(knowledge_base.config.themes_file)}


def cite_lessons(citer: Citer, lessons: Iterable[Lesson]) -> list[CitedLesson]:
    return [CitedLesson(x, citer.cite_all(x.evidence)) for x in lessons]


def cite_recommendations(
    citer: Citer, recommendations: Iterable[Recommendation]
) -> list[CitedRecommendation]:
    return [
        CitedRecommendation(
            r, citer.cite(r.source), [(f.status, citer.cite(f.evidence)) for f in r.follow_ups]
        )
        for r in recommendations
    ]


def by_theme(
    lessons: list[CitedLesson], themes: dict[str, Theme]
) -> list[tuple[Theme, list[CitedLesson]]]:
    """The lessons under each of their themes, in the themes file's order (unknown ids last)."""
    groups: dict[str, list[CitedLesson]] = {}
    for cited in lessons:
        for theme_id in cited.lesson.themes:
            groups.setdefault(theme_id, []).append(cited)
    order = [t for t in themes if t in groups] + sorted(set(groups) - set(themes))
    return [(themes.get(t) or Theme(t, t), groups[t]) for t in order]

"""Lessons found by meaning: a query against the lessons' own vectors, filtered by theme,
polarity, agency and investment, each hit labelled as passages are (kb/search/relevance.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kb.analysis import query_stems
from kb.knowledge_base import KnowledgeBase
from kb.records.models import Investment, Lesson
from kb.search.relevance import match_kinds


@dataclass(frozen=True)
class LessonHit:
    lesson: Lesson
    score: float  # cosine similarity with the query
    match: str  # relevance.WORDS, MEANING, BOTH or NEAR
    investment: Investment | None

    def to_dict(self) -> dict:
        return {
            "lesson": self.lesson.to_dict(),
            "score": round(self.score, 4),
            "match": self.match,
            "investment": self.investment.to_dict() if self.investment else None,
        }


def search_lessons(
    knowledge_base: KnowledgeBase,
    query: str,
    limit: int = 10,
    themes: Sequence[str] = (),
    polarities: Sequence[str] = (),
    agencies: Sequence[str] = (),
    investments: Sequence[str] = (),
) -> list[LessonHit]:
    """The lessons closest in meaning to `query`, best first."""
    records = knowledge_base.records
    candidates = records.lesson_ids(themes, polarities, agencies, investments)
    if not candidates or not query.split():
        return []
    vector = knowledge_base.embedder.embed_query(query)
    # Exact cosines over the filtered lessons: they are few (hundreds), and a filter applied
    # after an approximate top-k could leave none.
    cosines = knowledge_base.lesson_store.similarities(vector, candidates)
    best = sorted(cosines, key=lambda i: -cosines[i])[:limit]
    lessons = {lesson.id: lesson for lesson in records.lessons(best)}
    stems = set(query_stems(query))
    with_words = {(i, 0): 1.0 for i in best if stems and stems <= set(query_stems(lessons[i].text))}
    kinds = match_kinds(
        best, {(i, 0): cosines[i] for i in best}, with_words, knowledge_base.config.dense_floor
    )
    by_id = {i.id: i for i in records.investments()}
    return [
        LessonHit(lessons[i], cosines[i], kinds[i], by_id.get(lessons[i].investment or ""))
        for i in best
    ]

"""Search's other result types: lessons (by meaning, kb/search/lessons.py) and investments (by
their name and description, kb/search/investments.py), with theme and outcome facets."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from kb.knowledge_base import KnowledgeBase
from kb.records.models import OUTCOMES, Investment
from kb.search.investments import InvestmentHit, search_investments
from kb.search.lessons import LessonHit, search_lessons
from kb.search.relevance import NEAR
from web.views.citations import Citer
from web.views.record_parts import CitedLesson, cite_lessons, themes_by_id

DOCUMENTS, LESSONS, INVESTMENTS = "documents", "lessons", "investments"
RESULT_TYPES = (DOCUMENTS, LESSONS, INVESTMENTS)
SHOWN = 20
CANDIDATES = 100


@dataclass(frozen=True)
class RecordResults:
    type: str
    query: str
    lessons: list[tuple[LessonHit, CitedLesson]] = field(default_factory=list)
    investments: list[InvestmentHit] = field(default_factory=list)
    # facet -> [(value, label, count)]: theme (ids with their names), outcome
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    selected: dict[str, list[str]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.lessons) if self.type == LESSONS else len(self.investments)

    def to_dict(self) -> dict:
        hits = (
            [{**h.to_dict(), "cited": [c.to_dict() for c in x.evidence]} for h, x in self.lessons]
            if self.type == LESSONS
            else [h.to_dict() for h in self.investments]
        )
        return {
            "type": self.type,
            "query": self.query,
            "total": self.total,
            "hits": hits,
            "facets": {
                name: [{"value": v, "label": label, "count": n} for v, label, n in values]
                for name, values in self.facets.items()
            },
        }


def _facet(counts: Counter, labels: dict[str, str], order: list[str]) -> list:
    values = [v for v in order if counts[v]] + sorted(set(counts) - set(order))
    return [(v, labels.get(v, v), counts[v]) for v in values]


def record_search(knowledge_base: KnowledgeBase, args: MultiDict, kind: str) -> RecordResults:
    """Lessons or investments for the query, narrowed by the themes and outcomes ticked; the
    facets count what the query found before that narrowing."""
    query = args.get("q", "").strip()
    selected = {"theme": args.getlist("theme"), "outcome": args.getlist("outcome")}
    themes = themes_by_id(knowledge_base)
    theme_names = {t.id: t.name for t in themes.values()}
    investments = {i.id: i for i in knowledge_base.records.investments()}

    def outcome_of(investment_id: str | None) -> str | None:
        found: Investment | None = investments.get(investment_id or "")
        return found.outcome if found else None

    if kind == LESSONS:
        hits = search_lessons(knowledge_base, query, CANDIDATES)
        hits = [h for h in hits if h.match != NEAR] or hits[:SHOWN]
        theme_counts = Counter(t for h in hits for t in h.lesson.themes)
        outcome_counts = Counter(
            o for h in hits if (o := outcome_of(h.lesson.investment)) is not None
        )
        shown = [
            h
            for h in hits
            if (not selected["theme"] or set(h.lesson.themes) & set(selected["theme"]))
            and (not selected["outcome"] or outcome_of(h.lesson.investment) in selected["outcome"])
        ][:SHOWN]
        cited = cite_lessons(Citer(knowledge_base), [h.lesson for h in shown])
        lessons, found = list(zip(shown, cited)), []
    else:
        found = search_investments(knowledge_base, query, CANDIDATES)
        lesson_themes: dict[str, set[str]] = {}
        for lesson in knowledge_base.records.lessons():
            if lesson.investment:
                lesson_themes.setdefault(lesson.investment, set()).update(lesson.themes)
        theme_counts = Counter(t for h in found for t in lesson_themes.get(h.investment.id, ()))
        outcome_counts = Counter(h.investment.outcome for h in found)
        found = [
            h
            for h in found
            if (
                not selected["theme"]
                or lesson_themes.get(h.investment.id, set()) & set(selected["theme"])
            )
            and (not selected["outcome"] or h.investment.outcome in selected["outcome"])
        ][:SHOWN]
        lessons = []
    facets = {
        "theme": _facet(theme_counts, theme_names, list(themes)),
        "outcome": _facet(outcome_counts, {}, list(OUTCOMES)),
    }
    return RecordResults(kind, query, lessons, found, facets, selected)

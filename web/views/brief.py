"""What the records say about a described investment – similar investments, the most relevant
lessons by theme, the recommendations given in those cases – and the brief that cites them all:
a print-friendly page, a DOCX to attach to a proposal, and /api/brief."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import Blueprint, Response, request

from kb.errors import InvalidQuery
from kb.knowledge_base import KnowledgeBase
from kb.records.models import Theme
from kb.search.investments import InvestmentHit, search_investments
from kb.search.lessons import search_lessons
from kb.search.query import CONTROL_CHARACTERS
from kb.search.relevance import NEAR
from kb.search.similar import MAX_DESCRIPTION_CHARS
from web.services import get_kb
from web.views.citations import Citation, Citer
from web.views.record_parts import (
    CitedLesson,
    CitedRecommendation,
    by_theme,
    cite_lessons,
    cite_recommendations,
    themes_by_id,
)
from web.views.render import respond

bp = Blueprint("brief", __name__)

SIMILAR_INVESTMENTS = 3
RELEVANT_LESSONS = 8
RECOMMENDATIONS = 6


@dataclass(frozen=True)
class DescriptionRecords:
    """The records closest to a description."""

    investments: list[InvestmentHit]
    costs: dict[str, tuple[Citation | None, Citation | None]]  # id -> (estimate, outcome)
    themes: list[tuple[Theme, list[CitedLesson]]]
    recommendations: list[CitedRecommendation]

    def to_dict(self) -> dict:
        return {
            "investments": [
                {
                    **h.to_dict(),
                    "cited_costs": {
                        "estimated_cost": _maybe(self.costs[h.investment.id][0]),
                        "actual_cost": _maybe(self.costs[h.investment.id][1]),
                    },
                }
                for h in self.investments
            ],
            "lessons_by_theme": [
                {"theme": t.to_dict(), "lessons": [x.to_dict() for x in group]}
                for t, group in self.themes
            ],
            "recommendations": [r.to_dict() for r in self.recommendations],
        }


def _maybe(citation: Citation | None) -> dict | None:
    return citation.to_dict() if citation else None


def records_for(
    knowledge_base: KnowledgeBase, text: str, external: bool = False
) -> DescriptionRecords:
    citer = Citer(knowledge_base, external)
    investments = search_investments(knowledge_base, text, SIMILAR_INVESTMENTS)
    hits = search_lessons(knowledge_base, text, RELEVANT_LESSONS)
    hits = [h for h in hits if h.match != NEAR] or hits[: RELEVANT_LESSONS // 2]
    lessons = cite_lessons(citer, [h.lesson for h in hits])
    similar = [h.investment.id for h in investments]
    given = sorted(
        (r for r in knowledge_base.records.recommendations() if r.investment in similar),
        key=lambda r: similar.index(r.investment),
    )[:RECOMMENDATIONS]
    costs = {}
    for h in investments:
        est, act = h.investment.estimated_cost, h.investment.actual_cost
        costs[h.investment.id] = (
            citer.cite(est.evidence if est else None),
            citer.cite(act.evidence if act else None),
        )
    return DescriptionRecords(
        investments,
        costs,
        by_theme(lessons, themes_by_id(knowledge_base)),
        cite_recommendations(citer, given),
    )


@dataclass(frozen=True)
class Brief:
    text: str
    records: DescriptionRecords

    def to_dict(self) -> dict:
        return {"description": self.text, **self.records.to_dict()}


def description(text: str) -> str:
    text = CONTROL_CHARACTERS.sub(" ", text or "").strip()
    if not text:
        raise InvalidQuery("description_empty")
    if len(text) > MAX_DESCRIPTION_CHARS:
        raise InvalidQuery("description_too_long", length=len(text), limit=MAX_DESCRIPTION_CHARS)
    return text


def brief_data(text: str) -> Brief:
    text = description(text)
    return Brief(text, records_for(get_kb(), text, external=True))


@bp.get("/beskriv/brief")
def show():
    return respond(brief_data(request.args.get("text", "")), "brief.html")


@bp.get("/beskriv/brief.docx")
def download():
    from web.views.brief_docx import brief_document

    brief = brief_data(request.args.get("text", ""))
    name = re.sub(r"[^\w]+", "-", brief.text[:40].lower()).strip("-") or "brief"
    return Response(
        brief_document(brief),
        mimetype="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": f'attachment; filename="erfarenheter-{name}.docx"'},
    )

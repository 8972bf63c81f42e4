"""Investeringar: the list (filtered by agency, phase and outcome), one investment's page, and
Jämför (two to four side by side). Each page's data has its JSON twin in /api."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, request
from werkzeug.datastructures import MultiDict

from kb.errors import InvalidQuery, NotFound
from kb.knowledge_base import KnowledgeBase
from kb.records.models import OUTCOMES, PHASES, Investment, Theme
from kb.search.investments import InvestmentHit, similar_investments
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
from web.views.search_log import note_opened

bp = Blueprint("investments", __name__)

FILTERS = ("agency", "phase", "outcome")
COMPARE_MIN, COMPARE_MAX = 2, 4


@dataclass(frozen=True)
class InvestmentList:
    investments: list[Investment]
    agencies: list[str]
    selected: dict[str, str] = field(default_factory=dict)
    phases: tuple[str, ...] = PHASES
    outcomes: tuple[str, ...] = OUTCOMES

    def to_dict(self) -> list[dict]:
        return [i.to_dict() for i in self.investments]


def investment_list_data(args: MultiDict) -> InvestmentList:
    everything = get_kb().records.investments()
    selected = {k: args.get(k, "").strip() for k in FILTERS if args.get(k, "").strip()}
    shown = [i for i in everything if all(getattr(i, k) == v for k, v in selected.items())]
    shown.sort(key=lambda i: (i.agency, i.name))
    return InvestmentList(shown, sorted({i.agency for i in everything}), selected)


@dataclass(frozen=True)
class TimelineEntry:
    doc_id: str
    title: str
    date: str | None
    kind: str
    role: str

    def to_dict(self) -> dict:
        return {
            "document": self.doc_id,
            "title": self.title,
            "date": self.date,
            "kind": self.kind,
            "role": self.role,
        }


@dataclass(frozen=True)
class InvestmentPage:
    investment: Investment
    estimate: Citation | None
    outcome_cost: Citation | None
    timeline: list[TimelineEntry]
    lessons: list[CitedLesson]
    themes: list[tuple[Theme, list[CitedLesson]]]
    recommendations: list[CitedRecommendation]
    similar: list[InvestmentHit]

    def to_dict(self) -> dict:
        return {
            **self.investment.to_dict(),
            "cited_costs": {
                "estimated_cost": self.estimate.to_dict() if self.estimate else None,
                "actual_cost": self.outcome_cost.to_dict() if self.outcome_cost else None,
            },
            "timeline": [t.to_dict() for t in self.timeline],
            "lessons": [x.lesson.to_dict() for x in self.lessons],
            "lessons_by_theme": [
                {"theme": t.to_dict(), "lessons": [x.lesson.id for x in group]}
                for t, group in self.themes
            ],
            "recommendations": [r.recommendation.to_dict() for r in self.recommendations],
            "follow_up_status": {r.recommendation.id: r.status for r in self.recommendations},
            "similar": [h.to_dict() for h in self.similar],
        }


def find_investment(knowledge_base: KnowledgeBase, investment_id: str) -> Investment:
    record = knowledge_base.records.get(investment_id)
    if record is None or record.type != "investment":
        raise NotFound("no_record", id=investment_id)
    return record


def timeline(citer: Citer, investment: Investment) -> list[TimelineEntry]:
    docs = citer.documents([d.doc_id for d in investment.documents])
    entries = [
        TimelineEntry(
            d.doc_id,
            docs[d.doc_id].meta.title if docs[d.doc_id] else d.doc_id,
            docs[d.doc_id].meta.date if docs[d.doc_id] else None,
            docs[d.doc_id].meta.kind if docs[d.doc_id] else "",
            d.role,
        )
        for d in investment.documents
    ]
    return sorted(entries, key=lambda e: (e.date is None, e.date or "", e.title))


def investment_data(investment_id: str) -> InvestmentPage:
    knowledge_base = get_kb()
    investment = find_investment(knowledge_base, investment_id)
    records, citer = knowledge_base.records, Citer(knowledge_base)
    lessons = cite_lessons(citer, records.lessons(records.lesson_ids(investments=[investment.id])))
    recommendations = [r for r in records.recommendations() if r.investment == investment.id]
    est, act = investment.estimated_cost, investment.actual_cost
    return InvestmentPage(
        investment,
        citer.cite(est.evidence if est else None),
        citer.cite(act.evidence if act else None),
        timeline(citer, investment),
        lessons,
        by_theme(lessons, themes_by_id(knowledge_base)),
        cite_recommendations(citer, recommendations),
        similar_investments(knowledge_base, investment.id, limit=4),
    )


@dataclass(frozen=True)
class ComparedInvestment:
    investment: Investment
    estimate: Citation | None
    outcome_cost: Citation | None
    lessons_per_theme: dict[str, int]
    recommendations: int
    followed: int  # recommendations whose latest follow-up says följd

    def to_dict(self) -> dict:
        return {
            **self.investment.to_dict(),
            "lessons_per_theme": self.lessons_per_theme,
            "recommendations": self.recommendations,
            "recommendations_followed": self.followed,
        }


@dataclass(frozen=True)
class ComparePage:
    compared: list[ComparedInvestment]
    themes: list[Theme]  # the themes any of them has lessons under

    def to_dict(self) -> dict:
        return {
            "investments": [c.to_dict() for c in self.compared],
            "themes": [t.to_dict() for t in self.themes],
        }


def compare_data(ids: list[str]) -> ComparePage:
    ids = list(dict.fromkeys(i for i in ids if i))
    if not COMPARE_MIN <= len(ids) <= COMPARE_MAX:
        raise InvalidQuery("compare_count", min=COMPARE_MIN, max=COMPARE_MAX)
    knowledge_base = get_kb()
    records, citer = knowledge_base.records, Citer(knowledge_base)
    known = themes_by_id(knowledge_base)
    recommendations = records.recommendations()
    compared, used = [], set()
    for investment in (find_investment(knowledge_base, i) for i in ids):
        per_theme: dict[str, int] = {}
        for lesson in records.lessons(records.lesson_ids(investments=[investment.id])):
            for theme_id in lesson.themes:
                per_theme[theme_id] = per_theme.get(theme_id, 0) + 1
        used |= set(per_theme)
        given = cite_recommendations(
            citer, [r for r in recommendations if r.investment == investment.id]
        )
        est, act = investment.estimated_cost, investment.actual_cost
        compared.append(
            ComparedInvestment(
                investment,
                citer.cite(est.evidence if est else None),
                citer.cite(act.evidence if act else None),
                per_theme,
                len(given),
                sum(r.status == "följd" for r in given),
            )
        )
    order = [t for t in known if t in used] + sorted(used - set(known))
    return ComparePage(compared, [known.get(t) or Theme(t, t) for t in order])


@bp.get("/investeringar/")
def index():
    return respond(investment_list_data(request.args), "investments.html")


@bp.get("/investeringar/<investment_id>")
def show(investment_id: str):
    data = investment_data(investment_id)  # a 404 for an unknown id, before anything is noted
    note_opened(f"investment:{data.investment.id}")
    return respond(data, "investment.html")


@bp.get("/jamfor")
def compare():
    return respond(compare_data(request.args.getlist("id")), "compare.html")

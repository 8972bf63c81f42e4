"""Myndigheter: one page per agency with its investments, documents, the recommendations it
received (with their follow-up status) and a timeline; JSON twins in /api/agencies."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, url_for

from kb.errors import NotFound
from kb.models import Document
from kb.records.models import Investment
from web.services import get_kb
from web.views.citations import Citer
from web.views.record_parts import CitedRecommendation, cite_recommendations
from web.views.render import respond

bp = Blueprint("agencies", __name__)


@dataclass(frozen=True)
class AgencyList:
    agencies: list[tuple[str, int, int]]  # (name, investments, documents)

    def to_dict(self) -> list[dict]:
        return [{"name": n, "investments": i, "documents": d} for n, i, d in self.agencies]


@dataclass(frozen=True)
class TimelineEvent:
    when: str  # a date or a year, sortable as text
    label: str
    url: str

    def to_dict(self) -> dict:
        return {"when": self.when, "label": self.label, "url": self.url}


@dataclass(frozen=True)
class AgencyPage:
    agency: str
    investments: list[Investment]
    documents: list[Document]
    recommendations: list[CitedRecommendation]
    timeline: list[TimelineEvent]

    def to_dict(self) -> dict:
        return {
            "name": self.agency,
            "investments": [i.to_dict() for i in self.investments],
            "documents": [
                {"id": d.id, "title": d.meta.title, "kind": d.meta.kind, "date": d.meta.date}
                for d in self.documents
            ],
            "recommendations": [r.to_dict() for r in self.recommendations],
            "timeline": [e.to_dict() for e in self.timeline],
        }


def agency_list_data() -> AgencyList:
    knowledge_base = get_kb()
    investments = knowledge_base.records.investments()
    documents = knowledge_base.catalog.documents(status="ready")
    names = {i.agency for i in investments} | {d.meta.agency for d in documents if d.meta.agency}
    return AgencyList(
        [
            (
                n,
                sum(i.agency == n for i in investments),
                sum(d.meta.agency == n for d in documents),
            )
            for n in sorted(names)
        ]
    )


def agency_data(agency: str) -> AgencyPage:
    knowledge_base = get_kb()
    records = knowledge_base.records
    investments = [i for i in records.investments() if i.agency == agency]
    documents = [
        d for d in knowledge_base.catalog.documents(status="ready") if d.meta.agency == agency
    ]
    if not investments and not documents:
        raise NotFound("no_agency", name=agency)
    theirs = {i.id for i in investments}
    received = [
        r for r in records.recommendations() if r.agency == agency or r.investment in theirs
    ]
    events = [
        TimelineEvent(d.meta.date, d.meta.title, url_for("documents.show", doc_id=d.id))
        for d in documents
        if d.meta.date
    ]
    for i in investments:
        url = url_for("investments.show", investment_id=i.id)
        if i.start_year:
            events.append(TimelineEvent(str(i.start_year), f"{i.name} – start", url))
        if i.end_year:
            events.append(TimelineEvent(str(i.end_year), f"{i.name} – {i.phase}", url))
    documents.sort(key=lambda d: (d.meta.date or "", d.meta.title), reverse=True)
    return AgencyPage(
        agency,
        sorted(investments, key=lambda i: i.name),
        documents,
        cite_recommendations(Citer(knowledge_base), received),
        sorted(events, key=lambda e: (e.when, e.label)),
    )


@bp.get("/myndigheter/")
def index():
    return respond(agency_list_data(), "agencies.html")


@bp.get("/myndigheter/<agency>")
def show(agency: str):
    return respond(agency_data(agency), "agency.html")

"""Översikt: investments per agency and year, lessons per theme, estimate against outcome –
drawn as SVG in the template from the numbers here, each beside the same data as a table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from flask import Blueprint

from kb.records.models import POLARITIES, Investment, Theme
from web.services import get_kb
from web.views.record_parts import themes_by_id
from web.views.render import respond

bp = Blueprint("overview", __name__)


@dataclass(frozen=True)
class Overview:
    agencies: list[str]
    years: list[int | None]  # start years, None: not known
    per_agency_year: dict[tuple[str, int | None], int]
    themes: list[tuple[Theme, dict[str, int]]]  # theme -> lessons per polarity
    polarities: tuple[str, ...]
    costs: list[tuple[Investment, float, float]]  # (investment, estimate, outcome or forecast)

    # the scales the charts are drawn to (the template gets fields, not properties)
    agency_totals: dict[str, int]
    most_per_cell: int
    most_lessons: int
    most_msek: float

    def to_dict(self) -> dict:
        return {
            "investments_per_agency_and_year": [
                {"agency": a, "year": y, "investments": n}
                for (a, y), n in sorted(
                    self.per_agency_year.items(), key=lambda kv: (kv[0][0], kv[0][1] or 0)
                )
            ],
            "lessons_per_theme": [
                {"theme": t.id, "name": t.name, **counts, "total": sum(counts.values())}
                for t, counts in self.themes
            ],
            "estimate_vs_outcome": [
                {
                    "investment": i.id,
                    "name": i.name,
                    "estimated_msek": e,
                    "actual_msek": a,
                    "actual_kind": i.actual_cost.kind if i.actual_cost else None,
                }
                for i, e, a in self.costs
            ],
        }


def overview_data() -> Overview:
    knowledge_base = get_kb()
    records = knowledge_base.records
    investments = records.investments()
    per_cell = Counter((i.agency, i.start_year) for i in investments)
    years = sorted({y for _, y in per_cell if y is not None})
    if any(y is None for _, y in per_cell):
        years.append(None)
    lessons = records.lessons()
    themes = []
    for theme in themes_by_id(knowledge_base).values():
        counts = Counter(x.polarity for x in lessons if theme.id in x.themes)
        themes.append((theme, {p: counts.get(p, 0) for p in POLARITIES}))
    costs = [
        (i, i.estimated_cost.msek, i.actual_cost.msek)
        for i in sorted(investments, key=lambda i: i.name)
        if i.estimated_cost and i.actual_cost
    ]
    agencies = sorted({i.agency for i in investments})
    return Overview(
        agencies,
        years,
        dict(per_cell),
        themes,
        POLARITIES,
        costs,
        agency_totals={a: sum(n for (b, _), n in per_cell.items() if b == a) for a in agencies},
        most_per_cell=max(per_cell.values(), default=1),
        most_lessons=max((sum(c.values()) for _, c in themes), default=0) or 1,
        most_msek=max((max(e, a) for _, e, a in costs), default=0) or 1,
    )


@bp.get("/oversikt")
def index():
    return respond(overview_data(), "overview.html")

"""The brief as a Word document (python-docx): every item with its source's title, page and
address, so it can be attached to an investment proposal."""

from __future__ import annotations

from io import BytesIO

import docx
from flask_babel import gettext

from web.views.brief import Brief
from web.views.citations import Citation


def _cite(doc, citation: Citation | None) -> None:
    if citation is None:
        return
    p = doc.add_paragraph(style="Quote")
    p.add_run(f"”{citation.quote}”")
    source = citation.title
    if citation.page:
        source += ", " + gettext("page %(page)s", page=citation.page)
    if citation.needs_review:
        source += " (" + gettext("needs review") + ")"
    line = doc.add_paragraph()
    line.add_run(gettext("Source: %(source)s", source=source)).italic = True
    if citation.url:
        line.add_run(f" – {citation.url}")


def brief_document(brief: Brief) -> bytes:
    doc = docx.Document()
    doc.add_heading(gettext("Experiences for a planned investment"), level=0)
    doc.add_heading(gettext("The description"), level=1)
    doc.add_paragraph(brief.text)
    records = brief.records
    doc.add_heading(gettext("Similar investments"), level=1)
    for hit in records.investments:
        i = hit.investment
        doc.add_heading(f"{i.name} ({i.agency})", level=2)
        doc.add_paragraph(
            gettext("Phase: %(phase)s. Outcome: %(outcome)s.", phase=i.phase, outcome=i.outcome)
        )
        estimate, outcome = records.costs[i.id]
        if i.estimated_cost:
            doc.add_paragraph(gettext("Estimated cost: %(msek)s MSEK", msek=i.estimated_cost.msek))
            _cite(doc, estimate)
        if i.actual_cost:
            doc.add_paragraph(gettext("Actual cost: %(msek)s MSEK", msek=i.actual_cost.msek))
            _cite(doc, outcome)
    doc.add_heading(gettext("Lessons by theme"), level=1)
    for theme, lessons in records.themes:
        doc.add_heading(theme.name, level=2)
        for x in lessons:
            doc.add_paragraph(f"{x.lesson.polarity}: {x.lesson.text}", style="List Bullet")
            for c in x.evidence:
                _cite(doc, c)
    doc.add_heading(gettext("Recommendations given in similar cases"), level=1)
    for r in records.recommendations:
        doc.add_paragraph(
            f"{r.recommendation.text} ({r.recommendation.given_by}; "
            + gettext("status: %(status)s", status=r.status)
            + ")",
            style="List Bullet",
        )
        _cite(doc, r.source)
        for _status, c in r.follow_ups:
            _cite(doc, c)
    out = BytesIO()
    doc.save(out)
    return out.getvalue()

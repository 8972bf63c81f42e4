"""Editors make and change records in the web: an investment's facts, a lesson, a follow-up of
a recommendation. Every form is checked as a records file is (kb/records/editing.py) and
written through `writing()`; a problem shows the form again with the reason and what was typed."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from kb.errors import KBError, NotFound
from kb.records.checks import parse_amount
from kb.records.editing import changed, checked, new_id
from kb.records.models import (
    COST_KINDS,
    DOCUMENT_ROLES,
    FOLLOW_UP_STATUSES,
    OUTCOMES,
    PHASES,
    POLARITIES,
    Investment,
    Lesson,
    Recommendation,
)
from web.auth import editor_required
from web.i18n import error_message
from web.services import get_kb, writing
from web.views.record_parts import themes_by_id

bp = Blueprint("record_edit", __name__)

MAX_TEXT = 4000  # characters in a description, lesson or quote


def _record(record_type: type, record_id: str):
    found = get_kb().records.get(record_id)
    if not isinstance(found, record_type):
        raise NotFound("no_record", id=record_id)
    return found


def _field(name: str, limit: int = 300) -> str | None:
    value = " ".join(request.form.get(name, "").split())[:limit]
    return value or None


def _year(name: str) -> int | str | None:
    value = _field(name, 8)
    # a non-number, "²" or "٣" too, goes on as text: the record check says so
    return int(value) if value and value.isascii() and value.isdigit() else value


def _msek(name: str) -> float | str | None:
    value = _field(name, 20)
    if value is None:
        return None
    amount = parse_amount(value)
    return value if amount is None else amount  # a non-number goes on: the check says so


def _evidence_typed(prefix: str = "") -> dict | None:
    doc_id, quote = _field(f"{prefix}document", 120), _field(f"{prefix}quote", MAX_TEXT)
    if not (doc_id or quote):
        return None
    return {"document": doc_id or "", "quote": quote or ""}


def _save(record_type: str, entry, template: str, context: dict):
    """Check and write the record (`entry`: a dict, or a function making it, which may raise),
    or show the form again with the reason (400)."""
    try:
        with writing() as writer:
            record = checked(writer.base, record_type, entry() if callable(entry) else entry)
            writer.save_records([record])
    except KBError as exc:
        context = context | {"error": error_message(exc), "form": request.form}
        return None, (render_template(template, **context), 400)
    return record, None


def _choices() -> dict:
    knowledge_base = get_kb()
    return {
        "phases": PHASES,
        "outcomes": OUTCOMES,
        "cost_kinds": COST_KINDS,
        "roles": DOCUMENT_ROLES,
        "polarities": POLARITIES,
        "statuses": FOLLOW_UP_STATUSES,
        "theme_choices": themes_by_id(knowledge_base),
        "investment_choices": sorted(knowledge_base.records.investments(), key=lambda i: i.name),
        "form": {},
        "error": None,
    }


# investments ---------------------------------------------------------------------------
def _cost(name: str, current, kind: str | None = None) -> dict | None:
    msek = _msek(name)
    if msek is None:
        return None
    cost: dict = {"msek": msek}
    if kind:
        cost["kind"] = kind
    if current is not None and current.msek == msek and current.evidence is not None:
        # the same figure keeps its source passage; a new figure has none until one is given
        cost["evidence"] = {"document": current.evidence.doc_id, "quote": current.evidence.exact}
    return cost


def _investment_fields(current: Investment | None) -> dict:
    kind = request.form.get("actual_cost_kind") or "utfall"
    documents = [
        {"document": d.doc_id, "role": d.role} for d in (current.documents if current else ())
    ]
    documents = [
        d for d in documents if d["document"] not in request.form.getlist("remove_document")
    ]
    added = _field("add_document", 120)
    if added:
        documents = [d for d in documents if d["document"] != added]
        documents.append({"document": added, "role": request.form.get("add_role") or ""})
    return {
        "name": _field("name"),
        "agency": _field("agency", 120),
        "description": _field("description", MAX_TEXT),
        "start_year": _year("start_year"),
        "end_year": _year("end_year"),
        "phase": request.form.get("phase") or None,
        "outcome": request.form.get("outcome") or None,
        "estimated_cost": _cost("estimated_cost", current.estimated_cost if current else None),
        "actual_cost": _cost("actual_cost", current.actual_cost if current else None, kind),
        "documents": documents,
    }


@bp.route("/investeringar/ny", methods=["GET", "POST"])
@editor_required
def new_investment():
    context = _choices() | {"investment": None}
    if request.method == "GET":
        return render_template("investment_form.html", **context)
    fields = {k: v for k, v in _investment_fields(None).items() if v is not None}

    def entry() -> dict:
        return {"id": new_id(get_kb(), fields.get("name") or ""), **fields}

    record, failed = _save("investment", entry, "investment_form.html", context)
    if failed:
        return failed
    flash(gettext("The investment is saved."))
    return redirect(url_for("investments.show", investment_id=record.id), code=303)


@bp.route("/investeringar/<investment_id>/andra", methods=["GET", "POST"])
@editor_required
def edit_investment(investment_id: str):
    current = _record(Investment, investment_id)
    context = _choices() | {"investment": current}
    if request.method == "GET":
        return render_template("investment_form.html", **context)
    entry = changed(current, **_investment_fields(current))
    record, failed = _save("investment", entry, "investment_form.html", context)
    if failed:
        return failed
    flash(gettext("The investment is saved."))
    return redirect(url_for("investments.show", investment_id=record.id), code=303)


# lessons -------------------------------------------------------------------------------
def _lesson_fields() -> dict:
    return {
        "text": _field("text", MAX_TEXT),
        "polarity": request.form.get("polarity") or None,
        "themes": request.form.getlist("themes"),
        "investment": request.form.get("investment") or None,
    }


@bp.route("/lardomar/ny", methods=["GET", "POST"])
@editor_required
def new_lesson():
    context = _choices() | {"lesson": None, "preset": request.args}
    if request.method == "GET":
        return render_template("lesson_form.html", **context)
    fields = {k: v for k, v in _lesson_fields().items() if v is not None}
    evidence = _evidence_typed()

    def entry() -> dict:
        made = {"id": new_id(get_kb(), fields.get("text") or "", field="text"), **fields}
        return made | {"evidence": [evidence] if evidence else []}

    record, failed = _save("lesson", entry, "lesson_form.html", context)
    if failed:
        return failed
    flash(gettext("The lesson is saved."))
    return redirect(_after_lesson(record), code=303)


@bp.route("/lardomar/<lesson_id>/andra", methods=["GET", "POST"])
@editor_required
def edit_lesson(lesson_id: str):
    current = _record(Lesson, lesson_id)
    context = _choices() | {"lesson": current, "preset": {}}
    if request.method == "GET":
        return render_template("lesson_form.html", **context)
    kept = [
        e
        for n, e in enumerate(changed(current)["evidence"])
        if str(n) not in request.form.getlist("remove_evidence")
    ]
    added = _evidence_typed()
    fields = _lesson_fields()
    entry = changed(current, **fields, evidence=kept + ([added] if added else []))
    if not fields["investment"]:
        entry.pop("investment", None)
    record, failed = _save("lesson", entry, "lesson_form.html", context)
    if failed:
        return failed
    flash(gettext("The lesson is saved."))
    return redirect(_after_lesson(record), code=303)


@bp.post("/lardomar/<lesson_id>/ta-bort")
@editor_required
def delete_lesson(lesson_id: str):
    current = _record(Lesson, lesson_id)
    with writing() as writer:
        writer.delete_record(current.id)
    flash(gettext("The lesson is deleted."))
    if current.investment:
        return redirect(url_for("investments.show", investment_id=current.investment), code=303)
    return redirect(url_for("themes.index"), code=303)


def _after_lesson(lesson: Lesson) -> str:
    if lesson.investment:
        return url_for(
            "investments.show", investment_id=lesson.investment, _anchor=f"lesson-{lesson.id}"
        )
    return url_for("themes.show", theme_id=lesson.themes[0], _anchor=f"lesson-{lesson.id}")


# follow-ups of a recommendation ---------------------------------------------------------
@bp.route("/rekommendationer/<recommendation_id>/uppfoljning", methods=["GET", "POST"])
@editor_required
def add_follow_up(recommendation_id: str):
    current = _record(Recommendation, recommendation_id)
    context = _choices() | {"recommendation": current}
    if request.method == "GET":
        return render_template("follow_up_form.html", **context)
    evidence = _evidence_typed() or {}
    follow_up = {**evidence, "status": request.form.get("status") or ""}
    entry = changed(current)
    entry["follow_ups"] = [*entry.get("follow_ups", []), follow_up]
    record, failed = _save("recommendation", entry, "follow_up_form.html", context)
    if failed:
        return failed
    flash(gettext("The follow-up is saved."))
    if record.investment:
        return redirect(url_for("investments.show", investment_id=record.investment), code=303)
    if record.agency:
        return redirect(url_for("agencies.show", agency=record.agency), code=303)
    return redirect(url_for("investments.index"), code=303)

"""Granska: the review queue. The suggesters' proposals for each document (draft lessons, the
investment it belongs to, its themes) wait here until an editor accepts, edits or rejects
them; nothing they make is public before that (kb/operations/review.py decides)."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext

from kb.errors import KBError, NotFound
from kb.models import Document
from kb.operations import review
from kb.records.models import DOCUMENT_ROLES, POLARITIES, Investment, Theme
from kb.storage.suggestions import Suggestion
from web.auth import current_user, editor_required
from web.i18n import error_message
from web.services import get_kb, writing
from web.views.record_parts import themes_by_id
from web.views.render import respond

bp = Blueprint("review", __name__, url_prefix="/granska")


@dataclass(frozen=True)
class Queue:
    documents: list[tuple[Document, int, str]]  # (document, pending suggestions, since)

    def to_dict(self) -> dict:
        return {
            "documents": [
                {"id": d.id, "title": d.meta.title, "pending": n, "since": since}
                for d, n, since in self.documents
            ],
            "pending": sum(n for _, n, _ in self.documents),
        }


@dataclass(frozen=True)
class DocumentReview:
    doc: Document
    lessons: list[Suggestion]
    investments: list[Suggestion]
    themes: list[Suggestion]
    decided: list[Suggestion]
    theme_choices: dict[str, Theme]
    investment_choices: list[Investment]
    polarities: tuple[str, ...]
    roles: tuple[str, ...]
    published: dict = field(default_factory=dict)  # lesson id -> the lesson an acceptance made
    error: str | None = None  # why the editor's last decision was not saved
    error_for: int | None = None  # on which suggestion
    edited: dict | None = None  # what the editor had typed there, shown again

    def to_dict(self) -> dict:
        return {
            "document": {"id": self.doc.id, "title": self.doc.meta.title},
            "pending": [s.to_dict() for s in self.lessons + self.investments + self.themes],
            "decided": [s.to_dict() for s in self.decided],
        }


def queue_data() -> Queue:
    knowledge_base = get_kb()
    rows = knowledge_base.suggestions.pending_by_document()
    found = []
    for doc_id, n, since in rows:
        try:
            found.append((knowledge_base.catalog.get(doc_id), n, since))
        except NotFound:  # deleted since: its pending suggestions went with it
            continue
    return Queue(found)


def document_review_data(doc_id: str, **problem) -> DocumentReview:
    knowledge_base = get_kb()
    doc = knowledge_base.catalog.get(doc_id)  # NotFound: 404
    pending = knowledge_base.suggestions.list(doc_id=doc.id)
    decided = knowledge_base.suggestions.decided(doc.id)
    made = [s.result["lesson"] for s in decided if s.result.get("lesson")]
    kinds = ("lesson", "investment", "theme")
    by_kind = {kind: [s for s in pending if s.kind == kind] for kind in kinds}
    return DocumentReview(
        doc=doc,
        lessons=by_kind["lesson"],
        investments=by_kind["investment"],
        themes=by_kind["theme"],
        decided=decided,
        published={x.id: x for x in knowledge_base.records.lessons(made)},
        theme_choices=themes_by_id(knowledge_base),
        investment_choices=sorted(knowledge_base.records.investments(), key=lambda i: i.name),
        polarities=POLARITIES,
        roles=DOCUMENT_ROLES,
        **problem,
    )


def decide(suggestion_id: int, action: str, values) -> dict:
    """Carry out an editor's decision; `values` is the form or the JSON body."""
    editor = current_user().name
    with writing() as writer:
        if action == "reject":
            review.reject(writer, suggestion_id, editor, str(values.get("reason") or ""))
            return {"status": "rejected"}
        kind = review.pending(writer, suggestion_id).kind
        if kind == "lesson":
            lesson = review.accept_lesson(
                writer,
                suggestion_id,
                editor,
                text=_text(values, "text"),
                polarity=_text(values, "polarity"),
                themes=_list(values, "themes"),
                investment=_text(values, "investment"),
            )
            return {"status": "accepted", "lesson": lesson.to_dict()}
        if kind == "investment":
            role = _text(values, "role") or "fallbeskrivning"
            investment = review.accept_investment(writer, suggestion_id, editor, role)
            return {"status": "accepted", "investment": investment.id, "role": role}
        return {"status": "accepted", "tag": review.accept_theme(writer, suggestion_id, editor)}


def _text(values, key: str) -> str | None:
    value = values.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise KBError("record_bad_value", field=key, allowed="text", value=str(value)[:40])
    return value.strip()


def _list(values, key: str) -> list[str] | None:
    if hasattr(values, "getlist"):  # a form: ticked boxes, and a hidden marker that it was sent
        return values.getlist(key) if values.get(f"{key}_sent") else None
    value = values.get(key)
    if value is None:
        return None
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise KBError("record_bad_value", field=key, allowed="a list of theme ids", value="…")
    return value


@bp.get("/")
@editor_required
def index():
    return respond(queue_data(), "review.html")


@bp.get("/<doc_id>")
@editor_required
def document(doc_id: str):
    return respond(document_review_data(doc_id), "review_document.html")


@bp.post("/<int:suggestion_id>/<any(accept, reject):action>")
@editor_required
def decision(suggestion_id: int, action: str):
    found = get_kb().suggestions.get(suggestion_id)
    back = url_for("review.document", doc_id=found.doc_id) if found else url_for("review.index")
    try:
        outcome = decide(suggestion_id, action, request.form)
    except KBError as exc:
        if found is None or found.status != "pending":
            flash(gettext("Not saved: %(reason)s", reason=error_message(exc)), "error")
            return redirect(back, code=303)
        # shown again with what the editor typed, so a fix is one change away
        data = document_review_data(
            found.doc_id,
            error=error_message(exc),
            error_for=suggestion_id,
            edited={
                "text": request.form.get("text"),
                "polarity": request.form.get("polarity"),
                "themes": request.form.getlist("themes"),
                "investment": request.form.get("investment"),
            },
        )
        return respond(data, "review_document.html", status=400)
    if "lesson" in outcome:
        flash(gettext("The lesson is published."))
    elif action == "reject":
        flash(gettext("The suggestion is rejected."))
    else:
        flash(gettext("The suggestion is accepted."))
    return redirect(back, code=303)

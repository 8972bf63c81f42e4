"""The review queue's decisions: an editor accepts a suggestion (a draft lesson becomes a lesson
record, a suggested investment gets the document, a suggested theme becomes one of the
document's tags) or rejects it. Nothing the suggesters make is public before this.

A draft lesson is accepted through the same checks as a records file (`kb records import`):
its themes, polarity and investment must be known, and its quote must still be in the
document's text; a document changed since the suggestion was made is anchored anew."""

from __future__ import annotations

import re
from dataclasses import replace

from kb.errors import KBError
from kb.records.importer import plan
from kb.records.models import DOCUMENT_ROLES, Investment, InvestmentDocument, Lesson
from kb.records.themes import load as load_themes
from kb.storage.suggestions import ACCEPTED, PENDING, REJECTED, Suggestion
from kb.writer import Writer

MAX_REASON = 500


def pending(writer: Writer, suggestion_id: int, kind: str | None = None) -> Suggestion:
    """The suggestion, still waiting for a decision (and of `kind`), or a KBError."""
    found = writer.base.suggestions.get(suggestion_id)
    if found is None:
        raise KBError("no_suggestion", id=suggestion_id)
    if found.status != PENDING:
        raise KBError(
            "suggestion_decided", id=suggestion_id, status=found.status, by=found.decided_by
        )
    if kind is not None and found.kind != kind:
        raise KBError("suggestion_kind", id=suggestion_id, kind=found.kind, wanted=kind)
    return found


def lesson_id(writer: Writer, suggestion: Suggestion, text: str) -> str:
    """A readable id from the document and the lesson's first words, unique among records."""
    words = re.findall(r"[a-z0-9]+", _ascii(text.lower()))[:5]
    stem = f"{suggestion.doc_id}-{'-'.join(words)}"[:90].strip("-") or suggestion.doc_id
    candidate, n = stem, 2
    while writer.base.records.record_type(candidate) is not None:
        candidate, n = f"{stem}-{n}", n + 1
    return candidate


def accept_lesson(
    writer: Writer,
    suggestion_id: int,
    editor: str,
    text: str | None = None,
    polarity: str | None = None,
    themes: list[str] | None = None,
    investment: str | None = None,
) -> Lesson:
    """Publish a draft lesson, as suggested or as the editor changed it."""
    suggestion = pending(writer, suggestion_id, "lesson")
    draft = suggestion.payload
    text = " ".join((text if text is not None else draft["text"]).split())
    entry = {
        "id": lesson_id(writer, suggestion, text),
        "text": text,
        "polarity": polarity or draft["polarity"],
        "themes": list(themes if themes is not None else draft.get("themes", [])),
        "evidence": [{"document": suggestion.doc_id, "quote": draft["quote"]}],
    }
    if investment:
        entry["investment"] = investment
    checked = plan(writer.base, {"lessons": [entry]})
    if checked.problems:
        raise checked.problems[0].error
    lesson = checked.records[0].record
    writer.decide_suggestion(
        suggestion_id, ACCEPTED, editor, {"lesson": lesson.id}, records=[lesson]
    )
    return lesson


def accept_investment(
    writer: Writer, suggestion_id: int, editor: str, role: str = "fallbeskrivning"
) -> Investment:
    """Add the document to the suggested investment, with the role the editor chose."""
    suggestion = pending(writer, suggestion_id, "investment")
    if role not in DOCUMENT_ROLES:
        raise KBError(
            "record_bad_value", field="role", allowed=", ".join(DOCUMENT_ROLES), value=role
        )
    found = writer.base.records.get(suggestion.payload["investment"])
    if not isinstance(found, Investment):
        raise KBError("unknown_investment", value=suggestion.payload["investment"])
    others = tuple(d for d in found.documents if d.doc_id != suggestion.doc_id)
    updated = replace(found, documents=(*others, InvestmentDocument(suggestion.doc_id, role)))
    writer.decide_suggestion(
        suggestion_id,
        ACCEPTED,
        editor,
        {"investment": updated.id, "role": role},
        records=[updated],
    )
    return updated


def accept_theme(writer: Writer, suggestion_id: int, editor: str) -> str:
    """Tag the document with the theme's name (an editor's edit: re-reading the file keeps
    it); returns the tag."""
    suggestion = pending(writer, suggestion_id, "theme")
    theme_id = suggestion.payload["theme"]
    names = {t.id: t.name for t in load_themes(writer.base.config.themes_file)}
    if theme_id not in names:
        raise KBError("unknown_theme", field="themes", value=theme_id, known=", ".join(names))
    doc = writer.base.catalog.get(suggestion.doc_id)
    tag = names[theme_id]
    if tag not in doc.meta.tags:
        writer.edit_metadata(doc.id, replace(doc.meta, tags=(*doc.meta.tags, tag)), editor)
    writer.decide_suggestion(suggestion_id, ACCEPTED, editor, {"tag": tag})
    return tag


def reject(writer: Writer, suggestion_id: int, editor: str, reason: str = "") -> None:
    pending(writer, suggestion_id)
    result = {"reason": reason.strip()[:MAX_REASON]} if reason.strip() else {}
    writer.decide_suggestion(suggestion_id, REJECTED, editor, result)


def _ascii(text: str) -> str:
    return text.translate(str.maketrans("åäöéü", "aaoeu"))

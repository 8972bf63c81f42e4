"""Dela en erfarenhet: a contributor's submission is checked (lengths, the investment, the daily
limit) and waits for an editor, who publishes it (ingest/contributions.py), asks for changes
with a message (the contributor edits and submits again) or rejects it with a reason.
Nothing submitted is public before it is published."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from kb.errors import KBError, NotFound
from kb.records.models import Investment
from kb.storage import contributions as sql
from kb.storage.contributions import CHANGES, PUBLISHED, SUBMITTED, Attachment, Contribution
from kb.storage.records import RecordReader

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase

MAX_TEXT = 4000  # per experience field: a few paragraphs each
MAX_NAME = 200  # the agency, a new investment's name
MAX_MESSAGE = 1000  # an editor's message or reason
MAX_ATTACHMENTS = 5
TEXT_FIELDS = ("went_well", "went_badly", "advice")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object, limit: int, field: str, multiline: bool = False) -> str:
    """Text from a form or JSON: NFC, no control characters, within `limit` characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise KBError("record_bad_value", field=field, allowed="text", value=str(value)[:40])
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n"))
    text = _CONTROL.sub(" " if not multiline else "", text.replace("\t", " "))
    text = text.strip() if multiline else " ".join(text.split())
    if len(text) > limit:
        raise KBError("contribution_too_long", field=field, max=limit)
    return text


def checked_fields(values: Mapping, records: RecordReader) -> dict:
    """The form's (or JSON body's) fields, cleaned and checked; KBError names the field."""
    out = {
        "agency": clean(values.get("agency"), MAX_NAME, "agency"),
        "investment_id": clean(values.get("investment_id"), MAX_NAME, "investment_id") or None,
        "investment_name": clean(values.get("investment_name"), MAX_NAME, "investment_name"),
    }
    for name in TEXT_FIELDS:
        out[name] = clean(values.get(name), MAX_TEXT, name, multiline=True)
    if not out["agency"]:
        raise KBError("contribution_required", field="agency")
    if out["investment_id"]:
        if not isinstance(records.get(out["investment_id"]), Investment):
            raise KBError("unknown_investment", field="investment_id", value=out["investment_id"])
        out["investment_name"] = None  # an existing one is named by its record
    elif not out["investment_name"]:
        raise KBError("contribution_no_investment", field="investment_id")
    if not any(out[name] for name in TEXT_FIELDS):
        raise KBError("contribution_no_experience", field="went_well")
    return out


# Each change below is one transaction on the contributions' own rows, so it does not take the
# write lock (as accounts do not); publishing, which writes a document, goes through writing().


def submit(
    knowledge_base: KnowledgeBase,
    author: str,
    values: Mapping,
    attachments: Sequence[Attachment] = (),
) -> int:
    """A new submission (status submitted) with the attachments already kept; refused past
    KB_CONTRIBUTION_LIMIT a day."""
    fields = checked_fields(values, knowledge_base.records)
    check_limit(knowledge_base, author)
    db = knowledge_base.catalog.connection
    contribution_id = sql.insert(db, author, fields)
    if attachments:
        sql.set_attachments(db, contribution_id, attachments)
    return contribution_id


def check_limit(knowledge_base: KnowledgeBase, author: str) -> None:
    count = knowledge_base.contributions.submitted_since(author)
    if count >= knowledge_base.config.contribution_limit:
        raise KBError("contribution_limit", count=count)


def get(knowledge_base: KnowledgeBase, contribution_id: int) -> Contribution:
    found = knowledge_base.contributions.get(contribution_id)
    if found is None:
        raise NotFound("no_contribution", id=contribution_id)
    return found


def resubmit(
    knowledge_base: KnowledgeBase, contribution_id: int, author: str, values: Mapping
) -> None:
    """The contributor's changes, asked for by an editor: back in the queue."""
    found = get(knowledge_base, contribution_id)
    if found.author != author:
        raise NotFound("no_contribution", id=contribution_id)  # others' are not even named
    if not found.editable:
        raise KBError("contribution_not_editable", id=contribution_id)
    fields = checked_fields(values, knowledge_base.records)
    sql.resubmit(knowledge_base.catalog.connection, contribution_id, fields)


def waiting(knowledge_base: KnowledgeBase, contribution_id: int) -> Contribution:
    """The submission, waiting for an editor's decision, or a KBError."""
    found = get(knowledge_base, contribution_id)
    if found.status != SUBMITTED:
        raise KBError("contribution_decided", id=contribution_id, status=found.status)
    return found


def request_changes(
    knowledge_base: KnowledgeBase, contribution_id: int, editor: str, message
) -> None:
    waiting(knowledge_base, contribution_id)
    text = clean(message, MAX_MESSAGE, "message", multiline=True)
    if not text:
        raise KBError("contribution_required", field="message")
    sql.decide(knowledge_base.catalog.connection, contribution_id, CHANGES, editor, text)


def reject(knowledge_base: KnowledgeBase, contribution_id: int, editor: str, reason) -> None:
    found = get(knowledge_base, contribution_id)
    if not found.open:
        raise KBError("contribution_decided", id=contribution_id, status=found.status)
    text = clean(reason, MAX_MESSAGE, "reason", multiline=True)
    if not text:
        raise KBError("contribution_required", field="reason")
    sql.decide(knowledge_base.catalog.connection, contribution_id, sql.REJECTED, editor, text)


def mark_published(
    knowledge_base: KnowledgeBase, contribution_id: int, editor: str, doc_id: str
) -> None:
    sql.decide(knowledge_base.catalog.connection, contribution_id, PUBLISHED, editor, None, doc_id)


def set_job(knowledge_base: KnowledgeBase, contribution_id: int, job_id: str) -> None:
    """The upload job reading a published contribution's attachments."""
    sql.set_job(knowledge_base.catalog.connection, contribution_id, job_id)


def domain_allowed(email: str, allowed: str) -> bool:
    """Whether `email`'s domain is on KB_CONTRIBUTOR_DOMAINS ("*.se,digg.se")."""
    domain = email.rpartition("@")[2].lower()
    for pattern in (p.strip().lower() for p in allowed.split(",")):
        if not pattern or not domain:
            continue
        if pattern.startswith("*."):
            if domain.endswith(pattern[1:]) and len(domain) > len(pattern) - 1:
                return True
        elif domain == pattern:
            return True
    return False

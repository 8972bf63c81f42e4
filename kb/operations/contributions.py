"""Dela en erfarenhet: a contributor's submission is checked (lengths, the investment, the daily
limit) and waits for an editor, who publishes it (ingest/contributions.py), asks for changes
with a message (the contributor edits and submits again) or rejects it with a reason.
Nothing submitted is public before it is published."""

from __future__ import annotations

import re
import sqlite3
import unicodedata
from collections.abc import Mapping

from kb.config import Config
from kb.errors import KBError, NotFound
from kb.records.models import Investment
from kb.storage import contributions as sql
from kb.storage.contributions import CHANGES, SUBMITTED, Contribution, ContributionReader
from kb.storage.records import RecordReader

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


def submit(db: sqlite3.Connection, config: Config, author: str, values: Mapping) -> int:
    """A new submission (status submitted); refused past KB_CONTRIBUTION_LIMIT a day."""
    fields = checked_fields(values, RecordReader(db))
    check_limit(db, config, author)
    return sql.insert(db, author, fields)


def check_limit(db: sqlite3.Connection, config: Config, author: str) -> None:
    count = ContributionReader(db).submitted_since(author)
    if count >= config.contribution_limit:
        raise KBError("contribution_limit", count=count)


def get(db: sqlite3.Connection, contribution_id: int) -> Contribution:
    found = ContributionReader(db).get(contribution_id)
    if found is None:
        raise NotFound("no_contribution", id=contribution_id)
    return found


def resubmit(db: sqlite3.Connection, contribution_id: int, author: str, values: Mapping) -> None:
    """The contributor's changes, asked for by an editor: back in the queue."""
    found = get(db, contribution_id)
    if found.author != author:
        raise NotFound("no_contribution", id=contribution_id)  # others' are not even named
    if not found.editable:
        raise KBError("contribution_not_editable", id=contribution_id)
    sql.resubmit(db, contribution_id, checked_fields(values, RecordReader(db)))


def waiting(db: sqlite3.Connection, contribution_id: int) -> Contribution:
    """The submission, waiting for an editor's decision, or a KBError."""
    found = get(db, contribution_id)
    if found.status != SUBMITTED:
        raise KBError("contribution_decided", id=contribution_id, status=found.status)
    return found


def request_changes(db: sqlite3.Connection, contribution_id: int, editor: str, message) -> None:
    waiting(db, contribution_id)
    text = clean(message, MAX_MESSAGE, "message", multiline=True)
    if not text:
        raise KBError("contribution_required", field="message")
    sql.decide(db, contribution_id, CHANGES, editor, text)


def reject(db: sqlite3.Connection, contribution_id: int, editor: str, reason) -> None:
    found = get(db, contribution_id)
    if not found.open:
        raise KBError("contribution_decided", id=contribution_id, status=found.status)
    text = clean(reason, MAX_MESSAGE, "reason", multiline=True)
    if not text:
        raise KBError("contribution_required", field="reason")
    sql.decide(db, contribution_id, sql.REJECTED, editor, text)


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

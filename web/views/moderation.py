"""Granska bidrag: editors decide the experiences contributors shared. Publishing makes one a
document of kind `experience` (searchable at once, its attachments ingested in the background)
with its fields as draft lessons in the review queue; asking for changes sends it back with a
message; rejecting closes it with a reason."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext

from ingest import contributions as publishing
from kb.errors import KBError, NotFound
from kb.operations import contributions as ops
from kb.storage import contributions as sql
from kb.storage.contributions import STATUSES, SUBMITTED, Contribution
from web.auth import current_user, editor_required
from web.i18n import error_message
from web.services import get_kb, jobs, writing
from web.views.render import respond

bp = Blueprint("moderation", __name__, url_prefix="/granska/bidrag")
ACTIONS = ("publish", "changes", "reject")


@dataclass(frozen=True)
class ModerationQueue:
    contributions: list[Contribution]
    status: str | None
    statuses: tuple[str, ...] = STATUSES

    def to_dict(self) -> dict:
        return {"contributions": [c.to_dict() for c in self.contributions]}


@dataclass(frozen=True)
class ModerationItem:
    contribution: Contribution
    investment: str
    error: str | None = None

    def to_dict(self) -> dict:
        return {**self.contribution.to_dict(), "job": self.contribution.job_id}


def queue_data(status: str | None) -> ModerationQueue:
    status = status if status in STATUSES else None
    return ModerationQueue(get_kb().contributions.list(status=status), status)


def item_data(contribution_id: int, error: str | None = None) -> ModerationItem:
    found = get_kb().contributions.get(contribution_id)
    if found is None:
        raise NotFound("no_contribution", id=contribution_id)
    name = found.investment_name or ""
    if found.investment_id:
        record = get_kb().records.get(found.investment_id)
        name = getattr(record, "name", found.investment_id)
    return ModerationItem(found, name, error)


def moderate(contribution_id: int, action: str, values) -> dict:
    """Carry out an editor's decision; `values` is the form or the JSON body."""
    editor = current_user().name
    knowledge_base = get_kb()
    if action == "changes":
        ops.request_changes(knowledge_base, contribution_id, editor, values.get("message"))
        return {"status": sql.CHANGES}
    if action == "reject":
        ops.reject(knowledge_base, contribution_id, editor, values.get("reason"))
        return {"status": sql.REJECTED}
    with writing() as writer:
        published = publishing.publish(writer, contribution_id, editor)
    out = {"status": sql.PUBLISHED, "document": published.doc_id, "drafts": published.drafts}
    found = get_kb().contributions.get(contribution_id)
    files, ids = publishing.attachment_uploads(get_kb().config, found)
    if files:  # read in the background, as uploads are; the job reports each file
        job = jobs().submit(
            files, publishing.attachment_options(found, editor), ids=ids, uploaded=True
        )
        ops.set_job(knowledge_base, contribution_id, job.id)
        out["job"] = job.id
    return out


@bp.get("/")
@editor_required
def index():
    return respond(queue_data(request.args.get("status", SUBMITTED)), "moderation.html")


@bp.get("/<int:contribution_id>")
@editor_required
def show(contribution_id: int):
    return respond(item_data(contribution_id), "moderation_item.html")


@bp.post("/<int:contribution_id>/<any(publish, changes, reject):action>")
@editor_required
def decision(contribution_id: int, action: str):
    try:
        outcome = moderate(contribution_id, action, request.form)
    except NotFound:
        raise
    except KBError as exc:
        data = item_data(contribution_id, error_message(exc))
        return respond(data, "moderation_item.html", status=400)
    if action == "publish":
        flash(gettext("Published. Its draft lessons wait in the review queue."))
        return redirect(url_for("review.document", doc_id=outcome["document"]), code=303)
    if action == "changes":
        flash(gettext("Sent back to the contributor with your message."))
    else:
        flash(gettext("The contribution is rejected."))
    return redirect(url_for("moderation.index"), code=303)

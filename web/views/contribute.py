"""Dela en erfarenhet: a contributor (or an editor) submits an experience through a form, sees
their own submissions and their status at /dela/mina, and edits one an editor sent back.
Nobody sees another's submissions here; editors decide them on /granska/bidrag."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext

from ingest.contributions import save_attachments
from kb.errors import KBError, NotFound
from kb.operations import contributions as ops
from kb.records.models import Investment
from kb.storage import contributions as sql
from kb.storage.contributions import Contribution
from web.auth import contributor_required, current_user, has_role
from web.errors import status_of
from web.i18n import error_message
from web.services import get_kb
from web.views.render import respond

bp = Blueprint("contribute", __name__, url_prefix="/dela")


@dataclass(frozen=True)
class ContributionForm:
    investments: list[Investment]
    form: dict
    contribution: Contribution | None = None  # the one being changed
    error: str | None = None
    error_field: str | None = None
    max_text: int = ops.MAX_TEXT
    max_name: int = ops.MAX_NAME
    max_attachments: int = ops.MAX_ATTACHMENTS


@dataclass(frozen=True)
class MyContributions:
    contributions: list[Contribution]

    def to_dict(self) -> dict:
        return {"contributions": [c.to_dict() for c in self.contributions]}


def form_data(form=None, contribution=None, error: KBError | None = None) -> ContributionForm:
    investments = sorted(get_kb().records.investments(), key=lambda i: i.name)
    return ContributionForm(
        investments,
        dict(form or {}),
        contribution,
        error_message(error) if error else None,
        error.field if error else None,
    )


def visible(contribution_id: int) -> Contribution:
    """The submission, to its author or an editor; to anyone else it does not exist."""
    found = get_kb().contributions.get(contribution_id)
    user = current_user()
    if found is None or not (has_role(user, "editor") or found.author == user.name):
        raise NotFound("no_contribution", id=contribution_id)
    return found


def submit_contribution(values, files) -> int:
    """Check the fields and the daily limit, keep the attachments, store the submission: the
    page's and the API's submit."""
    knowledge_base = get_kb()
    author = current_user().name
    ops.checked_fields(values, knowledge_base.records)  # before any file is kept
    ops.check_limit(knowledge_base, author)
    attachments = save_attachments(
        knowledge_base.config, [(f.filename, f.stream) for f in files if f]
    )
    return ops.submit(knowledge_base, author, values, attachments)


@bp.get("/")
@contributor_required
def index():
    return respond(form_data(), "contribute.html")


@bp.post("/")
@contributor_required
def create():
    try:
        contribution_id = submit_contribution(request.form, request.files.getlist("attachments"))
    except KBError as exc:
        status = 429 if exc.code == "contribution_limit" else status_of(exc)
        return respond(form_data(request.form, error=exc), "contribute.html", status=status)
    flash(gettext("Thank you: your experience is sent to the secretariat for review."))
    return redirect(url_for("contribute.show", contribution_id=contribution_id), code=303)


@bp.get("/mina")
@contributor_required
def mine():
    found = get_kb().contributions.list(author=current_user().name)
    return respond(MyContributions(found), "contributions_mine.html")


@bp.get("/<int:contribution_id>")
@contributor_required
def show(contribution_id: int):
    found = visible(contribution_id)
    if found.author != current_user().name:  # an editor: the moderation page
        return redirect(url_for("moderation.show", contribution_id=found.id))
    return respond({"contribution": found}, "contribution.html")


@bp.get("/<int:contribution_id>/andra")
@contributor_required
def edit(contribution_id: int):
    found = _own_editable(contribution_id)
    values = {k: getattr(found, k) or "" for k in sql.FIELDS}
    return respond(form_data(values, found), "contribute.html")


@bp.post("/<int:contribution_id>/andra")
@contributor_required
def resubmit(contribution_id: int):
    found = _own_editable(contribution_id)
    try:
        ops.resubmit(get_kb(), found.id, current_user().name, request.form)
    except KBError as exc:
        return respond(form_data(request.form, found, exc), "contribute.html", status=400)
    flash(gettext("Your changes are sent to the secretariat for review."))
    return redirect(url_for("contribute.show", contribution_id=found.id), code=303)


def _own_editable(contribution_id: int) -> Contribution:
    found = visible(contribution_id)
    if found.author != current_user().name:
        abort(403)  # an editor changes nothing of a contributor's: they ask for changes
    if not found.editable:
        flash(gettext("Only a submission the secretariat sent back can be changed."), "error")
        abort(redirect(url_for("contribute.show", contribution_id=found.id), code=303))
    return found

"""The JSON twins of Dela en erfarenhet and its moderation: a contributor lists and submits
their own (session cookie with the CSRF header), an editor lists all and decides (Bearer token
or session)."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from werkzeug.datastructures import MultiDict

from kb.errors import InvalidQuery
from kb.operations import contributions as ops
from kb.storage.contributions import STATUSES
from web.auth import contributor_required, current_user, editor_required, has_role
from web.services import get_kb
from web.views.contribute import submit_contribution, visible
from web.views.moderation import ACTIONS, moderate

bp = Blueprint("api_contributions", __name__, url_prefix="/api/contributions")


def _body() -> MultiDict | dict:
    """A JSON object, or the form fields of a multipart request (with attachments)."""
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise InvalidQuery("record_not_mapping")
        return body
    return request.form


@bp.get("")
@contributor_required
def index():
    """A contributor's own; an editor's: all, or those of `status`."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        raise InvalidQuery("unknown_status", field="status", value=status[:40])
    user = current_user()
    author = None if has_role(user, "editor") else user.name
    found = get_kb().contributions.list(author=author, status=status)
    return jsonify(contributions=[c.to_dict() for c in found], count=len(found))


@bp.post("")
@contributor_required
def create():
    contribution_id = submit_contribution(_body(), request.files.getlist("attachments"))
    return jsonify(get_kb().contributions.get(contribution_id).to_dict()), 201


@bp.get("/<int:contribution_id>")
@contributor_required
def show(contribution_id: int):
    return jsonify(visible(contribution_id).to_dict())


@bp.post("/<int:contribution_id>/resubmit")
@contributor_required
def resubmit(contribution_id: int):
    found = visible(contribution_id)
    ops.resubmit(get_kb(), found.id, current_user().name, _body())
    return jsonify(get_kb().contributions.get(found.id).to_dict())


@bp.post("/<int:contribution_id>/<action>")
@editor_required
def decide(contribution_id: int, action: str):
    """publish; changes with a `message`; reject with a `reason`."""
    if action not in ACTIONS:
        abort(404)
    return jsonify(moderate(contribution_id, action, _body()))

"""Beskriv din investering: a planned investment's description -> similar past cases."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from kb.errors import InvalidQuery
from kb.search.similar import MAX_DESCRIPTION_CHARS
from web.params import filters_from
from web.services import get_similarity
from web.views.htmx import is_fragment_request

bp = Blueprint("describe", __name__, url_prefix="/describe")


@bp.route("/", methods=["GET", "POST"])
def index():
    text = request.form.get("text", "") if request.method == "POST" else ""
    cases = error = None
    status = 200
    if request.method == "POST":
        try:
            filters = filters_from(request.form)
            cases = get_similarity().similar_to_text(text, limit=8, filters=filters)
        except InvalidQuery as exc:
            error, status = str(exc), 400
    context = {"text": text, "cases": cases, "error": error, "limit": MAX_DESCRIPTION_CHARS}
    if is_fragment_request():
        return render_template("_cases.html", **context)
    return render_template("describe.html", **context), status

"""Beskriv din investering: a planned investment's description -> similar past cases."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, request

from kb.errors import InvalidQuery
from kb.models import Filters
from kb.search.similar import MAX_DESCRIPTION_CHARS, SimilarCase
from web.i18n import error_message
from web.params import filters_from
from web.services import get_similarity
from web.views.render import respond

bp = Blueprint("describe", __name__, url_prefix="/describe")

PAGE_CASES = 8


@dataclass(frozen=True)
class DescribePage:
    """The describe page's data; its JSON twin (POST /api/similar) is the cases alone."""

    text: str = ""
    cases: list[SimilarCase] | None = None  # None: nothing described yet
    error: str | None = None
    limit: int = MAX_DESCRIPTION_CHARS

    def to_dict(self) -> list[dict]:
        return [c.to_dict() for c in self.cases or []]


def describe_data(text: str, filters: Filters | None = None, limit: int = PAGE_CASES):
    """Past cases similar to a description (InvalidQuery for an empty or too long one)."""
    return DescribePage(text, get_similarity().similar_to_text(text, limit, filters))


@bp.route("/", methods=["GET", "POST"])
def index():
    if request.method == "GET":
        return respond(DescribePage(), "describe.html", "_cases.html")
    text = request.form.get("text", "")
    try:
        data, status = describe_data(text, filters_from(request.form)), 200
    except InvalidQuery as exc:
        data, status = DescribePage(text, error=error_message(exc)), 400
    return respond(data, "describe.html", "_cases.html", status)

"""Beskriv din investering: a planned investment's description -> similar past cases."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import Blueprint, request

from kb.errors import InvalidQuery
from kb.models import Filters
from kb.search.similar import MAX_DESCRIPTION_CHARS, SimilarCase
from web.i18n import error_message
from web.params import filters_from
from web.services import get_kb, get_similarity
from web.views.brief import DescriptionRecords, records_for
from web.views.render import respond

bp = Blueprint("describe", __name__, url_prefix="/describe")

PAGE_CASES = 8


# A description whose query string is at most this long is sent as a GET: its results have
# an address that survives a reload and can be shared (well under gunicorn's 4,094-byte
# request line). A longer one is POSTed, and the page says that it was kept nowhere.
SHAREABLE_QUERY_BYTES = 3_000


@dataclass(frozen=True)
class DescribePage:
    """The describe page's data; its JSON twin (POST /api/similar) is the cases alone."""

    text: str = ""
    cases: list[SimilarCase] | None = None  # None: nothing described yet
    error: str | None = None
    limit: int = MAX_DESCRIPTION_CHARS
    posted: bool = False  # sent as a POST: the results have no address of their own
    shareable_bytes: int = SHAREABLE_QUERY_BYTES
    records: DescriptionRecords | None = None  # similar investments, lessons, recommendations

    def to_dict(self) -> list[dict]:
        return [c.to_dict() for c in self.cases or []]


def describe_data(text: str, filters: Filters | None = None, limit: int = PAGE_CASES):
    """Past cases similar to a description (InvalidQuery for an empty or too long one)."""
    return DescribePage(text, get_similarity().similar_to_text(text, limit, filters))


@bp.route("/", methods=["GET", "POST"])
def index():
    posted = request.method == "POST"
    values = request.form if posted else request.args
    if not posted and "text" not in values:
        return respond(DescribePage(), "describe.html", "_cases.html")
    text = values.get("text", "")
    try:
        data, status = describe_data(text, filters_from(values)), 200
        data = replace(data, records=records_for(get_kb(), text))
    except InvalidQuery as exc:
        data, status = DescribePage(text, error=error_message(exc)), 400
    return respond(replace(data, posted=posted), "describe.html", "_cases.html", status)

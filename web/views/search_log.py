"""Sökstatistik: the Sök page's searches logged (kb/storage/search_log.py), the result a
reader opened noted by the page it opens, and the editors' page of what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, request

from kb.search.relevance import NEAR
from kb.storage.search_log import Week
from web.auth import editor_required
from web.services import get_kb
from web.views.render import is_fragment_request, respond

bp = Blueprint("search_log", __name__)

REFINEMENTS = ("agency", "kind", "tag", "from", "to", "theme", "outcome")
MAX_RANK = 10_000


def log_search(data) -> str | None:
    """Log a page's search (a SearchPage); its id, for the result links. Not logged: pages
    after the first, "Visa fler som liknar", and the back button's restores, which repeat
    a search already counted."""
    args = data.args
    if (
        args.get("page", "1").strip() not in ("", "1")
        or args.get("near")
        or "HX-History-Restore-Request" in request.headers
    ):
        return None
    if data.records is not None:
        hits = data.records.lessons if data.records.type == "lessons" else None
        found = sum(h.match != NEAR for h, _ in hits) if hits is not None else data.records.total
    elif data.results is not None:
        found = data.results.clear  # "the nearest documents" when nothing clears are no answer
    else:
        return None
    filters = {k: args.getlist(k) for k in REFINEMENTS if any(v.strip() for v in args.getlist(k))}
    return get_kb().search_log.record(
        args.get("q", ""), filters, data.result_type, found, refining=is_fragment_request()
    )


def note_opened(target: str) -> None:
    """A result page opened from a logged search (its links carry `s`, the search's id, and
    `n`, the result's place): noted once per search and result, so a reload or a shared link
    counts no more. No redirect: the links lead straight to our own page, as without a log."""
    search_id, rank = request.args.get("s", ""), request.args.get("n", "")
    if not (search_id and len(search_id) < 40 and rank.isascii() and rank.isdigit()):
        return
    if 0 < int(rank) <= MAX_RANK:
        get_kb().search_log.opened(search_id, target, int(rank))


@dataclass(frozen=True)
class StatisticsPage:
    weeks: list[Week]
    enabled: bool
    days: int

    def to_dict(self) -> dict:
        return {
            "enabled": self.enabled,
            "days": self.days,
            "weeks": [w.to_dict() for w in self.weeks],
        }


@bp.get("/statistik/")
@editor_required
def statistics():
    log = get_kb().search_log
    return respond(StatisticsPage(log.weeks(), log.enabled, log.days), "statistics.html")

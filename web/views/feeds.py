"""Följ: Atom feeds of a search (/feed?q=…&agency=…&theme=…) and of each agency, theme and
investment. Entries are documents and lessons, newest change first, with stable ids and the
catalog's `updated_at` dates; a feed reader that cannot log in sends `?token=` (web/auth.py)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from flask import Blueprint, Response, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from kb.errors import InvalidQuery, NotFound
from kb.knowledge_base import KnowledgeBase
from kb.models import Document, Filters
from kb.records.models import Lesson
from kb.search.lessons import search_lessons
from kb.search.query import SearchQuery
from kb.search.relevance import NEAR
from web.atom import ID_PREFIX, Entry, render, stable_id
from web.helpers import kind_label
from web.params import filters_from
from web.services import get_kb, get_searcher
from web.views.agencies import agency_data
from web.views.investments import find_investment
from web.views.record_parts import themes_by_id

bp = Blueprint("feeds", __name__)

FEED_ENTRIES = 50  # the newest; a reader keeps what it has seen
CANDIDATES = 100  # search hits considered before the newest are picked
PARAMETERS = ("q", "agency", "kind", "from", "to", "tag", "theme", "token")
SUMMARY_CHARS = 400
ATOM = "application/atom+xml; charset=utf-8"


def _short(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def document_entry(doc: Document) -> Entry:
    return Entry(
        id=stable_id("document", doc.id),
        title=doc.meta.title,
        url=url_for("documents.show", doc_id=doc.id, _external=True),
        updated=doc.updated_at,
        published=doc.created_at,
        summary=" · ".join(
            x for x in (doc.meta.agency, kind_label(doc.meta.kind), doc.meta.date) if x
        ),
        author=doc.meta.agency or "",
        category=kind_label(doc.meta.kind),
    )


def lesson_entries(knowledge_base: KnowledgeBase, lessons: list[Lesson]) -> list[Entry]:
    records = knowledge_base.records
    updated = records.updated_at("lesson", [x.id for x in lessons])
    investments = {i.id: i for i in records.investments()}
    entries = []
    for lesson in lessons:
        investment = investments.get(lesson.investment or "")
        if investment:
            url = url_for("investments.show", investment_id=investment.id, _external=True)
        else:
            url = url_for("themes.show", theme_id=lesson.themes[0], _external=True)
        entries.append(
            Entry(
                id=stable_id("lesson", lesson.id),
                title=gettext(
                    "Lesson (%(polarity)s): %(text)s",
                    polarity=lesson.polarity,
                    text=_short(lesson.text, 90),
                ),
                url=url,
                updated=updated.get(lesson.id, ""),
                summary=lesson.text,
                author=investment.agency if investment else "",
                category=lesson.polarity,
            )
        )
    return entries


def newest(entries: Iterable[Entry]) -> list[Entry]:
    # ties broken by id, so that a feed read twice lists its entries alike
    ordered = sorted(entries, key=lambda e: e.id)
    return sorted(ordered, key=lambda e: e.updated, reverse=True)[:FEED_ENTRIES]


def _canonical(values: list[str], known: Iterable[str], kind: str) -> list[str]:
    """Agency names or theme ids as the catalog writes them, or a clear 400."""
    by_key = {k.lower(): k for k in known}
    out = []
    for value in values:
        if value.lower() not in by_key:
            message = "unknown_agency" if kind == "agency" else "unknown_theme"
            raise InvalidQuery(
                message, field=kind, value=value[:80], known=", ".join(sorted(by_key.values()))
            )
        out.append(by_key[value.lower()])
    return out


def search_entries(knowledge_base: KnowledgeBase, args: MultiDict) -> list[Entry]:
    """A search's feed: with `q`, the documents and lessons it finds (the near ones left
    out), else everything that passes the filters; newest change first."""
    unknown = sorted(set(args) - set(PARAMETERS))
    if unknown:
        raise InvalidQuery("unknown_parameter", name=unknown[0], known=", ".join(PARAMETERS))
    filters = filters_from(args)  # the years and repeats checked as search checks them
    doc_agencies, _ = knowledge_base.catalog.known_filter_values()
    records = knowledge_base.records
    agencies = _canonical(
        args.getlist("agency"),
        set(doc_agencies) | {i.agency for i in records.investments()},
        "agency",
    )
    themes = _canonical(args.getlist("theme"), themes_by_id(knowledge_base), "theme")
    query = args.get("q", "").strip()
    # The documents' own refinements (kind, year, subject) no lesson has: then only documents.
    with_lessons = not (filters.kinds or filters.tags or filters.year_from or filters.year_to)
    of_agencies = [a for a in agencies if a in doc_agencies]
    docs: list[Document] = []
    if not agencies or of_agencies:
        doc_filters = Filters(
            tuple(of_agencies), filters.kinds, filters.year_from, filters.year_to, filters.tags
        )
        if query:
            results = get_searcher().search(
                SearchQuery(query, filters=doc_filters, per_page=CANDIDATES)
            )
            found = [h.doc_id for h in results.hits if h.match != NEAR]
            docs = list(knowledge_base.catalog.find_many(found).values())
        else:
            docs = knowledge_base.catalog.ready_documents(doc_filters)
    if themes:  # documents quoted by the theme's lessons
        cited = set(records.cited_documents(records.lesson_ids(themes=themes)))
        docs = [d for d in docs if d.id in cited]
    lessons: list[Lesson] = []
    if with_lessons:
        if query:
            hits = search_lessons(knowledge_base, query, CANDIDATES, themes, (), agencies)
            lessons = [h.lesson for h in hits if h.match != NEAR]
        else:
            lessons = records.lessons(records.lesson_ids(themes=themes, agencies=agencies))
    return newest([*map(document_entry, docs), *lesson_entries(knowledge_base, lessons)])


def _atom(title: str, page_url: str, entries: list[Entry]) -> Response:
    args = MultiDict(request.args)
    args.poplist("token")
    canonical = request.path + ("?" + urlencode(sorted(args.items(multi=True))) if args else "")
    body = render(
        ID_PREFIX + "feed:" + canonical,
        title,
        request.url,  # the self link: the one place a reader's token may appear
        page_url,
        entries,
    )
    return Response(body, mimetype="application/atom+xml", content_type=ATOM)


def _page_args() -> dict[str, list[str]]:
    return {k: v for k, v in request.args.to_dict(flat=False).items() if k != "token"}


@bp.get("/feed")
def search():
    knowledge_base = get_kb()
    entries = search_entries(knowledge_base, request.args)
    query = request.args.get("q", "").strip()
    refinements = [*request.args.getlist("agency"), *request.args.getlist("theme")]
    title = gettext("Search: %(query)s", query=query) if query else gettext("New and changed")
    if refinements:
        title += " (" + ", ".join(refinements) + ")"
    page = url_for("search.index", **_page_args(), _external=True)
    return _atom(f"{title} – Erfarenhetsbanken", page, entries)


@bp.get("/myndigheter/<agency>/feed")
def agency(agency: str):
    knowledge_base = get_kb()
    page = agency_data(agency)  # 404 for an agency with nothing
    records = knowledge_base.records
    lessons = records.lessons(records.lesson_ids(agencies=[agency]))
    entries = newest(
        [*map(document_entry, page.documents), *lesson_entries(knowledge_base, lessons)]
    )
    return _atom(
        f"{agency} – Erfarenhetsbanken",
        url_for("agencies.show", agency=agency, _external=True),
        entries,
    )


@bp.get("/teman/<theme_id>/feed")
def theme(theme_id: str):
    knowledge_base = get_kb()
    found = themes_by_id(knowledge_base).get(theme_id)
    if found is None:
        raise NotFound("no_theme", id=theme_id)
    records = knowledge_base.records
    ids = records.lesson_ids(themes=[theme_id])
    docs = knowledge_base.catalog.find_many(records.cited_documents(ids)).values()
    entries = newest(
        [
            *(document_entry(d) for d in docs if d.status == "ready"),
            *lesson_entries(knowledge_base, records.lessons(ids)),
        ]
    )
    return _atom(
        f"{found.name} – Erfarenhetsbanken",
        url_for("themes.show", theme_id=theme_id, _external=True),
        entries,
    )


@bp.get("/investeringar/<investment_id>/feed")
def investment(investment_id: str):
    knowledge_base = get_kb()
    found = find_investment(knowledge_base, investment_id)
    records = knowledge_base.records
    docs = knowledge_base.catalog.find_many([d.doc_id for d in found.documents]).values()
    lessons = records.lessons(records.lesson_ids(investments=[found.id]))
    entries = newest(
        [
            *(document_entry(d) for d in docs if d.status == "ready"),
            *lesson_entries(knowledge_base, lessons),
        ]
    )
    return _atom(
        f"{found.name} – Erfarenhetsbanken",
        url_for("investments.show", investment_id=found.id, _external=True),
        entries,
    )

"""Ladda ner: a list route's data as CSV (UTF-8 with a BOM, so Excel reads å, ä and ö) or as a
JSON file, with a filename saying what it holds; `?format=csv` or `json` on the API's lists."""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import PurePath

from flask import Response, url_for

from kb.errors import InvalidQuery
from kb.models import Document
from kb.records.models import Investment, Lesson

FORMATS = ("csv", "json")
# A spreadsheet runs a cell that starts like a formula (=HYPERLINK(…), +cmd|…, -2+3, @SUM(…)),
# also after leading spaces or control characters, and LibreOffice also with the full-width
# forms; a leading apostrophe makes any such cell text. Numbers are written as numbers.
_FORMULA_START = re.compile(r"^[\s\x00-\x1f]*[=+\-@＝＋－＠]")
_CONTROL_START = ("\t", "\r", "\n")


def export_format(args) -> str | None:
    """csv or json when the query string asks for a download, else None (the usual JSON)."""
    raw = args.get("format", "").strip()
    if not raw:
        return None
    if raw not in FORMATS:
        raise InvalidQuery(
            "unknown_format", field="format", value=raw[:20], known=", ".join(FORMATS)
        )
    return raw


def safe_cell(value) -> str | int | float:
    """A value as a spreadsheet may show it, never run it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, int | float):
        return value
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    if _FORMULA_START.match(text) or text.startswith(_CONTROL_START):
        return "'" + text
    return text


def filename(*parts: str) -> str:
    """erfarenhetsbanken-sok-kostnader-2026-12-02 (download adds .csv): ASCII, so every
    browser keeps it as it is."""
    words = []
    for part in parts:
        ascii_part = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_part).strip("-").lower()[:40].strip("-")
        if slug:
            words.append(slug)
    day = datetime.now(UTC).date().isoformat()
    return "-".join(["erfarenhetsbanken", *words, day])


def download(
    fmt: str,
    name: str,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    as_json: object,
) -> Response:
    """The file: `rows` (in `columns`' order) as CSV, or `as_json` (the route's own JSON)."""
    if fmt == "json":
        body = json.dumps(as_json, ensure_ascii=False, indent=1)
        response = Response(body, mimetype="application/json")
    else:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(columns)
        writer.writerows([safe_cell(v) for v in row] for row in rows)
        response = Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# The rows of each list -------------------------------------------------------------------
def _external(endpoint: str, **values) -> str:
    return url_for(endpoint, **values, _external=True)


DOCUMENT_COLUMNS = ("id", "title", "agency", "kind", "date", "tags", "file", "updated", "url")


def document_row(doc: Document) -> list:
    m = doc.meta
    return [
        doc.id,
        m.title,
        m.agency,
        m.kind,
        m.date,
        list(m.tags),
        PurePath(doc.source).name,
        doc.updated_at,
        _external("documents.show", doc_id=doc.id),
    ]


INVESTMENT_COLUMNS = (
    "id",
    "name",
    "agency",
    "phase",
    "outcome",
    "start_year",
    "end_year",
    "estimated_msek",
    "actual_msek",
    "actual_kind",
    "url",
)


def investment_row(i: Investment) -> list:
    est, act = i.estimated_cost, i.actual_cost
    return [
        i.id,
        i.name,
        i.agency,
        i.phase,
        i.outcome,
        i.start_year,
        i.end_year,
        est.msek if est else None,
        act.msek if act else None,
        act.kind if act else None,
        _external("investments.show", investment_id=i.id),
    ]


LESSON_COLUMNS = ("id", "polarity", "text", "themes", "investment")


def lesson_row(lesson: Lesson) -> list:
    return [lesson.id, lesson.polarity, lesson.text, list(lesson.themes), lesson.investment]


SEARCH_COLUMNS = (
    "rank",
    "title",
    "agency",
    "kind",
    "date",
    "match",
    "score",
    "page",
    "passage",
    "id",
    "url",
)


def search_rows(results) -> list[list]:
    start = (results.query.page - 1) * results.query.per_page
    rows = []
    for n, hit in enumerate(results.hits, start + 1):
        first = hit.passages[0] if hit.passages else None
        rows.append(
            [
                n,
                hit.meta.title,
                hit.meta.agency,
                hit.meta.kind,
                hit.meta.date,
                hit.match,
                round(hit.score, 4),
                first.page if first else None,
                first.text if first else "",
                hit.doc_id,
                _external("documents.show", doc_id=hit.doc_id),
            ]
        )
    return rows

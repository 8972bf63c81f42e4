"""The JSON API: every page has a JSON twin, computed by the page's own data function from the
same query string; the API is strict where the pages are forgiving."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from kb.errors import InvalidMetadata, InvalidQuery, NotFound
from kb.models import EDITABLE_FIELDS, Metadata
from kb.records import themes
from kb.records.models import POLARITIES
from kb.search.filters import build_filters
from kb.search.lessons import search_lessons
from kb.storage.faults import free_bytes, is_read_only, megabytes, storage_fault
from web.auth import current_user, editor_required
from web.openapi import SPEC
from web.services import get_kb, get_similarity, jobs, writing
from web.views.agencies import agency_data, agency_list_data
from web.views.brief import brief_data
from web.views.describe import describe_data
from web.views.documents import document_list_data, public
from web.views.export import (
    DOCUMENT_COLUMNS,
    INVESTMENT_COLUMNS,
    LESSON_COLUMNS,
    SEARCH_COLUMNS,
    document_row,
    download,
    export_format,
    filename,
    investment_row,
    lesson_row,
    search_rows,
)
from web.views.investments import compare_data, investment_data, investment_list_data
from web.views.overview import overview_data
from web.views.render import respond
from web.views.review import decide, document_review_data
from web.views.search import search_data
from web.views.themes import theme_data
from web.views.upload import submit_upload

bp = Blueprint("api", __name__, url_prefix="/api")

# Below this, /api/health warns that the disk is (nearly) full.
LOW_SPACE_BYTES = 16 * 2**20


@bp.get("/health")
def health():
    """ "ok", or "degraded" with what is wrong (reads still answer), or 503 when the catalog
    itself cannot be read."""
    data_dir = current_app.config["KB_CONFIG"].data_dir
    try:
        knowledge_base = get_kb()
        documents = len(knowledge_base.catalog.documents())
    except Exception as exc:
        fault = storage_fault(exc, data_dir)
        if fault is None:
            raise
        body = {"status": "down", "problems": {"catalog": str(fault)}, "code": fault.code}
        return jsonify(body), 503
    problems = {}
    if (vectors := knowledge_base.vector_problem()) is not None:
        problems["vectors"] = vectors
    free = free_bytes(data_dir)
    if is_read_only(data_dir):
        problems["disk"] = f"the data folder {data_dir} is read-only: changes cannot be saved"
    elif free < LOW_SPACE_BYTES:
        problems["disk"] = f"disk full: {data_dir} has {megabytes(free)} free; writes will fail"
    return jsonify(
        status="degraded" if problems else "ok",
        documents=documents,
        model=knowledge_base.embedder.model_id,
        free_mb=round(free / 2**20, 1),
        problems=problems,
    )


@bp.get("/openapi.json")
def openapi():
    return jsonify(SPEC)


@bp.get("/search")
def search():
    fmt = export_format(request.args)
    data = search_data(request.args, strict=True)
    if fmt is None:
        return respond(data)
    name = filename("sok", request.args.get("q", ""))
    if data.records is None:
        return download(fmt, name, SEARCH_COLUMNS, search_rows(data.results), data.to_dict())
    if data.records.type == "lessons":
        columns = (*LESSON_COLUMNS, "match", "score")
        rows = [
            [*lesson_row(h.lesson), h.match, round(h.score, 4)] for h, _ in data.records.lessons
        ]
    else:
        columns = (*INVESTMENT_COLUMNS, "score")
        rows = [
            [*investment_row(h.investment), round(h.score, 4)] for h in data.records.investments
        ]
    return download(fmt, name, columns, rows, data.to_dict())


@bp.get("/documents")
def documents():
    fmt = export_format(request.args)
    data = document_list_data(request.args, strict=True)
    if fmt is None:
        return respond(data)
    name = filename("dokument", data.agency, data.kind)
    return download(fmt, name, DOCUMENT_COLUMNS, map(document_row, data.docs), data.to_dict())


@bp.get("/documents/<doc_id>")
def document(doc_id: str):
    knowledge_base = get_kb()
    doc = knowledge_base.catalog.get(doc_id, with_text=True)
    out = public(doc, with_text=True)
    out["chunks"] = [c.to_dict() for c in knowledge_base.catalog.chunks(doc.id)]
    out["cited_by"] = [r.to_dict() for r in knowledge_base.references.cited_by(doc.id)]
    out["cites"] = [r.to_dict() for r in knowledge_base.references.cites(doc.id)]
    return jsonify(out)


@bp.get("/documents/<doc_id>/similar")
def similar_documents(doc_id: str):
    limit = min(max(request.args.get("limit", 10, type=int), 1), 50)
    return jsonify([h.to_dict() for h in get_similarity().similar_documents(doc_id, limit)])


@bp.post("/similar")
def similar_text():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        raise InvalidQuery('send JSON like {"text": "description of the planned investment"}')
    limit = body.get("limit", 10)
    if not isinstance(limit, int) or not 1 <= limit <= 50:
        raise InvalidQuery("limit must be a whole number from 1 to 50")
    filters = build_filters(
        _as_list(body.get("agency")),
        _as_list(body.get("kind")),
        body.get("from"),
        body.get("to"),
        _as_list(body.get("tag")),
    )
    return respond(describe_data(body["text"], filters, limit))


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


@bp.post("/documents")
@editor_required
def upload():
    job = submit_upload(request.files.getlist("files"), request.form)
    if request.args.get("wait") == "1":  # for scripts that want the outcome in one call
        jobs().wait(job, timeout=current_app.config.get("UPLOAD_WAIT_SECONDS", 300))
    return jsonify(job.to_dict()), 202 if job.status in ("queued", "running") else 200


@bp.get("/jobs/<job_id>")
@editor_required
def job(job_id: str):
    found = jobs().get(job_id)
    if found is None:
        from kb.errors import NotFound

        raise NotFound(f"no ingest job with id {job_id!r}")
    return jsonify(found.to_dict())


@bp.patch("/documents/<doc_id>")
@editor_required
def update(doc_id: str):
    knowledge_base = get_kb()
    doc = knowledge_base.catalog.get(doc_id)
    body = request.get_json(silent=True)
    allowed = {*EDITABLE_FIELDS, "reset"}
    if not isinstance(body, dict) or not body or set(body) - allowed:
        raise InvalidMetadata(f"send a JSON object with some of: {', '.join(sorted(allowed))}")
    reset = body.pop("reset", [])
    if not (isinstance(reset, list) and set(reset) <= set(EDITABLE_FIELDS)):
        raise InvalidMetadata(
            f"'reset' must be a list of fields to set back to the file's value, of: "
            f"{', '.join(EDITABLE_FIELDS)}"
        )
    for key in ("tags", "source_urls"):
        if key in body and not (
            isinstance(body[key], list) and all(isinstance(v, str) for v in body[key])
        ):
            raise InvalidMetadata(f"'{key}' must be a list of strings")
    for key in ("title", "kind", "agency", "date", "language"):
        if key in body and body[key] is not None and not isinstance(body[key], str):
            raise InvalidMetadata(f"'{key}' must be a string")
    merged = {**doc.meta.to_dict(), **body}
    if body.get("title"):
        merged.pop("title_derived", None)  # a title sent is a real one: embed it from now on
    try:
        meta = Metadata.from_dict(merged)
    except (TypeError, AttributeError) as exc:
        raise InvalidMetadata(f"invalid metadata: {exc}") from exc
    with writing() as writer:
        writer.edit_metadata(doc.id, meta, current_user().name, reset)
    return jsonify(public(knowledge_base.catalog.get(doc.id)))


@bp.delete("/documents/<doc_id>")
@editor_required
def delete(doc_id: str):
    with writing() as writer:
        writer.delete(doc_id)
    return jsonify(deleted=doc_id)


# records: investments, lessons, recommendations, themes (issue 14) ---------------------
LESSON_PARAMS = {"q", "theme", "polarity", "investment", "agency", "limit", "format"}


def _record(record_type: str, record_id: str):
    record = get_kb().records.get(record_id)
    if record is None or record.type != record_type:
        raise NotFound("no_record", id=record_id)
    return record


@bp.get("/investments")
def investments():
    fmt = export_format(request.args)
    data = investment_list_data(request.args)
    if fmt is None:
        return respond(data)
    name = filename("investeringar", *data.selected.values())
    rows = map(investment_row, data.investments)
    return download(fmt, name, INVESTMENT_COLUMNS, rows, data.to_dict())


@bp.get("/investments/<investment_id>")
def investment(investment_id: str):
    return respond(investment_data(investment_id))


@bp.get("/compare")
def compare():
    return respond(compare_data(request.args.getlist("id")))


@bp.get("/agencies")
def agency_list():
    return respond(agency_list_data())


@bp.get("/agencies/<agency>")
def agency(agency: str):
    return respond(agency_data(agency))


@bp.get("/lessons")
def lessons():
    """Lessons closest in meaning to `q` (each with its match label), or all, filtered."""
    args = request.args
    fmt = export_format(args)
    unknown = sorted(set(args) - LESSON_PARAMS)
    if unknown:
        raise InvalidQuery(
            "unknown_parameter", name=unknown[0], known=", ".join(sorted(LESSON_PARAMS))
        )
    knowledge_base = get_kb()
    known_themes = [t.id for t in themes.load(knowledge_base.config.themes_file)]
    for theme in args.getlist("theme"):
        if theme not in known_themes:
            raise InvalidQuery(
                "unknown_theme", field="theme", value=theme, known=", ".join(known_themes) or "-"
            )
    for polarity in args.getlist("polarity"):
        if polarity not in POLARITIES:
            raise InvalidQuery(
                "record_bad_value", field="polarity", value=polarity, allowed=", ".join(POLARITIES)
            )
    limit = args.get("limit", "10").strip()
    if not (limit.isascii() and limit.isdigit()) or len(limit) > 6:
        raise InvalidQuery("not_whole_number", field="limit")
    if not 1 <= int(limit) <= 100:
        raise InvalidQuery("out_of_range", field="limit", min=1, max=100)
    filters = {
        "themes": args.getlist("theme"),
        "polarities": args.getlist("polarity"),
        "agencies": args.getlist("agency"),
        "investments": args.getlist("investment"),
    }
    query = args.get("q", "").strip()
    name = filename("lardomar", query, *args.getlist("theme"))
    if query:
        hits = search_lessons(knowledge_base, query, int(limit), **filters)
        if fmt is None:
            return jsonify([h.to_dict() for h in hits])
        columns = (*LESSON_COLUMNS, "match", "score")
        rows = [[*lesson_row(h.lesson), h.match, round(h.score, 4)] for h in hits]
        return download(fmt, name, columns, rows, [h.to_dict() for h in hits])
    records = knowledge_base.records
    lessons = records.lessons(records.lesson_ids(**filters)[: int(limit)])
    if fmt is None:
        return jsonify([x.to_dict() for x in lessons])
    return download(
        fmt, name, LESSON_COLUMNS, map(lesson_row, lessons), [x.to_dict() for x in lessons]
    )


@bp.get("/lessons/<lesson_id>")
def lesson(lesson_id: str):
    return jsonify(_record("lesson", lesson_id).to_dict())


@bp.get("/themes")
def theme_list():
    knowledge_base = get_kb()
    out = []
    for theme in themes.load(knowledge_base.config.themes_file):
        count = len(knowledge_base.records.lesson_ids(themes=[theme.id]))
        out.append({**theme.to_dict(), "lessons": count})
    return jsonify(out)


@bp.get("/themes/<theme_id>")
def theme(theme_id: str):
    return respond(theme_data(theme_id))


@bp.get("/overview")
def overview():
    return respond(overview_data())


@bp.get("/brief")
def brief():
    return respond(brief_data(request.args.get("text", "")))


@bp.get("/recommendations")
def recommendations():
    return jsonify([r.to_dict() for r in get_kb().records.recommendations()])


# the review queue (web/views/review.py) -----------------------------------------------
SUGGESTION_PARAMS = {"status", "document", "kind"}


@bp.get("/suggestions")
@editor_required
def suggestions():
    """The review queue: pending suggestions (or `status=accepted|rejected|all`), of one
    `document` or `kind` if given."""
    from kb.storage.suggestions import KINDS, STATUSES

    args = request.args
    unknown = set(args) - SUGGESTION_PARAMS
    if unknown:
        raise InvalidQuery(
            "unknown_parameter",
            name=sorted(unknown)[0],
            known=", ".join(sorted(SUGGESTION_PARAMS)),
        )
    status, kind = args.get("status", "pending"), args.get("kind")
    for field, value, allowed in (("status", status, (*STATUSES, "all")), ("kind", kind, KINDS)):
        if value is not None and value not in allowed:
            raise InvalidQuery(
                "record_bad_value", field=field, allowed=", ".join(allowed), value=value
            )
    found = get_kb().suggestions.list(
        status=None if status == "all" else status, doc_id=args.get("document"), kind=kind
    )
    return jsonify(suggestions=[s.to_dict() for s in found], count=len(found))


@bp.get("/suggestions/documents/<doc_id>")
@editor_required
def document_suggestions(doc_id: str):
    return respond(document_review_data(doc_id))


@bp.post("/suggestions/<int:suggestion_id>/accept")
@editor_required
def accept_suggestion(suggestion_id: int):
    """Accept: a lesson with optional `text`, `polarity`, `themes`, `investment`; an
    investment with its `role`."""
    return jsonify(decide(suggestion_id, "accept", _body()))


@bp.post("/suggestions/<int:suggestion_id>/reject")
@editor_required
def reject_suggestion(suggestion_id: int):
    """Reject, with an optional `reason`."""
    return jsonify(decide(suggestion_id, "reject", _body()))


def _body() -> dict:
    body = request.get_json(silent=True)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise InvalidQuery("record_not_mapping")
    return body

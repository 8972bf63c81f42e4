"""Dokument: one document in full, the list of all documents, and the editor's actions on them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePath

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from kb.analysis import query_stems
from kb.errors import InvalidMetadata, InvalidQuery
from kb.messages import N_
from kb.models import EDITABLE_FIELDS, KINDS, Document, Metadata
from kb.search.query import MAX_QUERY_CHARS
from kb.storage import originals
from web.auth import current_user, editor_required
from web.helpers import link_args
from web.i18n import error_message
from web.services import get_kb, get_similarity, jobs, writing
from web.views.reading import paragraphs_with_anchors, text_blocks
from web.views.render import respond
from web.views.search_log import note_opened

bp = Blueprint("documents", __name__, url_prefix="/documents")

SORTS = {
    "title": lambda d: d.meta.title.lower(),
    "date": lambda d: d.meta.date or "",
    "updated": lambda d: d.updated_at,
    "agency": lambda d: (d.meta.agency or "").lower(),
    "kind": lambda d: d.meta.kind,
}
# The direction a column sorts in first: dates newest first, names from A.
FIRST_ORDER = {"title": "asc", "agency": "asc", "kind": "asc", "date": "desc", "updated": "desc"}
ORDERS = ("asc", "desc")


# The fields an editor is asked to complete, named as in a sentence ("Details missing: …").
MISSING_LABELS = {"kind": N_("type"), "agency": N_("agency"), "date": N_("date")}


def missing_metadata(meta: Metadata) -> list[str]:
    """What an editor should still fill in (the field names, translated): a document uploaded
    without metadata lands as "Other", with no agency and no date."""
    lacking = {"kind": meta.kind == "other", "agency": not meta.agency, "date": not meta.date}
    return [gettext(MISSING_LABELS[name]) for name, missing in lacking.items() if missing]


@dataclass(frozen=True)
class DocumentList:
    """The Dokumentlista's data; its JSON twin (/api/documents) is the documents alone."""

    docs: list[Document]
    agencies: list[str]
    kind: str = ""
    agency: str = ""
    sort: str = "title"
    kinds: tuple[str, ...] = KINDS
    order: str = "asc"

    def to_dict(self) -> list[dict]:
        return [public(d) for d in self.docs]


LIST_PARAMETERS = ("kind", "agency", "sort", "order")


def document_list_data(args: MultiDict, strict: bool = False) -> DocumentList:
    """All documents, filtered by kind and agency and sorted; `strict` (the API) refuses an
    unknown parameter, kind, agency or sort where the page shows the nearest it can."""
    all_docs = get_kb().catalog.documents()
    agencies = sorted({d.meta.agency for d in all_docs if d.meta.agency})
    kind, agency = args.get("kind", "").strip(), args.get("agency", "").strip()
    sort = args.get("sort", "").strip() or "title"
    order = args.get("order", "").strip()
    if strict:
        _check_list_args(args, kind, agency, sort, agencies)
    elif sort not in SORTS:
        sort = "title"
    if order not in ORDERS:
        if strict and order:
            raise InvalidQuery(f"unknown order {order[:10]!r}; expected asc or desc")
        order = FIRST_ORDER[sort]
    docs = [
        d
        for d in all_docs
        if (not kind or d.meta.kind == kind) and (not agency or d.meta.agency == agency)
    ]
    docs.sort(key=SORTS[sort], reverse=order == "desc")
    return DocumentList(docs, agencies, kind, agency, sort, order=order)


def _check_list_args(args: MultiDict, kind: str, agency: str, sort: str, agencies) -> None:
    unknown = sorted(set(args) - {*LIST_PARAMETERS, "format"})  # format: the API's download
    if unknown:
        raise InvalidQuery("unknown_parameter", name=unknown[0], known=", ".join(LIST_PARAMETERS))
    if sort not in SORTS:
        raise InvalidQuery("unknown_sort", field="sort", value=sort[:40], sorts=", ".join(SORTS))
    if kind and kind not in KINDS:
        raise InvalidQuery("unknown_kind", field="kind", value=kind[:40], kinds=", ".join(KINDS))
    if agency and agency not in agencies:
        raise InvalidQuery(
            "unknown_agency", field="agency", value=agency[:80], known=", ".join(agencies)
        )


def public(doc: Document, with_text: bool = False) -> dict:
    """A document as readers see it: the file name it came from, never a path on the server
    (`kb list --json` shows the operator the full path)."""
    return {**doc.to_dict(with_text=with_text), "source": PurePath(doc.source).name}


@bp.get("/")
def index():
    return respond(document_list_data(request.args), "documents.html")


@bp.get("/<doc_id>")
def show(doc_id: str):
    knowledge_base = get_kb()
    doc = knowledge_base.catalog.find(doc_id, with_text=True)
    if doc is None and (target := knowledge_base.catalog.alias_of(doc_id)):
        # it became a version of another document: its links lead there
        return redirect(url_for("documents.show", doc_id=target, **link_args()), code=301)
    if doc is None:
        knowledge_base.catalog.get(doc_id)  # NotFound
    note_opened(f"document:{doc.id}")
    chunks = knowledge_base.catalog.chunks(doc.id)
    focus = request.args.get("chunk", type=int)
    stems = query_stems(request.args.get("q", "")[:MAX_QUERY_CHARS])
    similar = get_similarity().similar_documents(doc.id, limit=5)
    focus_page = next((c.page for c in chunks if c.seq == focus), None)
    references = knowledge_base.references
    cited_by, cites = references.cited_by(doc.id), references.cites(doc.id)
    titles = knowledge_base.catalog.find_many(
        sorted({r.citing_id for r in cited_by} | {r.cited_id for r in cites if r.cited_id})
    )
    return render_template(
        "document.html",
        doc=doc,
        chunks=chunks,
        similar=similar,
        focus=focus,
        blocks=text_blocks(paragraphs_with_anchors(doc.text, chunks, focus, stems, doc.structure)),
        original=_original(doc) is not None,
        focus_page=focus_page,
        missing=missing_metadata(doc.meta),
        cited_by=[(r, titles.get(r.citing_id), _seq_at(r.citing_id, r.start)) for r in cited_by],
        cites=[(r, titles.get(r.cited_id)) for r in cites],
        versions=knowledge_base.catalog.versions(doc.id),
        near_duplicates=_near_duplicates(doc.id),
    )


def _near_duplicates(doc_id: str) -> list[tuple]:
    """The open near-duplicate pairs of the document, with the other document of each."""
    catalog = get_kb().catalog
    pairs = catalog.open_near_duplicates(doc_id)
    others = catalog.find_many([p.other_id if p.doc_id == doc_id else p.doc_id for p in pairs])
    return [
        (p, others.get(p.other_id if p.doc_id == doc_id else p.doc_id))
        for p in pairs
        if (p.other_id if p.doc_id == doc_id else p.doc_id) in others
    ]


def _seq_at(doc_id: str, start: int) -> int | None:
    """The chunk of the citing document that holds the citation (to link to the passage)."""
    from kb.records.anchors import seq_at

    return seq_at(get_kb().catalog.chunks(doc_id), start)


def _original(doc) -> Path | None:
    return originals.servable(get_kb().config, doc)


@bp.get("/<doc_id>/original")
def original(doc_id: str):
    doc = get_kb().catalog.get(doc_id)
    path = _original(doc)
    if path is None:
        abort(404)
    mimetypes = {
        "pdf": "application/pdf",
        "html": "text/plain",
        "markdown": "text/plain",
        "text": "text/plain",
        "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    }
    # HTML is sent as text: an uploaded page must never run in our origin.
    return send_file(
        path,
        mimetype=mimetypes.get(doc.file_type, "application/octet-stream"),
        download_name=path.name,
        as_attachment=doc.file_type == "docx",
    )


@bp.get("/<doc_id>/edit")
@editor_required
def edit(doc_id: str):
    doc = get_kb().catalog.get(doc_id)
    return render_template("edit.html", doc=doc, kinds=KINDS, error=None)


def metadata_from_form(form, current: Metadata) -> Metadata:
    tags = tuple(t.strip().lower() for t in form.get("tags", "").split(",") if t.strip())
    sources = tuple(u.strip() for u in form.get("sources", "").split() if u.strip())
    return Metadata(
        title=form.get("title", current.title).strip()[:300],
        kind=form.get("kind", current.kind),
        agency=form.get("agency", "").strip() or None,
        date=form.get("date", "").strip() or None,
        source_urls=sources,
        tags=tags,
        language=form.get("language", current.language).strip() or current.language,
    )


@bp.post("/<doc_id>/edit")
@editor_required
def update(doc_id: str):
    knowledge_base = get_kb()
    doc = knowledge_base.catalog.get(doc_id)
    try:
        meta = metadata_from_form(request.form, doc.meta)
    except InvalidMetadata as exc:
        return render_template("edit.html", doc=doc, kinds=KINDS, error=error_message(exc)), 400
    reset = [f for f in request.form.getlist("reset") if f in EDITABLE_FIELDS]
    with writing() as writer:
        writer.edit_metadata(doc.id, meta, current_user().name, reset)
    return redirect(url_for("documents.show", doc_id=doc.id), code=303)


@bp.post("/<doc_id>/delete")
@editor_required
def delete(doc_id: str):
    title = get_kb().catalog.get(doc_id).meta.title
    with writing() as writer:
        writer.delete(doc_id)
    # A flashed message, not a query parameter: a link cannot make the page claim a deletion.
    flash(gettext("The document “%(title)s” has been removed.", title=title))
    return redirect(url_for("documents.index"), code=303)


@bp.post("/<doc_id>/reingest")
@editor_required
def reingest(doc_id: str):
    knowledge_base = get_kb()
    doc = knowledge_base.catalog.get(doc_id)
    # the operator's own file when it was ingested from disk, so the document keeps its source
    path = originals.operator_file(knowledge_base.config, doc) or _original(doc)
    if path is None:
        abort(409, description=gettext("The original file is gone; upload it again."))
    options = {"origin": "reingest", "edited_by": current_user().name}  # who, for its version
    job = jobs().submit([(path.name, path)], options, [doc.id])
    return redirect(url_for("upload.job", job_id=job.id), code=303)

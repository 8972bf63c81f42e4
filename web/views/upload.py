"""Lägg till dokument: the secretariat uploads files with metadata; ingestion runs in the
background and the page shows each file's result."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from kb.errors import InvalidMetadata, InvalidQuery
from kb.models import KINDS, Metadata
from kb.storage.data_folder import private_folder
from kb.storage.originals import safe_name
from web.auth import current_user, editor_required
from web.i18n import error_message
from web.services import get_kb, jobs
from web.views.documents import missing_metadata
from web.views.render import respond

bp = Blueprint("upload", __name__, url_prefix="/upload")

MAX_FILES = 20


def upload_options(form) -> dict:
    """Metadata given with the upload, checked the way a document's own metadata is."""
    options: dict = {}
    for key in ("kind", "agency", "date", "language"):
        value = form.get(key, "").strip()
        if value:
            options[key] = value
    tags = [t.strip() for t in form.get("tags", "").split(",") if t.strip()]
    if tags:
        options["tags"] = tags
    source = form.get("source_url", "").strip()
    if source:
        if not re.match(r"^https?://", source):
            raise InvalidMetadata("bad_source_url", field="source_url", value=source[:80])
        options["source_url"] = source
    Metadata(title="x", kind=options.get("kind", "other"), date=options.get("date"))  # validates
    return options


def store_uploads(files) -> list[tuple[str, Path]]:
    """Save the uploads under the data folder (never the web root) and return them."""
    if not files:
        raise InvalidQuery("no_files", field="files")
    if len(files) > MAX_FILES:
        raise InvalidQuery("too_many_files", field="files", max=MAX_FILES)
    root = current_app.config["KB_CONFIG"].data_dir / "originals"
    saved = []
    for storage in files:
        name = safe_name(storage.filename)
        folder = root / uuid.uuid4().hex[:12]
        private_folder(folder)
        path = folder / name
        storage.save(path)
        saved.append((name, path))
    return saved


@bp.get("/")
@editor_required
def index():
    return render_template("upload.html", kinds=KINDS, error=None, form={}, max_files=MAX_FILES)


def submit_upload(files, form):
    """Check the metadata, save the files and queue them: the page's and the API's upload."""
    files = [f for f in files if f and f.filename]
    # the form's fields are the editor's edits: re-reading the file keeps them
    options = {**upload_options(form), "edited_by": current_user().name}
    saved = store_uploads(files)
    # Each upload's original is kept in its own folder: nothing is overwritten.
    return jobs().submit(saved, options, uploaded=True)


@bp.post("/")
@editor_required
def create():
    try:
        job = submit_upload(request.files.getlist("files"), request.form)
    except (InvalidMetadata, InvalidQuery) as exc:
        return (
            render_template(
                "upload.html",
                kinds=KINDS,
                error=error_message(exc),
                form=request.form,
                max_files=MAX_FILES,
            ),
            400,
        )
    return redirect(url_for("upload.job", job_id=job.id), code=303)


@bp.get("/jobs/<job_id>")
@editor_required
def job(job_id: str):
    found = jobs().get(job_id)
    if found is None:
        abort(404)
    to_review = get_kb().suggestions.count_pending([f.doc_id for f in found.files if f.doc_id])
    return respond(
        {"job": found, "missing": _missing(found), "to_review": to_review},
        "job.html",
        "_job.html",
    )


def _missing(job) -> dict[str, list[str]]:
    """Per document read in, the metadata still to fill in: an upload without any lands as
    "Övrigt" with no agency or date, and the editor is asked to complete it."""
    ids = [f.doc_id for f in job.files if f.doc_id and f.outcome in ("added", "updated")]
    found = get_kb().catalog.find_many(ids) if ids else {}
    return {doc_id: missing_metadata(doc.meta) for doc_id, doc in found.items()}

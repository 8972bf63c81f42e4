"""A document's versions: the list, one version with its diff against the one before, an
editor's restore; and the near-duplicates found at ingest, linked as versions or kept apart."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from flask import Blueprint, abort, flash, jsonify, redirect, request, send_file, url_for
from flask_babel import gettext

from ingest.pipeline import Ingester
from kb.errors import NotFound
from kb.storage import originals
from kb.storage.versions import Version
from web.auth import current_user, editor_required
from web.services import get_kb, writing
from web.views.render import respond

bp = Blueprint("versions", __name__)

MAX_DIFF_LINES = 1000  # changed or context lines shown; the rest is counted, not shown
MAX_DIFF_INPUT_LINES = 20000  # per version: difflib's matching is quadratic at worst
CONTEXT_LINES = 2


@dataclass(frozen=True)
class DiffLine:
    kind: str  # 'same', 'added', 'removed', 'gap'
    text: str
    old: int | None = None  # line numbers, 1-based
    new: int | None = None


@dataclass(frozen=True)
class VersionPage:
    doc_id: str
    title: str
    version: Version
    previous: Version | None
    current: int
    lines: list[DiffLine]
    hidden: int  # changed lines beyond MAX_DIFF_LINES
    added: int
    removed: int

    def to_dict(self) -> dict:
        return {
            **self.version.to_dict(with_text=True, public=True),
            "previous": self.previous.n if self.previous else None,
            "current": self.version.n == self.current,
            "diff": [vars(d) for d in self.lines],
            "diff_hidden_lines": self.hidden,
            "added_lines": self.added,
            "removed_lines": self.removed,
        }


def text_diff(old: str, new: str, limit: int = MAX_DIFF_LINES) -> tuple[list[DiffLine], int]:
    """The lines of `new` against `old` with a little context; beyond `limit` lines the rest is
    only counted. Texts stay text: the template escapes them."""
    a = [line for line in old.split("\n") if line.strip()][:MAX_DIFF_INPUT_LINES]
    b = [line for line in new.split("\n") if line.strip()][:MAX_DIFF_INPUT_LINES]
    out: list[DiffLine] = []
    hidden = 0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        if out:
            out.append(DiffLine("gap", ""))
        for tag, i1, i2, j1, j2 in group:
            rows = (
                [DiffLine("same", a[i], i + 1, j1 + i - i1 + 1) for i in range(i1, i2)]
                if tag == "equal"
                else [DiffLine("removed", a[i], i + 1) for i in range(i1, i2)]
                + [DiffLine("added", b[j], None, j + 1) for j in range(j1, j2)]
            )
            room = max(limit - len(out), 0)
            out.extend(rows[:room])
            hidden += sum(r.kind != "same" for r in rows[room:])
    return out, hidden


def _document_or_alias(doc_id: str):
    """The document, or a redirect to the one whose version it became."""
    knowledge_base = get_kb()
    doc = knowledge_base.catalog.find(doc_id)
    if doc is None:
        target = knowledge_base.catalog.alias_of(doc_id)
        if target:
            return None, redirect(request.path.replace(doc_id, target, 1), code=301)
        raise NotFound("no_document", id=doc_id)
    return doc, None


def version_page_data(doc_id: str, n: int) -> VersionPage:
    catalog = get_kb().catalog
    doc = catalog.get(doc_id)
    version = catalog.version(doc_id, n)
    listed = catalog.versions(doc_id)
    before = [v for v in listed if v.n < n]
    previous = catalog.version(doc_id, before[0].n) if before else None
    lines, hidden = text_diff(previous.text if previous else "", version.text)
    return VersionPage(
        doc.id,
        doc.meta.title,
        version,
        previous,
        listed[0].n,
        lines,
        hidden,
        sum(d.kind == "added" for d in lines),
        sum(d.kind == "removed" for d in lines),
    )


@bp.get("/documents/<doc_id>/versions/<int:n>")
def version(doc_id: str, n: int):
    doc, moved = _document_or_alias(doc_id)
    return moved or respond(version_page_data(doc.id, n), "version.html")


@bp.get("/api/documents/<doc_id>/versions/<int:n>")
def version_api(doc_id: str, n: int):
    return respond(version_page_data(doc_id, n))


@bp.get("/api/documents/<doc_id>/versions")
def versions_api(doc_id: str):
    catalog = get_kb().catalog
    doc = catalog.get(doc_id)
    return jsonify(
        {"id": doc.id, "versions": [v.to_dict(public=True) for v in catalog.versions(doc.id)]}
    )


@bp.get("/documents/<doc_id>/versions/<int:n>/original")
def version_original(doc_id: str, n: int):
    knowledge_base = get_kb()
    found = knowledge_base.catalog.version(doc_id, n)
    path = originals.version_file(knowledge_base.config, doc_id, found.original)
    if path is None:
        abort(404)
    # never shown inline: an HTML file must not run in our origin
    return send_file(path, as_attachment=True, download_name=path.name)


@bp.post("/documents/<doc_id>/versions/<int:n>/restore")
@editor_required
def restore(doc_id: str, n: int):
    get_kb().catalog.version(doc_id, n)  # 404 before taking the lock
    with writing() as writer:
        made = Ingester(writer).restore_version(doc_id, n, current_user().name)
    flash(gettext("Version %(n)s is restored as version %(made)s.", n=n, made=made))
    return redirect(url_for("documents.show", doc_id=doc_id), code=303)


@bp.post("/documents/<doc_id>/near-duplicates/<other_id>/keep")
@editor_required
def keep_both(doc_id: str, other_id: str):
    with writing() as writer:
        writer.keep_both(doc_id, other_id, current_user().name)
    flash(gettext("Both documents are kept; the warning is not shown again."))
    return redirect(url_for("documents.show", doc_id=doc_id), code=303)


@bp.post("/documents/<doc_id>/near-duplicates/<other_id>/link")
@editor_required
def link(doc_id: str, other_id: str):
    """The later of the two becomes the newest version of the other."""
    pair = get_kb().catalog.near_duplicate(doc_id, other_id)
    if pair is None:
        raise NotFound("no_near_duplicate", id=doc_id, other=other_id)
    with writing() as writer:
        writer.link_as_version(pair.doc_id, pair.other_id, current_user().name)
    flash(gettext("The documents are linked: this is now one document with its versions."))
    return redirect(url_for("documents.show", doc_id=pair.other_id), code=303)

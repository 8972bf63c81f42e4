"""One renderer for every view: the view computes its data once, this sends it as JSON
(the API), as the fragment htmx asked for, or as the full page (datasette's data() → renderer)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass

from flask import jsonify, render_template, request


def is_fragment_request() -> bool:
    # A history restore needs the whole page, or the back button would show a bare fragment.
    return "HX-Request" in request.headers and "HX-History-Restore-Request" not in request.headers


def respond(
    data, page_template: str | None = None, fragment_template: str | None = None, status: int = 200
):
    """`data` as JSON when there is no page to show it in (the API), else as a page or fragment.

    A page's data is a dataclass (its fields are the template's context) with a `to_dict()`
    giving its JSON twin; the JSON is that `to_dict()`, so the API can never drift from a page."""
    if page_template is None:
        return jsonify(data.to_dict() if hasattr(data, "to_dict") else data), status
    context = {f.name: getattr(data, f.name) for f in fields(data)} if is_dataclass(data) else data
    if fragment_template and is_fragment_request():
        # htmx swaps only 2xx answers: a fragment carrying an error message is still a 200.
        return render_template(fragment_template, **context)
    return render_template(page_template, **context), status

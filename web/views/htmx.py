"""One route, two answers: the full page, or only the fragment htmx asked for."""

from flask import request


def is_fragment_request() -> bool:
    # A history restore needs the whole page, or the back button would show a bare fragment.
    return "HX-Request" in request.headers and "HX-History-Restore-Request" not in request.headers

"""Errors as Swedish pages, or JSON under /api: a message and the right status, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.globals import request_ctx
from werkzeug.exceptions import HTTPException

from kb.errors import (
    Busy,
    CorruptFile,
    EmptyDocument,
    EncryptedFile,
    FileTooLarge,
    InvalidMetadata,
    InvalidQuery,
    KBError,
    ModelMismatch,
    NotFound,
    UnsupportedFile,
)

log = logging.getLogger(__name__)

STATUS = {
    NotFound: 404,
    InvalidQuery: 400,
    InvalidMetadata: 400,
    UnsupportedFile: 415,
    CorruptFile: 422,
    EncryptedFile: 422,
    EmptyDocument: 422,
    FileTooLarge: 413,
    ModelMismatch: 409,
    Busy: 503,
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def respond(message: str, status: int):
    if request_ctx.url_adapter is None:  # a Host outside KB_TRUSTED_HOSTS: no links to build
        return message, status, {"Content-Type": "text/plain; charset=utf-8"}
    if wants_json():
        return jsonify(error=message, status=status), status
    return render_template("error.html", message=message, status=status), status


def init_app(app: Flask) -> None:
    @app.errorhandler(KBError)
    def kb_error(exc: KBError):
        return respond(str(exc), next((s for t, s in STATUS.items() if isinstance(exc, t)), 400))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            404: "Sidan finns inte.",
            405: "Metoden stöds inte här.",
            413: "Filerna är för stora.",
        }
        custom = exc.description != type(exc).description  # abort(…, description=…) of ours
        if wants_json() or custom:
            message = exc.description
        else:
            message = messages.get(exc.code, exc.name)
        return respond(message, exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        log.exception("unhandled error on %s", request.path)
        return respond("Något gick fel hos oss. Försök igen om en stund.", 500)

"""Errors as pages in the reader's language, or JSON under /api (English, with the message's
code): a message and the right status, never a trace."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask.globals import request_ctx
from flask_babel import gettext
from werkzeug.exceptions import HTTPException

from kb.errors import (
    Busy,
    CorruptCatalog,
    CorruptFile,
    EmptyDocument,
    EncryptedFile,
    FileTooLarge,
    InvalidMetadata,
    InvalidQuery,
    KBError,
    ModelMismatch,
    NotFound,
    ReadOnlyStorage,
    StorageFull,
    UnsupportedFile,
    VectorsDamaged,
)
from kb.storage.faults import storage_fault
from web.i18n import error_message

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
    StorageFull: 507,  # Insufficient Storage: reads go on answering
    ReadOnlyStorage: 503,
    CorruptCatalog: 503,
    VectorsDamaged: 503,
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def respond(message: str, status: int, code: str | None = None):
    if request_ctx.url_adapter is None:  # a Host outside KB_TRUSTED_HOSTS: no links to build
        return message, status, {"Content-Type": "text/plain; charset=utf-8"}
    if wants_json():
        body = {"error": message, "status": status}
        if code:
            body["code"] = code
        return jsonify(body), status
    return render_template("error.html", message=message, status=status), status


def status_of(exc: KBError) -> int:
    """The HTTP status of a domain error (400 unless it says more)."""
    return next((s for t, s in STATUS.items() if isinstance(exc, t)), 400)


def init_app(app: Flask) -> None:
    @app.errorhandler(KBError)
    def kb_error(exc: KBError):
        status = status_of(exc)
        if wants_json():
            return respond(str(exc), status, exc.code)
        return respond(error_message(exc), status)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        messages = {
            404: gettext("The page does not exist."),
            405: gettext("The method is not supported here."),
            413: gettext("The files are too large."),
        }
        custom = exc.description != type(exc).description  # abort(…, description=…) of ours
        if wants_json() or custom:
            message = exc.description
        else:
            message = messages.get(exc.code, exc.name)
        return respond(message, exc.code or 500)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception):
        fault = storage_fault(exc, app.config["KB_CONFIG"].data_dir)
        if fault is not None:  # a full or read-only disk, a damaged file: say which
            log.warning("%s %s: %s", request.method, request.path, fault)
            return kb_error(fault)
        log.exception("unhandled error on %s", request.path)
        return respond(gettext("Something went wrong on our side. Try again in a while."), 500)

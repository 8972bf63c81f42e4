"""Domain exceptions; the CLI and web layers turn them into messages and status codes.

Each carries a `code` from kb/messages.py and its `params`, so that the web layer and the CLI
can show it in the reader's language; `str()` is the English text (logs, the CLI's default)."""

from __future__ import annotations

import re

from kb.messages import MESSAGES, english

_CODE = re.compile(r"[a-z][a-z0-9_]*")


class KBError(Exception):
    """Base class: `KBError("code", name=value, …)`, or a plain English sentence for messages
    only an operator sees (the CLI's account and archive commands); those have no code."""

    def __init__(self, code_or_text: str, /, **params) -> None:
        if code_or_text in MESSAGES:
            self.code: str | None = code_or_text
            text = english(code_or_text, params)
        elif _CODE.fullmatch(code_or_text):  # a mistyped code must not pass as a sentence
            raise KeyError(f"no message with code {code_or_text!r} in kb/messages.py")
        else:
            self.code, text = None, code_or_text
        self.params = params
        super().__init__(text)

    @property
    def field(self) -> str | None:
        """The form or query parameter at fault, when there is one."""
        return self.params.get("field")


class UnsupportedFile(KBError):
    """The file's type is not one we read."""


class CorruptFile(KBError):
    """The file claims a type but cannot be parsed as it."""


class EncryptedFile(KBError):
    """The file is password protected."""


class EmptyDocument(KBError):
    """The file holds no text we can index (empty, or a scan without a text layer)."""


class OcrUnavailable(KBError):
    """A scanned page needs OCR, and Tesseract or one of its languages is not installed."""


class FileTooLarge(KBError):
    """The file, or the text extracted from it, is over a configured size limit."""


class InvalidMetadata(KBError):
    """Metadata from front matter, a sidecar or the command line is not valid."""


class NotFound(KBError):
    """No document with that id."""


class ModelMismatch(KBError):
    """The store was built with another embedding model than the configured one."""


class InvalidQuery(KBError):
    """A query or filter that cannot be answered."""


class StoreUnavailable(KBError):
    """The vector store (a Chroma server) cannot be reached or refused the request."""


class Busy(KBError):
    """Another writer (an ingest or a re-index) holds the knowledge base for longer than we wait."""


class StorageFault(KBError):
    """The data folder cannot hold what we write: full, read-only, or its files damaged."""


class StorageFull(StorageFault):
    """No space left on the data folder's disk."""


class ReadOnlyStorage(StorageFault):
    """The data folder cannot be written (a read-only mount or permissions): reads still work."""


class CorruptCatalog(StorageFault):
    """The catalog's SQLite file is damaged."""


class VectorsDamaged(StorageFault):
    """The vector store's files are missing or damaged: searches fall back to keywords."""

"""Domain exceptions; the CLI and web layers turn them into messages and status codes."""


class KBError(Exception):
    """Base class: every message is meant to be shown to a user as it is."""


class UnsupportedFile(KBError):
    """The file's type is not one we read."""


class CorruptFile(KBError):
    """The file claims a type but cannot be parsed as it."""


class EncryptedFile(KBError):
    """The file is password protected."""


class EmptyDocument(KBError):
    """The file holds no text we can index (empty, or a scan without a text layer)."""


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

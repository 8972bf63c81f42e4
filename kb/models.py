"""Domain values: document metadata, documents, chunks and search hits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from kb.errors import InvalidMetadata

KINDS = (
    "recommendation",
    "interview",
    "case",
    "analysis",
    "report",
    "news",
    "experience",  # shared by agency staff through "Dela en erfarenhet", then published
    "other",
)
FILE_TYPES = ("pdf", "docx", "html", "markdown", "text")  # what the readers make
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
# Document ids are slugs (ingest/metadata.py slugify), plus a "-<n>" or "-<hash>" suffix.
_DOC_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
MAX_ID_LENGTH = 200


def valid_doc_id(value: object) -> bool:
    """Whether `value` is an id ingest could have made: also safe as a folder name."""
    return isinstance(value, str) and len(value) <= MAX_ID_LENGTH and bool(_DOC_ID.fullmatch(value))


def is_web_address(url: str) -> bool:
    """http(s) with a host: the only sources rendered as links (never `javascript:`)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True)
class Metadata:
    title: str
    kind: str = "other"
    agency: str | None = None
    date: str | None = None  # ISO: YYYY, YYYY-MM or YYYY-MM-DD
    source_urls: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    language: str = "sv"
    # The title was made up (from a file name or an id) for display, not found in or given
    # with the document: it is then neither embedded nor indexed with the chunks.
    title_derived: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise InvalidMetadata(
                "unknown_kind", field="kind", value=self.kind, kinds=", ".join(KINDS)
            )
        if self.date is not None and not _DATE.match(self.date):
            raise InvalidMetadata("bad_date", field="date", value=self.date)
        if not self.title.strip():
            raise InvalidMetadata("title_empty", field="title")
        for url in self.source_urls:
            if not is_web_address(url):
                raise InvalidMetadata("bad_source_url", field="sources", value=url[:80])

    @property
    def year(self) -> int | None:
        return int(self.date[:4]) if self.date else None

    @property
    def source_url(self) -> str | None:
        return self.source_urls[0] if self.source_urls else None

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "kind": self.kind,
            "agency": self.agency,
            "date": self.date,
            "year": self.year,
            "source_url": self.source_url,
            "source_urls": list(self.source_urls),
            "tags": list(self.tags),
            "language": self.language,
            **({"title_derived": True} if self.title_derived else {}),
        }

    @property
    def context_title(self) -> str:
        """The title that goes with every chunk (embedded and indexed); empty if made up."""
        return "" if self.title_derived else self.title

    @classmethod
    def from_dict(cls, d: dict, stored: bool = False) -> Metadata:
        """`stored`: a catalog row written before sources were checked; an unsafe address
        is dropped rather than making the document unreadable."""
        urls = tuple(d.get("source_urls") or ())
        if stored:
            urls = tuple(u for u in urls if is_web_address(u))
        return cls(
            title=d["title"],
            kind=d.get("kind") or "other",
            agency=d.get("agency"),
            date=d.get("date"),
            source_urls=urls,
            tags=tuple(d.get("tags") or ()),
            language=d.get("language") or "sv",
            title_derived=bool(d.get("title_derived")),
        )


# The fields of Metadata an editor can set (`year` and `source_url` are derived from these).
EDITABLE_FIELDS = ("title", "kind", "agency", "date", "tags", "source_urls", "language")


def field_value(meta: Metadata, name: str) -> str | list[str] | None:
    """One editable field of `meta`, as Metadata.to_dict has it (lists, not tuples)."""
    value = getattr(meta, name)
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class ManualEdit:
    """An editor's value for one field, laid over what the file says (kb/manual_edits.py)."""

    field: str
    value: str | list[str] | None  # as in Metadata.to_dict
    editor: str
    edited_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    seq: int
    text: str
    page: int | None  # 1-based page of the chunk's start, for paged formats
    char_start: int  # offsets into the document's full text
    char_end: int

    @property
    def id(self) -> str:
        return chunk_id(self.doc_id, self.seq)

    def to_dict(self, with_text: bool = False) -> dict:
        out = {"seq": self.seq, "page": self.page}
        out |= {"char_start": self.char_start, "char_end": self.char_end}
        if with_text:
            out["text"] = self.text
        return out


def chunk_id(doc_id: str, seq: int) -> str:
    return f"{doc_id}#{seq}"


def passage_text(meta: Metadata, chunk_text: str) -> str:
    """What we embed for a chunk: its document's title gives the chunk its context (a title
    made up from a file name or id would only add noise, so then the chunk goes alone)."""
    title = meta.context_title
    return f"{title}\n{chunk_text}" if title else chunk_text


# A text block's structure, kept so that the document page can show it: a heading's level,
# a list item ("ul", "ol"), a table row ("tr", its cells joined by CELL_SEPARATOR) or a
# table's header row ("th").
HEADING_STYLES = ("h1", "h2", "h3", "h4", "h5", "h6")
TEXT_STYLES = (*HEADING_STYLES, "ul", "ol", "tr", "th")
CELL_SEPARATOR = " | "


@dataclass(frozen=True)
class OcrPage:
    """A page whose text was read by OCR from its image (it had no text layer)."""

    page: int  # 1-based
    seconds: float  # the time OCR took on it


@dataclass(frozen=True)
class Document:
    id: str
    source: str  # where it came from: a file path or an upload name
    content_hash: str
    meta: Metadata
    file_type: str
    n_chunks: int
    n_pages: int | None
    size_bytes: int
    status: str  # "ready", or "indexing" while (or if a crash left it) half-written
    index_signature: str  # embedding model + chunking settings the chunks were made with
    meta_inputs_hash: str  # hash of the metadata given outside the file (sidecar, options)
    created_at: str
    updated_at: str
    text: str = field(default="", repr=False)
    # What the file and its sidecar say, under the editors' edits (None: the same as `meta`)
    file_meta: Metadata | None = field(default=None, repr=False)
    manual_edits: tuple[ManualEdit, ...] = ()

    @property
    def file_metadata(self) -> Metadata:
        return self.file_meta or self.meta

    @property
    def edits(self) -> dict[str, ManualEdit]:
        return {e.field: e for e in self.manual_edits}

    def edited_fields(self) -> dict[str, dict]:
        """Each field an editor set by hand: who, when, and what the file says instead."""
        return {
            e.field: {
                "editor": e.editor,
                "edited_at": e.edited_at,
                "file_value": field_value(self.file_metadata, e.field),
            }
            for e in sorted(self.manual_edits, key=lambda e: EDITABLE_FIELDS.index(e.field))
        }

    # The text's block structure: (offset where a block starts, its style) for each heading,
    # list item and table row (ingest.readers.base.STYLES); plain paragraphs are left out.
    structure: tuple[tuple[int, str], ...] = field(default=(), repr=False)
    ocr: tuple[OcrPage, ...] = ()  # the pages read by OCR; () for a document with a text layer

    @property
    def ocr_pages(self) -> tuple[int, ...]:
        return tuple(p.page for p in self.ocr)

    def to_dict(self, with_text: bool = False) -> dict:
        d = {
            "id": self.id,
            "source": self.source,
            "content_hash": self.content_hash,
            **self.meta.to_dict(),
            "file_type": self.file_type,
            "n_chunks": self.n_chunks,
            "n_pages": self.n_pages,
            "size_bytes": self.size_bytes,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "edited_fields": self.edited_fields(),
            "ocr": [{"page": p.page, "seconds": p.seconds} for p in self.ocr],
        }
        if with_text:
            d["text"] = self.text
            d["structure"] = [list(s) for s in self.structure]
        return d


@dataclass(frozen=True)
class Filters:
    """Values within one facet are alternatives (OR); facets combine with AND."""

    agencies: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    tags: tuple[str, ...] = ()

    @property
    def active(self) -> bool:
        return (
            bool(self.agencies or self.kinds or self.tags)
            or self.year_from is not None
            or self.year_to is not None
        )

    def to_dict(self) -> dict:
        return {
            "agency": list(self.agencies),
            "kind": list(self.kinds),
            "from": self.year_from,
            "to": self.year_to,
            "tag": list(self.tags),
        }

"""Pick the reader by the file's content (magic bytes) first and its extension second."""

from __future__ import annotations

from pathlib import PurePath

from ingest.readers.base import Block, ParsedFile
from ingest.readers.docx import read_docx
from ingest.readers.html import read_html
from ingest.readers.markdown import read_markdown
from ingest.readers.ocr import OcrSettings
from ingest.readers.pdf import read_pdf, read_pdf_meta
from ingest.readers.text import read_text
from kb.errors import CorruptFile, FileTooLarge, UnsupportedFile
from kb.messages import N_

__all__ = [
    "Block",
    "OcrSettings",
    "ParsedFile",
    "SUPPORTED_SUFFIXES",
    "read_document",
    "read_file_meta",
    "sniff_type",
]

SUPPORTED_SUFFIXES = {
    ".pdf": "pdf",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
    ".text": "text",
}

_FOREIGN_MAGIC = {
    b"\x89PNG": N_("a PNG image"),
    b"\xff\xd8\xff": N_("a JPEG image"),
    b"GIF8": N_("a GIF image"),
    b"\x7fELF": N_("an executable"),
    b"MZ": N_("a Windows executable"),
    b"\x1f\x8b": N_("gzip data"),
    b"\xd0\xcf\x11\xe0": N_("an old Office file (.doc/.xls); save it as DOCX or PDF"),
    b"Rar!": N_("a RAR archive"),
    b"7z\xbc\xaf": N_("a 7z archive"),
}


def sniff_type(name: str, data: bytes) -> str:
    """The format to read `data` as; raises UnsupportedFile for anything else."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if b"word/" in data[:4096] or PurePath(name).suffix.lower() == ".docx":
            return "docx"
        raise UnsupportedFile("zip_not_docx")
    for magic, what in _FOREIGN_MAGIC.items():
        if data.startswith(magic):
            raise UnsupportedFile("foreign_file", what=what)
    suffix = PurePath(name).suffix.lower()
    if suffix in (".pdf", ".docx"):
        raise CorruptFile("content_not_type", suffix=suffix, type=suffix[1:].upper())
    kind = SUPPORTED_SUFFIXES.get(suffix)
    lowered = head[:256].lower()
    if kind in (None, "text") and (
        lowered.startswith(b"<!doctype html") or lowered.startswith(b"<html")
    ):
        return "html"
    if kind is None:
        raise UnsupportedFile(
            "unsupported_type",
            suffix=suffix or "(no extension)",
            supported=", ".join(sorted(SUPPORTED_SUFFIXES)),
        )
    return kind


# No real document holds more text than this per byte of file (PDF and DOCX compress their
# text, but far less than this); more is a crafted file that chunking and embedding would
# spend hours on, with the knowledge base's write lock held.
TEXT_CHARS_PER_BYTE = 20


def read_document(
    name: str,
    data: bytes,
    max_pages: int,
    max_text_chars: int | None = None,
    ocr: OcrSettings | None = None,
) -> ParsedFile:
    """The file's text blocks; refused when its text is over `max_text_chars` characters
    or over TEXT_CHARS_PER_BYTE times the file's size. A PDF's scanned pages are read by
    OCR with `ocr` (None: they are left unread)."""
    parsed = _read(sniff_type(name, data), data, max_pages, ocr)
    chars = sum(len(block.text) for block in parsed.blocks)
    per_byte = TEXT_CHARS_PER_BYTE * len(data)
    if max_text_chars is not None and max_text_chars <= per_byte and chars > max_text_chars:
        raise FileTooLarge("text_too_large", chars=f"{chars:,}", limit=f"{max_text_chars:,}")
    if chars > per_byte:
        raise FileTooLarge(
            "text_too_dense",
            chars=f"{chars:,}",
            bytes=f"{len(data):,}",
            per_byte=TEXT_CHARS_PER_BYTE,
        )
    return parsed


def read_file_meta(name: str, data: bytes, max_pages: int) -> dict:
    """The metadata the file carries (its title, tags…), without OCR-ing a scan again."""
    kind = sniff_type(name, data)
    if kind == "pdf":
        return read_pdf_meta(data, max_pages)
    return _read(kind, data, max_pages, None).meta


def _read(kind: str, data: bytes, max_pages: int, ocr: OcrSettings | None) -> ParsedFile:
    if kind == "pdf":
        return read_pdf(data, max_pages, ocr)
    if kind == "docx":
        return read_docx(data)
    if kind == "html":
        return read_html(data)
    if kind == "markdown":
        return read_markdown(data)
    return read_text(data)

"""Pick the reader by the file's content (magic bytes) first and its extension second."""

from __future__ import annotations

from pathlib import PurePath

from ingest.readers.base import Block, ParsedFile
from ingest.readers.docx import read_docx
from ingest.readers.html import read_html
from ingest.readers.markdown import read_markdown
from ingest.readers.pdf import read_pdf
from ingest.readers.text import read_text
from kb.errors import CorruptFile, FileTooLarge, UnsupportedFile

__all__ = ["Block", "ParsedFile", "SUPPORTED_SUFFIXES", "read_document", "sniff_type"]

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
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x7fELF": "an executable",
    b"MZ": "a Windows executable",
    b"\x1f\x8b": "gzip data",
    b"\xd0\xcf\x11\xe0": "an old Office file (.doc/.xls); save it as DOCX or PDF",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7z archive",
}


def sniff_type(name: str, data: bytes) -> str:
    """The format to read `data` as; raises UnsupportedFile for anything else."""
    head = data[:1024].lstrip()
    if head.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if b"word/" in data[:4096] or PurePath(name).suffix.lower() == ".docx":
            return "docx"
        raise UnsupportedFile("a zip archive that is not a DOCX document")
    for magic, what in _FOREIGN_MAGIC.items():
        if data.startswith(magic):
            raise UnsupportedFile(f"the file is {what}, not a document")
    suffix = PurePath(name).suffix.lower()
    if suffix in (".pdf", ".docx"):
        raise CorruptFile(f"named {suffix} but its content is not a {suffix[1:].upper()} file")
    kind = SUPPORTED_SUFFIXES.get(suffix)
    lowered = head[:256].lower()
    if kind in (None, "text") and (
        lowered.startswith(b"<!doctype html") or lowered.startswith(b"<html")
    ):
        return "html"
    if kind is None:
        raise UnsupportedFile(
            f"unsupported file type {suffix or '(no extension)'}; "
            f"supported: {', '.join(sorted(SUPPORTED_SUFFIXES))}"
        )
    return kind


# No real document holds more text than this per byte of file (PDF and DOCX compress their
# text, but far less than this); more is a crafted file that chunking and embedding would
# spend hours on, with the knowledge base's write lock held.
TEXT_CHARS_PER_BYTE = 20


def read_document(
    name: str, data: bytes, max_pages: int, max_text_chars: int | None = None
) -> ParsedFile:
    """The file's text blocks; refused when its text is over `max_text_chars` characters
    or over TEXT_CHARS_PER_BYTE times the file's size."""
    parsed = _read(sniff_type(name, data), data, max_pages)
    chars = sum(len(block.text) for block in parsed.blocks)
    per_byte = TEXT_CHARS_PER_BYTE * len(data)
    if max_text_chars is not None and max_text_chars <= per_byte and chars > max_text_chars:
        raise FileTooLarge(
            f"too large after extraction: {chars:,} characters of text; "
            f"the limit is {max_text_chars:,} (KB_MAX_TEXT_CHARS)"
        )
    if chars > per_byte:
        raise FileTooLarge(
            f"too large after extraction: {chars:,} characters of text from {len(data):,} bytes; "
            f"the limit is {TEXT_CHARS_PER_BYTE} characters per byte of file"
        )
    return parsed


def _read(kind: str, data: bytes, max_pages: int) -> ParsedFile:
    if kind == "pdf":
        return read_pdf(data, max_pages)
    if kind == "docx":
        return read_docx(data)
    if kind == "html":
        return read_html(data)
    if kind == "markdown":
        return read_markdown(data)
    return read_text(data)

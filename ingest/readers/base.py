"""What every reader returns: text blocks in reading order, plus any metadata the file carries."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from kb.models import CELL_SEPARATOR, HEADING_STYLES, TEXT_STYLES, OcrPage

# the styles are kb's (the catalog stores them); readers import them from here
__all__ = [
    "CELL_SEPARATOR",
    "HEADING_STYLES",
    "TEXT_STYLES",
    "Block",
    "ParsedFile",
    "clean_text",
    "paragraphs",
]


@dataclass(frozen=True)
class Block:
    text: str
    page: int | None = None  # 1-based, for paged formats
    heading: bool = False
    style: str = ""  # one of TEXT_STYLES; "" is a paragraph (or a heading of unknown level)


@dataclass
class ParsedFile:
    file_type: str  # pdf, docx, html, markdown, text
    blocks: list[Block]
    meta: dict = field(default_factory=dict)  # raw metadata found in the file
    n_pages: int | None = None
    ocr: list[OcrPage] = field(default_factory=list)  # pages without a text layer, read by OCR


_SPACES = re.compile(r"[ \t\u00a0]+")


def clean_text(text: str) -> str:
    """NFC, no control characters, single spaces, trimmed; keeps paragraph breaks."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(c for c in text if c == "\n" or unicodedata.category(c)[0] != "C")
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n")).strip()


def paragraphs(text: str, page: int | None = None) -> list[Block]:
    """Split plain text on blank lines into blocks."""
    parts = re.split(r"\n\s*\n", clean_text(text))
    return [Block(" ".join(p.split("\n")).strip(), page) for p in parts if p.strip()]

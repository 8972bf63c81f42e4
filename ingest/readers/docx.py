"""Word documents (DOCX) through python-docx; heading styles become headings."""

from __future__ import annotations

import io
import re
import zipfile

from ingest.readers.base import CELL_SEPARATOR, HEADING_STYLES, Block, ParsedFile, clean_text
from kb.errors import CorruptFile, EmptyDocument, FileTooLarge

MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # beyond this a DOCX is a zip bomb, not a report


def _check_zip(data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise CorruptFile("docx_not_zip") from exc
    if "word/document.xml" not in names:
        raise CorruptFile("docx_no_document")
    if unpacked > MAX_UNPACKED_BYTES:
        raise FileTooLarge("docx_zip_bomb", mb=unpacked // 2**20)


_LEVEL = re.compile(r"(?:Heading|Rubrik)\s*(\d)")


def _style(para) -> str:
    """A heading's level, a list item, or "" for a paragraph: from the style's name (English
    or Swedish Word) or, for lists, from the paragraph's numbering."""
    name = (para.style.name if para.style is not None else "") or ""
    level = _LEVEL.match(name)
    if level:
        return f"h{min(6, max(1, int(level.group(1))))}"
    if name == "Title" or name.startswith("Rubrik"):
        return "h1"
    if name.startswith("Heading"):
        return "h2"
    if name.startswith(("List Number", "Numrerad lista")):
        return "ol"
    if name.startswith(("List", "Punktlista", "Liststycke")):
        return "ul"
    ppr = para._p.pPr
    return "ul" if ppr is not None and ppr.numPr is not None else ""


def _table_rows(table) -> list[Block]:
    from docx.oxml.ns import qn

    rows = []
    for row in table.rows:
        cells = [" ".join(clean_text(c.text).split()) for c in row.cells]
        # merged cells repeat: each text once
        line = CELL_SEPARATOR.join(c for c in dict.fromkeys(cells) if c)
        if line:
            header = row._tr.trPr is not None and row._tr.trPr.find(qn("w:tblHeader")) is not None
            rows.append(Block(line, style="th" if header else "tr"))
    return rows


def read_docx(data: bytes) -> ParsedFile:
    import docx
    from docx.table import Table

    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx surfaces lxml/zip errors as-is
        raise CorruptFile("unreadable_docx", detail=f"{type(exc).__name__}: {exc}") from exc
    blocks = []
    # Paragraphs and tables in reading order (tables used to come after all the text).
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(_table_rows(item))
            continue
        text = clean_text(item.text)
        if text:
            style = _style(item)
            heading = style in HEADING_STYLES
            blocks.append(Block(" ".join(text.split()), heading=heading, style=style))
    if not blocks:
        raise EmptyDocument("docx_no_text")
    props = document.core_properties
    meta: dict = {}
    if props.title:
        meta["title"] = props.title.strip()
    if props.keywords:
        meta["tags"] = [t.strip() for t in props.keywords.split(",") if t.strip()]
    if props.created:
        meta["_created"] = props.created.date().isoformat()
    if props.language:
        meta["language"] = props.language.split("-")[0].lower()
    first_heading = next((b.text for b in blocks if b.heading), None)
    if first_heading:
        meta["_first_heading"] = first_heading
    return ParsedFile("docx", blocks, meta)

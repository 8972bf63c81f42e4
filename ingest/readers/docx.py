"""Word documents (DOCX) through python-docx; heading styles become headings."""

from __future__ import annotations

import io
import zipfile

from ingest.readers.base import Block, ParsedFile, clean_text
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


def read_docx(data: bytes) -> ParsedFile:
    import docx

    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx surfaces lxml/zip errors as-is
        raise CorruptFile("unreadable_docx", detail=f"{type(exc).__name__}: {exc}") from exc
    blocks = []
    for para in document.paragraphs:
        text = clean_text(para.text)
        if not text:
            continue
        style = (para.style.name if para.style is not None else "") or ""
        heading = (
            style.startswith("Heading")
            or style in ("Title", "Rubrik")
            or style.startswith("Rubrik")
        )
        blocks.append(Block(" ".join(text.split()), heading=heading))
    for table in document.tables:
        for row in table.rows:
            cells = [clean_text(c.text) for c in row.cells]
            line = " | ".join(c for c in dict.fromkeys(cells) if c)
            if line:
                blocks.append(Block(line))
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

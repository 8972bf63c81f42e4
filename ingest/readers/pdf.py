"""PDF through pypdf, keeping the page number of every block."""

from __future__ import annotations

import io
import logging

from ingest.readers.base import Block, ParsedFile
from ingest.readers.pdf_layout import page_blocks, running_lines
from kb.errors import CorruptFile, EmptyDocument, EncryptedFile, FileTooLarge

log = logging.getLogger(__name__)


def _info(reader) -> dict:
    try:
        info = reader.metadata or {}
    except Exception:  # noqa: BLE001 - a damaged info dictionary must not cost the text
        log.debug("unreadable PDF info dictionary", exc_info=True)
        return {}
    meta = {}
    if info.get("/Title"):
        meta["title"] = str(info["/Title"]).strip()
    if info.get("/Subject"):
        meta["_subject"] = str(info["/Subject"]).strip()
    if info.get("/Keywords"):
        meta["tags"] = [t.strip() for t in str(info["/Keywords"]).split(",") if t.strip()]
    created = info.get("/CreationDate")
    if created and str(created).startswith("D:") and len(str(created)) >= 10:
        s = str(created)
        meta["_created"] = f"{s[2:6]}-{s[6:8]}-{s[8:10]}"
    return meta


def read_pdf(data: bytes, max_pages: int) -> ParsedFile:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # Many PDFs are "encrypted" with an empty user password only to restrict printing.
            if not reader.decrypt(""):
                raise EncryptedFile("pdf_password")
        n_pages = len(reader.pages)
    except (EncryptedFile, FileTooLarge):
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CorruptFile("unreadable_pdf", detail=str(exc)) from exc
    except Exception as exc:
        if "decrypt" in str(exc).lower() or "crypt" in type(exc).__name__.lower():
            raise EncryptedFile("pdf_cannot_decrypt", detail=str(exc)) from exc
        raise CorruptFile("unreadable_pdf", detail=f"{type(exc).__name__}: {exc}") from exc
    if n_pages > max_pages:
        raise FileTooLarge("pdf_too_many_pages", pages=n_pages, limit=max_pages)
    texts: list[str] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            texts.append(page.extract_text() or "")
        except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken pages
            raise CorruptFile(
                "pdf_page_unreadable", page=number, detail=type(exc).__name__
            ) from exc
    drop = running_lines([t.split("\n") for t in texts])
    blocks: list[Block] = []
    for number, text in enumerate(texts, start=1):
        blocks.extend(page_blocks(text, number, drop))
    if not blocks:
        raise EmptyDocument("pdf_no_text")
    return ParsedFile("pdf", blocks, _info(reader), n_pages=n_pages)

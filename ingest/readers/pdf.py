"""PDF through pypdf, keeping the page number of every block; pages without a text layer
(scans) are read by OCR (ingest/readers/ocr.py)."""

from __future__ import annotations

import io
import logging

from ingest.readers.base import Block, ParsedFile
from ingest.readers.ocr import OcrSettings, ocr_pages
from ingest.readers.pdf_layout import page_blocks, running_lines
from kb.errors import CorruptFile, EmptyDocument, EncryptedFile, FileTooLarge

log = logging.getLogger(__name__)

# A page whose text layer has fewer letters than this, and that draws an image, is a scan: a
# page number or a "- 3 -" stamped on it is not its text. "Sida 3" is a text page.
SCAN_MAX_LETTERS = 3


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


def _open(data: bytes, max_pages: int):
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
    return reader


def read_pdf_meta(data: bytes, max_pages: int) -> dict:
    """The metadata the PDF's info dictionary holds, without reading (or OCR-ing) its pages."""
    return _info(_open(data, max_pages))


def read_pdf(data: bytes, max_pages: int, ocr: OcrSettings | None = None) -> ParsedFile:
    """`ocr` None leaves scanned pages unread (and a PDF of scans only is refused)."""
    reader = _open(data, max_pages)
    texts: list[str] = []
    scanned: list[int] = []
    for number, page in enumerate(reader.pages, start=1):
        try:
            text = page.extract_text() or ""
            if sum(c.isalpha() for c in text) < SCAN_MAX_LETTERS and _draws_image(page):
                scanned.append(number)
        except Exception as exc:  # noqa: BLE001 - pypdf raises many types on broken pages
            raise CorruptFile(
                "pdf_page_unreadable", page=number, detail=type(exc).__name__
            ) from exc
        texts.append(text)
    timings = []
    if scanned and ocr is not None:
        read, timings = ocr_pages(data, scanned, ocr)
        for number, text in read.items():
            texts[number - 1] = text
    drop = running_lines([t.split("\n") for t in texts])
    blocks: list[Block] = []
    for number, text in enumerate(texts, start=1):
        blocks.extend(page_blocks(text, number, drop))
    if not blocks:
        raise EmptyDocument("ocr_no_text" if timings else "pdf_no_text")
    read_pages = {b.page for b in blocks}
    ocr_read = [t for t in timings if t.page in read_pages]  # a blank scan is not marked
    return ParsedFile("pdf", blocks, _info(reader), n_pages=len(texts), ocr=ocr_read)


def _draws_image(page, depth: int = 0) -> bool:
    """Whether the page (or a form it draws, two levels deep) holds an image XObject."""
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources else None
    if not xobjects:
        return False
    for ref in xobjects.get_object().values():
        xobject = ref.get_object()
        subtype = xobject.get("/Subtype") if hasattr(xobject, "get") else None
        if subtype == "/Image":
            return True
        if subtype == "/Form" and depth < 2 and _draws_image(xobject, depth + 1):
            return True
    return False

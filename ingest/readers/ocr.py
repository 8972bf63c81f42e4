"""OCR of scanned PDF pages: pypdfium2 renders the page, the Tesseract program reads it.

The page is rendered whole rather than its embedded image taken out, so that any image codec a
scanner writes (CCITT G4, JBIG2, JPEG 2000), a page made of strips, a rotation or a stamp laid
over the scan reads as the page looks. Tesseract runs as a command with one thread
(OMP_THREAD_LIMIT=1): its OpenMP threads made a page 8 times slower on a 2-core machine, and
they would take the cores from searches (bench/ocr.py, README)."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

from kb.errors import CorruptFile, FileTooLarge, OcrUnavailable
from kb.models import OcrPage

log = logging.getLogger(__name__)

# Each of the configured languages comes from a Debian package of this name
_PACKAGE = "tesseract-ocr-{}"
# A crafted page of 200 × 200 inches would be a 3.6-gigapixel bitmap at 300 dpi; past this
# many pixels the page is rendered at a lower resolution instead.
MAX_PIXELS = 60_000_000


@dataclass(frozen=True)
class OcrSettings:
    """How scanned pages are read; from kb.config (KB_OCR_*), `on_page` from the caller."""

    languages: str = "swe+eng"
    dpi: int = 300
    max_pages: int = 200
    max_seconds: float = 1200.0
    command: str = "tesseract"
    # told (done, total) before the first and after each page, to show a long OCR's progress
    on_page: Callable[[int, int], None] | None = None


def _tesseract(settings: OcrSettings, args: list[str], timeout: float, data: bytes = b""):
    try:
        return subprocess.run(
            [settings.command, *args],
            input=data,
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "OMP_THREAD_LIMIT": "1"},
            check=False,
        )
    except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
        raise OcrUnavailable("ocr_not_installed", package="tesseract-ocr") from exc


def check_tesseract(settings: OcrSettings) -> None:
    """Raise OcrUnavailable, naming the Debian package to install, if Tesseract or one of its
    languages is missing."""
    listed = _tesseract(settings, ["--list-langs"], timeout=30)
    # the first line names the folder: "List of available languages in "…" (3):"
    installed = set(listed.stdout.decode(errors="replace").split("\n")[1:])
    for language in settings.languages.split("+"):
        if language not in installed:
            raise OcrUnavailable("ocr_language_missing", package=_PACKAGE.format(language))


def ocr_pages(
    data: bytes, pages: list[int], settings: OcrSettings
) -> tuple[dict[int, str], list[OcrPage]]:
    """The text Tesseract reads on each of `pages` (1-based) of the PDF in `data`, and the
    seconds each took; refused past the page cap or the time cap."""
    if len(pages) > settings.max_pages:
        raise FileTooLarge("ocr_too_many_pages", pages=len(pages), limit=settings.max_pages)
    check_tesseract(settings)
    import pypdfium2

    started = time.monotonic()
    texts: dict[int, str] = {}
    timings: list[OcrPage] = []
    report = settings.on_page or (lambda done, total: None)
    report(0, len(pages))
    try:
        pdf = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as exc:
        raise CorruptFile("unreadable_pdf", detail=f"pdfium: {exc}") from exc
    try:
        for done, number in enumerate(pages, start=1):
            page_started = time.monotonic()
            left = settings.max_seconds - (page_started - started)
            if left <= 0:
                raise _too_slow(settings, done - 1, len(pages))
            texts[number] = _read_page(pdf[number - 1], number, settings, left, done, pages)
            seconds = time.monotonic() - page_started
            timings.append(OcrPage(number, round(seconds, 2)))
            log.info("OCR of page %s took %.1f s", number, seconds)
            report(done, len(pages))
    finally:
        pdf.close()
    return texts, timings


def _read_page(page, number: int, settings: OcrSettings, left: float, done: int, pages) -> str:
    image = io.BytesIO()
    _render(page, settings.dpi).save(image, "PNG", compress_level=1)  # fast, and small
    args = ["stdin", "stdout", "-l", settings.languages, "--dpi", str(settings.dpi)]
    try:
        result = _tesseract(settings, args, left, image.getvalue())
    except subprocess.TimeoutExpired as exc:
        raise _too_slow(settings, done - 1, len(pages)) from exc
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise CorruptFile("ocr_failed", page=number, detail=detail[0][:200])
    return result.stdout.decode("utf-8", errors="replace")


def _render(page, dpi: int):
    """The page as a greyscale PIL image at `dpi` (less for a page too large for memory)."""
    width, height = page.get_size()  # in points, 72 to the inch
    scale = dpi / 72
    if width * height * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / (width * height)) ** 0.5
    return page.render(scale=scale, grayscale=True).to_pil()


def _too_slow(settings: OcrSettings, done: int, total: int) -> FileTooLarge:
    return FileTooLarge("ocr_too_slow", seconds=f"{settings.max_seconds:g}", done=done, total=total)

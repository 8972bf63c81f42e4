"""OCR seconds per page, and how many of the words come back: scans of corpus text, drawn the
way tests/test_ocr.py draws them (Pillow, DejaVu Sans 11 pt), read by ingest/readers/ocr.py.

Usage: python bench/ocr.py [--pages N] [--dpi DPI]

The machines are shared and noisy: the figure is seconds per page on this machine at the time.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.readers import OcrSettings, read_document  # noqa: E402
from tests.files import make_scanned_pdf  # noqa: E402
from tests.test_ocr import COVER_SCAN, SCAN_PAGE  # noqa: E402

CORPUS = ROOT / "corpus" / "documents"
LINES_PER_PAGE = 44  # a full A4 page of 11 pt text


def corpus_pages(n: int) -> list[str]:
    """`n` full pages of the sample corpus's Markdown text, lines wrapped at 72 characters."""
    lines: list[str] = []
    for path in sorted(CORPUS.glob("*.md")):
        body = re.sub(r"^---\n.*?\n---\n", "", path.read_text(encoding="utf-8"), flags=re.S)
        for paragraph in re.split(r"\n\s*\n", body):
            text = " ".join(paragraph.replace("#", "").split())
            if text:
                lines += textwrap.wrap(text, 72) + [""]
        if len(lines) >= n * LINES_PER_PAGE:
            break
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, n * LINES_PER_PAGE, LINES_PER_PAGE)]
    return ["\n".join(page) for page in pages]


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def measure(name: str, pages: list[str], dpi: int, folder: Path) -> None:
    pdf = make_scanned_pdf(folder / f"{name}.pdf", [("scan", p) for p in pages])
    parsed = read_document(pdf.name, pdf.read_bytes(), 1000, ocr=OcrSettings(dpi=dpi))
    seconds = [p.seconds for p in parsed.ocr]
    read = set(words(" ".join(b.text for b in parsed.blocks)))
    expected = words(" ".join(pages))
    found = sum(w in read for w in expected) / len(expected)
    print(
        f"{name}: {len(seconds)} pages, {sum(seconds) / len(seconds):.2f} s per page "
        f"(min {min(seconds):.2f}, max {max(seconds):.2f}); "
        f"{found:.1%} of {len(expected)} words read"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=3, help="pages of corpus text")
    parser.add_argument("--dpi", type=int, default=OcrSettings().dpi)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure("test-pdf", [COVER_SCAN, SCAN_PAGE], args.dpi, Path(tmp))
        measure("corpus-text", corpus_pages(args.pages), args.dpi, Path(tmp))


if __name__ == "__main__":
    main()

"""Real files made in tests: PDFs with fpdf2, DOCX with python-docx."""

from __future__ import annotations

from pathlib import Path


def make_pdf(
    path: Path, pages: list[str], *, user_password: str | None = None, title: str | None = None
) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    if title:
        pdf.set_title(title)
    pdf.set_font("Helvetica", size=11)
    for text in pages:
        pdf.add_page()
        for paragraph in text.split("\n\n"):
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(3)
    if user_password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=user_password)
    pdf.output(str(path))
    return path


def make_blank_pdf(path: Path, n_pages: int = 1) -> Path:
    """A PDF with pages but no text layer, like an unprocessed scan."""
    from fpdf import FPDF

    pdf = FPDF()
    for _ in range(n_pages):
        pdf.add_page()
        pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


def make_docx(path: Path, heading: str, paragraphs: list[str], title: str | None = None) -> Path:
    import docx

    document = docx.Document()
    document.add_heading(heading, level=1)
    for text in paragraphs:
        document.add_paragraph(text)
    if title:
        document.core_properties.title = title
    document.save(str(path))
    return path


# The font the scans are drawn with: fonts-dejavu-core, installed by `make setup`.
SCAN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


def scanned_page(text: str, dpi: int = 200):
    """An A4 page of `text` (paragraphs split on blank lines) as a greyscale image, the way a
    scanner hands it over: no text layer, just pixels."""
    from PIL import Image, ImageDraw, ImageFont

    if not SCAN_FONT.exists():
        raise FileNotFoundError(f"{SCAN_FONT}: install fonts-dejavu-core (make setup does)")
    font = ImageFont.truetype(str(SCAN_FONT), round(11 / 72 * dpi))  # 11 pt
    image = Image.new("L", (round(8.27 * dpi), round(11.69 * dpi)), 255)
    draw = ImageDraw.Draw(image)
    y, line_height = dpi, round(16 / 72 * dpi)
    for paragraph in text.split("\n\n"):
        for line in paragraph.split("\n"):
            draw.text((dpi, y), line, font=font, fill=0)
            y += line_height
        y += line_height
    return image


def make_scanned_pdf(path: Path, pages: list[tuple[str, str]]) -> Path:
    """A PDF of ("text", …) pages with a text layer and ("scan", …) pages that are an image of
    the text only. Lines of a scan are broken where its text has "\\n"."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for kind, text in pages:
        pdf.add_page()
        if kind == "scan":
            pdf.image(scanned_page(text), x=0, y=0, w=pdf.w, h=pdf.h)
        else:
            for paragraph in text.split("\n\n"):
                pdf.multi_cell(0, 6, paragraph)
                pdf.ln(3)
    pdf.output(str(path))
    return path

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

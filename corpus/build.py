"""Build the corpus's PDF and DOCX documents reproducibly from the Markdown in corpus/sources/.

Usage: python corpus/build.py [OUTPUT_DIR]   (default: corpus/documents)

Each source's front matter becomes the built file's properties and a sidecar NAME.meta.yaml,
so the kind, agency, date and source addresses travel with the PDF or DOCX.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from ingest.readers.markdown import split_front_matter  # noqa: E402

# The PDF core fonts only cover Latin-1 (which has å, ä and ö); typographic dashes and quotes
# become their plain forms so no font file is needed.
LATIN1 = str.maketrans({"–": "-", "—": "-", "“": '"', "”": '"', "’": "'", "…": "..."})
FIXED_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)  # reproducible files: no build timestamps
SIDECAR_KEYS = ("title", "kind", "agency", "date", "tags", "sources", "language")


def parse(text: str) -> tuple[dict, list[tuple[str, str]]]:
    """Front matter, and (style, text) lines: h1, h2, item, para."""
    meta, body = split_front_matter(text)
    out: list[tuple[str, str]] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(("para", " ".join(para)))
            para.clear()

    for line in body.splitlines():
        plain = re.sub(r"(\*\*|\*)(.+?)\1", r"\2", line).strip()
        if line.startswith("## "):
            flush()
            out.append(("h2", plain[3:]))
        elif line.startswith("# "):
            flush()
            out.append(("h1", plain[2:]))
        elif re.match(r"^(-|\d+\.)\s", line):
            flush()
            out.append(("item", plain))
        elif not plain:
            flush()
        else:
            para.append(plain)
    flush()
    return meta, out


def build_pdf(meta: dict, lines: list[tuple[str, str]], target: Path) -> None:
    from fpdf import FPDF

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, f"Erfarenhetsbanken - sida {self.page_no()}", align="C")

    pdf = Report(format=(148, 210))  # A5
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(meta["title"].translate(LATIN1))
    pdf.set_subject(f"{meta['kind']} - {meta['agency']}")
    pdf.set_keywords(", ".join(meta.get("tags", [])))
    pdf.set_creator("Erfarenhetsbanken corpus/build.py")
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.add_page()
    sizes = {"h1": 14, "h2": 11.5, "item": 10, "para": 10}
    for style, text in lines:
        pdf.set_font("Helvetica", style="B" if style in ("h1", "h2") else "", size=sizes[style])
        if style in ("h1", "h2"):
            pdf.ln(2)
        indent = 4 if style == "item" else 0
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(pdf.epw - indent, 5.2 if style != "h1" else 7, text.translate(LATIN1))
        pdf.ln(2)
    pdf.output(str(target))


def build_docx(meta: dict, lines: list[tuple[str, str]], target: Path) -> None:
    import docx

    document = docx.Document()
    props = document.core_properties
    props.title = meta["title"]
    props.keywords = ", ".join(meta.get("tags", []))
    props.language = "sv-SE"
    props.created = props.modified = FIXED_DATE.replace(tzinfo=None)
    for style, text in lines:
        if style == "h1":
            document.add_heading(text, level=1)
        elif style == "h2":
            document.add_heading(text, level=2)
        elif style == "item":
            document.add_paragraph(re.sub(r"^(-|\d+\.)\s+", "", text), style="List Bullet")
        else:
            document.add_paragraph(text)
    buffer = io.BytesIO()
    document.save(buffer)
    _write_zip_with_fixed_times(buffer.getvalue(), target)


def _write_zip_with_fixed_times(data: bytes, target: Path) -> None:
    """A DOCX is a zip whose entries carry the save time; pin it so builds are identical."""
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(target, "w") as out:
        for info in source.infolist():
            pinned = zipfile.ZipInfo(info.filename, date_time=FIXED_DATE.timetuple()[:6])
            pinned.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(pinned, source.read(info.filename))


def build(source: Path, out_dir: Path) -> Path:
    meta, lines = parse(source.read_text(encoding="utf-8"))
    fmt = meta.pop("format")
    target = out_dir / f"{source.stem}.{fmt}"
    (build_pdf if fmt == "pdf" else build_docx)(meta, lines, target)
    sidecar = {k: meta[k] for k in SIDECAR_KEYS if k in meta}
    if isinstance(sidecar.get("date"), dt.date):
        sidecar["date"] = sidecar["date"].isoformat()
    header = "# Built by corpus/build.py from corpus/sources/; edit the source, not this file.\n"
    text = header + yaml.safe_dump(sidecar, allow_unicode=True, sort_keys=False)
    (out_dir / f"{source.stem}.meta.yaml").write_text(text, encoding="utf-8")
    return target


def main() -> None:
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "documents"
    out_dir.mkdir(parents=True, exist_ok=True)
    for source in sorted((HERE / "sources").glob("*.md")):
        print(build(source, out_dir).name)


if __name__ == "__main__":
    main()

"""Hostile inputs for tests/test_bad_input.py: files made for real, queries, names."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from tests.files import make_blank_pdf, make_docx, make_pdf

SV = "Tullverket införde ett nytt ärendestöd för beslag; kostnaderna blev högre än väntat."


def _pdf_bytes(tmp: Path, pages: list[str], **kw) -> bytes:
    return make_pdf(tmp / "src.pdf", pages, **kw).read_bytes()


def corrupt_pdf(tmp: Path) -> bytes:
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R" + bytes(range(256)) * 4


def truncated_pdf(tmp: Path) -> bytes:
    whole = _pdf_bytes(tmp, [SV] * 3)
    return whole[: len(whole) // 2]


def encrypted_pdf(tmp: Path) -> bytes:
    return _pdf_bytes(tmp, [SV], user_password="hemligt")


def empty_pdf(tmp: Path) -> bytes:
    return b""


def scanned_pdf(tmp: Path) -> bytes:
    return make_blank_pdf(tmp / "scan.pdf", 2).read_bytes()


def thousands_of_pages_pdf(tmp: Path) -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(3000):
        writer.add_blank_page(width=200, height=200)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def deeply_nested_pdf(tmp: Path, depth: int = 50_000) -> bytes:
    """A page whose resources hold an array nested `depth` levels deep (parsers recurse)."""
    nested = b"[" * depth + b"]" * depth
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 4 0 R"
        b" /Resources << /Deep " + nested + b" >> >>",
        b"<< /Length 44 >>\nstream\nBT /F1 12 Tf 20 100 Td (Tullverket) Tj ET\nendstream",
    ]
    out, offsets = io.BytesIO(), []
    out.write(b"%PDF-1.4\n")
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def docx_not_a_zip(tmp: Path) -> bytes:
    return b"PK\x03\x04 det h\xe4r \xe4r ingen zip-fil " * 20


def docx_zip_bomb(tmp: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<" + b"a" * (210 * 2**20) + b"/>")
    return buffer.getvalue()


def docx_text_far_beyond_its_size(tmp: Path) -> bytes:
    """Some kB of DOCX whose text is 3 million characters: too large after extraction."""
    return make_docx(tmp / "packad.docx", "Rubrik", ["beslag " * 430_000]).read_bytes()


def binary_txt(tmp: Path) -> bytes:
    return bytes(range(256)) * 64


def empty_txt(tmp: Path) -> bytes:
    return b"   \n\n\t  \n"


def invalid_utf8_txt(tmp: Path) -> bytes:
    return SV.encode("utf-8") + b" \xff\xfe\xc3\x28 " + "slut på texten".encode()


def mixed_encodings_txt(tmp: Path) -> bytes:
    # A UTF-8 file with a paragraph pasted from a Windows-1252 one (common in exports).
    first = "Första stycket är UTF-8: beslag i Göteborg.\n\n".encode()
    return first + "Andra stycket är Windows-1252: ärendestöd på Tullverket.".encode("cp1252")


def html_with_script(tmp: Path) -> bytes:
    return (
        f"<html><body><main><h1>Rapport</h1><p>{SV}</p>"
        "<p><script>alert('x')</script><img src=x onerror=alert(1)></p>"
        "</main></body></html>"
    ).encode()


# name: (file name, builder, True when it must be refused)
# Accepted hostile files say something else than the baseline, which must stay first for its word.
OTHER = "Skatteverket byggde om sin e-tjänst för deklarationer i tre etapper."


def html_unclosed_nested(tmp: Path, depth: int = 600) -> bytes:
    """Unclosed <h1>/<td>: each one used to hold all the text after it (quadratic)."""
    return ("<html><body>" + f"<h1>{OTHER}<td>rad" * depth + "</body></html>").encode()


def markdown_open_brackets(tmp: Path) -> bytes:
    """One long paragraph of "[" and "![" the inline regexes used to backtrack on."""
    return ("# Rubrik\n\n" + OTHER + " " + "[" * 40_000 + "![" * 20_000 + " _a" * 3000).encode()


def yaml_alias_bomb(tmp: Path) -> bytes:
    """Front matter of a few hundred bytes whose aliases stand for millions of strings."""
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for n in range(1, 9):
        prev, name = chr(ord("a") + n - 1), chr(ord("a") + n)
        lines.append(f"{name}: &{name} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    return ("---\n" + "\n".join(lines) + "\n---\n# Rubrik\n\n" + SV + "\n").encode()


def javascript_source(tmp: Path) -> bytes:
    return f"---\nsource_url: 'javascript:alert(document.cookie)'\n---\n# Rubrik\n\n{SV}\n".encode()


FILES = {
    "corrupt-pdf": ("rapport.pdf", corrupt_pdf, True),
    "truncated-pdf": ("rapport.pdf", truncated_pdf, True),
    "encrypted-pdf": ("rapport.pdf", encrypted_pdf, True),
    "empty-pdf": ("rapport.pdf", empty_pdf, True),
    "scanned-pdf-without-text": ("skannad.pdf", scanned_pdf, True),
    "pdf-with-3000-pages": ("tjock.pdf", thousands_of_pages_pdf, True),
    "pdf-nested-50000-deep": ("djup.pdf", deeply_nested_pdf, True),
    "docx-not-a-zip": ("brev.docx", docx_not_a_zip, True),
    "docx-zip-bomb": ("bomb.docx", docx_zip_bomb, True),
    "docx-text-far-beyond-its-size": ("packad.docx", docx_text_far_beyond_its_size, True),
    "binary-named-txt": ("data.txt", binary_txt, True),
    "whitespace-only-txt": ("tom.txt", empty_txt, True),
    "invalid-utf8-txt": ("trasig.txt", invalid_utf8_txt, False),
    "mixed-encodings-txt": ("blandad.txt", mixed_encodings_txt, False),
    "html-with-script": ("sida.html", html_with_script, False),
    "html-unclosed-nested-blocks": ("nastlad.html", html_unclosed_nested, False),
    "markdown-open-brackets": ("hakar.md", markdown_open_brackets, False),
    "front-matter-alias-bomb": ("alias.md", yaml_alias_bomb, True),
    "front-matter-javascript-source": ("kalla.md", javascript_source, True),
}

# Upload names (API) and on-disk names (CLI) that try to escape or confuse.
NAMES = {
    "path-traversal": "../../etc/passwd.md",
    "windows-traversal": "..\\..\\windows\\system32\\evil.md",
    "absolute-path": "/etc/cron.d/evil.md",
    "very-long": "å" * 400 + ".md",
    "control-characters": "rap\x1b[31mport\x07\x7f.md",
    "crlf-header-injection": "rapport.md\r\nContent-Type: text/html\r\n\r\n<script>.md",
    "unicode-look-alike": "rаpport.md",  # Cyrillic а
    "only-dots": "....md",
    "nul-byte": "rapport\x00.pdf.md",
}

QUERIES = {
    "10000-characters": "beslag " * 1430,
    "only-punctuation": "?!…—;:,.()[]{}",
    "fts-operators": 'beslag NEAR(tull) OR "x* AND NOT ^kostnad" -',
    "fts-column-filter": "text:beslag chunk_terms:x",
    "sql-fragments": "'; DROP TABLE documents; -- OR 1=1",
    "nul-bytes": "beslag\x00tull",
    "only-stop-words": "och i att det som",
    "lone-surrogate-escape": "beslag \\ud800",
    "html-injection": "<script>alert(1)</script> beslag",
}

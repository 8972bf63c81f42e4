"""Each reader on real files of its format, and every kind of bad file refused with a reason."""

from __future__ import annotations

import io
import zipfile

import pytest

from ingest.readers import read_document, sniff_type
from kb.errors import CorruptFile, EmptyDocument, EncryptedFile, FileTooLarge, UnsupportedFile
from tests.files import make_blank_pdf, make_docx, make_pdf

SV = "Tullverket planerade ett nytt utredningsstöd. Kostnaden blev 63 miljoner kronor för åtgärden."


def read(path):
    return read_document(path.name, path.read_bytes(), max_pages=100)


def test_pdf_keeps_page_numbers_and_drops_running_footers(tmp_path):
    topics = ["nyttor", "kostnader", "risker"]
    pages = [
        f"Om {t}\n\nDen här sidan handlar om {t} i steg {n}. {SV}\n\nErfarenhetsbanken - sida {n}"
        for n, t in enumerate(topics, start=1)
    ]
    parsed = read(make_pdf(tmp_path / "r.pdf", pages, title="Rapport om utredningsstöd"))
    assert parsed.file_type == "pdf" and parsed.n_pages == 3
    assert [b.page for b in parsed.blocks if "steg 2" in b.text] == [2]
    assert not any("Erfarenhetsbanken - sida" in b.text for b in parsed.blocks)
    assert parsed.meta["title"] == "Rapport om utredningsstöd"
    assert any("åtgärden" in b.text for b in parsed.blocks)  # å/ä/ö survive extraction


def test_pdf_with_empty_user_password_is_read(tmp_path):
    parsed = read(make_pdf(tmp_path / "open.pdf", [SV], user_password=""))
    assert "utredningsstöd" in parsed.blocks[0].text


def test_password_protected_pdf_is_refused(tmp_path):
    with pytest.raises(EncryptedFile, match="password"):
        read(make_pdf(tmp_path / "secret.pdf", [SV], user_password="hemligt"))


def test_scanned_pdf_without_text_layer_is_refused(tmp_path):
    with pytest.raises(EmptyDocument, match="no text layer"):
        read(make_blank_pdf(tmp_path / "scan.pdf", 2))


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.9])
def test_truncated_pdf_is_refused_or_read_without_crashing(tmp_path, cut):
    data = make_pdf(tmp_path / "full.pdf", [SV, SV]).read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(data[: int(len(data) * cut)])
    try:
        parsed = read(broken)
    except (CorruptFile, EmptyDocument) as exc:
        assert str(exc)
    else:  # pypdf may recover the pages it still has
        assert parsed.blocks


def test_pdf_over_the_page_limit_is_refused(tmp_path):
    path = make_pdf(tmp_path / "long.pdf", ["sida"] * 5)
    with pytest.raises(FileTooLarge, match="5 pages"):
        read_document(path.name, path.read_bytes(), max_pages=4)


def test_docx_headings_and_core_properties(tmp_path):
    path = make_docx(
        tmp_path / "a.docx",
        "Styrning av investeringar",
        [SV, "Andra stycket."],
        title="DIGG om styrning",
    )
    parsed = read(path)
    assert parsed.file_type == "docx"
    assert parsed.blocks[0].heading and parsed.blocks[0].text == "Styrning av investeringar"
    assert parsed.meta["title"] == "DIGG om styrning"


def test_docx_that_is_not_a_zip_is_refused(tmp_path):
    path = tmp_path / "fake.docx"
    path.write_text("det här är ingen docx")
    with pytest.raises(CorruptFile, match="DOCX"):
        read(path)


def test_docx_zip_bomb_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<" + b"a" * (210 * 2**20) + b"/>")
    path = tmp_path / "bomb.docx"
    path.write_bytes(buffer.getvalue())
    assert path.stat().st_size < 2 * 2**20
    with pytest.raises(FileTooLarge, match="zip bomb"):
        read(path)


def test_html_main_text_without_navigation_or_scripts(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html lang='sv'><head><title>Sidtitel</title>"
        "<meta name='dcterms.date' content='2019-10-17T10:00'></head><body>"
        "<nav><a href='/'>Start</a> Meny</nav><header>Sidhuvud</header>"
        "<main><h1>Tullverkets kontroll</h1><p>" + SV + "</p><ul><li>Punkt ett</li></ul></main>"
        "<footer>Kontakta oss</footer><script>alert('x')</script></body></html>",
        encoding="utf-8",
    )
    parsed = read(path)
    texts = [b.text for b in parsed.blocks]
    assert texts[0] == "Tullverkets kontroll" and parsed.blocks[0].heading
    assert "Punkt ett" in texts
    assert not any(w in " ".join(texts) for w in ("Meny", "Sidhuvud", "Kontakta", "alert"))
    assert parsed.meta["date"] == "2019-10-17" and parsed.meta["language"] == "sv"


def test_markdown_front_matter_and_headings(tmp_path):
    path = tmp_path / "a.md"
    path.write_text(
        "---\ntitle: Fallet ERTMS\nkind: case\ndate: 2018-12-12\ntags: [järnväg]\n---\n"
        "# Rubrik\n\nEtt **fetstilt** stycke med [länk](https://x.se).\n\n"
        "- punkt ett\n- punkt två\n",
        encoding="utf-8",
    )
    parsed = read(path)
    assert parsed.meta["title"] == "Fallet ERTMS" and parsed.meta["kind"] == "case"
    assert [b.text for b in parsed.blocks] == [
        "Rubrik",
        "Ett fetstilt stycke med länk.",
        "punkt ett",
        "punkt två",
    ]


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1252"]
)
def test_text_encodings_are_detected(tmp_path, encoding):
    path = tmp_path / "a.txt"
    path.write_bytes(f"Föråldrade system\r\n\r\n{SV}\r\n".encode(encoding))
    parsed = read(path)
    assert parsed.blocks[0].text == "Föråldrade system"
    assert "utredningsstöd" in parsed.blocks[1].text


def test_binary_data_named_txt_is_refused(tmp_path):
    path = tmp_path / "data.txt"
    path.write_bytes(bytes(range(256)) * 20)
    with pytest.raises(UnsupportedFile, match="binary"):
        read(path)


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "blank.html"])
def test_empty_files_are_refused(tmp_path, name):
    path = tmp_path / name
    path.write_text("  \n\n " if name != "blank.html" else "<html><body></body></html>")
    with pytest.raises(EmptyDocument):
        read(path)


def test_type_is_decided_by_content_not_by_name(tmp_path):
    pdf = make_pdf(tmp_path / "x.pdf", [SV]).read_bytes()
    assert sniff_type("rapport.txt", pdf) == "pdf"
    with pytest.raises(UnsupportedFile, match="PNG"):
        sniff_type("bild.md", b"\x89PNG\r\n\x1a\n" + b"\0" * 50)
    with pytest.raises(CorruptFile, match="not a PDF"):
        sniff_type("fake.pdf", b"hello")
    with pytest.raises(UnsupportedFile, match="unsupported file type .xlsx"):
        sniff_type("budget.xlsx", b"a,b,c")


def test_a_markdown_pipe_table_keeps_its_header_and_drops_its_rule_row():
    text = "| Fas | Kostnad |\n| :--- | ---: |\n| Förstudie | 4 |\n\n---\n\nSlut -- här.\n"
    parsed = read_document("tabell.md", text.encode(), max_pages=100)
    assert [(b.style, b.text) for b in parsed.blocks] == [
        ("th", "Fas | Kostnad"),
        ("tr", "Förstudie | 4"),
        ("", "---"),
        ("", "Slut -- här."),
    ]

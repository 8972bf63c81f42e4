"""Scanned PDFs: pages without a text layer are read by Tesseract, page numbers kept, marked.

The scans are real: Swedish text drawn with Pillow and a TrueType font, wrapped in a PDF with
no text layer (tests/files.py), read by the Tesseract that `make setup` installs."""

from __future__ import annotations

import json
import re

import pytest

from cli.main import main
from ingest.pipeline import ingest
from ingest.readers import OcrSettings, read_document
from kb.knowledge_base import KnowledgeBase
from kb.search.query import SearchQuery
from kb.search.searcher import Searcher
from tests.conftest import csrf
from tests.files import make_pdf, make_scanned_pdf

TEXT_PAGE = (
    "Förstudie om ett gemensamt e-arkiv för myndigheterna.\n\n"
    "Arbetsgruppen föreslår en stegvis införandeplan med tydliga mål."
)
SCAN_PAGE = (
    "Granskning av e-arkivet\n\n"
    "Myndighetens övergång till ett gemensamt e-arkiv\n"
    "blev försenad med två år. Kostnaderna för\n"
    "migreringen av äldre ärenden översteg budgeten.\n\n"
    "Riksrevisionen rekommenderar att myndigheten\n"
    "förbättrar styrningen av sina IT-investeringar."
)
# Long enough (a third of a chunk) that page 2's heading starts a chunk of its own
COVER_SCAN = (
    "Beslut\n\n"
    "Diarienummer 2019:17. Ärendet gäller myndighetens arkivfrågor\n"
    "och den fortsatta hanteringen av handlingar i pappersform.\n"
    "Styrelsen har tagit del av utredningens förslag och de\n"
    "synpunkter som lämnats av personalen på arkivenheten.\n"
    "Beslutet fattades vid sammanträdet i juni efter föredragning\n"
    "av arkivchefen. I den slutliga handläggningen har även\n"
    "juristen och it-chefen deltagit. Beslutet gäller från och med\n"
    "den första juli och ska följas upp inom ett år."
)


@pytest.fixture
def scan(tmp_path):
    """Two scanned pages; the word "migreringen" is on page 2 only."""
    pages = [("scan", COVER_SCAN), ("scan", SCAN_PAGE)]
    return make_scanned_pdf(tmp_path / "docs" / "beslut.pdf", pages)


@pytest.fixture(autouse=True)
def _docs(tmp_path):
    (tmp_path / "docs").mkdir()


def keyword_hits(knowledge_base: KnowledgeBase, word: str):
    return Searcher(knowledge_base).search(SearchQuery(word, mode="keyword")).hits


def test_a_scanned_pdf_is_read_by_ocr_and_a_word_finds_its_page(kb, scan):
    report = ingest(kb, [scan.parent])
    assert report.ok and len(report.added) == 1
    hits = keyword_hits(kb, "migreringen")
    assert [h.doc_id for h in hits] == ["beslut"]
    assert [p.page for p in hits[0].passages] == [2]
    assert "äldre ärenden" in hits[0].passages[0].text
    doc = kb.catalog.get("beslut", with_text=True)
    assert doc.n_pages == 2 and "Diarienummer" in doc.text


def test_a_mixed_pdf_keeps_its_text_page_as_it_is_and_ocrs_the_scanned_one(tmp_path):
    mixed = make_scanned_pdf(tmp_path / "blandad.pdf", [("text", TEXT_PAGE), ("scan", SCAN_PAGE)])
    text_only = make_pdf(tmp_path / "text.pdf", [TEXT_PAGE])
    parsed = read_document(mixed.name, mixed.read_bytes(), 100, ocr=OcrSettings())
    expected = read_document(text_only.name, text_only.read_bytes(), 100).blocks
    assert [b for b in parsed.blocks if b.page == 1] == expected
    scanned = " ".join(b.text for b in parsed.blocks if b.page == 2)
    assert "migreringen av äldre ärenden översteg budgeten" in scanned
    assert [p.page for p in parsed.ocr] == [2]


def test_the_catalog_marks_the_document_and_each_ocr_page_with_its_time(kb, tmp_path):
    make_scanned_pdf(tmp_path / "docs" / "blandad.pdf", [("text", TEXT_PAGE), ("scan", SCAN_PAGE)])
    make_pdf(tmp_path / "docs" / "vanlig.pdf", [TEXT_PAGE])
    report = ingest(kb, [tmp_path / "docs"])
    mixed, plain = kb.catalog.get("blandad"), kb.catalog.get("vanlig")
    assert mixed.ocr_pages == (2,) and mixed.ocr[0].seconds > 0
    assert plain.ocr == ()
    assert mixed.to_dict()["ocr"] == [{"page": 2, "seconds": mixed.ocr[0].seconds}]
    (summary,) = report.to_dict()["ocr"]
    assert summary["path"].endswith("blandad.pdf") and summary["pages"] == [2]
    assert summary["seconds_per_page"] > 0


def test_export_and_import_keep_the_ocr_marks(kb, config, embedder, scan, tmp_path):
    from kb.operations.archive import export, import_archive

    ingest(kb, [scan.parent])
    archive = tmp_path / "kb.tar.gz"
    export(kb, archive, with_vectors=True)
    target = KnowledgeBase(config.with_(data_dir=tmp_path / "other"), embedder=embedder)
    try:
        with target.writing() as writer:
            import_archive(writer, archive)
        assert target.catalog.get("beslut").ocr == kb.catalog.get("beslut").ocr
        assert target.catalog.get("beslut").ocr_pages == (1, 2)
    finally:
        target.close()


def test_without_tesseract_a_scan_is_refused_naming_the_package_and_the_run_goes_on(
    config, embedder, scan
):
    (scan.parent / "notat.md").write_text("# Notat\n\nOm e-arkivet.", encoding="utf-8")
    knowledge_base = KnowledgeBase(config.with_(ocr_command="/nonexistent/tesseract"), embedder)
    try:
        report = ingest(knowledge_base, [scan.parent])
    finally:
        knowledge_base.close()
    assert [p.rsplit("/", 1)[-1] for p in report.added] == ["notat.md"]
    ((path, reason),) = report.failed
    assert path.endswith("beslut.pdf") and "tesseract-ocr" in reason
    assert report.codes[path][0] == "ocr_not_installed"


def test_a_missing_ocr_language_names_its_debian_package(scan):
    with pytest.raises(Exception, match="tesseract-ocr-fin"):
        read_document(scan.name, scan.read_bytes(), 100, ocr=OcrSettings(languages="swe+fin"))


def test_a_scan_over_the_ocr_page_cap_or_time_cap_is_refused(scan):
    data = scan.read_bytes()
    with pytest.raises(Exception, match="2 scanned pages to read by OCR; the limit is 1"):
        read_document(scan.name, data, 100, ocr=OcrSettings(max_pages=1))
    with pytest.raises(Exception, match="OCR stopped at the limit of 0.01 seconds"):
        read_document(scan.name, data, 100, ocr=OcrSettings(max_seconds=0.01))


def test_the_cli_shows_ocr_progress_per_page_and_the_seconds_per_page(
    base_config, tmp_path, monkeypatch, capsys, scan
):
    monkeypatch.setenv("KB_CACHE_DIR", str(base_config.cache_dir))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    assert main(["ingest", str(scan.parent)]) == 0
    out = capsys.readouterr()
    assert re.search(r"OCR: .*beslut\.pdf: 2 page\(s\), [\d.]+ s, [\d.]+ s per page", out.out)
    assert re.search(r"OCR beslut\.pdf: .*2/2", out.err)  # the per-page bar reached its end
    assert main(["show", "beslut", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [p["page"] for p in shown["ocr"]] == [1, 2]
    assert main(["show", "beslut"]) == 0
    assert re.search(r"ocr: page 1 \([\d.]+ s\), page 2 \([\d.]+ s\)", capsys.readouterr().out)


def test_an_uploaded_scan_is_searchable_and_marked_as_read_by_ocr(app, editor, scan):
    client = editor
    with scan.open("rb") as f:
        response = client.post(
            "/upload/",
            data={"files": [(f, scan.name)], "kind": "report", "csrf_token": csrf(client)},
            content_type="multipart/form-data",
        )
    job_url = response.headers["Location"]
    jobs = app.extensions["kb"]["jobs"]
    job = jobs.wait(jobs.get(job_url.rstrip("/").rsplit("/", 1)[-1]))
    assert job.status == "done" and job.files[0].ocr_pages == [1, 2]
    page = client.get(job_url).get_data(as_text=True)
    assert "Tolkad med OCR: 2 sidor" in page and "s per sida" in page
    assert "Texten kan innehålla fel" in page

    results = client.get("/?q=migreringen").get_data(as_text=True)
    assert "Tolkad med OCR" in results and "texten kan innehålla fel" in results
    assert re.search(r"Sida 2 · OCR", results)
    hit = client.get("/api/search?q=migreringen").get_json()["results"][0]
    assert hit["ocr_pages"] == [1, 2] and hit["passages"][0]["page"] == 2

    document = client.get(f"/documents/{hit['doc_id']}").get_data(as_text=True)
    assert "sidorna 1, 2 saknade textlager; deras text kan innehålla fel" in document
    assert re.search(r'id="page-2">Sida 2 · <span class="ocr-mark">Tolkad med OCR', document)


def test_the_upload_page_shows_the_pages_ocr_has_read_while_it_runs(app, tmp_path):
    from web.jobs import FileResult, Job, _JobProgress

    path = tmp_path / "beslut.pdf"
    job = Job("0123456789ab", [FileResult("beslut.pdf")], {}, [path], [None], status="running")
    saved = []
    progress = _JobProgress(job, {str(path): job.files[0]}, saved.append)
    progress.ocr(str(path), 3, 10)  # as the ingest worker tells it, page by page
    assert saved == [job] and job.to_dict()["ocr"] == {"name": "beslut.pdf", "done": 3, "total": 10}
    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        from flask import render_template

        html = render_template("_job.html", job=job, missing={})
    assert "Tolkar de inskannade sidorna i beslut.pdf med OCR: sida 3 av 10…" in html
    assert '<progress max="10" value="3" aria-label="OCR">' in html

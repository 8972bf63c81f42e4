"""The record pages in headless Chromium over the sample corpus and its records: from a
description on Beskriv to similar investments, lessons by theme with their evidence, a
downloaded brief, and axe-core at 1280 and 390 px on every record page."""

# ruff: noqa: F811 - the fixtures imported below are pytest's, named again as arguments

from __future__ import annotations

import threading

import pytest

from ingest.pipeline import ingest
from kb.knowledge_base import KnowledgeBase
from kb.records.importer import import_records
from tests.conftest import CORPUS, EDITOR_PASSWORD, ROOT
from tests.files import make_pdf
from tests.test_browser import (  # noqa: F401
    _free_port,
    axe_page,
    axe_violations,
    browser,
    login,
    page,
    shot,
)

PHONE = {"width": 390, "height": 844}
DESCRIPTION = (
    "Vi planerar ett nytt ärendestöd för brottsutredningar och beslag. "
    "Det ska kosta 80 miljoner kronor och kopplas till åklagare och domstol."
)


@pytest.fixture(scope="module")
def server(base_config, embedder, tmp_path_factory):
    """The app over the sample corpus with corpus/records.yaml imported, as `make run` has it."""
    from waitress.server import create_server

    from web import create_app

    config = base_config.with_(data_dir=tmp_path_factory.mktemp("records-browser-data"))
    kb = KnowledgeBase(config, embedder=embedder)
    assert ingest(kb, [CORPUS]).ok
    assert import_records(kb, ROOT / "corpus" / "records.yaml").ok
    kb.accounts.add("redaktor", EDITOR_PASSWORD, editor=True)
    kb.close()
    app = create_app({"TESTING": True}, kb_config=config, embedder=embedder)
    wsgi = create_server(app, host="127.0.0.1", port=_free_port(), threads=4)
    threading.Thread(target=wsgi.run, daemon=True).start()
    yield f"http://127.0.0.1:{wsgi.effective_port}"
    wsgi.close()


PAGES = [
    ("/investeringar/", "investments"),
    ("/investeringar/tullverket-utredningsstod", "investment"),
    ("/myndigheter/", "agencies"),
    ("/myndigheter/Tullverket", "agency"),
    ("/teman/", "themes"),
    ("/teman/kostnadskalkyl-och-budget", "theme"),
    ("/jamfor?id=tullverket-utredningsstod&id=tullverket-tullkodex", "compare"),
    ("/?q=kalkylen+höll+inte&type=lessons", "search-lessons"),
    ("/?q=nytt+ärendesystem+för+brottsutredningar&type=investments", "search-investments"),
    ("/describe/?text=" + DESCRIPTION.replace(" ", "+"), "describe"),
    ("/beskriv/brief?text=" + DESCRIPTION.replace(" ", "+"), "brief"),
    ("/oversikt", "overview"),
]


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(("path", "name"), PAGES)
def test_no_accessibility_violations_on_the_record_pages(axe_page, server, path, name, width):
    axe_page.set_viewport_size({"width": width, "height": 900})
    axe_page.goto(server + path)
    shot(axe_page, f"records-{name}-{width}")
    assert axe_violations(axe_page) == []
    if width == PHONE["width"]:
        assert axe_page.evaluate("document.documentElement.scrollWidth") <= width


def test_compare_ticked_investments_from_the_list(page, server):
    page.goto(server + "/investeringar/")
    boxes = page.locator("input[name=id]")
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.get_by_role("button", name="Jämför", exact=True).click()
    page.wait_for_url("**/jamfor?id=*&id=*")
    assert page.locator(".compare-table thead th").count() == 3


def test_from_a_description_to_similar_investments_lessons_and_a_brief(page, server, tmp_path):
    import docx

    page.goto(server + "/describe/")
    page.fill("#text", DESCRIPTION)
    page.get_by_role("button", name="Hitta liknande fall").click()
    page.wait_for_selector("#similar-investments-heading")
    first = page.locator(".similar-investments > li > a").first
    assert first.inner_text().startswith("Utredningsstöd")
    lessons = page.locator("section[aria-labelledby=relevant-lessons-heading]")
    assert lessons.locator("h3.theme-heading").count() >= 2
    evidence = lessons.locator(".evidence .citation a").first
    href = evidence.get_attribute("href")
    assert "/documents/" in href and "#chunk-" in href
    shot(page, "records-describe-flow")
    with page.expect_download() as download:
        page.get_by_role("link", name="Ladda ner underlaget (Word)").click()
    path = tmp_path / "brief.docx"
    download.value.save_as(path)
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "Utredningsstöd" in text
    assert "Källa: Expertgruppens analys av digital investering" in text
    assert server + "/documents/" in text
    evidence.click()  # the evidence opens at its passage on the document page
    page.wait_for_url("**/documents/**#chunk-*")
    assert page.locator("p.focus, li.focus, tr.focus, h2.focus, h3.focus").count() >= 1


def test_the_search_type_switch_shows_lessons_and_their_facets(page, server):
    page.goto(server + "/?q=kalkylen+höll+inte")
    page.wait_for_selector(".hit")
    page.get_by_role("radio", name="Lärdomar").check()
    page.wait_for_url("**type=lessons**")
    page.wait_for_selector(".hit.lesson .evidence")
    assert page.locator("input[name=theme]").count() >= 2
    page.locator("input[name=theme]").first.check()
    page.wait_for_url("**theme=**")
    assert page.locator(".hit.lesson").count() >= 1
    assert "lärdom" in page.locator("#results-status").inner_text()


def test_an_editor_reviews_the_suggestions_of_an_upload_and_publishes_a_lesson(
    axe_page, server, tmp_path
):
    page = axe_page
    login(page, server)
    pdf = make_pdf(
        tmp_path / "Tullverkets uppföljning av utredningsstödet.pdf",
        [
            "Tullverket har följt upp införandet av utredningsstödet för brottsutredningar.",
            "En lärdom är att utbildningen av utredarna måste börja innan systemet tas i drift.",
        ],
    )
    page.goto(server + "/upload/")
    page.set_input_files("#files", str(pdf))
    page.fill("#agency", "Tullverket")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/upload/jobs/**")
    page.click("a.review-link", timeout=90_000)  # shown once the job is done
    page.wait_for_selector("h1:has-text('Förslag för')")
    assert axe_violations(page) == []
    draft = page.locator("article.suggestion", has_text="utbildningen av utredarna").first
    draft.locator("textarea").fill(
        "Utbilda utredarna innan utredningsstödet tas i drift, inte efteråt."
    )
    draft.locator("select[name=polarity]").select_option("råd")
    draft.get_by_label("Kompetens och bemanning").check()
    draft.locator("select[name=investment]").select_option("tullverket-utredningsstod")
    draft.get_by_role("button", name="Publicera lärdomen").click()
    page.wait_for_selector("text=Lärdomen är publicerad")
    shot(page, "review-published")
    assert "Utbilda utredarna innan" in page.inner_text("#decided-heading + ul")
    page.goto(server + "/?q=utbilda+utredarna+innan+drift&type=lessons")
    first = page.locator(".hit").first
    assert "Utbilda utredarna innan utredningsstödet" in first.inner_text()
    page.goto(server + "/investeringar/tullverket-utredningsstod")
    assert "Utbilda utredarna innan utredningsstödet" in page.inner_text("main")

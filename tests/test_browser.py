"""The real app in headless Chromium: active search, facets, deep links, uploads, keyboard use,
escaping, and axe-core's WCAG 2.1 AA check on every page. Screenshots go to tests/screenshots/."""

from __future__ import annotations

import os
import re
import socket
import threading
from pathlib import Path
from urllib.parse import quote

import pytest

from ingest.pipeline import ingest
from kb.knowledge_base import KnowledgeBase
from tests.conftest import CORPUS, EDITOR_PASSWORD, ROOT
from tests.files import make_pdf, make_scanned_pdf

CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "tests" / "screenshots"

if not (CHROMIUM.exists() and AXE.exists()):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium and node_modules (run `make setup browser`)")
    pytest.skip(
        "needs /usr/bin/chromium and axe-core (make setup browser)", allow_module_level=True
    )

sync_api = pytest.importorskip("playwright.sync_api")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(base_config, embedder, tmp_path_factory):
    from waitress.server import create_server

    from web import create_app

    config = base_config.with_(data_dir=tmp_path_factory.mktemp("browser-data"))
    kb = KnowledgeBase(config, embedder=embedder)
    assert ingest(kb, [CORPUS]).ok
    kb.accounts.add("redaktor", EDITOR_PASSWORD, editor=True)
    kb.close()
    app = create_app({"TESTING": True}, kb_config=config, embedder=embedder)
    port = _free_port()
    wsgi = create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=wsgi.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    wsgi.close()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()


def _page(browser, bypass_csp: bool):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="sv-SE", bypass_csp=bypass_csp
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.dialogs, page.csp_errors = [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on(
        "console", lambda m: "Content Security Policy" in m.text and page.csp_errors.append(m.text)
    )
    return context, page


@pytest.fixture
def page(browser):
    """A page under the app's real Content-Security-Policy."""
    context, page = _page(browser, bypass_csp=False)
    yield page
    assert page.csp_errors == []  # nothing the app does needs an inline script or style
    context.close()


@pytest.fixture
def axe_page(browser):
    """A page that lets the test inject axe-core (the CSP rightly forbids injected scripts)."""
    context, page = _page(browser, bypass_csp=True)
    yield page
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    # caret="initial": hiding the caret injects a <style>, which the CSP refuses and logs
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, caret="initial")


def axe_violations(page) -> list:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})""")
    return [
        (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
    ]


def test_typing_updates_results_and_the_url(page, server):
    page.goto(server + "/")
    page.fill("#q", "varför blev signalsystemet dyrare")
    page.wait_for_selector(".hit")
    assert "q=" in page.url  # shareable, bookmarkable
    assert "signalsystem" in page.inner_text(".hit-list").lower()
    assert page.evaluate("document.querySelector('#search-form') !== null")  # no full reload
    shot(page, "search")


def test_a_facet_narrows_the_results(page, server):
    page.goto(server + "/?q=kostnader+för+IT-projekt")
    page.get_by_label("Trafikverket").first.check()
    page.wait_for_url("**agency=Trafikverket**")
    page.wait_for_function(
        "[...document.querySelectorAll('.hit .meta')].every("
        "m => m.textContent.includes('Trafikverket'))"
    )
    shot(page, "search-facet")


def test_opening_a_passage_scrolls_to_it_highlighted(page, server):
    page.goto(server + "/?q=ramavtal+med+rörlig+arbetsmängd")
    page.locator(".passage footer a").first.click()
    page.wait_for_url("**#chunk-*")
    focus = page.locator(".full-text .focus").first
    assert focus.is_visible() and page.locator(".full-text mark").count() > 0
    box = focus.bounding_box()
    assert box and 0 <= box["y"] < 900  # in view
    shot(page, "document")


def test_describe_your_investment(page, server):
    page.goto(server + "/describe/")
    page.fill(
        "#text",
        "Vi planerar ett nytt ärendestöd för brottsutredningar och beslag. "
        "Det ska kosta 80 miljoner kronor och kopplas till åklagare och domstol.",
    )
    page.click("text=Hitta liknande fall")
    page.wait_for_selector(".recommendations")
    assert "Tullverket" in page.inner_text("#cases")
    shot(page, "describe")


def login(page, server) -> None:
    page.goto(server + "/login")
    page.fill("#name", "redaktor")
    page.fill("#password", EDITOR_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Logga ut")


def test_upload_a_pdf_and_find_it(page, server, tmp_path):
    login(page, server)
    pdf = make_pdf(
        tmp_path / "Sjöfartsverkets lotsportal.pdf",
        [
            "Sjöfartsverket byggde en lotsportal för beställning av lotsning.",
            "Erfarenheter: nyttorna mättes före och efter införandet.",
        ],
    )
    page.goto(server + "/upload/")
    page.set_input_files("#files", str(pdf))
    page.select_option("#kind", "case")
    page.fill("#agency", "Sjöfartsverket")
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/upload/jobs/**")
    page.wait_for_selector("text=Tillagd", timeout=60_000)
    shot(page, "upload-job")
    page.goto(server + "/?q=lotsportal")
    page.wait_for_selector(".hit")
    assert "Sjöfartsverket" in page.inner_text(".hit-list")


def test_an_uploaded_scan_is_found_on_its_page_and_marked_as_ocr(axe_page, server, tmp_path):
    from tests.test_ocr import COVER_SCAN, SCAN_PAGE

    page = axe_page
    login(page, server)
    scan = make_scanned_pdf(
        tmp_path / "arkivbeslut.pdf", [("scan", COVER_SCAN), ("scan", SCAN_PAGE)]
    )
    page.goto(server + "/upload/")
    page.set_input_files("#files", str(scan))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/upload/jobs/**")
    page.wait_for_selector("text=Tillagd", timeout=120_000)
    assert "Tolkad med OCR: 2 sidor" in page.inner_text("#job")
    assert axe_violations(page) == []
    page.goto(server + "/?q=migreringen+av+%C3%A4ldre+%C3%A4renden&mode=keyword")
    page.wait_for_selector(".hit")
    hit = page.inner_text(".hit-list .hit")
    assert "Tolkad med OCR" in hit and "Sida 2 · OCR" in hit
    assert axe_violations(page) == []
    shot(page, "search-ocr")
    page.click(".hit h3 a")
    page.wait_for_url("**/documents/arkivbeslut**")
    assert "saknade textlager" in page.inner_text(".doc-meta")
    assert "Tolkad med OCR" in page.inner_text("#page-2")
    assert axe_violations(page) == []
    shot(page, "document-ocr")


def test_script_in_a_document_shows_as_text(page, server, tmp_path):
    login(page, server)
    evil = tmp_path / "elak.md"
    evil.write_text(
        '# Elak <script>alert("xss")</script>\n\nTexten <img src=x onerror='
        "alert(2)> nämner tullkodex.\n",
        encoding="utf-8",
    )
    page.goto(server + "/upload/")
    page.set_input_files("#files", str(evil))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("text=Tillagd", timeout=60_000)
    page.goto(server + "/documents/elak")
    assert '<script>alert("xss")</script>' in page.inner_text("h1")
    page.goto(server + "/?q=tullkodex+elak")
    page.wait_for_selector(".hit")
    assert page.dialogs == []


def test_keyboard_skip_link_and_visible_focus(page, server):
    page.goto(server + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?q=kostnader+för+IT-projekt&agency=Trafikverket",
        "/?q=ERTMS&mode=keyword",
        "/documents/",
        "/documents/tullverket-utredningsstod-analys?chunk=1&q=nyttor",
        "/describe/",
        "/upload/",
        "/documents/finns-inte",
        "/login",
    ],
)
def test_no_accessibility_violations(axe_page, server, path):
    if path == "/upload/":
        login(axe_page, server)
    axe_page.goto(server + path)
    assert axe_violations(axe_page) == []


def test_no_accessibility_violations_with_describe_results(axe_page, server):
    axe_page.goto(server + "/describe/")
    axe_page.fill("#text", "Ett nytt signalsystem för järnvägen med krav från EU.")
    axe_page.click("text=Hitta liknande fall")
    axe_page.wait_for_selector(".hit")
    assert axe_violations(axe_page) == []


def test_an_edit_survives_reading_the_file_again_and_is_marked(axe_page, server, tmp_path):
    page = axe_page
    login(page, server)
    path = tmp_path / "handbok.md"
    path.write_text(
        "---\ntitle: Filens handbok\nagency: Skatteverket\n---\nHandboken om e-tjänster.\n",
        encoding="utf-8",
    )
    page.goto(server + "/upload/")
    page.set_input_files("#files", str(path))
    page.fill("#tags", "handbok")  # metadata given with the upload, as the secretariat does
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("text=Tillagd", timeout=60_000)
    page.goto(server + "/documents/handbok/edit")
    page.fill("#title", "Sekretariatets handbok")
    page.fill("#agency", "DIGG")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/documents/handbok")
    page.goto(server + "/documents/")
    page.click("button:has-text('Läs in igen Sekretariatets handbok')")
    page.wait_for_url("**/upload/jobs/**")
    page.wait_for_selector("text=Uppdaterad", timeout=60_000)
    page.goto(server + "/documents/handbok")
    assert page.inner_text("h1") == "Sekretariatets handbok"
    markers = page.locator(".by-hand")
    # title and agency edited, tags given in the upload form: all three the editor's word
    assert markers.count() == 3 and "redaktor" in (markers.first.get_attribute("title") or "")
    assert "DIGG" in page.inner_text(".doc-meta") and "handbok" in page.inner_text(".doc-meta")
    assert axe_violations(page) == []
    shot(page, "document-edited")
    page.goto(server + "/documents/handbok/edit")
    assert axe_violations(page) == []
    shot(page, "edit-with-edits")
    page.check("input[name=reset][value=agency]")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/documents/handbok")
    assert "Skatteverket" in page.inner_text(".doc-meta") and markers.count() == 2  # title, tags


# ---- The search page (issue 12: filters, history, keyboard, "Visa fler", phone) ----

MANY = "/?q=digitala+investeringar&mode=keyword"  # words in most documents: many facet values


def _mark_results(page) -> None:
    """Tag the results shown now, so a test can wait for the next ones to replace them."""
    page.evaluate("document.querySelector('#hits-heading').dataset.old = '1'")


def _wait_for_new_results(page) -> None:
    page.wait_for_function(
        "() => { const h = document.querySelector('#hits-heading');"
        " return h && !h.dataset.old && !document.querySelector('.htmx-request'); }"
    )


def _hit_metas(page) -> list[str]:
    return page.locator(".hit .meta").all_inner_texts()


def test_every_control_of_the_search_form_searches(page, server):
    page.goto(server + "/")
    page.fill("#q", "digitala investeringar")
    page.wait_for_selector(".hit")

    _mark_results(page)
    page.get_by_label("Fallbeskrivning").check()  # from "/": the first tick
    page.wait_for_url("**kind=case**")
    _wait_for_new_results(page)
    assert _hit_metas(page) and all("Fallbeskrivning" in m for m in _hit_metas(page))

    agency = page.locator("input[name=agency]").first.get_attribute("value")
    _mark_results(page)
    page.locator(f"input[name=agency][value='{agency}']").check()  # the second tick
    page.wait_for_url("**agency=**")
    _wait_for_new_results(page)
    metas = _hit_metas(page)
    assert metas and all(agency in m and "Fallbeskrivning" in m for m in metas)

    _mark_results(page)
    page.click("details.mode summary")
    page.get_by_label("Exakta ord").check()  # the mode, by mouse
    page.wait_for_url("**mode=keyword**")
    _wait_for_new_results(page)
    assert all(agency in m and "Fallbeskrivning" in m for m in _hit_metas(page))

    _mark_results(page)
    page.get_by_label("Exakta ord").focus()
    page.keyboard.press("ArrowUp")  # the mode, by keyboard: "Betydelse"
    page.wait_for_url("**mode=dense**")
    _wait_for_new_results(page)
    assert page.get_by_label("Betydelse").is_checked()
    assert "kind=case" in page.url and "agency=" in page.url

    _mark_results(page)
    page.get_by_label("Kombinerat").check()  # back to the default mode: no mode= to share
    page.wait_for_url(lambda url: "mode=" not in url)
    _wait_for_new_results(page)
    assert "kind=case" in page.url and "from=" not in page.url
    shot(page, "search-filters-1280")


def test_a_question_typed_is_one_history_entry_and_back_restores_the_form(page, server):
    page.goto(server + "/")
    start = page.evaluate("history.length")
    question = "varför blev signalsystemet dyrare"
    for typed in ("var", "varför", "varför blev", "varför blev signal", question):
        with page.expect_response(lambda r: "q=" in r.url):
            page.fill("#q", typed)  # a pause longer than the box waits: one search each
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert page.evaluate("history.length") == start + 1
    assert page.title().startswith(question)

    page.press("#q", "Enter")  # a submit that lands where we are adds nothing
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert page.evaluate("history.length") == start + 1

    page.get_by_label("Fallbeskrivning").check()
    page.wait_for_url("**kind=case**")
    assert page.evaluate("history.length") == start + 2

    page.go_back()
    page.wait_for_function("() => !location.search.includes('kind=')")
    page.wait_for_selector(".hit")
    assert page.input_value("#q") == question
    assert not page.get_by_label("Fallbeskrivning").is_checked()
    assert page.title().startswith(question)

    page.go_back()
    page.wait_for_function("() => location.search === ''")
    page.wait_for_selector(".intro")
    assert page.input_value("#q") == ""
    assert page.title() == "Sök – Erfarenhetsbanken"

    page.go_forward()
    page.wait_for_selector(".hit")
    assert page.input_value("#q") == question


def test_keyboard_focus_stays_on_the_control_and_follows_the_pages(page, server):
    page.goto(server + MANY + "&per_page=3")
    page.focus("#q")
    presses = 0
    while not page.evaluate("document.activeElement.classList.contains('skip-results')"):
        page.keyboard.press("Tab")
        presses += 1
        assert presses < 6, "no 'Hoppa till resultaten' near the search box"
    assert page.locator(".skip-results").inner_text() == "Hoppa till resultaten"
    assert page.locator(".skip-results").is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "hits-heading"
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('.hit')")  # the first result

    page.locator(".pagination a[rel=next]").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**page=2**")
    page.wait_for_function("() => document.activeElement.id === 'hits-heading'")
    box = page.locator("#hits-heading").bounding_box()
    assert box and 0 <= box["y"] < 900  # the reader sees where the new page begins
    assert "sida 2" in page.inner_text("#hits-heading")

    page.get_by_label("Fallbeskrivning").focus()
    page.keyboard.press("Space")
    page.wait_for_url("**kind=case**")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    active = page.evaluate("[document.activeElement.name, document.activeElement.value]")
    assert active == ["kind", "case"]


def test_more_facet_values_behind_visa_fler(page, server):
    page.goto(server + MANY)
    transport = page.get_by_label("Transportstyrelsen")
    assert not transport.is_visible()
    more = page.locator("details.more[data-panel=more-agency] summary")
    assert "Visa fler" in more.inner_text()
    more.click()
    assert (
        transport.is_visible()
        and "("
        in page.locator("label", has=page.locator("input[value=Transportstyrelsen]")).inner_text()
    )
    for agency in ("SCB", "Statskontoret"):  # the agency facet's, not a tag's ("scb")
        assert page.locator(f"input[name=agency][value={agency}]").is_visible()
    shot(page, "search-more-1280")
    transport.check()
    page.wait_for_url("**agency=Transportstyrelsen**")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert _hit_metas(page) and all("Transportstyrelsen" in m for m in _hit_metas(page))
    assert page.get_by_label("Transportstyrelsen").is_checked()
    assert page.get_by_label("Transportstyrelsen").is_visible()  # a ticked value is never hidden


@pytest.fixture
def phone(browser):
    context, page = _page(browser, bypass_csp=False)
    page.set_viewport_size({"width": 390, "height": 844})
    yield page
    assert page.csp_errors == []
    context.close()


def test_on_a_phone_the_facets_fold_into_avgransa(phone, server):
    phone.goto(server + MANY + "&kind=case")
    summary = phone.locator("details.refine > summary")
    assert summary.is_visible() and summary.inner_text().startswith("Avgränsa (1")
    assert not phone.get_by_label("Fallbeskrivning").is_visible()
    first = phone.locator(".hit").first.bounding_box()
    assert first and first["y"] < 844  # the first result is on the first screen
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "search-390")

    summary.click()
    phone.get_by_label("Fallbeskrivning").focus()
    phone.keyboard.press("Space")  # untick: the folder stays open, focus on the box
    phone.wait_for_function("() => !location.search.includes('kind=')")
    phone.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert phone.evaluate("document.querySelector('details.refine').open")
    assert phone.evaluate("document.activeElement.value") == "case"
    assert phone.locator("details.refine > summary").inner_text() == "Avgränsa"
    shot(phone, "search-390-open")


def test_on_a_wide_screen_the_facets_are_always_unfolded(page, server):
    page.goto(server + MANY)
    assert not page.locator("details.refine > summary").is_visible()
    assert page.get_by_label("Fallbeskrivning").is_visible()


@pytest.mark.parametrize("width", [390, 1280])
@pytest.mark.parametrize("path", ["/", MANY, MANY + "&kind=case&per_page=3&page=2"])
def test_no_accessibility_violations_on_the_search_page(axe_page, server, path, width):
    axe_page.set_viewport_size({"width": width, "height": 900})
    axe_page.goto(server + path)
    assert axe_violations(axe_page) == []
    if axe_page.locator("details.more").count():
        axe_page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        assert axe_violations(axe_page) == []


def test_english_by_the_header_link_with_no_accessibility_violations(axe_page, server):
    axe_page.goto(server + "/?q=ERTMS")
    axe_page.click("a.language[lang=en]")
    axe_page.wait_for_selector("html[lang=en]")
    assert axe_page.url == server + "/?q=ERTMS"
    assert axe_page.locator(".skip-link").text_content() == "Skip to content"
    shot(axe_page, "search-english-1280")
    assert axe_violations(axe_page) == []
    axe_page.goto(server + "/?q=ERTMS&from=abc")  # the choice is kept, and so is the form
    assert axe_page.locator("html").get_attribute("lang") == "en"
    assert axe_page.locator("#from").input_value() == "abc"
    assert "'From' must be a year" in axe_page.locator("[role=alert]").first.text_content()
    assert axe_violations(axe_page) == []
    axe_page.set_viewport_size({"width": 390, "height": 844})
    axe_page.goto(server + "/?q=ERTMS")
    shot(axe_page, "search-english-390")
    assert axe_violations(axe_page) == []


# The live region that says what a search found. It must stay in the page (a region swapped in
# whole is not announced) and hold the count, not every result (or it reads them all out).
FIND_LIVE_REGION = """(mark) => {
    const heading = document.querySelector('#hits-heading');
    const regions = [...document.querySelectorAll('[aria-live=polite], [role=status]')]
        .filter(r => !r.classList.contains('htmx-indicator') && !r.closest('.hit-list'));
    const region = regions.find(r => !heading || r.textContent.includes(heading.textContent));
    if (region && mark) region.kbMark = 1;
    return region ? {text: region.textContent.trim(), kept: region.kbMark === 1,
                     results: !!region.querySelector('.hit-list, .facets')} : null;
}"""


def _live_region(page, mark: bool = False) -> dict:
    region = page.evaluate(FIND_LIVE_REGION, mark)
    assert region, "no live region holds the results' count"
    assert not region["results"], "the live region would read out every result"
    return region


def test_the_new_count_is_announced_after_every_search(page, server):
    page.goto(server + "/")
    _live_region(page, mark=True)  # there before any search
    page.fill("#q", "digitala investeringar")
    page.wait_for_selector(".hit")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    region = _live_region(page)
    count = page.inner_text("#hits-heading")
    assert region["kept"] and "dokument" in region["text"] and count in region["text"]

    _mark_results(page)
    page.get_by_label("Fallbeskrivning").check()
    page.wait_for_url("**kind=case**")
    _wait_for_new_results(page)
    region = _live_region(page)
    assert region["kept"] and page.inner_text("#hits-heading") != count
    assert page.inner_text("#hits-heading") in region["text"]

    _mark_results(page)
    page.fill("#q", "xyzzyqqq zzkkvv")
    _wait_for_new_results(page)
    region = _live_region(page)
    assert region["kept"] and region["text"].startswith("Inga tydliga träffar")


SWEDISH_INTERFACE = re.compile(
    r"[åäöÅÄÖ]|\b(dokument|Visa|fler|sida|Sida|Inga|Hoppa|Typ|Nästa|Betydelse|Exakta|Kombinerat|"
    r"valda?|Avgränsa)\b"
)
# The interface's own text on the search page (labels, buttons, headings, notes, attributes);
# not the documents' titles, passages and agencies, which are Swedish in this corpus.
INTERFACE_TEXT = """() => {
    const parts = [...document.querySelectorAll(
        'label[for], button, summary, legend, h1, h2, .lead, .skip-results, .pagination,'
        + ' .more-similar, .notice, .match, .mode label, .site-header nav, .site-footer p,'
        + ' .facets fieldset > label:has(input[name=kind])')].map(e => e.textContent);
    for (const e of document.querySelectorAll('[aria-label], [placeholder], [title]'))
        parts.push(e.getAttribute('aria-label') || '', e.getAttribute('placeholder') || '',
                   e.getAttribute('title') || '');
    parts.push(document.title.replace(/^.*? – /, ''));
    return parts.join(' | ');
}"""


@pytest.mark.parametrize("width", [1280, 390])
def test_the_search_page_in_english_has_no_swedish_and_no_violations(axe_page, server, width):
    axe_page.set_viewport_size({"width": width, "height": 900})
    axe_page.goto(server + "/lang/en?next=" + quote(MANY + "&kind=case&per_page=2"))
    axe_page.wait_for_selector("html[lang=en] .hit")
    axe_page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    text = axe_page.evaluate(INTERFACE_TEXT)
    assert "Case description" in text and "Show more" in text and "Next" in text
    assert SWEDISH_INTERFACE.findall(text) == []
    shot(axe_page, f"search-english-results-{width}")
    assert axe_violations(axe_page) == []

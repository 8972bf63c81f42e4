"""The document list, the document page, "Beskriv din investering" and the upload page in
headless Chromium: cards on a phone, filters that apply on change, sortable columns, results
with an address, structured text, and axe-core at 1280 and 390 px."""

# ruff: noqa: F811 - the fixtures imported below are pytest's, named again as arguments

from __future__ import annotations

import pytest

from tests.test_browser import (  # noqa: F401
    axe_page,
    axe_violations,
    browser,
    login,
    page,
    server,
    shot,
)

PHONE = {"width": 390, "height": 844}
DESCRIPTION = (
    "Vi planerar ett nytt ärendestöd för brottsutredningar och beslag. "
    "Det ska kosta 80 miljoner kronor och kopplas till åklagare och domstol."
)


def test_the_document_list_is_cards_on_a_phone(page, server):
    login(page, server)
    page.goto(server + "/documents/")
    shot(page, "documents-1280")
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    delete = page.locator(".doc-table button.danger").first
    box = delete.bounding_box()
    assert box and 0 <= box["x"] and box["x"] + box["width"] <= PHONE["width"]
    assert page.locator(".doc-table td[data-label=Myndighet]").first.is_visible()
    shot(page, "documents-390")


def test_list_filters_apply_on_change_and_keep_focus(page, server):
    page.goto(server + "/documents/")
    assert not page.get_by_role("button", name="Visa").is_visible()  # no button needed
    assert page.locator(".doc-table .actions").count() == 0  # a reader sees no actions
    page.focus("#f-kind")
    page.keyboard.press("ArrowDown")  # by keyboard: "Alla typer" -> "Rekommendation"
    page.wait_for_url("**kind=recommendation**")
    page.wait_for_function(
        "[...document.querySelectorAll('.doc-table td[data-label=Typ]')]"
        ".every(td => td.textContent.trim() === 'Rekommendation')"
    )
    assert page.evaluate("document.activeElement.id") == "f-kind"
    page.select_option("#f-agency", "Trafikverket")
    page.wait_for_url("**agency=Trafikverket**")
    page.wait_for_function("document.querySelectorAll('.doc-table tbody tr').length === 1")


def test_column_headers_sort_and_say_so(page, server):
    page.goto(server + "/documents/")
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Titel")
    page.get_by_role("link", name="Datum").click()
    page.wait_for_url("**sort=date**")
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("Datum")
    dates = [d for d in page.locator("td[data-label=Datum]").all_inner_texts() if d != "–"]
    assert dates == sorted(dates, reverse=True)
    page.get_by_role("link", name="Datum").click()
    page.wait_for_url("**order=asc**")
    dates = [d for d in page.locator("td[data-label=Datum]").all_inner_texts() if d != "–"]
    assert dates == sorted(dates) and page.locator("th[aria-sort=ascending]").count() == 1


def test_the_upload_progress_bar_waits_for_an_upload(page, server):
    login(page, server)
    page.goto(server + "/upload/")
    assert not page.locator(".upload-progress").is_visible()


def test_describe_results_survive_a_reload_and_can_be_shared(page, server, browser):
    page.goto(server + "/describe/")
    page.fill("#text", DESCRIPTION)
    page.click("text=Hitta liknande fall")
    page.wait_for_url("**/describe/?text=**")
    page.wait_for_selector(".recommendations")
    page.reload()
    page.wait_for_selector(".recommendations")
    assert page.input_value("#text") == DESCRIPTION
    # someone the link was sent to (a Swedish browser: Chromium asks for English by default)
    shared = browser.new_context(locale="sv-SE").new_page()
    shared.goto(page.url)
    assert "Rekommenderat till Tullverket" in shared.inner_text("#cases")
    shared.context.close()
    shot(page, "describe-get")


def test_describe_answers_after_the_session_expired(page, server):
    page.goto(server + "/describe/")
    page.context.clear_cookies()  # the session (and its CSRF token) is gone
    page.fill("#text", DESCRIPTION)
    page.click("text=Hitta liknande fall")
    page.wait_for_selector(".hit")  # a GET needs no token: results, not silence
    # a long description is POSTed: with a stale token it says why, never nothing
    page.goto(server + "/describe/")
    page.evaluate("document.getElementById('describe-form').dataset.csrf = 'gammal'")
    page.fill("#text", (DESCRIPTION + "\n\n") * 30)
    page.click("text=Hitta liknande fall")
    page.wait_for_selector("text=Formuläret har gått ut")
    # and with a valid one it answers, saying the results have no address
    page.goto(server + "/describe/")
    page.fill("#text", (DESCRIPTION + "\n\n") * 30)
    page.click("text=Hitta liknande fall")
    page.wait_for_selector("text=Den har inte sparats")
    assert page.locator(".hit").count() > 0


def test_a_document_shows_its_headings_lists_and_tables(page, server):
    page.goto(server + "/documents/ertms-rekommendationer")
    text = page.locator(".full-text")
    assert text.locator("h2").count() >= 1 and text.locator("ol > li").count() == 4
    page.goto(server + "/documents/ertms-granskning-riksrevisionen")
    assert text.locator("h2").count() >= 3 and text.locator("ol > li").count() >= 3
    shot(page, "document-1280")
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, "document-390")


def test_a_passage_in_a_list_opens_highlighted(page, server):
    page.goto(server + "/?q=reinvesteringsstrategi+signalanläggningar")
    page.locator(".passage footer a").first.click()
    page.wait_for_url("**#chunk-*")
    assert page.locator(".full-text .focus mark").count() > 0


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize(
    "path",
    [
        "/documents/",
        "/documents/?sort=date&order=asc",
        "/documents/ertms-granskning-riksrevisionen",
        "/documents/ertms-rekommendationer?chunk=0&q=reinvesteringar",
        "/describe/?text=Ett+nytt+signalsystem+för+järnvägen+med+krav+från+EU.",
        "/upload/",
    ],
)
def test_no_accessibility_violations_on_these_pages(axe_page, server, path, width):
    login(axe_page, server)  # the editor's view: every action and prompt is shown
    axe_page.set_viewport_size({"width": width, "height": 900})
    axe_page.goto(server + path)
    assert axe_violations(axe_page) == []


def test_no_accessibility_violations_for_a_reader_on_a_phone(axe_page, server):
    axe_page.set_viewport_size(PHONE)
    axe_page.goto(server + "/documents/")
    assert axe_violations(axe_page) == []


def _titles(page) -> list[str]:
    return [t.lower() for t in page.locator(".doc-table tbody td:first-child a").all_inner_texts()]


def test_a_list_filter_keeps_the_column_sort(page, server):
    page.goto(server + "/documents/")
    page.locator("th a", has_text="Titel").click()  # sorted by title A–Ö: now Ö–A
    page.wait_for_url("**order=desc**")
    page.select_option("#f-kind", "case")
    page.wait_for_url("**kind=case**")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert "sort=title" in page.url and "order=desc" in page.url
    assert page.locator("th[aria-sort=descending]").inner_text().startswith("Titel")
    titles = _titles(page)
    assert len(titles) > 1 and titles == sorted(titles, reverse=True)
    assert all(k == "Fallbeskrivning" for k in page.locator("td[data-label=Typ]").all_inner_texts())

    page.select_option("#f-sort", "agency")  # another order starts from its first direction
    page.wait_for_url("**sort=agency**")
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert "order=" not in page.url and "kind=case" in page.url
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Myndighet")
    page.select_option("#f-kind", "")  # and a filter after it keeps that direction
    page.wait_for_url(lambda url: "kind=case" not in url)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")
    assert page.locator("th[aria-sort=ascending]").inner_text().startswith("Myndighet")

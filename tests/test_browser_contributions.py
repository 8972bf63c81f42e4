"""Dela en erfarenhet in headless Chromium: a contributor submits an experience, an editor
publishes it from the moderation queue, and it is found in search; axe-core finds no WCAG 2.1
AA violations on the form, the contributor's list and the queue."""

from __future__ import annotations

import threading

import pytest

from kb.knowledge_base import KnowledgeBase
from tests.conftest import EDITOR_PASSWORD
from tests.test_browser import _free_port, _page, axe_violations, shot
from tests.test_browser import browser as browser  # noqa: F401  (the fixture)

PASSWORD = "bidragsgivare-2026"


@pytest.fixture(scope="module")
def server(base_config, embedder, tmp_path_factory):
    """An empty knowledge base with an editor and a contributor."""
    from waitress.server import create_server

    from web import create_app

    config = base_config.with_(data_dir=tmp_path_factory.mktemp("contributions-browser"))
    kb = KnowledgeBase(config, embedder=embedder)
    kb.accounts.add("redaktor", EDITOR_PASSWORD, editor=True)
    kb.accounts.add("anna", PASSWORD, role="contributor")
    kb.close()
    app = create_app({"TESTING": True}, kb_config=config, embedder=embedder)
    port = _free_port()
    wsgi = create_server(app, host="127.0.0.1", port=port, threads=4)
    threading.Thread(target=wsgi.run, daemon=True).start()
    yield f"http://127.0.0.1:{port}"
    wsgi.close()


def _log_in(browser, server, name: str, password: str):
    context, page = _page(browser, bypass_csp=True)  # axe-core is injected
    page.goto(server + "/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Logga ut")
    return context, page


def test_a_contributor_shares_an_editor_publishes_and_it_is_found(browser, server):
    context, page = _log_in(browser, server, "anna", PASSWORD)
    page.click("nav >> text=Dela en erfarenhet")
    page.wait_for_url("**/dela/")
    assert axe_violations(page) == []
    page.fill("#agency", "Bolagsverket")
    page.fill("#investment_name", "Digital registrering av föreningar")
    page.fill("#went_well", "Handläggarna testade e-tjänsten varje vecka under utvecklingen.")
    page.fill("#went_badly", "Integrationen mot det gamla ärendesystemet Gulnäbben försenades.")
    page.fill("#advice", "Planera för att driva de två systemen parallellt i minst ett halvår.")
    shot(page, "contribute-form")
    page.click("#contribute-form button[type=submit]")
    page.wait_for_url("**/dela/1")
    assert "inskickad" in page.inner_text("main")
    page.goto(server + "/dela/mina")
    assert "Digital registrering av föreningar" in page.inner_text("main")
    assert axe_violations(page) == []
    # the empty form refused: the message is announced and the field marked
    page.goto(server + "/dela/")
    page.fill("#agency", "Bolagsverket")
    page.fill("#investment_name", "Något")
    page.click("#contribute-form button[type=submit]")
    page.wait_for_selector("[role=alert]")
    assert page.get_attribute("#went_well", "aria-invalid") == "true"
    assert axe_violations(page) == []
    context.close()

    context, page = _log_in(browser, server, "redaktor", EDITOR_PASSWORD)
    page.goto(server + "/granska/")
    page.click("text=Granska bidrag")
    page.wait_for_url("**/granska/bidrag/")
    assert axe_violations(page) == []
    shot(page, "moderation-queue")
    page.click("text=Digital registrering av föreningar")
    page.wait_for_url("**/granska/bidrag/1")
    assert "Gulnäbben" in page.inner_text("main")
    assert axe_violations(page) == []
    page.click("button:has-text('Publicera')")
    page.wait_for_url("**/granska/erfarenhet-1")
    assert "Publicerat" in page.inner_text("main")
    assert page.locator(".suggestion").count() >= 3  # its fields, as draft lessons
    page.goto(server + "/?q=Gulnäbben")
    page.wait_for_selector(".hit")
    assert "Bolagsverket" in page.inner_text(".hit-list")
    shot(page, "contribution-found")
    context.close()

"""Browser: the versions list and diff of a re-uploaded document, and the near-duplicate
warning on the job and document pages, with no axe violations (fixtures of test_browser)."""

from __future__ import annotations

from tests.test_browser import (  # noqa: F401 - fixtures
    axe_page,
    axe_violations,
    browser,
    login,
    server,
    shot,
)

TEXT = (
    "# Tullens deklarationer\n\nTullverket införde ett nytt system för deklarationer 2019.\n\n"
    "Projektet försenades eftersom kraven på integration ändrades två gånger under arbetet.\n\n"
    "Kostnaderna blev fyrtio procent högre än beräknat, främst för konsulter och test.\n"
)


def _upload(page, server, path) -> None:  # noqa: F811
    page.goto(server + "/upload/")
    page.set_input_files("#files", str(path))
    page.click("#upload-form button[type=submit]")
    page.wait_for_url("**/upload/jobs/**")
    page.wait_for_selector("text=Klart", timeout=120_000)


def test_versions_diff_and_near_duplicate_warning(axe_page, server, tmp_path):  # noqa: F811
    page = axe_page
    login(page, server)
    path = tmp_path / "tulldekl.md"
    path.write_text(TEXT, encoding="utf-8")
    _upload(page, server, path)
    path.write_text(TEXT.replace("fyrtio procent", "<em>sextio</em> procent"), encoding="utf-8")
    _upload(page, server, path)
    page.goto(server + "/documents/tulldekl")
    assert "Version 1" in page.inner_text(".versions")
    assert axe_violations(page) == []
    page.click(".versions a[href$='/versions/2']")
    page.wait_for_url("**/versions/2")
    assert "<em>sextio</em>" in page.inner_text(".diff-added")
    assert axe_violations(page) == []
    shot(page, "version-diff")

    copy = tmp_path / "tulldekl-kopia.md"
    copy.write_text(TEXT + "\nEn rad till om utbildningen.\n", encoding="utf-8")
    _upload(page, server, copy)
    assert "Liknar Tullens deklarationer till" in page.inner_text("#job")
    assert axe_violations(page) == []
    page.goto(server + "/documents/tulldekl-kopia")
    assert "Behåll båda" in page.inner_text(".near-duplicate")
    assert axe_violations(page) == []
    page.click(".near-duplicate button:has-text('Behåll båda')")
    page.wait_for_url("**/documents/tulldekl-kopia")
    assert page.locator(".near-duplicate").count() == 0

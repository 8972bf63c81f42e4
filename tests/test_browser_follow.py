"""Följ, Ladda ner and Sökstatistik (issue 15) in headless Chromium over the sample corpus: a
search followed as an Atom feed, its results downloaded as CSV with å/ä/ö intact, and the
editors' statistics page listing a query that found nothing, with axe-core at 0 violations."""

# ruff: noqa: F811 - the fixtures imported below are pytest's, named again as arguments

from __future__ import annotations

import csv
import io

import feedparser

from tests.test_browser import (  # noqa: F401
    axe_page,
    axe_violations,
    browser,
    login,
    page,
    server,
    shot,
)

NOTHING = "kvantdatorers sjöodlade marsipangrisar"


def test_a_search_is_followed_as_a_feed_and_downloaded_as_csv(page, server, tmp_path):
    page.goto(server + "/")
    page.fill("#q", "kostnader för signalsystemet")
    page.wait_for_selector(".hit")
    follow = page.get_by_role("link", name="Följ den här sökningen")
    feed_url = follow.get_attribute("href")
    assert feed_url.startswith("/feed?q=kostnader")
    page.reload()  # the head's link is the page's as loaded (active search swaps the results)
    head = page.locator('head link[rel="alternate"][type="application/atom+xml"]')
    assert head.get_attribute("href") == feed_url
    feed = feedparser.parse(page.request.get(server + feed_url).body())
    assert not feed.bozo and feed.version == "atom10" and feed.entries
    assert all(e.id.startswith("urn:erfarenhetsbanken:") for e in feed.entries)

    with page.expect_download() as info:
        page.get_by_role("link", name="Ladda ner (CSV)").click()
    download = info.value
    assert download.suggested_filename.startswith("erfarenhetsbanken-sok-kostnader-")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    rows = list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))
    assert rows and rows[0]["rank"] == "1"
    text = " ".join(r["title"] + r["passage"] for r in rows)
    assert any(letter in text for letter in "åäö")  # the Swedish letters as written


def test_the_statistics_page_lists_a_query_that_found_nothing(axe_page, server):
    axe_page.goto(server + "/")
    axe_page.fill("#q", NOTHING)
    axe_page.wait_for_url("**/?q=*")
    axe_page.wait_for_selector("#hits-heading")
    login(axe_page, server)
    axe_page.get_by_role("link", name="Sökstatistik").click()
    axe_page.wait_for_url("**/statistik/")
    none = axe_page.locator("section", has=axe_page.get_by_role("heading", name="Inga träffar"))
    assert NOTHING in none.first.inner_text()
    shot(axe_page, "statistics")
    assert axe_violations(axe_page) == []

"""Följ (issue 15): Atom feeds of a search and of each agency, theme and investment, read with
feedparser; and the read-only feed tokens that let a feed reader in where reading needs login."""

# ruff: noqa: F811 - the fixtures imported below are pytest's, named again as arguments

from __future__ import annotations

import time

import feedparser
import pytest

from ingest.pipeline import ingest
from kb.records.importer import import_records
from tests.test_record_pages import with_second
from tests.test_records import COST_QUOTE, folder, records, rkb, write_yaml  # noqa: F401
from web import create_app

NEW_MATCHING = (
    "---\ntitle: Signalsystemets nya kostnader\nkind: report\nagency: Trafikverket\n"
    "date: 2026\n---\n\nSignalsystemet ERTMS blev dyrare än kalkylen: nya kostnader för "
    "signalsystemet redovisas här.\n"
)
NEW_OTHER = (
    "---\ntitle: Flyttanmälan på nätet\nkind: report\nagency: Skatteverket\ndate: 2026\n---\n\n"
    "Folkbokföringen tar emot flyttanmälningar digitalt sedan 2019.\n"
)
LATER_LESSON = {
    "id": "ertms-kalkyl-i-intervall",
    "text": "Redovisa kalkylen för signalsystemet i intervall, inte som en enda siffra.",
    "polarity": "råd",
    "themes": ["kostnadskalkyl-och-budget"],
    "investment": "trafikverket-ertms",
    "evidence": [{"document": "ertms", "quote": COST_QUOTE}],
}


@pytest.fixture
def app(rkb, tmp_path):
    import_records(rkb, write_yaml(tmp_path, with_second()))
    return create_app({"TESTING": True}, kb_config=rkb.config, embedder=rkb.embedder)


def read(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception  # well-formed
    assert feed.version == "atom10"
    return feed


def ids(feed) -> list[str]:
    return [e.id for e in feed.entries]


def add_documents(rkb, tmp_path, **files: str) -> None:
    new = tmp_path / "new"
    new.mkdir(exist_ok=True)
    for name, text in files.items():
        (new / f"{name}.md").write_text(text, encoding="utf-8")
    assert ingest(rkb, [new]).ok


def test_a_new_matching_document_appears_in_a_search_feed_and_another_does_not(app, rkb, tmp_path):
    client = app.test_client()
    url = "/feed?q=signalsystemet+kostnader&agency=Trafikverket"
    before = read(client, url)
    assert before.feed.title.startswith("Sökning: signalsystemet kostnader")
    assert "urn:erfarenhetsbanken:document:ertms" in ids(before)
    time.sleep(1.1)  # the catalog's times have whole seconds: the new document is newer
    add_documents(rkb, tmp_path, **{"nya-kostnader": NEW_MATCHING, "flytt": NEW_OTHER})

    after = read(client, url)
    assert "urn:erfarenhetsbanken:document:nya-kostnader" in ids(after)
    assert not [i for i in ids(after) if "flytt" in i]
    # the newest change first, every entry with its date and a link to its page
    updated = [e.updated_parsed for e in after.entries]
    assert updated == sorted(updated, reverse=True)
    assert after.entries[0].id == "urn:erfarenhetsbanken:document:nya-kostnader"
    assert after.entries[0].link == "http://localhost/documents/nya-kostnader"
    # stable ids: the document that was there keeps its id (and the lesson its own)
    assert set(ids(before)) <= set(ids(after))
    # the unrefined feed of everything has the other document too
    assert "urn:erfarenhetsbanken:document:flytt" in ids(read(client, "/feed"))


def test_a_lesson_published_later_appears_in_the_feeds_that_follow_it(app, rkb, tmp_path):
    client = app.test_client()
    urls = (
        "/teman/kostnadskalkyl-och-budget/feed",
        "/myndigheter/Trafikverket/feed",
        "/investeringar/trafikverket-ertms/feed",
        "/feed?theme=kostnadskalkyl-och-budget",
    )
    lesson_id = "urn:erfarenhetsbanken:lesson:ertms-kalkyl-i-intervall"
    for url in urls:
        assert lesson_id not in ids(read(client, url)), url
    data = with_second()
    data["lessons"].append(LATER_LESSON)
    time.sleep(1.1)  # the catalog's times have whole seconds: the lesson is strictly newer
    assert import_records(rkb, write_yaml(tmp_path, data, "later.yaml")).ok
    for url in urls:
        feed = read(client, url)
        assert feed.entries[0].id == lesson_id, url
        assert "i intervall" in feed.entries[0].summary
    # a lesson of another agency is in neither the agency's nor the investment's feed
    other = "urn:erfarenhetsbanken:lesson:folkbokforing-budget-holl"
    assert other not in ids(read(client, "/myndigheter/Trafikverket/feed"))
    assert other in ids(read(client, "/myndigheter/Skatteverket/feed"))


@pytest.mark.parametrize(
    "url",
    [
        "/feed?q=kostnader&agentur=Trafikverket",  # not a parameter of search
        "/feed?q=kostnader&agency=Ingen+myndighet",
        "/feed?theme=finns-inte",
        "/feed?q=kostnader&from=tjugohundra",
    ],
)
def test_a_feed_refuses_an_unknown_filter_with_a_clear_400(app, url):
    response = app.test_client().get(url, headers={"Accept-Language": "sv"})
    assert response.status_code == 400
    message = response.get_data(as_text=True)
    assert 'role="alert"' in message and ("okän" in message or "årtal" in message)


def test_pages_link_their_feeds_in_the_head_and_in_the_page(app):
    client = app.test_client()
    for url, feed in [
        ("/?q=signalsystemet", "/feed?q=signalsystemet"),
        ("/myndigheter/Trafikverket", "/myndigheter/Trafikverket/feed"),
        ("/teman/kostnadskalkyl-och-budget", "/teman/kostnadskalkyl-och-budget/feed"),
        ("/investeringar/trafikverket-ertms", "/investeringar/trafikverket-ertms/feed"),
    ]:
        html = client.get(url, headers={"Accept-Language": "sv"}).get_data(as_text=True)
        head = html[: html.index("</head>")]
        assert 'rel="alternate" type="application/atom+xml"' in head, url
        assert f'href="{feed}"' in head, url
        assert f'href="{feed}"' in html[html.index("<main") :], url


def test_the_results_page_offers_to_follow_the_search(app):
    html = (
        app.test_client()
        .get("/?q=signalsystemet&agency=Trafikverket", headers={"Accept-Language": "sv"})
        .get_data(as_text=True)
    )
    assert "Följ den här sökningen" in html
    assert 'href="/feed?q=signalsystemet&amp;agency=Trafikverket"' in html


# feed tokens ----------------------------------------------------------------------------
@pytest.fixture
def closed_app(rkb, tmp_path):
    """Reading needs login; a reader account 'lasare' exists."""
    import_records(rkb, write_yaml(tmp_path, with_second()))
    rkb.accounts.add("lasare", "lasaren-har-ett-losen", editor=False)
    config = rkb.config.with_(read_requires_login=True)
    return create_app({"TESTING": True}, kb_config=config, embedder=rkb.embedder)


def test_a_feed_needs_a_feed_token_when_reading_needs_login(closed_app, rkb):
    client = closed_app.test_client()
    assert client.get("/feed?q=signalsystemet").status_code == 401  # no login page for a reader
    assert client.get("/feed?q=signalsystemet&token=kbfeed_gissat").status_code == 401
    token = rkb.accounts.create_feed_token("lasare")

    feed = read(client, f"/feed?q=signalsystemet&token={token}")
    assert feed.entries
    # the token is in the self link only: never in the entries' or the page's links
    links = {link.rel: link.href for link in feed.feed.links}
    assert token in links["self"]
    assert token not in links["alternate"]
    assert all(token not in e.link for e in feed.entries)
    assert read(client, f"/myndigheter/Trafikverket/feed?token={token}").entries


def test_a_feed_token_opens_feeds_only_and_is_refused_once_revoked(closed_app, rkb):
    client = closed_app.test_client()
    token = rkb.accounts.create_feed_token("lasare")
    # neither a page, nor the API (by parameter or as a Bearer token), nor a write
    assert client.get(f"/?q=signalsystemet&token={token}").status_code == 302
    assert client.get(f"/api/search?q=signalsystemet&token={token}").status_code == 401
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/search?q=signalsystemet", headers=bearer).status_code == 401
    assert client.delete("/api/documents/ertms", headers=bearer).status_code == 401
    assert client.get(f"/feed?token={token}").status_code == 200

    (listed,) = rkb.accounts.feed_tokens("lasare")
    rkb.accounts.revoke_feed_token(listed.id)
    assert client.get(f"/feed?token={token}").status_code == 401


def test_kb_user_feed_token_creates_lists_and_revokes(base_config, tmp_path, monkeypatch, capsys):
    import json

    from cli.main import main

    monkeypatch.setenv("KB_CACHE_DIR", str(base_config.cache_dir))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("lasaren-har-ett-losen\n"))
    assert main(["user", "add", "lasare", "--password-stdin"]) == 0
    assert main(["user", "feed-token", "create", "lasare", "--json"]) == 0
    capsys.readouterr()
    assert main(["user", "feed-token", "list", "--json"]) == 0
    (listed,) = json.loads(capsys.readouterr().out)
    assert listed["name"] == "lasare"
    assert main(["user", "feed-token", "revoke", listed["id"]]) == 0
    assert main(["user", "feed-token", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.splitlines()[-1]) == []


def test_the_access_log_never_shows_a_feed_token(closed_app, rkb, caplog):
    from web.access_log import AccessLog

    token = rkb.accounts.create_feed_token("lasare")
    closed_app.wsgi_app = AccessLog(closed_app.wsgi_app)
    with caplog.at_level("INFO", logger="web.access"):
        assert closed_app.test_client().get(f"/feed?token={token}&q=x").status_code == 200
    (line,) = [r.getMessage() for r in caplog.records if r.name == "web.access"]
    assert "/feed?token=…&q=x" in line and token not in line

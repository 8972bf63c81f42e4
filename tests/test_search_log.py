"""Vad saknas (issue 15): the Sök page's searches logged without who or where, the result
opened noted by a click-through that can only lead to our own pages, retention, the switch,
and the editors' Sökstatistik page and `kb stats --searches`."""

# ruff: noqa: F811 - the fixtures imported below are pytest's, named again as arguments

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from kb.config import load_config
from kb.records.importer import import_records
from tests.conftest import csrf
from tests.test_record_pages import with_second
from tests.test_records import folder, records, rkb, write_yaml  # noqa: F401
from web import create_app

NOTHING = "kvantdatorers sjöodlade marsipangrisar"  # nothing in the knowledge base is like it
PASSWORD = "sekretariatet-2026"
SV = {"Accept-Language": "sv"}


def make_app(rkb, **config):
    return create_app(
        {"TESTING": True}, kb_config=rkb.config.with_(**config), embedder=rkb.embedder
    )


@pytest.fixture
def app(rkb, tmp_path):
    import_records(rkb, write_yaml(tmp_path, with_second()))
    rkb.accounts.add("redaktor", PASSWORD, editor=True)
    rkb.accounts.add("lasare", PASSWORD, editor=False)
    return make_app(rkb)


def log_in(client, name: str):
    response = client.post(
        "/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf(client)}
    )
    assert response.status_code == 303
    return client


def logged(rkb) -> list[dict]:
    db = sqlite3.connect(rkb.config.catalog_path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM search_log ORDER BY rowid")]
    finally:
        db.close()


def opened(rkb) -> list[dict]:
    db = sqlite3.connect(rkb.config.catalog_path)
    db.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in db.execute("SELECT * FROM search_log_opened")]
    finally:
        db.close()


def test_editors_see_a_query_that_found_nothing_and_others_do_not_see_the_page(app):
    client = app.test_client()
    assert client.get("/api/search?q=" + NOTHING).get_json()["clear"] == 0
    assert client.get("/?q=" + NOTHING, headers=SV).status_code == 200
    assert client.get("/?q=signalsystemet", headers=SV).status_code == 200

    anonymous = client.get("/statistik/")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert log_in(app.test_client(), "lasare").get("/statistik/").status_code == 403
    assert "Sökstatistik" not in log_in(app.test_client(), "lasare").get("/", headers=SV).get_data(
        as_text=True
    )

    editor = log_in(app.test_client(), "redaktor")
    html = editor.get("/statistik/", headers=SV).get_data(as_text=True)
    assert 'href="/statistik/"' in html  # the editors' nav link
    none = html[html.index(">Inga träffar<") : html.index(">Träffar som aldrig öppnades<")]
    assert NOTHING in none and "signalsystemet" not in none
    assert "signalsystemet" in html[html.index(">Träffar som aldrig öppnades<") :]
    data = editor.get("/statistik/", headers={"Accept": "application/json"})
    assert data.status_code == 200


def test_an_opened_result_is_noted_by_the_page_it_opens_once(app, rkb):
    client = app.test_client()
    html = client.get("/?q=signalsystemet", headers=SV).get_data(as_text=True)
    links = re.findall(r'<h3><a href="(/documents/[^"]+)"', html)
    assert links and "s=" in links[0] and "n=1" in links[0], "the results carry the search"
    (search,) = logged(rkb)
    for _ in range(2):  # a reload, or the link shared, counts once
        assert client.get(links[0].replace("&amp;", "&")).status_code == 200
    (row,) = opened(rkb)
    assert row == {"search_id": search["id"], "target": row["target"], "rank": 1}
    assert row["target"].startswith("document:")

    html = client.get("/?q=folkbokföring&type=investments", headers=SV).get_data(as_text=True)
    link = re.findall(r'<h3><a href="(/investeringar/[^"]+)"', html)[0].replace("&amp;", "&")
    assert client.get(link).status_code == 200
    assert {r["target"] for r in opened(rkb)} >= {"investment:skatteverket-folkbokforing"}

    # a made-up search id, or a rank that is no number, notes nothing and still shows the page
    for url in (
        "/documents/ertms?s=påhittad&n=1",
        "/documents/ertms?s=x&n=-1",
        "/documents/ertms?n=1",
    ):
        assert client.get(url).status_code == 200
    assert len(opened(rkb)) == 2


def test_the_log_keeps_no_user_no_address_and_no_session(app, rkb):
    client = log_in(app.test_client(), "redaktor")
    client.get("/?q=signalsystemet", headers=SV, environ_base={"REMOTE_ADDR": "203.0.113.7"})
    client.get("/?q=folkbokföring&type=investments&outcome=lyckad", headers=SV)
    with client.session_transaction() as session:
        secrets = {str(v) for v in session.values()}
    cookie = client.get_cookie("session").value
    stored = json.dumps([logged(rkb), opened(rkb)], ensure_ascii=False)
    assert {row["query"] for row in logged(rkb)} == {"signalsystemet", "folkbokföring"}
    assert set(logged(rkb)[0]) == {"id", "at", "query", "filters", "result_type", "results"}
    for private in ("redaktor", "203.0.113.7", "127.0.0.1", cookie, *secrets):
        assert private not in stored, private
    assert json.loads(logged(rkb)[0]["filters"]) in ({}, {"outcome": ["lyckad"]})


def test_active_search_counts_one_search_as_the_reader_types(app, rkb):
    client = app.test_client()
    typing = {**SV, "HX-Request": "true", "HX-Trigger": "q"}
    for text in ("sign", "signalsys", "signalsystemet"):
        client.get(f"/?q={text}", headers=typing)
    client.get("/?q=signalsystemet&agency=Trafikverket", headers=typing)  # a facet ticked
    client.get("/?q=signalsystemet&page=2", headers=SV)  # a further page is the same search
    client.get("/?q=budget", headers=SV)  # a new search, by a full page
    rows = logged(rkb)
    assert [r["query"] for r in rows] == ["signalsystemet", "budget"]
    assert json.loads(rows[0]["filters"]) == {"agency": ["Trafikverket"]}


def test_old_searches_are_purged_after_the_retention(rkb, tmp_path):
    app = make_app(rkb, search_log_days=30)
    client = app.test_client()
    client.get("/?q=signalsystemet", headers=SV)
    db = sqlite3.connect(rkb.config.catalog_path)
    old = (datetime.now(UTC) - timedelta(days=31)).isoformat(timespec="seconds")
    with db:
        db.execute(
            "INSERT INTO search_log VALUES ('gammal', ?, 'förra månaden', '{}', 'documents', 0)",
            (old,),
        )
    db.close()
    assert "förra månaden" in [r["query"] for r in logged(rkb)]
    client.get("/?q=budget", headers=SV)
    assert [r["query"] for r in logged(rkb)] == ["signalsystemet", "budget"]
    assert load_config(env={}).search_log_days == 90


def test_with_the_log_off_nothing_is_stored_and_links_go_straight_to_documents(rkb):
    config = load_config(env={"KB_SEARCH_LOG": "false"})
    assert config.search_log is False
    app = make_app(rkb, search_log=False)
    html = app.test_client().get("/?q=signalsystemet", headers=SV).get_data(as_text=True)
    assert "/sok/oppnad" not in html and 'href="/documents/ertms?chunk=' in html
    assert logged(rkb) == []


def test_a_search_answers_while_the_log_cannot_be_written(rkb):
    app = make_app(rkb)
    client = app.test_client()
    client.get("/?q=signalsystemet", headers=SV)  # the model warm
    holder = sqlite3.connect(rkb.config.catalog_path, timeout=1)
    holder.execute("BEGIN IMMEDIATE")
    try:
        response = client.get("/?q=budget", headers=SV)
        assert response.status_code == 200
        assert 'href="/documents/' in response.get_data(as_text=True)  # no click-through id
    finally:
        holder.rollback()
        holder.close()
    assert [r["query"] for r in logged(rkb)] == ["signalsystemet"]


def test_kb_stats_searches_prints_the_weeks_lists(app, rkb, monkeypatch, capsys):
    from cli.main import main

    client = app.test_client()
    client.get("/?q=" + NOTHING, headers=SV)
    client.get("/?q=signalsystemet", headers=SV)
    client.get("/?q=Signalsystemet", headers=SV)
    monkeypatch.setenv("KB_CACHE_DIR", str(rkb.config.cache_dir))
    monkeypatch.setenv("KB_DATA_DIR", str(rkb.config.data_dir))
    monkeypatch.setenv("KB_THEMES_FILE", str(rkb.config.themes_file))
    assert main(["stats", "--searches", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    (week,) = out["weeks"]
    assert out["days"] == 90 and week["searches"] == 3
    assert week["frequent"][0] == {"query": "signalsystemet", "count": 2}
    assert week["no_results"] == [{"query": NOTHING, "count": 1}]
    assert {"query": "signalsystemet", "count": 2} in week["never_opened"]
    assert main(["stats", "--searches"]) == 0
    text = capsys.readouterr().out
    assert "no results:" in text and NOTHING in text and week["week"] in text

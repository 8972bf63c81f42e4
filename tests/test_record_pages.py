"""The record pages (issue 14): Investeringar, an investment, Myndighet, Tema, Jämför, search by
record type, Beskriv's records and brief, Översikt – each with its JSON twin, over a knowledge
base with a few records made here (tests/test_records.py's documents and records)."""

# ruff: noqa: F811 - the fixtures imported below are pytest's, named again as arguments

from __future__ import annotations

import re

import pytest

from ingest.pipeline import ingest
from kb.records.importer import import_records
from tests.test_api import check
from tests.test_records import (  # noqa: F401
    COST_QUOTE,
    FILLER,
    TRAINING_QUOTE,
    document,
    folder,
    records,
    rkb,
    write_yaml,
)
from web import create_app

SECOND = {
    "id": "skatteverket-folkbokforing",
    "name": "Ny folkbokföring <script>alert(1)</script>",
    "agency": "Skatteverket",
    "description": "Ett nytt system för folkbokföringen med digitala flyttanmälningar.",
    "start_year": 2015,
    "end_year": 2019,
    "phase": "avslutad",
    "outcome": "lyckad",
    "documents": [{"document": "svar", "role": "uppföljning"}],
}
WENT_WELL = {
    "id": "folkbokforing-budget-holl",
    "text": "Budgeten höll tack vare en kalkyl i intervall.",
    "polarity": "gick bra",
    "themes": ["kostnadskalkyl-och-budget"],
    "investment": "skatteverket-folkbokforing",
    "evidence": [{"document": "ertms", "quote": TRAINING_QUOTE}],
}


def with_second(**changes) -> dict:
    data = records(**changes)
    data["investments"].append(SECOND)
    data["lessons"].append(WENT_WELL)
    return data


@pytest.fixture
def client(rkb, tmp_path):
    import_records(rkb, write_yaml(tmp_path, with_second()))
    app = create_app({"TESTING": True}, kb_config=rkb.config, embedder=rkb.embedder)
    return app.test_client()


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url, headers={"Accept-Language": "sv"})
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def section(html: str, heading_id: str) -> str:
    """The <section> labelled by the heading with this id."""
    start = html.index(f'aria-labelledby="{heading_id}"')
    return html[start : html.index("</section>", start)]


# Investering ---------------------------------------------------------------------------------
def test_the_investment_page_cites_its_cost_and_groups_lessons_by_theme(client):
    html = page(client, "/investeringar/trafikverket-ertms")
    facts = section(html, "facts-heading")
    assert "1\xa0170 mnkr" in facts
    # the estimate's evidence links to its passage on the document page
    assert re.search(r'href="/documents/ertms\?chunk=0#chunk-0">ERTMS-granskningen', facts)
    assert "Senaste prognos" in facts and "3\xa0300 mnkr" in facts
    lessons = section(html, "lessons-heading")
    assert lessons.index("Kostnadskalkyl och budget") < lessons.index("Styrning och ledning")
    assert "underskattades kraftigt" in lessons and 'href="/teman/styrning-och-ledning"' in lessons
    assert COST_QUOTE in lessons
    recommendations = section(html, "recommendations-heading")
    assert "Ta fram en strategi" in recommendations and "följd" in recommendations
    assert "granskning" in section(html, "timeline-heading")
    similar = section(html, "similar-investments-heading")
    assert "/investeringar/skatteverket-folkbokforing" in similar


def test_the_investment_json_twin_has_the_page_data(client):
    detail = check(client.get("/api/investments/trafikverket-ertms"))
    assert detail["cited_costs"]["estimated_cost"]["url"] == "/documents/ertms?chunk=0#chunk-0"
    assert detail["follow_up_status"] == {"rir-strategi": "följd"}
    assert [t["theme"]["id"] for t in detail["lessons_by_theme"]] == [
        "kostnadskalkyl-och-budget",
        "styrning-och-ledning",
    ]
    assert detail["similar"][0]["investment"]["id"] == "skatteverket-folkbokforing"
    assert detail["timeline"][0]["role"] == "granskning"


def test_flagged_evidence_is_shown_as_needing_review(client, rkb, folder):
    (folder / "ertms.md").write_text(document(COST_QUOTE, TRAINING_QUOTE, *FILLER), "utf-8")
    assert len(ingest(rkb, [folder]).updated) == 1  # the steering quote is gone
    html = page(client, "/investeringar/trafikverket-ertms")
    steering = section(html, "lessons-heading").split("Styrning och ledning")[1]
    assert "behöver granskas" in steering
    assert "behöver granskas" not in section(html, "facts-heading")


def test_the_investment_list_filters_escapes_and_offers_compare(client):
    html = page(client, "/investeringar/")
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count('type="checkbox" name="id"') == 2
    assert 'action="/jamfor"' in html
    only = page(client, "/investeringar/?outcome=lyckad")
    assert "skatteverket-folkbokforing" in only and "/investeringar/trafikverket-ertms" not in only
    assert [i["id"] for i in check(client.get("/api/investments?phase=pågående"))] == [
        "trafikverket-ertms"
    ]
    assert page(client, "/investeringar/nej", 404)


# Myndighet -----------------------------------------------------------------------------------
def test_the_agency_page_lists_investments_documents_and_recommendations(client):
    html = page(client, "/myndigheter/Trafikverket")
    assert "/investeringar/trafikverket-ertms" in section(html, "investments-heading")
    received = section(html, "received-heading")
    assert "Ta fram en strategi" in received and "följd" in received
    assert "2008" in section(html, "timeline-heading")  # the investment's start
    assert "/documents/ertms" in section(html, "documents-heading")
    agencies = {a["name"]: a for a in check(client.get("/api/agencies"))}
    assert agencies["Trafikverket"] == {"name": "Trafikverket", "investments": 1, "documents": 2}
    one = check(client.get("/api/agencies/Trafikverket"))
    assert [r["status"] for r in one["recommendations"]] == ["följd"]
    assert check(client.get("/api/agencies/Ingen"), 404)["code"] == "no_agency"


# Tema ----------------------------------------------------------------------------------------
def test_the_theme_page_sets_went_well_beside_went_badly(client):
    html = page(client, "/teman/kostnadskalkyl-och-budget")
    assert "Budgeten höll" in section(html, "well-heading")
    assert "underskattades kraftigt" in section(html, "badly-heading")
    assert "Budgeten höll" not in section(html, "badly-heading")
    affected = section(html, "affected-heading")
    assert "trafikverket-ertms" in affected and "skatteverket-folkbokforing" in affected
    listing = page(client, "/teman/")
    assert "/teman/styrning-och-ledning" in listing and "1 lärdom" in listing
    theme = check(client.get("/api/themes/kostnadskalkyl-och-budget"))
    assert [x["id"] for x in theme["went_well"]] == ["folkbokforing-budget-holl"]
    assert check(client.get("/api/themes/vaderlek"), 404)["code"] == "no_theme"


# Jämför --------------------------------------------------------------------------------------
def test_compare_sets_investments_side_by_side_point_by_point(client):
    html = page(client, "/jamfor?id=trafikverket-ertms&id=skatteverket-folkbokforing")
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(r'<th scope="row">([^<]+)</th>(.*?)</tr>', html, re.S)
    }
    assert re.findall(r"<td>([^<]+)</td>", rows["Myndighet"]) == ["Trafikverket", "Skatteverket"]
    assert re.findall(r"<td>([^<]+)</td>", rows["Utfall"]) == ["delvis lyckad", "lyckad"]
    assert re.findall(r"<td>(\d+)</td>", rows["Lärdomar: Kostnadskalkyl och budget"]) == ["1", "1"]
    assert re.findall(r"<td>([^<]+)</td>", rows["Följda rekommendationer"]) == ["1 av 1", "0 av 0"]
    data = check(client.get("/api/compare?id=trafikverket-ertms&id=skatteverket-folkbokforing"))
    assert [i["recommendations_followed"] for i in data["investments"]] == [1, 0]
    assert page(client, "/jamfor?id=trafikverket-ertms", 400)
    assert (
        check(client.get("/api/compare?id=a&id=b&id=c&id=d&id=e"), 400)["code"] == "compare_count"
    )


# Search: the result type switch and the records' facets ------------------------------------
def test_search_switches_to_lessons_with_theme_and_outcome_facets(client):
    html = page(client, "/?q=kostnaderna+blev+mycket+högre+än+kalkylen&type=lessons")
    assert 'name="type" value="lessons" checked' in html
    hits = html[html.index('id="hits-heading"') :]
    assert hits.index("underskattades kraftigt") < hits.index("</ol>")
    assert 'href="/documents/ertms?chunk=0#chunk-0"' in hits  # the evidence, linked
    assert re.search(r'name="theme" value="kostnadskalkyl-och-budget"> Kostnadskalkyl', html)
    assert 'name="outcome" value="delvis lyckad"' in html
    narrowed = page(client, "/?q=kostnaderna+blev+högre&type=lessons&outcome=lyckad")
    narrowed = narrowed[narrowed.index('id="hits-heading"') :]
    assert "Budgeten höll" in narrowed and "underskattades kraftigt" not in narrowed
    data = check(
        client.get("/api/search?q=kostnaderna+blev+högre&type=lessons&theme=styrning-och-ledning")
    )
    assert data["type"] == "lessons"
    assert [h["lesson"]["id"] for h in data["hits"]] == ["ertms-svag-styrning"]
    theme_facet = {f["value"]: f["count"] for f in data["facets"]["theme"]}
    assert theme_facet["kostnadskalkyl-och-budget"] >= 1


def test_search_switches_to_investments_by_their_description(client):
    html = page(client, "/?q=flyttanmälan+och+folkbokföring&type=investments")
    hits = html[html.index('id="hits-heading"') :]
    assert hits.index("/investeringar/skatteverket-folkbokforing") < hits.index(
        "/investeringar/trafikverket-ertms"
    )
    assert "&lt;script&gt;" in hits and "<script>alert" not in hits
    data = check(client.get("/api/search?q=signalsystem+för+järnvägen&type=investments"))
    assert data["hits"][0]["investment"]["id"] == "trafikverket-ertms"
    only = check(client.get("/api/search?q=signalsystem&type=investments&outcome=lyckad"))
    assert [h["investment"]["id"] for h in only["hits"]] == ["skatteverket-folkbokforing"]
    assert check(client.get("/api/search?q=x&type=personer"), 400)["code"] == "unknown_result_type"
    assert "also_searched" in check(client.get("/api/search?q=signalsystem&type=documents"))


# Beskriv din investering and the brief -------------------------------------------------------
DESCRIBED = "Vi ska bygga ett nytt signalsystem för järnvägen och vill inte att kalkylen spricker."


def test_describe_shows_similar_investments_lessons_by_theme_and_recommendations(client):
    html = page(client, "/describe/?text=" + DESCRIBED)
    similar = section(html, "similar-investments-heading")
    assert similar.index("/investeringar/trafikverket-ertms") < similar.index(
        "/investeringar/skatteverket-folkbokforing"
    )
    lessons = section(html, "relevant-lessons-heading")
    assert "Kostnadskalkyl och budget" in lessons and "underskattades kraftigt" in lessons
    assert "/documents/ertms?chunk=0#chunk-0" in lessons
    assert "Ta fram en strategi" in section(html, "given-heading")
    assert 'href="/beskriv/brief?text=' in html and 'href="/beskriv/brief.docx?text=' in html


def test_the_brief_cites_every_item_in_print_docx_and_json(client):
    import io

    import docx

    html = page(client, "/beskriv/brief?text=" + DESCRIBED)
    assert "Erfarenheter inför en planerad investering" in html
    assert "http://localhost/documents/ertms?chunk=0#chunk-0" in html  # a full address
    response = client.get("/beskriv/brief.docx?text=" + DESCRIBED)
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(response.data)).paragraphs)
    assert "underskattades kraftigt" in text and COST_QUOTE in text
    assert "Källa: ERTMS-granskningen" in text
    assert "http://localhost/documents/ertms?chunk=0#chunk-0" in text
    data = check(client.get("/api/brief?text=" + DESCRIBED))
    assert data["investments"][0]["investment"]["id"] == "trafikverket-ertms"
    cited = [c for t in data["lessons_by_theme"] for x in t["lessons"] for c in x["cited"]]
    assert cited and all(c["title"] and c["url"] for c in cited)
    assert [r["id"] for r in data["recommendations"]] == ["rir-strategi"]
    assert check(client.get("/api/brief?text=+"), 400)["code"] == "description_empty"


# Översikt ------------------------------------------------------------------------------------
def test_the_overview_draws_svg_charts_with_the_same_data_as_tables(client):
    html = page(client, "/oversikt")
    main = html[html.index("<main") : html.index("</main>")]
    assert main.count('<svg class="chart" role="img"') == 3 and "<script" not in main
    per_agency = section(html, "per-agency-heading")
    assert re.search(r">2008</th>.*>2015</th>", per_agency, re.S)
    assert re.search(r"Trafikverket</a></th><td>1</td><td>0</td><td>1</td>", per_agency)
    per_theme = section(html, "per-theme-heading")
    assert re.search(r"Kostnadskalkyl och budget</a></th><td>1</td><td>1</td><td>0</td>", per_theme)
    costs = section(html, "costs-heading")
    assert "<rect" in costs and re.search(r"<td>1\xa0170</td><td>3\xa0300 \(prognos\)</td>", costs)
    data = check(client.get("/api/overview"))
    assert data["estimate_vs_outcome"] == [
        {
            "investment": "trafikverket-ertms",
            "name": "ERTMS – nytt signalsystem för järnvägen",
            "estimated_msek": 1170.0,
            "actual_msek": 3300.0,
            "actual_kind": "prognos",
        }
    ]
    themes = {t["theme"]: t for t in data["lessons_per_theme"]}
    assert themes["kostnadskalkyl-och-budget"]["gick bra"] == 1
    assert {"agency": "Skatteverket", "year": 2015, "investments": 1} in data[
        "investments_per_agency_and_year"
    ]

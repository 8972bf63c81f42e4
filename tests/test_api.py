"""The JSON API, with every real response validated against the OpenAPI description."""

from __future__ import annotations

import io
import re

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import csrf
from web.openapi import SPEC


def check(response, status: int = 200):
    """Validate a real response against the schema the spec promises for it."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    path = _spec_path(response.request.path)
    method = response.request.method.lower()
    operation = SPEC["paths"][path][method]
    content = operation["responses"][str(status)]["content"]["application/json"]["schema"]
    schema = {**content, "components": SPEC["components"]}
    Draft202012Validator(schema).validate(response.get_json())
    return response.get_json()


def _spec_path(path: str) -> str:
    for template in SPEC["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"{path} is not in the OpenAPI description")


@pytest.fixture(scope="module")
def api(corpus_app):
    return corpus_app.test_client()


def test_every_api_route_is_documented(corpus_app):
    rules = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule)
        for r in corpus_app.url_map.iter_rules()
        if r.rule.startswith("/api/") and r.rule != "/api/openapi.json"
    }
    assert rules == set(SPEC["paths"])


def test_the_description_is_openapi_3_with_valid_schemas(api):
    served = api.get("/api/openapi.json").get_json()
    assert served["openapi"].startswith("3.") and served == SPEC
    for schema in SPEC["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)


def test_health(api):
    assert check(api.get("/api/health"))["documents"] >= 30


def test_search_with_the_pages_query_string(api):
    body = check(
        api.get(
            "/api/search?q=signalsystem&agency=Trafikverket&kind=report"
            "&from=2018&to=2018&mode=hybrid&page=1"
        )
    )
    assert body["total"] >= 1 and all(r["agency"] == "Trafikverket" for r in body["results"])
    # the agency facet counts as if no agency were ticked (the others can be added)
    agencies = {f["value"]: f["count"] for f in body["facets"]["agency"]}
    assert agencies["Trafikverket"] == body["total"]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/search", "empty"),
        ("/api/search?q=x&agency=Okänd", "unknown agency"),
        ("/api/search?q=x&mode=fuzzy", "unknown mode"),
        ("/api/search?q=x&sort=date", "unknown parameter"),
        ("/api/search?q=x&page=-1", "whole number"),
    ],
)
def test_bad_searches_are_json_errors(api, url, message):
    body = check(api.get(url), 400)
    assert message in body["error"]


def test_documents_and_one_document(api):
    docs = check(api.get("/api/documents"))
    assert len(docs) >= 30
    doc = check(api.get(f"/api/documents/{docs[0]['id']}"))
    assert doc["text"] and doc["chunks"]
    check(api.get("/api/documents/finns-inte"), 404)


def test_documents_are_filtered_by_kind_and_agency(api):
    everything = check(api.get("/api/documents"))
    reports = check(api.get("/api/documents?kind=report"))
    assert reports and len(reports) < len(everything)
    assert all(d["kind"] == "report" for d in reports)
    trafikverket = check(api.get("/api/documents?agency=Trafikverket"))
    assert trafikverket and all(d["agency"] == "Trafikverket" for d in trafikverket)
    both = check(api.get("/api/documents?agency=Trafikverket&kind=report"))
    assert both and {d["id"] for d in both} == {d["id"] for d in reports} & {
        d["id"] for d in trafikverket
    }


def test_documents_are_sorted_by_title_or_newest_date_first(api):
    by_title = check(api.get("/api/documents?sort=title"))
    assert [d["title"].lower() for d in by_title] == sorted(d["title"].lower() for d in by_title)
    assert by_title == check(api.get("/api/documents"))  # title is the default
    dates = [d["date"] or "" for d in check(api.get("/api/documents?sort=date"))]
    assert dates == sorted(dates, reverse=True) and dates[0] > dates[-1]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("/api/documents?sort=size", "unknown sort"),
        ("/api/documents?kind=memo", "unknown kind"),
        ("/api/documents?agency=Okänd", "unknown agency"),
        ("/api/documents?q=ertms", "unknown parameter"),
    ],
)
def test_bad_document_lists_are_json_errors(api, url, message):
    assert message in check(api.get(url), 400)["error"]


@pytest.mark.parametrize(
    "query", ["", "?sort=date", "?kind=report&sort=agency", "?agency=Trafikverket&sort=updated"]
)
def test_the_list_page_and_the_api_list_the_same_documents_in_order(api, query):
    html = api.get("/documents/" + query).get_data(as_text=True)
    on_page = re.findall(r'<tr>\s*<td><a href="/documents/([^"?#]+)">', html)
    assert on_page == [d["id"] for d in check(api.get("/api/documents" + query))]


def test_the_search_page_shows_the_hits_the_api_answers(api):
    query = "?q=signalsystem+kostnader&kind=report&page=1"
    html = api.get("/" + query).get_data(as_text=True)
    on_page = re.findall(r'<li class="hit">\s*<h3><a href="/documents/([^"?#]+)', html)
    body = check(api.get("/api/search" + query))
    assert on_page and on_page == [h["doc_id"] for h in body["results"]]


def test_the_describe_page_shows_the_cases_the_api_answers(api):
    text = "Nytt ärendestöd för brottsutredningar och beslag på Tullverket"
    html = api.post("/describe/", data={"text": text, "csrf_token": csrf(api)}).get_data(
        as_text=True
    )
    on_page = re.findall(r'<li class="hit">\s*<h3><a href="/documents/([^"?#]+)', html)
    cases = check(api.post("/api/similar", json={"text": text, "limit": 8}))
    assert on_page and on_page == [c["doc_id"] for c in cases]


def test_similar_documents_and_similar_text(api):
    hits = check(api.get("/api/documents/ertms-granskning-riksrevisionen/similar?limit=3"))
    assert len(hits) == 3
    text = "Nytt ärendestöd för brottsutredningar och beslag på Tullverket"
    cases = check(api.post("/api/similar", json={"text": text, "limit": 5}))
    assert cases and any(c["recommendations"] for c in cases)
    assert "text" in check(api.post("/api/similar", json={"txt": "x"}), 400)["error"]
    check(api.post("/api/similar", data="inte json", content_type="application/json"), 400)


def test_writes_upload_patch_delete(client, editor_token):
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {editor_token}"
    upload = client.post(
        "/api/documents?wait=1",
        data={
            "files": [(io.BytesIO(b"# Rapport\n\nOm beslag och tull."), "rapport.md")],
            "kind": "report",
            "agency": "Tullverket",
        },
        content_type="multipart/form-data",
    )
    job = check(upload)
    assert job["files"][0]["outcome"] == "added"
    assert check(client.get(f"/api/jobs/{job['id']}"))["status"] == "done"
    patched = check(client.patch("/api/documents/rapport", json={"title": "Ny", "tags": ["x"]}))
    assert patched["title"] == "Ny" and patched["tags"] == ["x"]
    assert (
        "kind" in check(client.patch("/api/documents/rapport", json={"kind": "memo"}), 400)["error"]
    )
    check(client.patch("/api/documents/rapport", json={"owner": "me"}), 400)
    check(client.patch("/api/documents/rapport", json={"tags": "inte en lista"}), 400)
    assert client.delete("/api/documents/rapport").status_code == 200
    check(client.delete("/api/documents/rapport"), 404)
    check(client.post("/api/documents", data={}, content_type="multipart/form-data"), 400)
    check(client.get("/api/jobs/finns-inte"), 404)


def test_writes_without_a_token_are_refused(client):
    body = check(client.delete("/api/documents/x"), 401)
    assert body["error"]


def test_edits_wait_briefly_for_a_writer_then_say_busy(app, client, editor_token):
    from kb.storage.locking import write_lock

    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {editor_token}"
    check(
        client.post(
            "/api/documents?wait=1",
            data={"files": [(io.BytesIO(b"# Beslag\n\nOm beslag och tull."), "beslag.md")]},
            content_type="multipart/form-data",
        )
    )
    app.config["WRITE_WAIT_SECONDS"] = 0.3
    with write_lock(app.config["KB_CONFIG"].data_dir):  # as a long `kb reindex` would
        busy = check(client.delete("/api/documents/beslag"), 503)
        assert "busy" in busy["error"]
        check(client.patch("/api/documents/beslag", json={"title": "Ny"}), 503)
    assert check(client.get("/api/documents/beslag"))["title"] != "Ny"  # nothing half-done
    assert client.delete("/api/documents/beslag").status_code == 200


def test_searches_answer_while_an_upload_is_ingesting(app, client, editor_token):
    from kb.operations.consistency import check as check_store
    from tests.hostile import SV

    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {editor_token}"
    check(
        client.post(
            "/api/documents?wait=1",
            data={
                "files": [
                    (
                        io.BytesIO(b"# Grund\n\nBeslag och tullkontroller vid gr\xc3\xa4nsen."),
                        "grund.md",
                    )
                ]
            },
            content_type="multipart/form-data",
        )
    )
    files = [(io.BytesIO(f"# Del {i}\n\n{SV * 40}".encode()), f"del-{i}.md") for i in range(6)]
    job = check(
        client.post("/api/documents", data={"files": files}, content_type="multipart/form-data"),
        202,
    )
    answered_while_running = 0
    while True:
        state = check(client.get(f"/api/jobs/{job['id']}"))
        if state["status"] not in ("queued", "running"):
            break
        found = check(client.get("/api/search?q=tullkontroller&mode=dense"))
        assert found["results"][0]["doc_id"] == "grund"
        answered_while_running += 1
    assert state["status"] == "done" and {f["outcome"] for f in state["files"]} == {"added"}
    assert answered_while_running >= 3
    kb = app.extensions["kb"]["model"].open_kb()
    try:
        assert check_store(kb).clean and len(kb.catalog.documents()) == 7
    finally:
        kb.close()

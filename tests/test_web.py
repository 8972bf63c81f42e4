"""The web pages through Flask's test client: full pages, htmx fragments, uploads, escaping."""

from __future__ import annotations

import re

import pytest

from tests.conftest import api_with_session, csrf
from tests.files import make_pdf


@pytest.fixture(scope="module")
def reader(corpus_app):
    return corpus_app.test_client()


PAGES = [
    "/",
    "/?q=signalsystem",
    "/describe/",
    "/login",
    "/documents/",
    "/documents/ertms-granskning-riksrevisionen",
]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_is_swedish_with_skip_link_and_no_inline_script(reader, url):
    response = reader.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="sv">' in html and 'href="#main"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # only external scripts
    assert "HX-Request" in response.headers.get("Vary", "")


def test_search_page_shows_grouped_highlighted_results_and_facets(reader):
    html = reader.get("/?q=ramavtal+signalsystem").get_data(as_text=True)
    assert "Nytt signalsystem för järnvägen" in html
    assert "<mark>" in html and 'name="agency"' in html and "Trafikverket" in html
    assert re.search(r"Sida \d", html)  # page numbers of PDF passages


def test_htmx_gets_the_fragment_and_history_restore_the_page(reader):
    fragment = reader.get("/?q=ERTMS", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "results-layout" in fragment
    restore = reader.get(
        "/?q=ERTMS", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.get_data(as_text=True)


def test_year_facet_links_narrow_to_that_year(reader):
    html = reader.get("/?q=kostnader").get_data(as_text=True)
    years = re.findall(r'class="year-facet".*?</ul>', html, re.S)[0]
    assert "from=2018&amp;to=2018" in years and re.search(r"2018</a> <span class=\"count\">", years)
    narrowed = reader.get("/?q=kostnader&from=2018&to=2018").get_data(as_text=True)
    assert all(" · 2018" in m for m in re.findall(r'<p class="meta">(.*?)</p>', narrowed))


def test_facets_narrow_the_results(reader):
    html = reader.get("/?q=kostnader&agency=Trafikverket&kind=report").get_data(as_text=True)
    hits = re.findall(r'<li class="hit">.*?<p class="meta">(.*?)</p>', html, re.S)
    assert hits and all("Trafikverket" in h and "Rapport" in h for h in hits)
    assert re.search(r'value="Trafikverket" checked', html)


def test_bad_search_input_is_a_readable_error_not_a_crash(reader):
    for url in (
        "/?q=x&agency=Finns+inte",
        "/?q=x&from=igår",
        "/?q=x&page=99999999",
    ):
        response = reader.get(url)
        assert response.status_code == 400
        assert 'role="alert"' in response.get_data(as_text=True)


def test_document_page_deep_link_highlights_the_passage(reader, corpus_kb):
    seq = next(
        c.seq
        for c in corpus_kb.catalog.chunks("ertms-granskning-riksrevisionen")
        if "ramavtal" in c.text.lower()
    )
    html = reader.get(
        f"/documents/ertms-granskning-riksrevisionen?chunk={seq}&q=ramavtal"
    ).get_data(as_text=True)
    assert f'id="chunk-{seq}"' in html and 'class="focus"' in html
    assert "<mark>Ramavtal</mark>" in html or "<mark>ramavtal</mark>" in html
    assert "#page=" in html and "Liknande dokument" in html
    assert 'class="page-marker"' in html


def test_original_pdf_is_served_with_its_type(reader):
    response = reader.get("/documents/ertms-granskning-riksrevisionen/original")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_unknown_document_is_a_404_page(reader):
    response = reader.get("/documents/finns-inte")
    assert response.status_code == 404 and "Hittades inte" in response.get_data(as_text=True)


def test_describe_finds_similar_cases_with_recommendations(reader):
    text = (
        "Vi ska ersätta vårt system för brottsutredningar och beslag. Kostnaden beräknas "
        "till 80 miljoner kronor och uppgifterna ska gå digitalt till åklagare."
    )
    html = reader.post("/describe/", data={"text": text, "csrf_token": csrf(reader)}).get_data(
        as_text=True
    )
    assert "Liknande tidigare fall" in html and "Tullverket" in html
    assert "Rekommenderat till Tullverket" in html


def test_upload_ingests_in_the_background_and_the_document_is_found(app, editor, tmp_path):
    client = editor
    pdf = make_pdf(
        tmp_path / "Nytt ärendestöd.pdf",
        ["Kommunen byggde ett nytt ärendestöd för bygglov.", "Nyttorna mättes."],
    )
    with pdf.open("rb") as f:
        response = client.post(
            "/upload/",
            data={
                "files": [(f, pdf.name)],
                "kind": "case",
                "csrf_token": csrf(client),
                "agency": "Lantmäteriet",
                "tags": "bygglov",
            },
            content_type="multipart/form-data",
        )
    assert response.status_code == 303
    job_url = response.headers["Location"]
    job_id = job_url.rstrip("/").rsplit("/", 1)[-1]
    jobs = app.extensions["kb"]["jobs"]
    assert jobs.wait(jobs.get(job_id)).status == "done"
    page = client.get(job_url).get_data(as_text=True)
    assert "Tillagd" in page and "hx-trigger" not in page  # finished: no more polling
    results = client.get("/api/search?q=bygglov+ärendestöd").get_json()
    hit = results["results"][0]
    assert (hit["doc_id"], hit["agency"], hit["kind"]) == (
        "nytt-arendestod",
        "Lantmäteriet",
        "case",
    )
    originals = app.config["KB_CONFIG"].data_dir / "originals"
    assert any(p.name == "Nytt ärendestöd.pdf" for p in originals.rglob("*.pdf"))


def test_uploading_the_same_file_again_updates_instead_of_duplicating(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    for text in ("Första versionen om beslag.", "Andra versionen om beslag och tull."):
        path = tmp_path / "rapport.txt"
        path.write_text(text, encoding="utf-8")
        with path.open("rb") as f:
            job = client.post(
                "/api/documents?wait=1",
                data={"files": [(f, "rapport.txt")]},
                content_type="multipart/form-data",
            ).get_json()
        assert job["status"] == "done"
    docs = client.get("/api/documents").get_json()
    assert [d["id"] for d in docs] == ["rapport"]
    assert "Andra versionen" in client.get("/api/documents/rapport").get_json()["text"]


def test_a_bad_upload_reports_why_and_keeps_the_others(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    good = tmp_path / "bra.md"
    good.write_text("# Bra\n\nEtt dokument om nyttorealisering.", encoding="utf-8")
    with good.open("rb") as g:
        job = client.post(
            "/api/documents?wait=1",
            data={
                "files": [
                    (g, "bra.md"),
                    (__import__("io").BytesIO(b"%PDF-1.4 trasig"), "trasig.pdf"),
                    (__import__("io").BytesIO(b"\x89PNG\r\n\x1a\n" + b"\0" * 64), "bild.txt"),
                ]
            },
            content_type="multipart/form-data",
        ).get_json()
    outcomes = {f["name"]: (f["outcome"], f["reason"]) for f in job["files"]}
    assert outcomes["bra.md"][0] == "added"
    assert outcomes["trasig.pdf"][0] == "failed" and "PDF" in outcomes["trasig.pdf"][1]
    assert outcomes["bild.txt"][0] == "failed" and "PNG" in outcomes["bild.txt"][1]


def test_document_text_is_escaped_everywhere(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    evil = tmp_path / "evil.md"
    evil.write_text(
        '# <script>alert("x")</script> Elak rubrik\n\n'
        "Text med <img src=x onerror=alert(1)> och <b>fet</b> beslagshantering.\n",
        encoding="utf-8",
    )
    with evil.open("rb") as f:
        client.post(
            "/api/documents?wait=1",
            data={"files": [(f, "evil.md")]},
            content_type="multipart/form-data",
        )
    for url in ("/documents/evil", "/?q=beslagshantering", "/documents/"):
        html = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html or "&lt;img" in html


def test_edit_delete_and_reingest(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    path = tmp_path / "notis.txt"
    path.write_text("En notis om digitala tjänster.", encoding="utf-8")
    with path.open("rb") as f:
        client.post(
            "/api/documents?wait=1",
            data={"files": [(f, "notis.txt")]},
            content_type="multipart/form-data",
        )
    token = csrf(client)
    response = client.post(
        "/documents/notis/edit",
        data={
            "title": "Ny titel",
            "kind": "news",
            "agency": "DIGG",
            "date": "2020-01",
            "tags": "a, b",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303
    doc = client.get("/api/documents/notis").get_json()
    assert (doc["title"], doc["kind"], doc["agency"], doc["tags"]) == (
        "Ny titel",
        "news",
        "DIGG",
        ["a", "b"],
    )
    bad = client.post(
        "/documents/notis/edit", data={"title": "x", "kind": "memo", "csrf_token": token}
    )
    assert bad.status_code == 400 and "kind" in bad.get_data(as_text=True)
    again = client.post("/documents/notis/reingest", data={"csrf_token": token})
    assert again.status_code == 303 and "/upload/jobs/" in again.headers["Location"]
    assert client.post("/documents/notis/delete", data={"csrf_token": token}).status_code == 303
    assert client.get("/api/documents/notis").status_code == 404


def test_readers_cannot_change_anything(client):
    assert client.get("/").status_code == 200  # reading needs no account
    pages = [
        ("get", "/upload/"),
        ("post", "/upload/"),
        ("post", "/documents/x/delete"),
        ("get", "/documents/x/edit"),
        ("post", "/documents/x/reingest"),
    ]
    token = {"csrf_token": csrf(client)}
    for method, url in pages:
        response = getattr(client, method)(url, data=token if method == "post" else None)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    for method, url in [
        ("post", "/api/documents"),
        ("patch", "/api/documents/x"),
        ("delete", "/api/documents/x"),
        ("get", "/api/jobs/x"),
    ]:
        response = getattr(client, method)(url, headers={"Authorization": "Bearer kb_wrong"})
        assert response.status_code == 401 and response.get_json()["error"]


def test_login_rejects_wrong_passwords_and_unsafe_redirects(client, editor_token):
    token = csrf(client)
    bad = client.post(
        "/login", data={"name": "redaktor", "password": "fel lösenord!", "csrf_token": token}
    )
    assert bad.status_code == 401 and "Fel namn eller lösenord" in bad.get_data(as_text=True)
    ok = client.post(
        "/login",
        data={
            "name": "redaktor",
            "password": "sekretariatet-2026",
            "next": "https://evil.example/",
            "csrf_token": token,
        },
    )
    assert ok.status_code == 303 and ok.headers["Location"] == "/"
    cookie = ok.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/upload/").status_code == 200
    client.post("/logout", data={"csrf_token": csrf(client)})
    assert client.get("/upload/").status_code == 302


def test_forms_without_the_csrf_token_are_refused(editor):
    response = editor.post("/documents/x/delete")
    assert response.status_code == 400 and "Formuläret har gått ut" in response.get_data(
        as_text=True
    )
    assert editor.post("/describe/", data={"text": "x", "csrf_token": "fel"}).status_code == 400


def test_security_headers_on_every_response(reader):
    for url in ("/", "/api/health", "/finns-inte"):
        headers = reader.get(url).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"


def test_login_attempts_are_rate_limited(client, editor_token):
    token = csrf(client)
    for _ in range(5):
        client.post(
            "/login", data={"name": "redaktor", "password": "fel-fel-fel", "csrf_token": token}
        )
    blocked = client.post(
        "/login", data={"name": "redaktor", "password": "sekretariatet-2026", "csrf_token": token}
    )
    assert blocked.status_code == 429 and "För många" in blocked.get_data(as_text=True)


def test_reading_can_require_login(config, embedder, editor_token):
    from web import create_app

    app = create_app(
        {"TESTING": True}, kb_config=config.with_(read_requires_login=True), embedder=embedder
    )
    client = app.test_client()
    assert client.get("/?q=x").status_code == 302
    assert client.get("/api/search?q=x").status_code == 401
    assert client.get("/api/health").status_code == 200
    client.post(
        "/login",
        data={"name": "redaktor", "password": "sekretariatet-2026", "csrf_token": csrf(client)},
    )
    assert client.get("/documents/").status_code == 200

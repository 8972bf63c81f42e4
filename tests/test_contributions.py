"""Dela en erfarenhet (issue 15, part 1): contributors submit experiences, editors publish, send
back or reject them; nothing is public before it is published. The real app, model and store
through Flask's test client."""

from __future__ import annotations

import io
import json
import re

import feedparser
import pytest

from cli.main import main
from ingest.pipeline import Ingester
from ingest.readers.base import ParsedFile, paragraphs
from kb.operations.consistency import check
from tests.conftest import EDITOR_PASSWORD, api_with_session, csrf
from tests.hostile import FILES, NAMES

PASSWORD = "bidragsgivare-2026"
WELL = "Vi delade upp upphandlingen av ärendesystemet i tre etapper med egna beslutspunkter."
BADLY = "Kostnaden för datamigreringen från kvarnstensregistret underskattades kraftigt."
ADVICE = "Låt verksamheten äga kravställningen från första dagen, inte bara it-avdelningen."
FORM = {
    "agency": "Lantmäteriet",
    "investment_name": "Nytt ärendesystem för fastighetsbildning",
    "went_well": WELL,
    "went_badly": BADLY,
    "advice": ADVICE,
}


def open_kb(app):
    return app.extensions["kb"]["model"].open_kb()


def add_user(app, name: str, role: str) -> None:
    knowledge_base = open_kb(app)
    knowledge_base.accounts.add(name, PASSWORD if role != "editor" else EDITOR_PASSWORD, role=role)
    knowledge_base.close()


def log_in(app, name: str, password: str = PASSWORD):
    client = app.test_client()
    response = client.post(
        "/login", data={"name": name, "password": password, "csrf_token": csrf(client)}
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    return client


@pytest.fixture
def contributor(app):
    add_user(app, "anna", "contributor")
    return log_in(app, "anna")


def submit(client, form=None, files=None, status: int = 303):
    data = {**(form or FORM), "csrf_token": csrf(client)}
    if files:
        data["attachments"] = [(io.BytesIO(body), name) for name, body in files]
    response = client.post("/dela/", data=data, content_type="multipart/form-data")
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    if status != 303:
        return response
    return int(re.search(r"/dela/(\d+)$", response.headers["Location"]).group(1))


def decide(client, contribution_id: int, action: str, **form):
    return client.post(
        f"/granska/bidrag/{contribution_id}/{action}", data={**form, "csrf_token": csrf(client)}
    )


def test_kb_user_add_contributor_and_the_list_shows_the_role(config, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        main(
            [
                "--data-dir",
                str(config.data_dir),
                "user",
                "add",
                "anna",
                "--contributor",
                "--password-stdin",
            ]
        )
        == 0
    )
    assert "role: contributor" in capsys.readouterr().out
    assert main(["--data-dir", str(config.data_dir), "user", "list"]) == 0
    assert re.search(r"anna\s+contributor", capsys.readouterr().out)


def test_a_contributor_submits_and_sees_only_their_own_with_its_status(app, contributor):
    page = contributor.get("/dela/")
    assert page.status_code == 200 and "Dela en erfarenhet" in page.get_data(as_text=True)
    contribution_id = submit(contributor)
    mine = contributor.get("/dela/mina").get_data(as_text=True)
    assert "Nytt ärendesystem för fastighetsbildning" in mine and "inskickad" in mine
    own = contributor.get(f"/dela/{contribution_id}").get_data(as_text=True)
    assert WELL in own and "inskickad" in own

    add_user(app, "bertil", "contributor")
    other = log_in(app, "bertil")
    assert other.get(f"/dela/{contribution_id}").status_code == 404
    assert "fastighetsbildning" not in other.get("/dela/mina").get_data(as_text=True)
    api_with_session(other)
    assert other.get("/api/contributions").get_json()["count"] == 0
    assert other.get(f"/api/contributions/{contribution_id}").status_code == 404


def test_nothing_is_public_before_an_editor_publishes_it(app, client, contributor, editor_token):
    contribution_id = submit(contributor)
    # anonymous readers: not in search, not in the document list, not at its address
    found = client.get("/api/search", query_string={"q": "kvarnstensregistret", "mode": "keyword"})
    assert found.get_json()["results"] == []
    assert client.get("/api/documents").get_json() == []
    assert "fastighetsbildning" not in client.get("/?q=kvarnstensregistret").get_data(as_text=True)
    assert client.get(f"/dela/{contribution_id}").status_code == 302  # to the login page
    assert client.get(f"/api/contributions/{contribution_id}").status_code == 401
    assert client.get("/api/contributions").status_code == 401
    assert client.get("/granska/bidrag/").status_code == 302

    editor = app.test_client()
    editor.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {editor_token}"
    listed = editor.get("/api/contributions").get_json()
    assert [c["id"] for c in listed["contributions"]] == [contribution_id]
    published = editor.post(f"/api/contributions/{contribution_id}/publish")
    assert published.status_code == 200, published.get_json()
    found = client.get("/api/search", query_string={"q": "kvarnstensregistret", "mode": "keyword"})
    assert [h["doc_id"] for h in found.get_json()["results"]] == [f"erfarenhet-{contribution_id}"]


def test_a_published_experience_is_a_searchable_document_with_draft_lessons(
    app, client, contributor, editor
):
    contribution_id = submit(contributor)
    queue = editor.get("/granska/bidrag/").get_data(as_text=True)
    assert "Nytt ärendesystem för fastighetsbildning" in queue and "anna" in queue
    assert "Granska bidrag" in editor.get("/granska/").get_data(as_text=True)
    response = decide(editor, contribution_id, "publish")
    doc_id = f"erfarenhet-{contribution_id}"
    assert response.status_code == 303 and response.headers["Location"].endswith(doc_id)

    doc = client.get(f"/api/documents/{doc_id}").get_json()
    assert doc["kind"] == "experience" and doc["agency"] == "Lantmäteriet"
    for heading in ("Vad gick bra", "Vad gick dåligt", "Råd till andra"):
        assert heading in doc["text"]
    hits = client.get("/api/search", query_string={"q": "datamigreringen underskattades"})
    assert hits.get_json()["results"][0]["doc_id"] == doc_id
    assert "Erfarenhet" in client.get(f"/documents/{doc_id}").get_data(as_text=True)

    drafts = editor.get("/api/suggestions", query_string={"document": doc_id, "kind": "lesson"})
    polarity = {
        s["payload"]["text"]: s["payload"]["polarity"] for s in drafts.get_json()["suggestions"]
    }
    assert polarity == {WELL: "gick bra", BADLY: "gick dåligt", ADVICE: "råd"}
    # not published directly: an editor accepts each draft in the review queue
    assert client.get("/api/lessons").get_json() == []
    (bad,) = [
        s for s in drafts.get_json()["suggestions"] if s["payload"]["polarity"] == "gick dåligt"
    ]
    accepted = editor.post(
        f"/granska/{bad['id']}/accept",
        data={
            "text": BADLY,
            "polarity": "gick dåligt",
            "themes": "styrning-och-ledning",
            "themes_sent": "1",
            "csrf_token": csrf(editor),
        },
    )
    assert accepted.status_code == 303
    assert [x["text"] for x in client.get("/api/lessons").get_json()] == [BADLY]
    # and whoever follows the agency sees the experience
    feed = feedparser.parse(client.get("/myndigheter/Lantmäteriet/feed").get_data())
    assert not feed.bozo and feed.feed.title
    assert f"urn:erfarenhetsbanken:document:{doc_id}" in [e.id for e in feed.entries]
    mine = contributor.get(f"/dela/{contribution_id}").get_data(as_text=True)
    assert "publicerad" in mine and f"/documents/{doc_id}" in mine


def test_an_existing_investment_is_offered_to_the_editor_as_a_suggestion(app, contributor, editor):
    knowledge_base = open_kb(app)
    from kb.records.importer import plan

    records = {
        "investments": [
            {
                "id": "lm-fastighet",
                "name": "Fastighetsbildning digitalt",
                "agency": "Lantmäteriet",
                "phase": "avslutad",
            }
        ]
    }
    checked = plan(knowledge_base, records)
    assert not checked.problems, checked.problems
    with knowledge_base.writing() as writer:
        writer.save_records([r.record for r in checked.records])
    knowledge_base.close()
    assert "Fastighetsbildning digitalt" in contributor.get("/dela/").get_data(as_text=True)
    form = {**FORM, "investment_id": "lm-fastighet", "investment_name": ""}
    contribution_id = submit(contributor, form)
    assert decide(editor, contribution_id, "publish").status_code == 303
    doc_id = f"erfarenhet-{contribution_id}"
    suggested = editor.get("/api/suggestions", query_string={"document": doc_id}).get_json()
    kinds = {(s["kind"], s["payload"].get("investment")) for s in suggested["suggestions"]}
    assert ("investment", "lm-fastighet") in kinds
    assert "Fastighetsbildning digitalt" in client_text(app, doc_id)


def client_text(app, doc_id: str) -> str:
    return app.test_client().get(f"/api/documents/{doc_id}").get_json()["text"]


def test_changes_asked_for_are_seen_edited_and_sent_again(app, contributor, editor):
    contribution_id = submit(contributor)
    assert decide(editor, contribution_id, "changes").status_code == 400  # a message is needed
    assert decide(editor, contribution_id, "changes", message="Skriv vilket år.").status_code == 303
    page = contributor.get(f"/dela/{contribution_id}").get_data(as_text=True)
    assert "behöver ändras" in page and "Skriv vilket år." in page
    form = contributor.get(f"/dela/{contribution_id}/andra").get_data(as_text=True)
    assert "Skriv vilket år." in form and "kvarnstensregistret" in form
    changed = {**FORM, "went_well": WELL + " Det var 2024.", "csrf_token": csrf(contributor)}
    assert contributor.post(f"/dela/{contribution_id}/andra", data=changed).status_code == 303
    shown = editor.get(f"/granska/bidrag/{contribution_id}").get_data(as_text=True)
    assert "Det var 2024." in shown and "inskickad" in shown
    # only while sent back, and only by its author
    again = contributor.post(f"/dela/{contribution_id}/andra", data=changed)
    assert (
        again.status_code == 303
        and contributor.get(f"/dela/{contribution_id}/andra").status_code == 303
    )
    assert editor.get(f"/dela/{contribution_id}/andra").status_code in (302, 403)


def test_a_rejected_contribution_shows_its_reason_and_is_never_published(
    app, client, contributor, editor
):
    contribution_id = submit(contributor)
    assert decide(editor, contribution_id, "reject").status_code == 400  # a reason is needed
    assert (
        decide(editor, contribution_id, "reject", reason="Gäller ingen investering.").status_code
        == 303
    )
    page = contributor.get(f"/dela/{contribution_id}").get_data(as_text=True)
    assert "avvisad" in page and "Gäller ingen investering." in page
    assert decide(editor, contribution_id, "publish").status_code == 400
    assert client.get("/api/documents").get_json() == []


# Editor-only endpoints a contributor may reach, and the write routes open to everyone.
CONTRIBUTOR_WRITES = {
    "contribute.create",
    "contribute.resubmit",
    "api_contributions.create",
    "api_contributions.resubmit",
}
OPEN_WRITES = {
    "auth.login",
    "auth.logout",
    "auth.logout_everywhere",
    "auth.register",
    "api.similar_text",
    "describe.index",
    "brief.index",
}


def _example_path(rule) -> str:
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if type(converter).__name__ == "IntegerConverter" else "x"
        if name == "action":
            values[name] = "accept" if "suggestion" in rule.rule else "publish"
        if name == "filename":
            values[name] = "style.css"
    return rule.build(values)[1]


def test_every_editor_route_refuses_a_contributor(app, contributor):
    api_with_session(contributor)  # so a session counts on the API's writes too
    editor_routes, unmarked_writes = [], []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        role = getattr(view, "required_role", None)
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        if role == "editor":
            editor_routes.append(rule.endpoint)
            for method in methods:
                response = contributor.open(
                    _example_path(rule), method=method, data={"csrf_token": csrf(contributor)}
                )
                assert response.status_code == 403, (rule.rule, method, response.status_code)
        elif role is None and set(methods) - {"GET"}:
            unmarked_writes.append(rule.endpoint)
    # a new write route must say who may use it
    assert set(unmarked_writes) <= OPEN_WRITES, set(unmarked_writes) - OPEN_WRITES
    assert {
        "upload.create",
        "documents.update",
        "review.decision",
        "moderation.decision",
        "api.upload",
        "api.accept_suggestion",
        "api.reject_suggestion",
        "record_edit.edit_lesson",
        "versions.restore",
        "api_contributions.decide",
    } <= set(editor_routes)


def test_the_daily_limit_refuses_one_more(app, config, embedder):
    from web import create_app

    limited = create_app(
        {"TESTING": True}, kb_config=config.with_(contribution_limit=2), embedder=embedder
    )
    add_user(limited, "anna", "contributor")
    client = log_in(limited, "anna")
    submit(client)
    submit(client)
    refused = submit(client, status=429)
    assert "24 timmarna" in refused.get_data(as_text=True)
    assert len(open_kb(limited).contributions.list()) == 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"agency": ""}, "agency"),
        ({"agency": "x" * 201}, "agency"),
        ({"went_well": "x" * 4001}, "went_well"),
        ({"investment_name": ""}, "investment_id"),
        ({"investment_id": "finns-inte", "investment_name": ""}, "investment_id"),
        ({"went_well": "", "went_badly": "", "advice": " \x00 "}, "went_well"),
    ],
)
def test_bad_fields_are_refused_with_the_field_named(contributor, change, field):
    response = submit(contributor, {**FORM, **change}, status=400)
    page = response.get_data(as_text=True)
    assert 'role="alert"' in page and f'id="{field}"' in page
    assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page)


def test_html_and_script_in_the_fields_are_shown_as_text(app, contributor, editor):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    contribution_id = submit(contributor, {**FORM, "went_well": script, "agency": "<b>Verket</b>"})
    for client, url in (
        (contributor, f"/dela/{contribution_id}"),
        (contributor, "/dela/mina"),
        (editor, f"/granska/bidrag/{contribution_id}"),
        (editor, "/granska/bidrag/"),
    ):
        page = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in page and "<b>Verket" not in page, url
        assert "&lt;b&gt;Verket" in page, url
    assert decide(editor, contribution_id, "publish").status_code == 303
    page = editor.get(f"/documents/erfarenhet-{contribution_id}").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_every_form_needs_its_csrf_token(app, contributor, editor):
    assert contributor.post("/dela/", data=FORM).status_code == 400
    contribution_id = submit(contributor)
    assert editor.post(f"/granska/bidrag/{contribution_id}/publish").status_code == 400
    # the API: a session cookie counts on a write only with the CSRF header
    assert contributor.post("/api/contributions", json=FORM).status_code == 401
    api_with_session(contributor)
    assert contributor.post("/api/contributions", json=FORM).status_code == 201
    assert open_kb(app).contributions.get(contribution_id).status == "submitted"


@pytest.mark.parametrize("case", NAMES)
def test_hostile_attachment_names_are_kept_inside_the_data_folder(app, contributor, case):
    contribution_id = submit(contributor, files=[(NAMES[case], b"# Bilaga\n\nText om beslag.\n")])
    attachments = open_kb(app).contributions.get(contribution_id).attachments
    if "\n" in NAMES[case] and not attachments:
        return  # a multipart header cannot carry a line break: the file never arrives
    (attachment,) = attachments
    assert len(attachment.name.encode()) <= 255
    path = (app.config["KB_CONFIG"].data_dir / attachment.path).resolve()
    assert path.is_relative_to((app.config["KB_CONFIG"].data_dir / "contributions").resolve())
    assert (
        "/" not in attachment.name and "\x00" not in attachment.name and "\n" not in attachment.name
    )
    page = contributor.get(f"/dela/{contribution_id}").get_data(as_text=True)
    assert "<script>" not in page


@pytest.mark.parametrize("case", FILES)
def test_hostile_attachments_are_refused_or_kept_unread(app, contributor, tmp_path, case):
    name, build, _ = FILES[case]
    response = contributor.post(
        "/dela/",
        data={
            **FORM,
            "csrf_token": csrf(contributor),
            "attachments": [(io.BytesIO(build(tmp_path)), name)],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code in (303, 400, 413, 415, 422), response.status_code
    assert "Traceback" not in response.get_data(as_text=True)
    knowledge_base = open_kb(app)
    assert knowledge_base.catalog.documents() == []  # nothing read before it is published
    if response.status_code != 303:
        assert 'role="alert"' in response.get_data(as_text=True)
        assert knowledge_base.contributions.list() == []
        folder = app.config["KB_CONFIG"].data_dir / "contributions"
        assert not folder.exists() or not any(folder.rglob("*.*"))
    knowledge_base.close()


def test_published_attachments_are_read_as_documents_and_a_bad_one_is_reported(
    app, client, contributor, editor, tmp_path
):
    good = ("sida.html", FILES["html-with-script"][1](tmp_path))
    bad = ("data.txt", FILES["binary-named-txt"][1](tmp_path))
    contribution_id = submit(contributor, files=[good, bad])
    assert decide(editor, contribution_id, "publish").status_code == 303
    found = open_kb(app).contributions.get(contribution_id)
    job = app.extensions["kb"]["jobs"].wait(app.extensions["kb"]["jobs"].get(found.job_id))
    outcomes = {f.name: f.outcome for f in job.files}
    assert outcomes == {"sida.html": "added", "data.txt": "failed"}
    ids = {d["id"] for d in client.get("/api/documents").get_json()}
    assert ids == {f"erfarenhet-{contribution_id}", f"erfarenhet-{contribution_id}-bilaga-1-sida"}
    knowledge_base = open_kb(app)
    assert check(knowledge_base).clean  # catalog, vectors and originals agree
    knowledge_base.close()


def test_publishing_never_replaces_a_document_that_has_its_id(app, client, contributor, editor):
    knowledge_base = open_kb(app)
    with knowledge_base.writing() as writer:
        ingester = Ingester(writer)
        ingester.ingest_parsed(
            "erfarenhet-1",
            "uppladdad.md",
            ParsedFile("text", paragraphs("Ett uppladdat dokument om vägtrafikregistret.")),
            {"title": "Uppladdad"},
        )
        ingester.flush()
    knowledge_base.close()
    contribution_id = submit(contributor)
    response = decide(editor, contribution_id, "publish")
    assert response.status_code == 303
    titles = {d["id"]: d["title"] for d in client.get("/api/documents").get_json()}
    assert titles["erfarenhet-1"] == "Uppladdad" and len(titles) == 2


def test_a_huge_attachment_is_refused(app, config, embedder):
    from web import create_app

    small = create_app(
        {"TESTING": True}, kb_config=config.with_(max_file_mb=0.01), embedder=embedder
    )
    add_user(small, "anna", "contributor")
    client = log_in(small, "anna")
    response = submit(client, files=[("stor.txt", b"beslag " * 5000)], status=413)
    assert 'role="alert"' in response.get_data(as_text=True)
    assert open_kb(small).contributions.list() == []


def test_self_registration_is_off_by_default_and_makes_contributors_when_on(
    client, config, embedder
):
    from web import create_app

    assert client.get("/registrera").status_code == 404  # KB_CONTRIBUTOR_DOMAINS is empty
    assert "/registrera" not in client.get("/login").get_data(as_text=True)

    app = create_app(
        {"TESTING": True},
        kb_config=config.with_(contributor_domains="*.se, digg.nu"),
        embedder=embedder,
    )
    client = app.test_client()
    assert "/registrera" in client.get("/login").get_data(as_text=True)

    def register(email, password=PASSWORD, again=None):
        return client.post(
            "/registrera",
            data={
                "email": email,
                "password": password,
                "password_again": again or password,
                "csrf_token": csrf(client),
            },
        )

    assert register("eva@gmail.com").status_code == 400
    assert register("eva@se").status_code == 400
    assert register("eva@lantmateriet.se", "kort").status_code == 400
    assert register("eva@lantmateriet.se", again="annat-lösenord-1").status_code == 400
    assert register("Eva@Lantmateriet.se").status_code == 303
    assert open_kb(app).accounts.get("eva@lantmateriet.se").role == "contributor"
    assert client.get("/dela/").status_code == 200  # logged in as the new contributor
    assert client.get("/upload/").status_code == 403
    other = app.test_client()
    taken = other.post(
        "/registrera",
        data={
            "email": "eva@lantmateriet.se",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "csrf_token": csrf(other),
        },
    )
    assert taken.status_code == 400 and "already" not in taken.get_data(as_text=True)


def test_registration_is_throttled_like_logins(config, embedder):
    from web import create_app

    app = create_app(
        {"TESTING": True}, kb_config=config.with_(contributor_domains="*.se"), embedder=embedder
    )
    client = app.test_client()
    codes = [
        client.post(
            "/registrera",
            data={
                "email": "x@gmail.com",
                "password": PASSWORD,
                "password_again": PASSWORD,
                "csrf_token": csrf(client),
            },
        ).status_code
        for _ in range(7)
    ]
    assert codes[:5] == [400] * 5 and codes[5:] == [429, 429]


def test_the_api_lists_own_for_contributors_and_all_for_editors(app, contributor, editor_token):
    add_user(app, "bertil", "contributor")
    other = log_in(app, "bertil")
    api_with_session(contributor)
    api_with_session(other)
    mine = contributor.post("/api/contributions", json=FORM)
    assert mine.status_code == 201 and mine.get_json()["status"] == "submitted"
    assert (
        other.post("/api/contributions", json={**FORM, "agency": "Skatteverket"}).status_code == 201
    )
    assert [
        c["agency"] for c in contributor.get("/api/contributions").get_json()["contributions"]
    ] == ["Lantmäteriet"]
    editor = app.test_client()
    editor.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {editor_token}"
    assert editor.get("/api/contributions").get_json()["count"] == 2
    cid = mine.get_json()["id"]
    assert contributor.post(f"/api/contributions/{cid}/publish").status_code == 403
    changes = editor.post(f"/api/contributions/{cid}/changes", json={"message": "Lägg till år."})
    assert changes.get_json() == {"status": "changes_requested"}
    assert other.post(f"/api/contributions/{cid}/resubmit", json=FORM).status_code == 404
    again = contributor.post(
        f"/api/contributions/{cid}/resubmit", json={**FORM, "advice": "Mät nyttan."}
    )
    assert again.status_code == 200 and again.get_json()["status"] == "submitted"
    assert editor.get("/api/contributions?status=bogus").status_code == 400


def test_the_cli_lists_shows_publishes_and_rejects(app, contributor, capsys):
    first, second = submit(contributor), submit(contributor, {**FORM, "agency": "Skatteverket"})
    data_dir = str(app.config["KB_CONFIG"].data_dir)

    def kb(*args: str) -> str:
        assert main(["--data-dir", data_dir, "contributions", *args]) == 0
        return capsys.readouterr().out

    listed = kb("list", "--status", "submitted")
    assert "Lantmäteriet" in listed and "Skatteverket" in listed and "anna" in listed
    assert WELL in kb("show", str(first))
    assert f"erfarenhet-{first}" in kb("publish", str(first), "--editor", "redaktor")
    assert "rejected" in kb("reject", str(second), "--reason", "Dubblett.")
    statuses = {c["id"]: c["status"] for c in json.loads(kb("list", "--json"))}
    assert statuses == {first: "published", second: "rejected"}
    hits = app.test_client().get("/api/search", query_string={"q": "kvarnstensregistret"})
    assert hits.get_json()["results"][0]["doc_id"] == f"erfarenhet-{first}"

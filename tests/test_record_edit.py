"""Editors make and change investments, lessons and follow-ups in the web (web/views/
record_edit.py): real documents ingested with the real model, the Flask test client."""

from __future__ import annotations

from ingest.pipeline import ingest
from kb.records.importer import import_records
from tests.conftest import csrf

REPORT = """# Uppföljning av ärendesystemet

Skatteverket införde ett nytt ärendesystem för folkbokföringen under 2019.
Utbildningen av handläggarna började för sent och kostade mer än beräknat.
Myndigheten har nu infört en plan för kompetensförsörjning i förvaltningen.
"""
RECORDS = """recommendations:
  - id: skv-rek-1
    text: Utbilda handläggarna innan systemet tas i drift.
    given_by: Expertgruppen
    agency: Skatteverket
    source:
      document: uppfoljning
      quote: Utbildningen av handläggarna började för sent
"""


def _setup(app, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "uppfoljning.md").write_text(REPORT, encoding="utf-8")
    (tmp_path / "records.yaml").write_text(RECORDS, encoding="utf-8")
    knowledge_base = app.extensions["kb"]["model"].open_kb()
    try:
        assert ingest(knowledge_base, [docs]).ok
        assert import_records(knowledge_base, tmp_path / "records.yaml").ok
    finally:
        knowledge_base.close()


def _records(app):
    knowledge_base = app.extensions["kb"]["model"].open_kb()
    try:
        return {r.id: r for r in knowledge_base.records.list()}
    finally:
        knowledge_base.close()


def test_an_editor_makes_an_investment_a_lesson_and_a_follow_up(app, editor, tmp_path):
    _setup(app, tmp_path)
    token = csrf(editor)
    made = editor.post(
        "/investeringar/ny",
        data={
            "csrf_token": token,
            "name": "Nytt ärendesystem för folkbokföringen",
            "agency": "Skatteverket",
            "start_year": "2017",
            "end_year": "2019",
            "phase": "avslutad",
            "outcome": "delvis lyckad",
            "estimated_cost": "120,5",
            "actual_cost": "180",
            "actual_cost_kind": "utfall",
            "add_document": "uppfoljning",
            "add_role": "uppföljning",
        },
    )
    assert made.status_code == 303, made.get_data(as_text=True)
    investment_id = made.location.rsplit("/", 1)[-1]
    investment = _records(app)[investment_id]
    assert investment_id == "nytt-arendesystem-for-folkbokforingen"
    assert investment.estimated_cost.msek == 120.5 and investment.actual_cost.msek == 180
    assert [(d.doc_id, d.role) for d in investment.documents] == [("uppfoljning", "uppföljning")]
    page = editor.get(made.location).get_data(as_text=True)
    assert "Investeringen är sparad" in page and "delvis lyckad" in page

    lesson = editor.post(
        "/lardomar/ny",
        data={
            "csrf_token": token,
            "text": "Börja utbilda handläggarna i god tid före driftstarten.",
            "polarity": "gick dåligt",
            "themes": ["kompetens-och-bemanning"],
            "investment": investment_id,
            "document": "uppfoljning",
            "quote": "Utbildningen av handläggarna började för sent",
        },
    )
    assert lesson.status_code == 303
    (made_lesson,) = [r for r in _records(app).values() if r.type == "lesson"]
    assert made_lesson.investment == investment_id
    assert made_lesson.evidence[0].exact == "Utbildningen av handläggarna började för sent"
    assert "Börja utbilda handläggarna" in editor.get(lesson.location).get_data(as_text=True)

    edited = editor.post(
        f"/lardomar/{made_lesson.id}/andra",
        data={
            "csrf_token": token,
            "text": "Utbilda handläggarna före driftstarten, inte efter.",
            "polarity": "råd",
            "themes": ["kompetens-och-bemanning", "forandringsledning-och-inforande"],
            "investment": investment_id,
        },
    )
    assert edited.status_code == 303
    after = _records(app)[made_lesson.id]
    assert after.text.startswith("Utbilda handläggarna före") and after.polarity == "råd"
    assert len(after.themes) == 2 and after.evidence == made_lesson.evidence  # kept

    follow_up = editor.post(
        "/rekommendationer/skv-rek-1/uppfoljning",
        data={
            "csrf_token": token,
            "document": "uppfoljning",
            "quote": "en plan för kompetensförsörjning",
            "status": "delvis följd",
        },
    )
    assert follow_up.status_code == 303
    (added,) = _records(app)["skv-rek-1"].follow_ups
    assert added.status == "delvis följd" and added.evidence.doc_id == "uppfoljning"

    assert (
        editor.post(f"/lardomar/{made_lesson.id}/ta-bort", data={"csrf_token": token}).status_code
        == 303
    )
    assert made_lesson.id not in _records(app)


def test_a_quote_not_in_the_document_is_refused_and_the_form_keeps_the_text(app, editor, tmp_path):
    _setup(app, tmp_path)
    response = editor.post(
        "/lardomar/ny",
        data={
            "csrf_token": csrf(editor),
            "text": "En lärdom <script>alert(1)</script> som inte har något belägg.",
            "polarity": "råd",
            "themes": ["kompetens-och-bemanning"],
            "document": "uppfoljning",
            "quote": "detta står inte i texten",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "detta står inte i texten" in page and 'role="alert"' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    assert not [r for r in _records(app).values() if r.type == "lesson"]
    bad_cost = editor.post(
        "/investeringar/ny",
        data={"csrf_token": csrf(editor), "name": "X", "agency": "Y", "estimated_cost": "mycket"},
    )
    assert bad_cost.status_code == 400 and "mycket" in bad_cost.get_data(as_text=True)


def test_only_editors_change_records_and_only_with_csrf(app, client, editor_token, tmp_path):
    _setup(app, tmp_path)
    assert client.get("/investeringar/ny").status_code == 302  # to the login
    assert client.post("/rekommendationer/skv-rek-1/uppfoljning").status_code in (302, 400)
    knowledge_base = app.extensions["kb"]["model"].open_kb()
    knowledge_base.accounts.add("lasare", "lasare-losenord-1", editor=False)
    knowledge_base.close()
    client.post(
        "/login",
        data={"name": "lasare", "password": "lasare-losenord-1", "csrf_token": csrf(client)},
    )
    assert client.get("/lardomar/ny").status_code == 403
    form = {
        "csrf_token": csrf(client),
        "document": "uppfoljning",
        "quote": "plan",
        "status": "följd",
    }
    assert client.post("/rekommendationer/skv-rek-1/uppfoljning", data=form).status_code == 403
    assert _records(app)["skv-rek-1"].follow_ups == ()

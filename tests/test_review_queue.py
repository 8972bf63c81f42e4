"""References between documents ("refererad av") and the review queue's suggestions, made at
ingest (issue 14): real files ingested with the real model, the web app's test client."""

from __future__ import annotations

import json

from cli.main import main
from ingest.pipeline import ingest
from tests.conftest import EDITOR_PASSWORD, csrf
from tests.test_api import check

AUDIT = """# Styrningen av statliga it-projekt (RiR 2011:5)

Riksrevisionen har granskat hur myndigheterna styr sina it-projekt och hur kalkylerna görs.

## Lärdomar

En lärdom är att kalkylen måste omfatta hela livscykeln och redovisas som ett intervall.
Myndigheterna borde ha delat upp projekten i mindre etapper med egna beslutspunkter.
"""
ANSWER = """# Myndighetens svar på granskningen

Myndigheten har tagit del av Riksrevisionens granskning RiR 2011:5 och delar dess slutsatser.
Vi rekommenderar att varje projekt följs upp med mätbara mål och en ansvarig i verksamheten.
"""


def _write(folder, name: str, text: str):
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_later_document_resolves_an_earlier_citation_of_it(kb, tmp_path):
    docs = tmp_path / "docs"
    _write(docs, "svar.md", ANSWER)
    assert ingest(kb, [docs]).ok
    (unresolved,) = [r for r in kb.references.cites("svar") if r.designation == "RiR 2011:5"]
    assert unresolved.cited_id is None
    _write(docs, "granskning.md", AUDIT)
    assert ingest(kb, [docs]).ok
    cited_by = kb.references.cited_by("granskning")
    assert [(r.citing_id, r.designation) for r in cited_by] == [("svar", "RiR 2011:5")]
    text = kb.catalog.get("svar", with_text=True).text
    assert text[cited_by[0].start : cited_by[0].end] == "RiR 2011:5"


def test_references_are_shown_both_ways_on_the_page_the_api_and_the_cli(
    app, client, tmp_path, capsys
):
    docs = tmp_path / "docs"
    _write(docs, "granskning.md", AUDIT)
    _write(docs, "svar.md", ANSWER)
    knowledge_base = app.extensions["kb"]["model"].open_kb()
    assert ingest(knowledge_base, [docs]).ok
    knowledge_base.close()
    cited = client.get("/api/documents/granskning").get_json()
    assert [(r["citing"], r["designation"]) for r in cited["cited_by"]] == [("svar", "RiR 2011:5")]
    citing = client.get("/api/documents/svar").get_json()
    assert [r["cited"] for r in citing["cites"]] == ["granskning"]
    page = client.get("/documents/granskning").get_data(as_text=True)
    assert "Refereras av" in page
    assert 'href="/documents/svar?chunk=0#chunk-0"' in page
    assert "Hänvisar till" in client.get("/documents/svar").get_data(as_text=True)
    data_dir = str(app.config["KB_CONFIG"].data_dir)
    assert main(["--data-dir", data_dir, "show", "granskning", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [r["citing"] for r in shown["cited_by"]] == ["svar"]


def test_ingest_queues_draft_lessons_and_themes_for_review(kb, tmp_path):
    docs = tmp_path / "docs"
    _write(docs, "granskning.md", AUDIT)
    report = ingest(kb, [docs])
    assert report.ok and report.suggestions > 0
    pending = kb.suggestions.list(doc_id="granskning")
    lessons = [s for s in pending if s.kind == "lesson"]
    assert any("hela livscykeln" in s.payload["text"] for s in lessons)
    lesson = next(s for s in lessons if "hela livscykeln" in s.payload["text"])
    assert lesson.payload["quote"] in AUDIT.replace("\n", " ") or lesson.payload["quote"] in AUDIT
    assert lesson.payload["polarity"] in ("gick bra", "gick dåligt", "råd")
    assert {s.kind for s in pending} >= {"lesson", "theme"}
    assert all(s.status == "pending" for s in pending)


def test_reingest_adds_no_duplicates_and_a_change_replaces_the_pending(kb, tmp_path):
    docs = tmp_path / "docs"
    path = _write(docs, "granskning.md", AUDIT)
    ingest(kb, [docs])
    before = [(s.id, s.key) for s in kb.suggestions.list(doc_id="granskning")]
    assert before
    assert ingest(kb, [docs]).suggestions == 0
    assert [(s.id, s.key) for s in kb.suggestions.list(doc_id="granskning")] == before
    path.write_text(AUDIT.replace("mindre etapper", "små etapper"), encoding="utf-8")
    ingest(kb, [docs])
    after = kb.suggestions.list(doc_id="granskning")
    keys = [s.key for s in after]
    assert len(keys) == len(set(keys))  # replaced, not added to
    assert any("små etapper" in k for k in keys)
    assert not any("mindre etapper" in k for k in keys)


# the review queue: Granska (web), /api/suggestions, `kb suggestions` -------------------
LESSON_START = "En lärdom är att kalkylen"


def _ingested(app, tmp_path, name="granskning.md", text=AUDIT):
    docs = tmp_path / "docs"
    _write(docs, name, text)
    knowledge_base = app.extensions["kb"]["model"].open_kb()
    try:
        assert ingest(knowledge_base, [docs]).ok
        return {s.kind: s for s in knowledge_base.suggestions.list()} | {
            "lessons": knowledge_base.suggestions.list(kind="lesson")
        }
    finally:
        knowledge_base.close()


def _draft(app, doc_id="granskning", start=LESSON_START):
    knowledge_base = app.extensions["kb"]["model"].open_kb()
    try:
        return next(
            s
            for s in knowledge_base.suggestions.list(doc_id=doc_id, kind="lesson")
            if s.payload["text"].startswith(start)
        )
    finally:
        knowledge_base.close()


def _open(app):
    return app.extensions["kb"]["model"].open_kb()


def test_an_editor_publishes_an_edited_draft_lesson_and_it_is_found(app, editor, tmp_path):
    _ingested(app, tmp_path)
    queue = editor.get("/granska/").get_data(as_text=True)
    assert 'href="/granska/granskning"' in queue
    page = editor.get("/granska/granskning").get_data(as_text=True)
    assert "hela livscykeln" in page and "Publicera lärdomen" in page
    draft = _draft(app)
    published = editor.post(
        f"/granska/{draft.id}/accept",
        data={
            "csrf_token": csrf(editor),
            "text": "Kalkylen ska täcka hela livscykeln och redovisas som ett intervall.",
            "polarity": "råd",
            "themes_sent": "1",
            "themes": ["kostnadskalkyl-och-budget"],
            "investment": "",
        },
    )
    assert published.status_code == 303
    assert "Lärdomen är publicerad" in editor.get(published.location).get_data(as_text=True)
    knowledge_base = _open(app)
    try:
        decided = knowledge_base.suggestions.get(draft.id)
        assert decided.status == "accepted" and decided.decided_by == "redaktor"
        lesson = knowledge_base.records.get(decided.result["lesson"])
        assert lesson.text.startswith("Kalkylen ska täcka hela livscykeln")
        assert lesson.themes == ("kostnadskalkyl-och-budget",) and lesson.polarity == "råd"
        (evidence,) = lesson.evidence
        text = knowledge_base.catalog.get("granskning", with_text=True).text
        assert evidence.doc_id == "granskning"
        assert text[evidence.start : evidence.end] == draft.payload["quote"]
    finally:
        knowledge_base.close()
    found = editor.get("/api/lessons?q=kalkyl livscykeln intervall").get_json()
    assert lesson.id in [x["lesson"]["id"] for x in found][:3]
    # decided: no longer waiting, listed under Decided
    page = editor.get("/granska/granskning").get_data(as_text=True)
    assert f'id="suggestion-{draft.id}"' not in page and "Beslutade" in page


def test_a_rejected_draft_is_not_proposed_again_by_a_later_version(app, editor, tmp_path):
    _ingested(app, tmp_path)
    draft = _draft(app)
    response = editor.post(
        f"/granska/{draft.id}/reject", data={"csrf_token": csrf(editor), "reason": "för allmän"}
    )
    assert response.status_code == 303
    changed = AUDIT.replace("mindre etapper", "små etapper")
    _ingested(app, tmp_path, text=changed)
    knowledge_base = _open(app)
    try:
        assert knowledge_base.suggestions.get(draft.id).result == {"reason": "för allmän"}
        pending = knowledge_base.suggestions.list(doc_id="granskning", kind="lesson")
        assert draft.key not in [s.key for s in pending]
        assert any("små etapper" in s.key for s in pending)
        assert knowledge_base.records.list("lesson") == []  # a rejection publishes nothing
    finally:
        knowledge_base.close()


def test_a_draft_that_cannot_be_published_shows_why_and_keeps_the_edit(app, editor, tmp_path):
    _ingested(app, tmp_path)
    draft = _draft(app)
    response = editor.post(
        f"/granska/{draft.id}/accept",
        data={
            "csrf_token": csrf(editor),
            "text": "Min omskrivna lärdom om kalkylen.",
            "polarity": "råd",
            "themes_sent": "1",
            "themes": ["inget-sadant-tema"],
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "inget-sadant-tema" in page and "Min omskrivna lärdom om kalkylen." in page
    knowledge_base = _open(app)
    try:
        assert knowledge_base.suggestions.get(draft.id).status == "pending"
        assert knowledge_base.records.list("lesson") == []
    finally:
        knowledge_base.close()


def test_only_editors_review_and_every_decision_needs_csrf(app, client, editor_token, tmp_path):
    _ingested(app, tmp_path)
    draft = _draft(app)
    assert client.get("/granska/").status_code == 302  # to the login
    assert client.get("/api/suggestions").status_code == 401
    knowledge_base = _open(app)
    knowledge_base.accounts.add("lasare", "lasare-losenord-1", editor=False)
    knowledge_base.close()
    client.post(
        "/login",
        data={"name": "lasare", "password": "lasare-losenord-1", "csrf_token": csrf(client)},
    )
    assert client.get("/granska/").status_code == 403
    assert (
        client.post(f"/granska/{draft.id}/accept", data={"csrf_token": csrf(client)}).status_code
        == 403
    )
    other = app.test_client()
    other.post(
        "/login",
        data={"name": "redaktor", "password": EDITOR_PASSWORD, "csrf_token": csrf(other)},
    )
    assert other.post(f"/granska/{draft.id}/accept", data={}).status_code in (400, 403)
    assert _draft(app).status == "pending"


def test_the_api_lists_accepts_and_refuses_a_second_decision(app, client, editor_token, tmp_path):
    _ingested(app, tmp_path)
    auth = {"Authorization": f"Bearer {editor_token}"}
    listed = check(client.get("/api/suggestions?document=granskning&kind=lesson", headers=auth))
    draft = next(s for s in listed["suggestions"] if s["payload"]["text"].startswith(LESSON_START))
    check(client.get("/api/suggestions/documents/granskning", headers=auth))
    bad = client.get("/api/suggestions?status=maybe", headers=auth)
    assert bad.status_code == 400 and "maybe" in bad.get_json()["error"]
    accepted = client.post(
        f"/api/suggestions/{draft['id']}/accept",
        json={"themes": ["kostnadskalkyl-och-budget"], "polarity": "råd"},
        headers=auth,
    )
    lesson_id = check(accepted)["lesson"]["id"]
    assert client.get(f"/api/lessons/{lesson_id}").status_code == 200
    again = client.post(f"/api/suggestions/{draft['id']}/reject", json={}, headers=auth)
    assert again.status_code == 400 and "redaktor" in again.get_json()["error"]
    # a session cookie alone cannot decide (the API's CSRF rule)
    session = app.test_client()
    session.post(
        "/login",
        data={"name": "redaktor", "password": EDITOR_PASSWORD, "csrf_token": csrf(session)},
    )
    theme = client.get("/api/suggestions?kind=theme", headers=auth).get_json()["suggestions"][0]
    assert session.post(f"/api/suggestions/{theme['id']}/accept", json={}).status_code in (
        400,
        401,
        403,
    )


def test_accepting_a_theme_tags_the_document_and_survives_a_reingest(app, editor, tmp_path):
    _ingested(app, tmp_path)
    knowledge_base = _open(app)
    theme = knowledge_base.suggestions.list(doc_id="granskning", kind="theme")[0]
    knowledge_base.close()
    editor.post(f"/granska/{theme.id}/accept", data={"csrf_token": csrf(editor)})
    _ingested(app, tmp_path, text=AUDIT + "\nEn mening till om styrningen.\n")
    knowledge_base = _open(app)
    try:
        assert theme.payload["name"] in knowledge_base.catalog.get("granskning").meta.tags
    finally:
        knowledge_base.close()


def test_the_cli_lists_accepts_and_rejects(app, tmp_path, capsys):
    _ingested(app, tmp_path)
    data_dir = str(app.config["KB_CONFIG"].data_dir)
    assert main(["--data-dir", data_dir, "suggestions", "list", "--kind", "lesson", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    draft = next(s for s in listed if s["payload"]["text"].startswith(LESSON_START))
    others = [s for s in listed if s["id"] != draft["id"]]
    args = ["--data-dir", data_dir, "suggestions", "accept", str(draft["id"])]
    assert main([*args, "--theme", "kostnadskalkyl-och-budget", "--json"]) == 0
    published = json.loads(capsys.readouterr().out)["lesson"]
    assert published["themes"] == ["kostnadskalkyl-och-budget"]
    assert main([*args, "--json"]) == 1  # already decided: an error, not a second lesson
    assert "already" in capsys.readouterr().out
    reject = ["--data-dir", data_dir, "suggestions", "reject", str(others[0]["id"])]
    assert main([*reject, "--reason", "dubblett"]) == 0
    assert "rejected" in capsys.readouterr().out
    assert main(["--data-dir", data_dir, "suggestions", "list", "--status", "all", "--json"]) == 0
    statuses = {s["id"]: s["status"] for s in json.loads(capsys.readouterr().out)}
    assert statuses[draft["id"]] == "accepted" and statuses[others[0]["id"]] == "rejected"

"""References between documents ("refererad av") and the review queue's suggestions, made at
ingest (issue 14): real files ingested with the real model, the web app's test client."""

from __future__ import annotations

import json

from cli.main import main
from ingest.pipeline import ingest

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

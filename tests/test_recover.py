"""`kb recover` keeps everything: a knowledge base with a row in every table the migrations
make (written the real ways: ingest, records import, the web's editors, contributors and
readers), recovered as the CLI does it, holds the same rows afterwards."""

# ruff: noqa: F811 - the fixtures imported below are pytest's, named again as arguments
from __future__ import annotations

import json
import re
import sqlite3
import threading
from pathlib import Path

import pytest

from cli.main import main
from ingest.pipeline import ingest
from ingest.recover import recover as recover_catalog
from kb.records.importer import import_records
from kb.storage import migrations
from kb.storage.locking import write_lock
from tests.conftest import EDITOR_PASSWORD, api_with_session, csrf
from tests.test_contributions import FORM, PASSWORD, log_in, submit
from tests.test_manual_edits import edit, upload
from tests.test_near_duplicates import PARAGRAPHS, draft, markdown
from tests.test_records import folder, records, rkb, write_yaml  # noqa: F401
from tests.test_review_queue import ANSWER, AUDIT, _write
from web import create_app

# Tables that recover makes anew from the originals kept in the data folder, instead of
# copying their rows: every other table of the catalog must come through row for row.
TAGGED = """---
tags: [upphandling, styrning]
---
# Upphandlingens styrning

Styrgruppen följde upp upphandlingen varje månad och avbröt den när kostnaden steg.
"""
REBUILT = {
    "documents",  # read again from its original (compared below on what is not re-derived)
    "chunks",  # cut again from the text (compared below)
    "chunk_terms",  # the keyword index (FTS5), and its shadow tables
    "chunk_terms_data",
    "chunk_terms_idx",
    "chunk_terms_content",
    "chunk_terms_docsize",
    "chunk_terms_config",
    "chunk_vocab",  # a view of the keyword index's terms (fts5vocab)
    "keyword_changes",  # the keyword index's changes, for its tantivy copy to follow
    "sqlite_sequence",  # SQLite's own: follows the rows copied with their ids
}
# What a document keeps through a recovery (updated_at and the hash of its ingest options
# are the recovery's own).
DOCUMENT_COLUMNS = "id, source, content_hash, meta, file_meta, kind, agency, year, created_at"


def tables(catalog: Path) -> list[str]:
    db = sqlite3.connect(catalog)
    try:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        return [r[0] for r in rows]
    finally:
        db.close()


def rows(catalog: Path, table: str, columns: str = "*") -> list[tuple]:
    db = sqlite3.connect(catalog)
    try:
        return sorted(db.execute(f"SELECT {columns} FROM {table}").fetchall(), key=repr)
    finally:
        db.close()


def snapshot(catalog: Path) -> dict[str, list[tuple]]:
    found = {t: rows(catalog, t) for t in tables(catalog) if t not in REBUILT}
    found["documents"] = rows(catalog, "documents", DOCUMENT_COLUMNS)
    found["chunks"] = rows(catalog, "chunks")
    return found


@pytest.fixture
def full_kb(rkb, tmp_path):
    """A row in every table, each written the way the product writes it."""
    docs = rkb.config.data_dir.parent / "docs"  # the records' documents, ingested by rkb
    _write(docs, "granskning.md", AUDIT)  # drafts for the review queue, and citations
    _write(docs, "myndighetens-svar.md", ANSWER)
    _write(docs, "taggad.md", TAGGED)  # its tags fill the tag index (document_tags)
    assert ingest(rkb, [docs]).ok
    import_records(rkb, write_yaml(tmp_path, records()))
    rkb.accounts.add("redaktor", EDITOR_PASSWORD, editor=True)
    rkb.accounts.create_token("redaktor")
    rkb.accounts.add("lasare", PASSWORD, editor=False)
    rkb.accounts.create_feed_token("lasare")
    rkb.accounts.add("anna", PASSWORD, role="contributor")
    app = create_app({"TESTING": True}, kb_config=rkb.config, embedder=rkb.embedder)

    reader = app.test_client()
    page = reader.get("/?q=signalsystemet").get_data(as_text=True)  # the search log
    link = re.findall(r'<h3><a href="(/documents/[^"]+)"', page)[0].replace("&amp;", "&")
    assert reader.get(link).status_code == 200  # ... and the result opened
    failed = {"name": "lasare", "password": "fel", "csrf_token": csrf(reader)}
    assert reader.post("/login", data=failed).status_code != 303  # a login failure

    contributor = log_in(app, "anna")
    attachment = "# Bilaga\n\nMigreringen tog ett år.\n".encode()
    submit(contributor, FORM, files=[("bilaga.md", attachment)])

    editor = log_in(app, "redaktor", EDITOR_PASSWORD)
    api_with_session(editor)
    lesson = next(s for s in rkb.suggestions.list(kind="lesson") if s.doc_id == "granskning")
    answer = editor.post(
        f"/granska/{lesson.id}/reject", data={"csrf_token": csrf(editor), "reason": "för allmän"}
    )
    assert answer.status_code == 303
    edit(editor, "svar", title="Trafikverkets svar, redigerat")
    final, later = tmp_path / "tull.md", tmp_path / "tull-utkast.md"
    final.write_text(markdown(PARAGRAPHS), encoding="utf-8")
    later.write_text(markdown(draft(PARAGRAPHS)), encoding="utf-8")
    upload(app, editor, final)
    upload(app, editor, later)  # a near-duplicate of tull, linked as its newer version:
    linked = editor.post(
        "/documents/tull/near-duplicates/tull-utkast/link", data={"csrf_token": csrf(editor)}
    )
    assert linked.status_code == 303  # versions, and an alias
    copy = tmp_path / "tull-kopia.md"
    copy.write_text(markdown(PARAGRAPHS) + "\nEn rad till.\n", encoding="utf-8")
    upload(app, editor, copy)
    kept = editor.post(
        "/documents/tull-kopia/near-duplicates/tull/keep", data={"csrf_token": csrf(editor)}
    )
    assert kept.status_code == 303  # a decided pair
    rkb.close()
    return rkb.config


def recover(config, monkeypatch, capsys) -> tuple[int, dict]:
    """`kb recover --force --json`, as the CLI runs it (a sound catalog is recovered too)."""
    monkeypatch.setenv("KB_DATA_DIR", str(config.data_dir))
    monkeypatch.setenv("KB_CACHE_DIR", str(config.cache_dir))
    monkeypatch.setenv("KB_THEMES_FILE", str(config.themes_file))
    capsys.readouterr()
    code = main(["recover", "--force", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_recover_keeps_the_rows_of_every_table_of_the_catalog(full_kb, monkeypatch, capsys):
    catalog = full_kb.catalog_path
    before = snapshot(catalog)
    empty = sorted(t for t, found in before.items() if not found)
    assert not empty, f"the fixture writes no row in {empty}: add one, the real way"

    code, report = recover(full_kb, monkeypatch, capsys)
    assert code == 0 and not report["lost"], report
    after = snapshot(catalog)
    assert set(after) == set(before)
    changed = {t for t in before if after[t] != before[t]}
    lost = [
        f"{t}: {sum(r not in after[t] for r in before[t])} of {len(before[t])} rows lost or changed"
        for t in sorted(changed)
    ]
    assert not changed, "; ".join(lost)


def test_after_recover_the_knowledge_base_works_as_before(full_kb, embedder, monkeypatch, capsys):
    code, report = recover(full_kb, monkeypatch, capsys)
    assert code == 0, report
    app = create_app({"TESTING": True}, kb_config=full_kb, embedder=embedder)
    client = app.test_client()
    moved = client.get("/documents/tull-utkast")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/documents/tull")
    versions = client.get("/api/documents/tull/versions").get_json()["versions"]
    assert [(v["n"], v["origin"]) for v in versions] == [(2, "link"), (1, "upload")]
    assert client.get("/api/documents/svar").get_json()["title"] == "Trafikverkets svar, redigerat"
    editor = log_in(app, "redaktor", EDITOR_PASSWORD)  # accounts and their passwords
    queue = editor.get("/granska/bidrag/").get_data(as_text=True)
    assert FORM["investment_name"] in queue
    (contribution,) = json.loads(rows(full_kb.catalog_path, "contributions", "attachments")[0][0])
    assert (full_kb.data_dir / contribution["path"]).is_file()  # its attachment, still there
    capsys.readouterr()
    assert main(["check", "--json"]) == 0 and json.loads(capsys.readouterr().out)["clean"]


def test_recover_waits_for_the_write_lock_before_it_touches_the_catalog(kb, embedder, tmp_path):
    docs = tmp_path / "docs"
    _write(docs, "svar.md", ANSWER)
    assert ingest(kb, [docs]).ok
    kb.close()
    data, done = kb.config.data_dir, []
    with write_lock(data, task="an ingest (kb ingest)"):  # another writer, busy
        worker = threading.Thread(
            target=lambda: done.append(recover_catalog(kb.config, embedder, force=True))
        )
        worker.start()
        worker.join(2)
        assert worker.is_alive() and not list(data.glob("catalog.damaged-*"))
    worker.join(120)
    assert done and done[0].documents == 1 and not done[0].lost, done
    assert len(list(data.glob("catalog.damaged-*.sqlite3"))) == 1


def test_a_catalog_of_an_older_version_is_carried_into_the_current_schema(config, embedder):
    """Its rows go in before the migrations it lacked run, so those migrations' data changes
    reach them: here migration 4 gives each account the generation its sessions name."""
    config.data_dir.mkdir()
    db = sqlite3.connect(config.catalog_path)
    migrations.migrate(db, until=3)  # the accounts, without session generations yet
    with db:
        db.execute("INSERT INTO users VALUES ('redaktor', 'scrypt$x', 'editor', '2024-01-01')")
    db.close()
    report = recover_catalog(config, embedder, force=True)
    assert "users (1 rows)" in report.carried and not report.lost, report
    ((generation,),) = rows(config.catalog_path, "users", "session_gen")
    assert generation

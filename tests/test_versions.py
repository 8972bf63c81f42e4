"""Versions (issue 16, part 2): a document read in again with new content keeps its earlier
versions in the catalog (text, metadata, hash, date, who made it, its file); search holds the
newest only; an editor can restore an earlier one, which becomes the newest again."""

from __future__ import annotations

import json
import re

from cli.main import main as kb_main
from ingest.pipeline import Ingester, ingest
from kb.records.importer import import_records
from kb.records.models import NEEDS_REVIEW, OK
from kb.storage import originals
from tests.conftest import api_with_session, csrf, dense_search
from tests.test_manual_edits import edit, reingest, upload
from tests.test_records import (  # noqa: F401 - fixtures
    COST_QUOTE,
    FILLER,
    STEERING_QUOTE,
    document,
    evidence_of,
    folder,
    records,
    rkb,
    write_yaml,
)

FIRST = (
    "# Kassasystemet\n\nSkatteverket bytte kassasystem under 2020 efter en lång upphandling.\n\n"
    "Leverantören levererade i tid och driften fungerade.\n"
)
SECOND = (
    "# Kassasystemet\n\nSkatteverket bytte kassasystem under 2021 efter en lång upphandling.\n\n"
    "Leverantören försenades med ett år och gränssnittet mot bokföringen saknades.\n"
)


def restore(knowledge_base, doc_id: str, n: int, editor: str = "redaktor") -> int:
    with knowledge_base.writing() as writer:
        return Ingester(writer).restore_version(doc_id, n, editor)


def test_a_changed_file_read_in_again_becomes_a_new_version_and_search_holds_the_newest(
    kb, tmp_path
):
    path = tmp_path / "kassa.md"
    path.write_text(FIRST, encoding="utf-8")
    ingest(kb, [path])
    path.write_text(SECOND, encoding="utf-8")
    ingest(kb, [path])
    ingest(kb, [path])  # unchanged: no third version

    versions = kb.catalog.versions("kassa")
    assert [v.n for v in versions] == [2, 1]
    assert versions[0].origin.kind == versions[1].origin.kind == "ingest"
    assert versions[1].origin.actor == str(path.resolve())
    first = kb.catalog.version("kassa", 1)
    assert "levererade i tid" in first.text and first.content_hash != versions[0].content_hash
    assert first.meta.title == "Kassasystemet" and first.created_at
    # each version keeps its own file, inside the data folder
    kept = originals.version_file(kb.config, "kassa", first.original)
    assert kept is not None and kept.read_text(encoding="utf-8") == FIRST
    assert kept.is_relative_to(kb.config.data_dir / "originals" / "versions")
    # search: the newest text only, in the vectors and in the keyword index
    assert kb.store.count() == kb.catalog.get("kassa").n_chunks
    assert not _keyword(kb, "levererade")
    assert _keyword(kb, "försenades")


def _keyword(knowledge_base, word: str) -> list:
    from kb.analysis import query_stems
    from kb.models import Filters

    return knowledge_base.catalog.keyword_search(query_stems(word), 10, Filters(), prefix=False)


def test_restore_makes_an_old_version_the_newest_and_search_finds_its_text(kb, tmp_path):
    path = tmp_path / "kassa.md"
    path.write_text(FIRST, encoding="utf-8")
    ingest(kb, [path])
    path.write_text(SECOND, encoding="utf-8")
    ingest(kb, [path])

    assert restore(kb, "kassa", 1) == 3
    doc = kb.catalog.get("kassa", with_text=True)
    assert "levererade i tid" in doc.text and "försenades" not in doc.text
    assert doc.content_hash == kb.catalog.version("kassa", 1).content_hash
    newest = kb.catalog.versions("kassa")[0]
    assert (newest.n, newest.origin.kind, newest.origin.note) == (3, "restore", "1")
    hits = dense_search(kb, "leverantören levererade i tid och driften fungerade")
    assert hits and hits[0].doc_id == "kassa"
    assert all("försenades" not in c.text for c in kb.catalog.chunks("kassa"))
    assert kb.store.count() == kb.catalog.get("kassa").n_chunks
    assert _keyword(kb, "levererade")
    assert not _keyword(kb, "försenades")
    # the copy served as the original is the restored version's file
    assert originals.servable(kb.config, doc).read_text(encoding="utf-8") == FIRST
    # restoring the current one is refused
    try:
        restore(kb, "kassa", 3)
    except Exception as exc:  # noqa: BLE001
        assert "already the current version" in str(exc)
    else:
        raise AssertionError("restoring the current version was not refused")


def test_restore_re_anchors_evidence_and_flags_quotes_the_old_text_lacks(rkb, tmp_path, folder):  # noqa: F811
    import_records(rkb, write_yaml(tmp_path, records()))
    (folder / "ertms.md").write_text(document(COST_QUOTE, *FILLER), encoding="utf-8")
    ingest(rkb, [folder])
    (steering,) = evidence_of(rkb, "ertms-svag-styrning")
    assert steering.status == NEEDS_REVIEW

    restore(rkb, "ertms", 1)  # the version that holds the quote
    (steering,) = evidence_of(rkb, "ertms-svag-styrning")
    doc = rkb.catalog.get("ertms", with_text=True)
    assert steering.status == OK and doc.text[steering.start : steering.end] == STEERING_QUOTE

    restore(rkb, "ertms", 2)  # and back: flagged again
    (steering,) = evidence_of(rkb, "ertms-svag-styrning")
    assert steering.status == NEEDS_REVIEW and steering.start is None


def test_a_re_uploaded_document_keeps_its_history_and_its_hand_edits(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    path = tmp_path / "kassa.md"
    path.write_text(FIRST, encoding="utf-8")
    upload(app, client, path)
    edit(client, "kassa", title="Sekretariatets titel", agency="Skatteverket")
    path.write_text(SECOND, encoding="utf-8")
    upload(app, client, path)
    reingest(app, client, "kassa")  # the same content: no new version

    doc = client.get("/api/documents/kassa").get_json()
    assert doc["title"] == "Sekretariatets titel" and doc["agency"] == "Skatteverket"
    versions = client.get("/api/documents/kassa/versions").get_json()["versions"]
    assert [(v["n"], v["origin"], v["by"]) for v in versions] == [
        (2, "upload", "redaktor"),
        (1, "upload", "redaktor"),
    ]
    assert all("/" not in v["source"] for v in versions)  # a file name, never a path

    page = client.get("/documents/kassa").get_data(as_text=True)
    assert "Versioner" in page and "/documents/kassa/versions/1" in page

    # restore (editor, CSRF): the edits stay on top of the restored version
    response = client.post("/documents/kassa/versions/1/restore", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    doc = client.get("/api/documents/kassa?text=1").get_json()
    assert doc["title"] == "Sekretariatets titel" and "levererade i tid" in doc["text"]
    hits = client.get("/api/search?q=levererade+i+tid").get_json()["results"]
    assert hits and hits[0]["doc_id"] == "kassa"
    assert not client.get("/api/search?q=försenades&mode=keyword").get_json()["results"]


def test_restore_needs_an_editor_and_a_csrf_token(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    path = tmp_path / "kassa.md"
    path.write_text(FIRST, encoding="utf-8")
    upload(app, client, path)
    path.write_text(SECOND, encoding="utf-8")
    upload(app, client, path)
    client.environ_base.pop("HTTP_X_CSRF_TOKEN")
    assert client.post("/documents/kassa/versions/1/restore").status_code in (400, 403)
    anonymous = app.test_client()
    assert anonymous.post(
        "/documents/kassa/versions/1/restore", data={"csrf_token": csrf(anonymous)}
    ).status_code in (302, 303, 401, 403)
    assert len(client.get("/api/documents/kassa/versions").get_json()["versions"]) == 2


def test_the_diff_page_escapes_html_in_documents(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    path = tmp_path / "farlig.md"
    path.write_text("# Farlig\n\nEn rad som stannar.\n\nGammal rad.\n", encoding="utf-8")
    upload(app, client, path)
    path.write_text(
        "# Farlig\n\nEn rad som stannar.\n\n<script>alert('x')</script> <b>ny</b> rad.\n",
        encoding="utf-8",
    )
    upload(app, client, path)
    page = client.get("/documents/farlig/versions/2").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>ny</b>" not in page
    assert "&lt;script&gt;alert" in page
    assert re.search(r"<ins[^>]*>(<span[^>]*>[^<]*</span>)?&lt;script&gt;", page)
    assert re.search(r"<del[^>]*>(<span[^>]*>[^<]*</span>)?Gammal rad", page)
    assert client.get("/documents/farlig/versions/9").status_code == 404


def test_a_huge_diff_is_cut_at_its_limit(app, editor, tmp_path):
    from web.views import versions as versions_view

    client = editor
    api_with_session(client)
    path = tmp_path / "lang.txt"
    path.write_text("\n\n".join(f"Rad {i} i den första." for i in range(700)), encoding="utf-8")
    upload(app, client, path)
    path.write_text("\n\n".join(f"Rad {i} i den andra." for i in range(700)), encoding="utf-8")
    upload(app, client, path)
    page = client.get("/documents/lang/versions/2").get_data(as_text=True)
    assert page.count("<ins") <= versions_view.MAX_DIFF_LINES
    assert "visas inte" in page  # says the rest is left out


def test_kb_show_versions_and_kb_restore(kb, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KB_DATA_DIR", str(kb.config.data_dir))
    path = tmp_path / "kassa.md"
    path.write_text(FIRST, encoding="utf-8")
    ingest(kb, [path])
    path.write_text(SECOND, encoding="utf-8")
    ingest(kb, [path])
    capsys.readouterr()
    assert kb_main(["show", "kassa", "--versions"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^\s*2\b.*ingest", out, re.M) and re.search(r"^\s*1\b", out, re.M)
    assert kb_main(["show", "kassa", "--versions", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [v["n"] for v in listed["versions"]] == [2, 1]
    assert kb_main(["restore", "kassa", "1"]) == 0
    capsys.readouterr()
    assert kb_main(["show", "kassa", "--versions", "--json"]) == 0
    assert [v["n"] for v in json.loads(capsys.readouterr().out)["versions"]] == [3, 2, 1]


def test_readers_see_the_file_name_a_kb_ingest_read_never_its_path(app, client, kb, tmp_path):
    path = tmp_path / "kassa.md"
    path.write_text(FIRST, encoding="utf-8")
    ingest(kb, [path])
    (version,) = client.get("/api/documents/kassa/versions").get_json()["versions"]
    assert version["by"] == "kassa.md" and version["origin"] == "ingest"
    page = client.get("/documents/kassa/versions/1").get_data(as_text=True)
    assert str(tmp_path) not in page and "Inläst från filen kassa.md" in page

"""Editors' edits are a layer above what the file and its sidecar say: they survive "Läs in
igen", a new upload of the file, `kb ingest`, `kb reindex` and export/import, while a field
nobody edited follows the file; the document page and the API say which fields were edited."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from kb.errors import KBError
from kb.storage.catalog import Catalog
from tests.conftest import api_with_session, csrf
from tests.test_cli import run  # noqa: F401 - the `kb` command, as a fixture
from tests.test_import_security import assert_nothing_written, build, chunk, imported, row
from tests.test_storage import VERSION_1

FILE = (
    "---\ntitle: Filens titel\nkind: report\nagency: Trafikverket\ndate: 2019\n"
    "tags: [signaler]\n---\nSignalsystemet ERTMS blev dyrare än väntat.\n"
)
EDIT = {
    "title": "Sekretariatets titel",
    "kind": "case",
    "agency": "Transportstyrelsen",
    "date": "2021-03",
    "tags": "ertms, kostnader",
}
EDITED = {
    "title": "Sekretariatets titel",
    "kind": "case",
    "agency": "Transportstyrelsen",
    "date": "2021-03",
    "tags": ["ertms", "kostnader"],
}
FIVE = ["agency", "date", "kind", "tags", "title"]


def metadata(doc: dict) -> dict:
    return {k: doc[k] for k in EDITED}


def upload(app, client, path, **form) -> dict:
    with path.open("rb") as f:
        job = client.post(
            "/api/documents?wait=1",
            data={"files": [(f, path.name)], **form},
            content_type="multipart/form-data",
        ).get_json()
    assert job["status"] == "done" and job["files"][0]["outcome"] != "failed", job
    return job


def edit(client, doc_id: str, **fields) -> None:
    current = client.get(f"/api/documents/{doc_id}").get_json()
    form = {
        "title": current["title"],
        "kind": current["kind"],
        "agency": current["agency"] or "",
        "date": current["date"] or "",
        "tags": ", ".join(current["tags"]),
        "sources": "\n".join(current["source_urls"]),
        **fields,
        "csrf_token": csrf(client),
    }
    response = client.post(f"/documents/{doc_id}/edit", data=form)
    assert response.status_code == 303, response.get_data(as_text=True)


def reingest(app, client, doc_id: str) -> None:
    response = client.post(f"/documents/{doc_id}/reingest", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    jobs = app.extensions["kb"]["jobs"]
    job = jobs.wait(jobs.get(response.headers["Location"].rstrip("/").rsplit("/", 1)[-1]))
    assert job.status == "done" and job.files[0].outcome != "failed", job.to_dict()


def test_edits_of_all_five_fields_survive_reading_the_file_again_and_a_new_upload(
    app, editor, tmp_path
):
    client = editor
    api_with_session(client)
    path = tmp_path / "ertms.md"
    path.write_text(FILE, encoding="utf-8")
    upload(app, client, path, language="sv")  # the form's language: the editor's word too
    edit(client, "ertms", **EDIT)
    assert metadata(client.get("/api/documents/ertms").get_json()) == EDITED

    reingest(app, client, "ertms")  # "Läs in igen"
    doc = client.get("/api/documents/ertms").get_json()
    assert metadata(doc) == EDITED
    assert sorted(doc["edited_fields"]) == sorted(FIVE + ["language"])
    assert doc["edited_fields"]["title"]["editor"] == "redaktor"
    assert doc["edited_fields"]["title"]["file_value"] == "Filens titel"
    assert doc["edited_fields"]["tags"]["file_value"] == ["signaler"]
    upload(app, client, path)  # the same file again, without the form's metadata
    after = client.get("/api/documents/ertms").get_json()
    assert metadata(after) == EDITED and after["edited_fields"] == doc["edited_fields"]

    # searches and facets see the edited values, not the file's
    hits = client.get("/api/search?q=signalsystemet&agency=Transportstyrelsen").get_json()
    assert [h["doc_id"] for h in hits["results"]] == ["ertms"]
    assert hits["results"][0]["title"] == "Sekretariatets titel"

    page = client.get("/documents/ertms").get_data(as_text=True)
    assert page.count(">ändrad för hand<") == 5  # the page shows no language field
    marker = re.search(r'<span class="by-hand" title="([^"]*)"', page)
    assert marker and "redaktor" in marker.group(1)
    assert re.search(r"\d{4}-\d{2}-\d{2}", marker.group(1))


def test_the_upload_forms_metadata_stays_when_the_file_is_read_again(app, editor, tmp_path):
    """What the editor typed in the upload form is the editor's word, not the file's: "Läs
    in igen" and a new upload without the form's fields keep it; a new value in the form wins."""
    client = editor
    api_with_session(client)
    path = tmp_path / "kassa.md"
    path.write_text("Kassasystemet byttes ut under 2020.\n", encoding="utf-8")
    form = {"agency": "Skatteverket", "kind": "case", "date": "2020-05", "tags": "kassa, e-tjänst"}
    upload(app, client, path, **form)
    given = {
        "agency": "Skatteverket",
        "kind": "case",
        "date": "2020-05",
        "tags": ["kassa", "e-tjänst"],
    }
    doc = client.get("/api/documents/kassa").get_json()
    assert {k: doc[k] for k in given} == given
    assert sorted(doc["edited_fields"]) == ["agency", "date", "kind", "tags"]
    assert doc["edited_fields"]["agency"] == {
        **doc["edited_fields"]["agency"],
        "editor": "redaktor",
        "file_value": None,
    }

    reingest(app, client, "kassa")
    upload(app, client, path)  # the same file, the form left empty
    after = client.get("/api/documents/kassa").get_json()
    assert {k: after[k] for k in given} == given
    assert after["edited_fields"] == doc["edited_fields"]

    upload(app, client, path, agency="Tullverket")
    assert client.get("/api/documents/kassa").get_json()["agency"] == "Tullverket"


def test_a_form_value_wins_even_when_the_file_says_the_same(app, editor, tmp_path):
    """The form's type equal to the file's still replaces an earlier edit, the form's source
    beats the file's own addresses, and the same value again keeps who set it."""
    client = editor
    api_with_session(client)
    path = tmp_path / "rapport.md"
    path.write_text(
        "---\nkind: report\nsource_urls: [https://a.example.se/r]\n---\nRapporten.\n",
        encoding="utf-8",
    )
    upload(app, client, path)
    edit(client, "rapport", kind="case")
    upload(app, client, path, kind="report", source_url="https://b.example.se/r")
    doc = client.get("/api/documents/rapport").get_json()
    assert doc["kind"] == "report" and doc["source_urls"] == ["https://b.example.se/r"]
    first = doc["edited_fields"]["kind"]
    path.write_text(path.read_text(encoding="utf-8") + "Ny version.\n", encoding="utf-8")
    upload(app, client, path, kind="report")
    assert client.get("/api/documents/rapport").get_json()["edited_fields"]["kind"] == first


def test_an_edit_set_back_to_the_files_value_or_reset_follows_the_file_again(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    path = tmp_path / "ertms.md"
    path.write_text(FILE, encoding="utf-8")
    upload(app, client, path)
    edit(client, "ertms", title="Ny titel", agency="Transportstyrelsen")
    assert sorted(client.get("/api/documents/ertms").get_json()["edited_fields"]) == [
        "agency",
        "title",
    ]
    form = client.get("/documents/ertms/edit").get_data(as_text=True)
    assert 'name="reset" value="title"' in form and "återställ till filens värde" in form

    edit(client, "ertms", agency="Trafikverket")  # typed back to what the file says
    doc = client.get("/api/documents/ertms").get_json()
    assert list(doc["edited_fields"]) == ["title"] and doc["agency"] == "Trafikverket"

    edit(client, "ertms", reset="title")  # "återställ till filens värde"
    doc = client.get("/api/documents/ertms").get_json()
    assert doc["edited_fields"] == {} and doc["title"] == "Filens titel"
    assert "ändrad för hand" not in client.get("/documents/ertms").get_data(as_text=True)

    # the API writes the same layer, and resets the same way
    patched = client.patch("/api/documents/ertms", json={"date": "2022"}).get_json()
    assert patched["date"] == "2022" and list(patched["edited_fields"]) == ["date"]
    patched = client.patch("/api/documents/ertms", json={"reset": ["date"]}).get_json()
    assert patched["date"] == "2019" and patched["edited_fields"] == {}
    assert client.patch("/api/documents/ertms", json={"reset": ["year"]}).status_code == 400

    # deleting the document deletes its edits: uploaded anew, it is what the file says
    client.patch("/api/documents/ertms", json={"title": "Ny titel"})
    assert client.delete("/api/documents/ertms").status_code == 200
    upload(app, client, path)
    doc = client.get("/api/documents/ertms").get_json()
    assert doc["edited_fields"] == {} and doc["title"] == "Filens titel"


def test_edits_survive_kb_ingest_reindex_and_export_import_while_the_rest_follows_the_file(
    run,  # noqa: F811
    client,
    editor,
    tmp_path,
    monkeypatch,
):
    folder = tmp_path / "docs"
    folder.mkdir()
    source = folder / "ertms.md"
    source.write_text(FILE, encoding="utf-8")
    assert run("ingest", str(folder), "--quiet")[0] == 0
    edit(editor, "ertms", title="Sekretariatets titel", tags="ertms")

    # the file changes: its title and tags stay edited, its agency and date follow it
    source.write_text(
        FILE.replace("Trafikverket", "Sjöfartsverket").replace("2019", "2020")
        + "Ett nytt stycke om kostnaderna.\n",
        encoding="utf-8",
    )
    code, out, _ = run("ingest", str(folder), "--json")
    assert code == 0 and json.loads(out)["updated"] == 1
    code, out, _ = run("show", "ertms", "--json")
    doc = json.loads(out)
    expected = {"title": "Sekretariatets titel", "tags": ["ertms"], "agency": "Sjöfartsverket"}
    assert {k: doc[k] for k in expected} == expected and doc["date"] == "2020"
    assert sorted(doc["edited_fields"]) == ["tags", "title"]
    assert "nytt stycke" in editor.get("/api/documents/ertms").get_json()["text"]

    assert run("reindex", "--drain", "0", "--json")[0] == 0
    code, out, _ = run("show", "ertms", "--json")
    assert json.loads(out)["edited_fields"] == doc["edited_fields"]
    assert json.loads(out)["title"] == "Sekretariatets titel"

    archive = tmp_path / "kb.tar.gz"
    assert run("export", str(archive), "--vectors")[0] == 0
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "elsewhere"))
    assert run("import", str(archive))[0] == 0
    code, out, _ = run("show", "ertms", "--json")
    moved = json.loads(out)
    assert {k: moved[k] for k in expected} == expected
    assert moved["edited_fields"] == doc["edited_fields"]
    assert moved["edited_fields"]["title"]["file_value"] == "Filens titel"
    code, out, _ = run("show", "ertms")
    assert "edited_fields: title (redaktor" in out


def test_an_imported_document_keeps_its_edits_and_their_file_values(kb, tmp_path):
    edits = {
        "agency": {"editor": "anna", "edited_at": "2024-05-01T10:00:00+00:00", "file_value": None},
        "tags": {"editor": "anna", "edited_at": "2024-05-01T10:00:00+00:00", "file_value": []},
    }
    good = build(
        tmp_path / "good.tar.gz",
        [row(agency="Tullverket", tags=["beslag"], edited_fields=edits)],
        [chunk()],
    )
    imported(kb, good)
    doc = kb.catalog.get("stulen")
    assert (doc.meta.agency, doc.meta.tags) == ("Tullverket", ("beslag",))
    assert (doc.file_metadata.agency, doc.file_metadata.tags) == (None, ())
    assert doc.edited_fields() == edits


EDIT_ABOUT = {"editor": "anna", "edited_at": "2024-05-01T10:00:00+00:00", "file_value": "x"}


@pytest.mark.parametrize(
    ("edited_fields", "message"),
    [
        (["title"], "must be an object"),
        ({"year": EDIT_ABOUT}, "unknown edited field"),
        ({"title": {**EDIT_ABOUT, "extra": 1}}, "has the keys"),
        ({"title": "x"}, "has the keys"),
        ({"title": {**EDIT_ABOUT, "editor": ""}}, "must be a name"),
        ({"title": {**EDIT_ABOUT, "editor": "x" * 500}}, "must be a name"),
        ({"title": {**EDIT_ABOUT, "edited_at": "igår"}}, "ISO 8601"),
        ({"tags": {**EDIT_ABOUT, "file_value": "a"}}, "wrong type"),
        ({"title": {**EDIT_ABOUT, "file_value": None}}, "wrong type"),
        ({"kind": {**EDIT_ABOUT, "file_value": "memo"}}, "unknown kind"),
        ({"title": {**EDIT_ABOUT, "file_value": " "}}, "title is empty"),
        (
            {"source_urls": {**EDIT_ABOUT, "file_value": ["javascript:alert(1)"]}},
            "not a web address",
        ),
    ],
)
def test_malformed_edits_in_an_archive_are_refused(kb, tmp_path, edited_fields, message):
    evil = build(tmp_path / "evil.tar.gz", [row(edited_fields=edited_fields)], [chunk()])
    with pytest.raises(KBError, match=message):
        imported(kb, evil)
    assert_nothing_written(kb)


def test_an_old_catalog_gets_the_edit_layer_and_its_documents_none(config):
    config.data_dir.mkdir(parents=True)
    with sqlite3.connect(config.catalog_path) as db:
        db.executescript(VERSION_1)
    catalog = Catalog(config.catalog_path, migrate=True)
    try:
        doc = catalog.get("tull")
        assert doc.edited_fields() == {} and doc.file_metadata == doc.meta
        assert catalog.connection.execute("SELECT COUNT(*) FROM manual_edits").fetchone()[0] == 0
    finally:
        catalog.close()

"""Near-duplicates (issue 16, part 3): found at ingest by MinHash over word shingles, warned
of in the CLI summary and on the upload job, never dropped; an editor links them as one
document's versions (the other id leads on) or keeps both (the warning goes for good)."""

from __future__ import annotations

import re

from cli.main import main as kb_main
from kb import near_duplicates as near
from tests.conftest import api_with_session, csrf
from tests.test_manual_edits import upload

PARAGRAPHS = [
    "Tullverket införde ett nytt system för deklarationer av varor under 2019.",
    "Projektet försenades eftersom kraven på integration med EU:s system ändrades två gånger.",
    "Kostnaderna blev 40 procent högre än beräknat, främst för konsulter och test.",
    "Myndigheten drog slutsatsen att kraven borde ha låsts innan upphandlingen började.",
    "Utbildningen av handläggarna kom för sent och stödet i början var otillräckligt.",
    "Efter ett år fungerade systemet och handläggningstiderna hade halverats.",
]
OTHER = (
    "# Bostadsbidrag\n\nFörsäkringskassan gjorde om ansökan om bostadsbidrag till en e-tjänst."
    " Antalet kompletteringar minskade med en tredjedel under det första året.\n"
)


def markdown(paragraphs) -> str:
    return "# Tullverkets nya deklarationssystem\n\n" + "\n\n".join(paragraphs) + "\n"


def html(paragraphs) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        "<html><head><title>Tullverkets nya deklarationssystem</title></head><body>"
        f"<nav>Meny</nav><main><h1>Tullverkets nya deklarationssystem</h1>{body}</main></body>"
        "</html>"
    )


def draft(paragraphs) -> list[str]:
    edited = list(paragraphs)
    edited[2] = "Kostnaderna är ännu inte kända; avsnittet kompletteras."
    return edited


def test_signatures_tell_a_copy_and_a_draft_from_another_text():
    as_read = "\n\n".join(["Tullverkets nya deklarationssystem", *PARAGRAPHS])  # a reader's text
    same = near.similarity(near.signature(markdown(PARAGRAPHS)), near.signature(as_read))
    edited = near.similarity(
        near.signature(markdown(PARAGRAPHS)), near.signature(markdown(draft(PARAGRAPHS)))
    )
    other = near.similarity(near.signature(markdown(PARAGRAPHS)), near.signature(OTHER))
    assert same >= 0.9 and near.THRESHOLD <= edited < same and other < 0.1


def test_a_near_duplicate_is_flagged_in_the_cli_summary_and_both_are_kept(
    kb, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("KB_DATA_DIR", str(kb.config.data_dir))
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tull.md").write_text(markdown(PARAGRAPHS), encoding="utf-8")
    (folder / "bostad.md").write_text(OTHER, encoding="utf-8")
    assert kb_main(["ingest", str(folder), "--quiet"]) == 0
    capsys.readouterr()
    (folder / "tull-webb.html").write_text(html(PARAGRAPHS), encoding="utf-8")
    assert kb_main(["ingest", str(folder), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"near-duplicate: .*tull-webb\.html: resembles .* \(tull\) at \d+ %", out)
    assert "bostad" not in out.split("near-duplicate", 1)[1]
    assert {d.id for d in kb.catalog.documents()} == {"tull", "tull-webb", "bostad"}  # none dropped
    assert kb_main(["ingest", str(folder), "--json"]) == 0  # unchanged: not warned again
    assert '"near_duplicates": []' in capsys.readouterr().out


def _upload_pair(app, client, tmp_path):
    final = tmp_path / "tull.md"
    final.write_text(markdown(PARAGRAPHS), encoding="utf-8")
    upload(app, client, final)
    later = tmp_path / "tull-utkast.md"
    later.write_text(markdown(draft(PARAGRAPHS)), encoding="utf-8")
    return upload(app, client, later)


def test_an_uploaded_near_duplicate_is_warned_of_on_the_job_page(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    job = _upload_pair(app, client, tmp_path)
    (found,) = job["files"][0]["near_duplicates"]
    assert found["id"] == "tull" and near.THRESHOLD * 100 <= found["percent"] < 100
    page = client.get(f"/upload/jobs/{job['id']}").get_data(as_text=True)
    assert f"Liknar Tullverkets nya deklarationssystem till {found['percent']} %" in page
    doc_page = client.get("/documents/tull-utkast").get_data(as_text=True)
    assert "Länka som versioner av ett dokument" in doc_page and "Behåll båda" in doc_page


def test_keep_both_dismisses_the_warning_for_good(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    _upload_pair(app, client, tmp_path)
    response = client.post(
        "/documents/tull-utkast/near-duplicates/tull/keep", data={"csrf_token": csrf(client)}
    )
    assert response.status_code == 303
    assert "Behåll båda" not in client.get("/documents/tull-utkast").get_data(as_text=True)
    assert "Behåll båda" not in client.get("/documents/tull").get_data(as_text=True)
    again = tmp_path / "tull-utkast.md"
    again.write_text(markdown(draft(PARAGRAPHS)) + "\nEn rad till.\n", encoding="utf-8")
    job = upload(app, client, again)  # a new version of it: the pair stays decided
    assert job["files"][0]["near_duplicates"] == []


def test_link_as_version_makes_one_document_and_the_other_id_leads_to_it(app, editor, tmp_path):
    client = editor
    api_with_session(client)
    _upload_pair(app, client, tmp_path)
    response = client.post(
        "/documents/tull/near-duplicates/tull-utkast/link", data={"csrf_token": csrf(client)}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/documents/tull")
    moved = client.get("/documents/tull-utkast?chunk=1")
    assert moved.status_code == 301 and moved.headers["Location"].endswith(
        "/documents/tull?chunk=1"
    )
    versions = client.get("/api/documents/tull/versions").get_json()["versions"]
    assert [(v["n"], v["origin"], v["note"]) for v in versions] == [
        (2, "link", "tull-utkast"),
        (1, "upload", ""),
    ]
    ids = {
        h["doc_id"]
        for h in client.get("/api/search?q=avsnittet+kompletteras").get_json()["results"]
    }
    assert ids == {"tull"}
    assert client.get("/api/documents/tull-utkast").status_code == 404
    # the same file uploaded again is a version of the document it joined, not a new one
    job = upload(app, client, tmp_path / "tull-utkast.md")
    assert job["files"][0]["outcome"] == "unchanged"
    ids = {d["id"] for d in client.get("/api/documents").get_json()}
    assert ids == {"tull"}

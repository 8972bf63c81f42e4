"""Originals: a file ingested from elsewhere is served from its copy in the data folder, and
nothing but a plain file under originals/ is ever served, whatever the catalog says."""

from __future__ import annotations

from ingest.pipeline import ingest
from kb.models import Chunk, Document, Metadata
from tests.files import make_pdf

TEXT = "Signalsystemet blev dyrare än väntat."


def test_cli_ingested_pdf_is_served_from_its_copy_as_it_was_indexed(app, client, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    pdf = make_pdf(folder / "tull.pdf", ["Tullverkets utredningsstöd.", "Beslag och brott."])
    indexed = pdf.read_bytes()
    kb = app.extensions["kb"]["model"].open_kb()
    try:
        assert ingest(kb, [folder]).ok
        assert kb.catalog.get("tull").source == str(pdf.resolve())  # the operator's path
        originals_folder = app.config["KB_CONFIG"].data_dir / "originals"
        copies = sorted(originals_folder.rglob("*"))
        served = [p for p in copies if p.is_file() and "versions" not in p.parts]
        assert [p.name for p in served] == ["tull.pdf"]
        # and the copy its version 1 keeps (issue 16), the same bytes
        (version,) = [p for p in copies if p.is_file() and "versions" in p.parts]
        assert version.read_bytes() == indexed
        pdf.write_bytes(b"%PDF-1.4 edited after the ingest")  # the page shows the indexed text
        page = client.get("/documents/tull").get_data(as_text=True)
        assert "/documents/tull/original" in page
        response = client.get("/documents/tull/original")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data == indexed
        pdf.unlink()  # and it stays available when the folder it came from is gone
        assert client.get("/documents/tull/original").data == indexed
        with kb.writing() as writer:
            writer.delete("tull")
        assert not [p for p in copies if p.exists() and p.is_file()]
    finally:
        kb.close()


def test_ingesting_again_keeps_one_copy_and_replaces_it_when_the_file_changes(kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    path = folder / "rapport.md"
    path.write_text("# Rapport\n\nFörsta versionen om beslag.\n")
    kept = kb.config.data_dir / "originals" / "kept"  # the served copy; versions/ keeps each
    for _ in range(2):
        assert ingest(kb, [folder]).ok
    assert [p.read_bytes() for p in kept.rglob("*") if p.is_file()] == [path.read_bytes()]
    path.write_text("# Rapport\n\nAndra versionen om beslag och tull.\n")
    assert ingest(kb, [folder]).updated
    assert [p.read_bytes() for p in kept.rglob("*") if p.is_file()] == [path.read_bytes()]
    versions = sorted((kb.config.data_dir / "originals" / "versions").rglob("*.md"))
    assert [p.parent.name for p in versions] == ["1", "2"]
    assert versions[1].read_bytes() == path.read_bytes() != versions[0].read_bytes()


def test_original_is_served_only_from_the_originals_folder_whatever_the_catalog_says(
    app, client, embedder
):
    """A catalog written by an older version may already hold such a path, or a symlink."""
    data_dir = app.config["KB_CONFIG"].data_dir
    key = data_dir / "secret_key"
    upload_folder = data_dir / "originals" / "0123456789ab"
    upload_folder.mkdir(parents=True)
    (upload_folder / "lank.md").symlink_to(key)
    kb = app.extensions["kb"]["model"].open_kb()
    try:
        items = []
        for doc_id, source in (
            ("nyckel", key),
            ("lank", upload_folder / "lank.md"),
            ("katalog", data_dir / "catalog.sqlite3"),
        ):
            meta = Metadata(title=doc_id)
            doc = Document(
                doc_id,
                str(source),
                "h",
                meta,
                "markdown",
                1,
                None,
                1,
                "indexing",
                "",
                "",
                "",
                "",
                TEXT,
            )
            chunks = [Chunk(doc_id, 0, TEXT, None, 0, len(TEXT))]
            items.append((doc, chunks, embedder.embed_passages([TEXT])))
        with kb.writing() as writer:
            writer.write_documents(items)
    finally:
        kb.close()
    for doc_id in ("nyckel", "lank", "katalog"):
        response = client.get(f"/documents/{doc_id}/original")
        assert response.status_code == 404, doc_id
        assert key.read_bytes().strip() not in response.data

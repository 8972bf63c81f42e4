"""What the data folder shows to other users of the machine and to anonymous readers:
a private folder, a private session key, file names rather than server paths, and no
refused uploads left lying around."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import pytest

from ingest.pipeline import ingest
from kb.knowledge_base import KnowledgeBase
from kb.storage.catalog import Catalog
from kb.storage.locking import write_lock
from kb.storage.vectors import VectorStore
from tests.conftest import api_with_session
from tests.test_api import check


@pytest.fixture
def usual_umask():
    old = os.umask(0o022)  # the common default: files and folders readable by everyone
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _open_web_app(config, embedder) -> None:
    from web import create_app

    create_app({"TESTING": True}, kb_config=config, embedder=embedder)


def _take_write_lock(config, embedder) -> None:
    with write_lock(config.data_dir):
        pass


OPENERS = {
    "knowledge-base": lambda config, embedder: KnowledgeBase(config, embedder=embedder).close(),
    "catalog": lambda config, embedder: Catalog(config.catalog_path, migrate=True).close(),
    "write-lock": _take_write_lock,
    "vector-store": lambda config, embedder: VectorStore.open(config),
    "web-app": _open_web_app,
}


@pytest.mark.parametrize("opener", OPENERS)
def test_data_folder_is_created_readable_by_its_owner_only(config, embedder, usual_umask, opener):
    if opener == "vector-store" and config.chroma_url:
        pytest.skip("a Chroma server keeps its vectors elsewhere")
    config = config.with_(data_dir=config.data_dir / "nested" / "kb")
    OPENERS[opener](config, embedder)
    assert mode(config.data_dir) == 0o700
    assert mode(config.data_dir.parent) == 0o700  # made for it, so private as well


def test_secret_key_is_private_even_when_an_older_version_left_it_readable(
    config, embedder, usual_umask
):
    from web import create_app

    create_app({"TESTING": True}, kb_config=config, embedder=embedder)
    key = config.data_dir / "secret_key"
    assert mode(key) == 0o600
    key.chmod(0o644)  # as an older version, or a restored backup, may have left it
    create_app({"TESTING": True}, kb_config=config, embedder=embedder)
    assert mode(key) == 0o600


def test_api_shows_file_names_never_server_paths(app, client, editor, tmp_path):
    folder = tmp_path / "hemliga-mappen"
    folder.mkdir()
    (folder / "ertms.md").write_text("# ERTMS\n\nSignalsystemet blev dyrare.\n")
    kb = app.extensions["kb"]["model"].open_kb()
    try:
        assert ingest(kb, [folder]).ok
    finally:
        kb.close()
    api_with_session(editor)
    job = editor.post(
        "/api/documents?wait=1",
        data={"files": [(io.BytesIO(b"# Rapport\n\nOm beslag och tull."), "rapport.md")]},
        content_type="multipart/form-data",
    ).get_json()
    assert job["files"][0]["outcome"] == "added"
    editor.post("/logout")
    anonymous = app.test_client()
    listed = check(anonymous.get("/api/documents"))
    assert sorted(d["source"] for d in listed) == ["ertms.md", "rapport.md"]
    for doc_id in ("ertms", "rapport"):
        response = anonymous.get(f"/api/documents/{doc_id}")
        check(response)
        body = response.get_data(as_text=True)
        assert str(tmp_path) not in body and str(app.config["KB_CONFIG"].data_dir) not in body


def test_refused_upload_is_deleted_from_disk(app, editor):
    api_with_session(editor)
    job = editor.post(
        "/api/documents?wait=1",
        data={
            "files": [
                (io.BytesIO(b"inte alls en pdf"), "trasig.pdf"),
                (io.BytesIO(b"# Rapport\n\nOm beslag och tull."), "rapport.md"),
            ]
        },
        content_type="multipart/form-data",
    ).get_json()
    outcomes = {f["name"]: f["outcome"] for f in job["files"]}
    assert outcomes == {"trasig.pdf": "failed", "rapport.md": "added"}
    originals = app.config["KB_CONFIG"].data_dir / "originals"
    served = [p for p in originals.rglob("*") if p.is_file() and "versions" not in p.parts]
    assert [p.name for p in served] == ["rapport.md"]  # the refused file is gone
    kept = [p.name for p in (originals / "versions").rglob("*") if p.is_file()]
    assert kept == ["rapport.md"]  # the document's first version, not the refused file
    folders = [p for p in originals.iterdir() if p.is_dir() and p.name != "versions"]
    assert len(folders) == 1  # no empty folder left

"""`kb import` of hostile archives: nothing outside what the archive brought is ever served,
and a refused archive writes nothing at all."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.operations.archive import import_archive
from tests.conftest import api_with_session


def imported(knowledge_base, archive):
    """`kb import`: the archive written through the knowledge base's writer."""
    with knowledge_base.writing() as writer:
        return import_archive(writer, archive)


FORMAT = "erfarenhetsbanken-export/1"
TEXT = "Signalsystemet blev dyrare än väntat."


def row(doc_id: str = "stulen", **changes) -> dict:
    base = {
        "id": doc_id,
        "source": f"/home/x/{doc_id}.md",
        "content_hash": "0" * 64,
        "title": "Stulen nyckel",
        "kind": "case",
        "agency": None,
        "date": None,
        "source_urls": [],
        "tags": [],
        "language": "sv",
        "file_type": "markdown",
        "n_chunks": 1,
        "n_pages": None,
        "size_bytes": len(TEXT),
        "status": "ready",
        "text": TEXT,
    }
    return {**base, **changes}


def chunk(doc_id: str = "stulen", **changes) -> dict:
    base = {
        "doc_id": doc_id,
        "seq": 0,
        "text": TEXT,
        "page": None,
        "char_start": 0,
        "char_end": len(TEXT),
    }
    return {**base, **changes}


def jsonl(items: list[dict]) -> bytes:
    return "\n".join(json.dumps(x, ensure_ascii=False) for x in items).encode()


def build(path: Path, docs: list[dict], chunks: list[dict], extra=()) -> Path:
    """A real tar.gz shaped like `kb export`'s; `extra` are (TarInfo, bytes | None) members."""
    members = {
        "manifest.json": json.dumps(
            {"format": FORMAT, "model": "some-other-model", "vectors": False}
        ).encode(),
        "documents.jsonl": jsonl(docs),
        "chunks.jsonl": jsonl(chunks),
    }
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for info, data in extra:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return path


def file_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


def assert_nothing_written(kb: KnowledgeBase) -> None:
    originals = kb.config.data_dir / "originals"
    assert not originals.exists() or not [p for p in originals.rglob("*") if not p.is_dir()]
    assert kb.catalog.documents(status=None) == [] and kb.store.count() == 0
    assert not list(kb.config.data_dir.glob(".import-*"))  # the staging folder is gone too


def test_archive_source_pointing_at_the_secret_key_is_never_served(app, client, tmp_path):
    data_dir = app.config["KB_CONFIG"].data_dir
    key = data_dir / "secret_key"
    assert key.is_file()  # made by the app: the key that signs editor sessions
    evil = build(tmp_path / "evil.tar.gz", [row(source=str(key))], [chunk()])
    kb = app.extensions["kb"]["model"].open_kb()
    try:
        imported(kb, evil)
        stored = kb.catalog.get("stulen").source
    finally:
        kb.close()
    assert stored == "secret_key"  # kept as display text only, never as a path to open
    response = client.get("/documents/stulen/original")
    assert response.status_code == 404
    assert key.read_bytes().strip() not in response.data
    page = client.get("/documents/stulen").get_data(as_text=True)
    assert "/documents/stulen/original" not in page  # no link to an original it cannot have


def test_gzip_bomb_is_refused_without_filling_memory(kb, tmp_path):
    class Zeros(io.RawIOBase):
        def __init__(self, n: int) -> None:
            self.left = n

        def readable(self) -> bool:
            return True

        def readinto(self, buffer) -> int:
            n = min(len(buffer), self.left)
            buffer[:n] = bytes(n)
            self.left -= n
            return n

    size = 300 * 2**20  # 300 MB of zeros, packed into ~1 MB
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(bomb, "w:gz", compresslevel=1) as tar:
        info, data = file_member("manifest.json", json.dumps({"format": FORMAT}).encode())
        tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("documents.jsonl")
        info.size = size
        tar.addfile(info, io.BufferedReader(Zeros(size), 2**20))
    assert bomb.stat().st_size < 5 * 2**20
    with pytest.raises(KBError, match="too large"):
        imported(kb, bomb)
    assert_nothing_written(kb)
    from kb.operations import archive_checks

    assert archive_checks.MAX_MEMBER_BYTES < size


def test_archive_larger_than_the_total_cap_is_refused(kb, tmp_path, monkeypatch):
    # The real total cap is gigabytes; building that many would take minutes, so it is lowered.
    from kb.operations import archive_checks

    monkeypatch.setattr(archive_checks, "MAX_ARCHIVE_BYTES", 4096)
    originals = [file_member(f"originals/d{i}/d{i}.md", b"x" * 1500) for i in range(3)]
    docs = [row(f"d{i}", original=f"originals/d{i}/d{i}.md") for i in range(3)]
    big = build(tmp_path / "big.tar.gz", docs, [chunk(f"d{i}") for i in range(3)], originals)
    with pytest.raises(KBError, match="too large"):
        imported(kb, big)
    assert_nothing_written(kb)


def test_data_after_the_last_member_counts_towards_the_total_cap(kb, tmp_path, monkeypatch):
    """tar stops at its end marker, but the rest of the stream is unpacked too."""
    from kb.operations import archive_checks

    monkeypatch.setattr(archive_checks, "MAX_ARCHIVE_BYTES", 2**20)
    plain = build(tmp_path / "plain.tar.gz", [row()], [chunk()])
    padded = tmp_path / "padded.tar.gz"
    padded.write_bytes(gzip.compress(gzip.decompress(plain.read_bytes()) + bytes(2 * 2**20)))
    with pytest.raises(KBError, match="too large"):
        imported(kb, padded)
    assert_nothing_written(kb)
    assert imported(kb, plain)["documents"] == 1  # the same archive without the padding


LINKS = {
    "symlink": (tarfile.SYMTYPE, "../../manifest.json"),
    "hard-link": (tarfile.LNKTYPE, "manifest.json"),
    "fifo": (tarfile.FIFOTYPE, ""),
    "device": (tarfile.CHRTYPE, ""),
}


@pytest.mark.parametrize("kind", LINKS)
def test_links_and_special_files_in_the_archive_are_refused(kb, tmp_path, kind):
    info = tarfile.TarInfo("originals/stulen/stulen.md")
    info.type, info.linkname = LINKS[kind]
    evil = build(
        tmp_path / "evil.tar.gz",
        [row(original="originals/stulen/stulen.md")],
        [chunk()],
        [(info, None)],
    )
    with pytest.raises(KBError, match="not a regular file"):
        imported(kb, evil)
    assert_nothing_written(kb)


PROBE = "kb-escape-probe"


@pytest.mark.parametrize(
    "name",
    [
        f"originals/../../{PROBE}",
        f"/tmp/{PROBE}",
        f"../{PROBE}",
        f"originals/stulen/../../../{PROBE}",
    ],
)
def test_members_with_escaping_paths_are_refused(kb, tmp_path, name):
    evil = build(tmp_path / "evil.tar.gz", [row()], [chunk()], [file_member(name, b"pwn")])
    with pytest.raises(KBError, match="unsafe path"):
        imported(kb, evil)
    assert_nothing_written(kb)
    assert not list(tmp_path.rglob(PROBE)) and not Path("/tmp", PROBE).exists()


@pytest.mark.parametrize("doc_id", ["../x", "Stor", "a/b", "", "x" * 300, 7])
def test_invalid_document_ids_are_refused(kb, tmp_path, doc_id):
    evil = build(tmp_path / "evil.tar.gz", [row(doc_id)], [chunk(doc_id)])
    with pytest.raises(KBError, match="invalid document id"):
        imported(kb, evil)
    assert_nothing_written(kb)


BAD_CHUNKS = {
    "end-past-the-text": chunk(char_end=len(TEXT) + 500, text=TEXT),
    "negative-start": chunk(char_start=-3),
    "start-after-end": chunk(char_start=10, char_end=5, text=""),
    "text-not-at-its-offsets": chunk(text="Något helt annat."),
    "seq-not-a-number": chunk(seq="0"),
    "unknown-document": chunk("finns-inte"),
    "extra-field": {**chunk(), "evil": 1},
}


@pytest.mark.parametrize("case", BAD_CHUNKS)
def test_chunks_that_do_not_fit_their_document_are_refused(kb, tmp_path, case):
    evil = build(tmp_path / "evil.tar.gz", [row()], [BAD_CHUNKS[case]])
    with pytest.raises(KBError, match="chunks.jsonl"):
        imported(kb, evil)
    assert_nothing_written(kb)


def test_duplicate_chunk_is_refused(kb, tmp_path):
    evil = build(tmp_path / "evil.tar.gz", [row()], [chunk(), chunk()])
    with pytest.raises(KBError, match="chunks.jsonl"):
        imported(kb, evil)
    assert_nothing_written(kb)


def test_id_equal_to_an_upload_folder_cannot_overwrite_that_documents_original(
    app, client, editor, tmp_path
):
    content = b"# Rapport\n\nOm beslag och tull.\n"
    api_with_session(editor)
    job = editor.post(
        "/api/documents?wait=1",
        data={"files": [(io.BytesIO(content), "rapport.md")]},
        content_type="multipart/form-data",
    ).get_json()
    assert job["files"][0]["outcome"] == "added"
    originals = app.config["KB_CONFIG"].data_dir / "originals"
    (uploaded,) = [p for p in originals.rglob("rapport.md") if "versions" not in p.parts]
    folder = uploaded.parent.name  # originals/<12 hex>/rapport.md
    forged = f"originals/{folder}/rapport.md"
    evil = build(
        tmp_path / "evil.tar.gz",
        [row(folder, original=forged)],
        [chunk(folder)],
        [file_member(forged, b"# Forged\n\nOther bytes.\n")],
    )
    kb = app.extensions["kb"]["model"].open_kb()
    try:
        imported(kb, evil)
    finally:
        kb.close()
    assert uploaded.read_bytes() == content
    assert client.get("/documents/rapport/original").data == content
    assert client.get(f"/documents/{folder}/original").data == b"# Forged\n\nOther bytes.\n"

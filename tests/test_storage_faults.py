"""When storage fails: a full disk, a read-only data folder, a damaged catalog or vector store,
a truncated archive. Each fault is real: small tmpfs mounts made here (root only), bytes
overwritten, files deleted. Every one ends in one line (or the JSON error), never a trace."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from cli.main import main
from ingest.pipeline import ingest
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.models import Chunk
from kb.operations.archive import export
from kb.operations.consistency import check, repair
from kb.search.query import SearchQuery
from kb.search.searcher import Searcher

KB = os.path.join(os.path.dirname(sys.executable), "kb")


# fault injection ---------------------------------------------------------------------------
def _can_mount() -> str | None:
    """None when this process can mount a tmpfs, else why not (for pytest.skip)."""
    if os.geteuid() != 0:
        return "mounting a small tmpfs needs root"
    if shutil.which("mount") is None:
        return "no mount command"
    return None


@pytest.fixture
def mount(tmp_path):
    """`mount(size_mb)`: a fresh tmpfs of that size under tmp_path; unmounted after the test."""
    if (reason := _can_mount()) is not None:
        pytest.skip(reason)
    made = []

    def make(size_mb: float, name: str = "disk") -> Path:
        point = tmp_path / name
        point.mkdir()
        done = subprocess.run(
            [
                "mount",
                "-t",
                "tmpfs",
                "-o",
                f"size={int(size_mb * 1024)}k,mode=0700",
                "tmpfs",
                point,
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs CAP_SYS_ADMIN): {done.stderr.strip()}")
        made.append(point)
        return point

    yield make
    for point in made:
        # lazily: this process's Chroma client may still hold files open
        subprocess.run(["umount", "-l", point], capture_output=True)


def fill(disk: Path, leave_kb: int = 0) -> Path:
    """Fill the disk up, leaving about `leave_kb` free; remove the returned file to free it."""
    filler = disk / "filler"
    with open(filler, "wb") as f:
        try:
            while True:
                free = shutil.disk_usage(disk).free - leave_kb * 1024
                if free <= 0:
                    break
                f.write(b"\0" * min(free, 1 << 20))
                f.flush()
        except OSError:
            pass
    return filler


def remount_read_only(disk: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", disk], check=True, capture_output=True)


def _corpus(folder: Path, n: int, start: int = 0, paragraphs: int = 3) -> Path:
    folder.mkdir(exist_ok=True)
    for i in range(start, start + n):
        body = "\n\n".join(
            f"Dokument {i}, stycke {j}, om signalsystem och upphandling av tjänster. " * 8
            for j in range(paragraphs)
        )
        (folder / f"dok-{i:02d}.md").write_text(f"# Dokument {i}\n\n{body}\n")
    return folder


@pytest.fixture
def run(base_config, monkeypatch, capsys):
    """`run(data_dir, *args)`: the `kb` command in this process -> (status, stdout, stderr)."""
    monkeypatch.setenv("KB_CACHE_DIR", str(base_config.cache_dir))

    def invoke(data_dir: Path, *args: str) -> tuple[int, str, str]:
        monkeypatch.setenv("KB_DATA_DIR", str(data_dir))
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def one_line(err: str) -> str:
    """The error lines of stderr: exactly one, and no trace."""
    assert "Traceback" not in err, err
    lines = [line for line in err.splitlines() if line.startswith("kb: error:")]
    assert len(lines) == 1, err
    return lines[0]


@pytest.fixture
def small_kb(kb, tmp_path):
    assert ingest(kb, [_corpus(tmp_path / "docs", 3)]).ok
    return kb


# 6. archives -------------------------------------------------------------------------------
def _files_under(folder: Path) -> set[str]:
    """Files a failed import could leave behind (the lock file is there for every writer)."""
    return {
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and p.name != "write.lock"
    }


@pytest.mark.parametrize("kept", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_archive_is_refused_in_one_line_and_writes_nothing(
    small_kb, run, tmp_path, kept
):
    archive = tmp_path / "kb.tar.gz"
    export(small_kb, archive, with_vectors=True)
    data = archive.read_bytes()
    archive.write_bytes(data[: int(len(data) * kept)])
    target = tmp_path / "other"
    run(target, "list")  # an empty knowledge base to import into
    before = _files_under(target)
    code, out, err = run(target, "import", str(archive), "--json")
    assert code == 1
    assert "could not be read" in json.loads(out)["error"]
    assert "could not be read" in one_line(err)
    assert _files_under(target) == before  # no staged originals, no catalog rows
    code, out, _ = run(target, "list", "--json")
    assert json.loads(out) == []


def test_an_archive_whose_document_has_no_chunks_is_refused_before_writing(small_kb, run, tmp_path):
    import io
    import tarfile

    archive = tmp_path / "kb.tar.gz"
    export(small_kb, archive)
    broken = tmp_path / "no-chunks.tar.gz"
    with tarfile.open(archive) as source, tarfile.open(broken, "w:gz") as tar:
        for member in source:
            data = source.extractfile(member).read()
            if member.name == "chunks.jsonl":  # the chunks of one document are gone
                lines = [x for x in data.decode().splitlines() if '"dok-00"' not in x]
                data = "\n".join(lines).encode()
                member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    target = tmp_path / "other"
    run(target, "list")
    before = _files_under(target)
    code, _, err = run(target, "import", str(broken))
    assert code == 1
    assert "dok-00" in one_line(err) and "no chunks" in err
    assert _files_under(target) == before


# 7. smaller ones ---------------------------------------------------------------------------
def test_the_lock_wait_names_the_real_holder(kb, config):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from kb.storage.locking import write_lock\n"
            "with write_lock(Path(sys.argv[1]), task='a re-index (kb reindex)'):\n"
            "    print('held', flush=True); time.sleep(30)",
            str(config.data_dir),
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(KBError, match=r"busy with a re-index \(kb reindex\)"):
            with kb.writing(timeout=0.2):
                pass
        waits = []
        with pytest.raises(KBError):
            with kb.writing(timeout=0.2, on_wait=waits.append):
                pass
        assert waits and waits[0].startswith("a re-index (kb reindex) (process ")
    finally:
        holder.kill()
        holder.wait()


def test_check_compares_chunk_text_with_the_document_and_repair_mends_it(small_kb):
    db = small_kb.catalog.connection
    with db:
        db.execute("UPDATE chunks SET text = 'förvanskad text' WHERE doc_id = 'dok-01' AND seq = 0")
    found = check(small_kb)
    assert found.mismatched_chunks == ["dok-01#0"] and not found.clean
    with small_kb.writing() as writer:
        mended = repair(writer)
    assert mended.clean, mended.to_dict()
    chunk = small_kb.catalog.chunks("dok-01")[0]
    text = small_kb.catalog.get("dok-01", with_text=True).text
    assert chunk.text == text[chunk.char_start : chunk.char_end] != "förvanskad text"


def test_a_folder_ingest_redoes_an_upload_left_indexing_by_a_killed_job(small_kb, tmp_path):
    from kb.storage import originals

    upload = originals.root(small_kb.config) / "0123456789ab" / "rapport.md"
    upload.parent.mkdir(parents=True)
    upload.write_text("# Rapport\n\nTullverkets ärendehantering blev dyrare än planerat.\n")
    doc = small_kb.catalog.get("dok-00", with_text=True)
    # what a killed upload leaves: its catalog row 'indexing', its file in the data folder
    killed = doc.__class__(
        **{**vars(doc), "id": "rapport", "source": str(upload.resolve()), "status": "indexing"}
    )
    small_kb.catalog.begin_document(killed, [Chunk("rapport", 0, doc.text[:20], None, 0, 20)])
    report = ingest(small_kb, [tmp_path / "docs"])
    assert report.ok and "rapport" not in {d.id for d in small_kb.catalog.documents("indexing")}
    assert "ärendehantering" in small_kb.catalog.get("rapport", with_text=True).text
    assert check(small_kb).clean


def test_a_job_reports_the_document_of_a_file_found_unchanged(editor, app, tmp_path):
    from tests.conftest import api_with_session

    api_with_session(editor)
    body = b"# Rapport\n\nSignalsystemet blev dyrare.\n"
    ids = []
    for _ in range(2):
        from io import BytesIO

        response = editor.post(
            "/api/documents?wait=1",
            data={"files": (BytesIO(body), "rapport.md")},
            content_type="multipart/form-data",
        )
        assert response.status_code in (200, 202), response.get_json()
        job = response.get_json()
        jobs = app.extensions["kb"]["jobs"]
        done = jobs.wait(jobs.get(job["id"]))
        ids.append((done.files[0].outcome, done.files[0].doc_id))
    assert ids[0][0] == "added" and ids[1][0] == "unchanged"
    assert ids[1][1] == ids[0][1] is not None

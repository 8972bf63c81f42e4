"""When storage fails: a full disk, a read-only data folder, a damaged catalog or vector store,
a truncated archive. Each fault is real: small tmpfs mounts made here (root only), bytes
overwritten, files deleted. Every one ends in one line (or the JSON error), never a trace."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cli.main import main
from ingest.pipeline import ingest
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.models import Chunk
from kb.operations.archive import export
from kb.operations.consistency import check, repair

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


# cut before the gzip trailer: every tar member is whole, only the checksum and length are gone
@pytest.mark.parametrize("kept", [0.999])
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
            "import sys, time\nfrom pathlib import Path\n"
            "from kb.storage.locking import write_lock\n"
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


# helpers for the mounted faults ----------------------------------------------------------
def kb_process(data_dir: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`kb` in a process of its own: no Chroma client of this one holds the store's files."""
    env = {**os.environ, "KB_DATA_DIR": str(data_dir), "PYTHONPATH": os.getcwd()}
    return subprocess.run([KB, *args], capture_output=True, text=True, env=env, timeout=timeout)


def built(data_dir: Path, folder: Path) -> Path:
    done = kb_process(data_dir, "ingest", str(folder), "--quiet")
    assert done.returncode == 0, done.stderr
    return data_dir


def web_app(data_dir: Path, base_config, embedder):
    from web import create_app

    return create_app(
        {"TESTING": True}, kb_config=base_config.with_(data_dir=data_dir), embedder=embedder
    )


def editor_header(data_dir: Path, base_config, embedder) -> dict:
    knowledge_base = KnowledgeBase(base_config.with_(data_dir=data_dir), embedder=embedder)
    knowledge_base.accounts.add("redaktor", "sekretariatet-2026", editor=True)
    token = knowledge_base.accounts.create_token("redaktor")
    knowledge_base.close()
    return {"Authorization": f"Bearer {token}"}


# 1. a full disk during `kb ingest` ---------------------------------------------------------
def test_a_full_disk_stops_ingest_at_once_keeps_what_is_done_and_the_next_run_completes(
    mount, tmp_path, run, monkeypatch
):
    disk = mount(24)
    data = built(disk / "data", _corpus(tmp_path / "first", 2))
    folder = _corpus(tmp_path / "more", 12, start=10, paragraphs=20)  # ~20 KB each
    # Small embedding pools write a few documents at a time, so some fit before the disk fills.
    monkeypatch.setenv("KB_EMBED_POOL_CHUNKS", "8")
    filler = fill(disk, leave_kb=1500)
    started = time.monotonic()
    code, out, err = run(data, "ingest", str(folder), "--quiet")
    took = time.monotonic() - started
    assert code == 1
    line = one_line(err)
    assert "disk full" in line and str(data) in line and "more is needed" in line
    assert err.count("disk full") == 1  # once, not once per file
    added = int(re.match(r"added (\d+),", out).group(1))  # the summary, with what is left
    assert 0 < added < 12 and "not done" in out
    assert took < 60, f"the full disk took {took:.0f} s to stop the run"
    filler.unlink()
    code, out, err = run(data, "ingest", str(folder), "--quiet", "--json")
    assert code == 0, err
    code, out, _ = run(data, "list", "--json")
    assert len(json.loads(out)) == 14
    code, out, _ = run(data, "check", "--json")
    assert code == 0 and json.loads(out)["clean"]


def test_a_full_disk_stops_an_ingest_in_json_with_the_error_object(mount, tmp_path, run):
    disk = mount(24)
    data = built(disk / "data", _corpus(tmp_path / "first", 1))
    folder = _corpus(tmp_path / "more", 12, start=10, paragraphs=60)
    fill(disk, leave_kb=200)
    code, out, err = run(data, "ingest", str(folder), "--json")
    report = json.loads(out)
    assert code == 1 and report["code"] == "disk_full" and "disk full" in report["error"]
    assert report["not_done"] > 0 and "Traceback" not in err


# 2. a full disk under the server ---------------------------------------------------------
def test_on_a_full_disk_reads_answer_writes_say_507_and_health_says_why(
    mount, tmp_path, base_config, embedder
):
    disk = mount(24)
    data = built(disk / "data", _corpus(tmp_path / "docs", 3))
    headers = editor_header(data, base_config, embedder)
    web_app(data, base_config, embedder)  # the session key made while there is room
    fill(disk)
    client = web_app(data, base_config, embedder).test_client()  # `kb serve` starts
    assert client.get("/").status_code == 200
    found = client.get("/api/search?q=signalsystem")
    assert found.status_code == 200 and found.get_json()["total"] == 3
    assert client.get("/sok?q=signalsystem").status_code in (200, 404)
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded" and "disk full" in health["problems"]["disk"]
    fill(disk)  # whatever the reads freed
    big = "Signalsystemet. " * 20000
    edit = client.patch("/api/documents/dok-00", json={"title": big[:200]}, headers=headers)
    assert edit.status_code == 507, edit.get_json()
    assert "disk full" in edit.get_json()["error"] and edit.get_json()["code"] == "disk_full"


# 3. a read-only data folder ----------------------------------------------------------------
@pytest.fixture
def read_only_data(mount, tmp_path, base_config):
    """A knowledge base (and the server's session key) on a disk then made read-only."""
    from web.services import secret_key

    disk = mount(24)
    data = built(disk / "data", _corpus(tmp_path / "docs", 3))
    secret_key(base_config.with_(data_dir=data))
    remount_read_only(disk)
    return data


@pytest.fixture
def read_only_without_key(mount, tmp_path):
    disk = mount(24)
    data = built(disk / "data", _corpus(tmp_path / "docs", 1))
    remount_read_only(disk)
    return data


def test_on_a_read_only_data_folder_reads_work_and_writes_refuse_in_one_line(
    read_only_data, tmp_path, run
):
    data = read_only_data
    code, out, err = run(data, "list", "--json")
    assert code == 0 and len(json.loads(out)) == 3, err
    code, out, err = run(data, "show", "dok-01", "--json")
    assert code == 0 and json.loads(out)["id"] == "dok-01"
    code, out, err = run(data, "search", "signalsystem", "--json")
    assert code == 0 and json.loads(out)["total"] == 3
    assert json.loads(out)["keyword_only"]  # Chroma cannot open a read-only store
    code, out, err = run(data, "ingest", str(_corpus(tmp_path / "new", 1, start=50)), "--json")
    assert code == 1
    assert json.loads(out)["code"] == "read_only" and "read-only" in json.loads(out)["error"]
    assert "read-only" in one_line(err)
    code, out, err = run(data, "delete", "dok-01")
    assert code == 1 and "read-only" in one_line(err)


def test_the_server_starts_on_a_read_only_data_folder_and_refuses_writes(
    read_only_data, base_config, embedder
):
    client = web_app(read_only_data, base_config, embedder).test_client()
    found = client.get("/api/search?q=signalsystem").get_json()
    assert found["total"] == 3 and found["keyword_only"]
    page = client.get("/?q=signalsystem")
    assert page.status_code == 200
    assert "Träffar bara på ord" in page.get_data(as_text=True)  # the page is Swedish
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded" and "read-only" in health["problems"]["disk"]
    assert "vectors" in health["problems"]


def test_kb_serve_on_a_read_only_folder_without_a_session_key_says_why_in_one_line(
    read_only_without_key, run
):
    assert not (read_only_without_key / "secret_key").exists()
    code, _, err = run(read_only_without_key, "serve", "--port", "0")
    assert code == 1
    line = one_line(err)
    assert "session key" in line and "read-only" in line


# 4. a damaged catalog: recover, backup -----------------------------------------------------
def damage(catalog: Path) -> None:
    """Overwrite pages in the middle of the file (its header stays: SQLite opens it)."""
    data = bytearray(catalog.read_bytes())
    assert len(data) > 8 * 4096
    data[2 * 4096 : len(data) - 4096] = b"\xa5" * (len(data) - 3 * 4096)
    catalog.write_bytes(bytes(data))


@pytest.fixture
def damaged_data(tmp_path):
    data = built(tmp_path / "data", _corpus(tmp_path / "docs", 4))
    damage(data / "catalog.sqlite3")
    return data


def test_a_damaged_catalog_is_named_with_the_way_back(damaged_data, run):
    for args in (["list"], ["search", "signalsystem"], ["export", "/tmp/x.tar.gz"], ["check"]):
        code, out, err = run(damaged_data, *args)
        assert code == 1, args
        line = one_line(err)
        assert "damaged" in line and "kb recover" in line and "kb backup" in line
    code, out, err = run(damaged_data, "list", "--json")
    assert json.loads(out)["code"] == "catalog_corrupt"


def test_the_web_says_the_catalog_is_damaged(damaged_data, base_config, embedder):
    from web import create_app

    with pytest.raises(KBError, match="kb recover"):
        create_app(
            {"TESTING": True}, kb_config=base_config.with_(data_dir=damaged_data), embedder=embedder
        )


def test_kb_recover_rebuilds_the_catalog_from_the_originals_with_the_stored_vectors(
    damaged_data, run, tmp_path
):
    code, out, err = run(damaged_data, "recover", "--json")
    result = json.loads(out)
    assert result["documents"] == 4 and result["vectors_reused"] == 4, err
    assert Path(result["damaged_copy"]).exists()
    assert result["lost"]  # what the damaged pages held is listed, not hidden
    code, out, _ = run(damaged_data, "check", "--json")
    assert code == 0 and json.loads(out)["clean"], out
    code, out, _ = run(damaged_data, "search", "signalsystem", "--mode", "dense", "--json")
    assert json.loads(out)["total"] == 4
    # the next ingest of the folder finds its files the same: nothing doubled
    code, out, _ = run(damaged_data, "ingest", str(tmp_path / "docs"), "--json")
    assert json.loads(out)["added"] == 0
    code, out, _ = run(damaged_data, "list", "--json")
    assert len(json.loads(out)) == 4
    code, _, err = run(damaged_data, "recover")
    assert code == 1 and "is sound" in one_line(err)


def test_kb_backup_copies_a_serving_knowledge_base_that_restores_whole(small_kb, run, tmp_path):
    data = small_kb.config.data_dir
    small_kb.accounts.add("redaktor", "sekretariatet-2026", editor=True)
    code, out, err = run(data, "backup", str(tmp_path / "backup"), "--json")
    assert code == 0, err
    result = json.loads(out)
    assert result["documents"] == 3 and result["vectors"]
    restored = tmp_path / "restored"
    shutil.copytree(tmp_path / "backup", restored)
    code, out, _ = run(restored, "check", "--json")
    assert code == 0 and json.loads(out)["clean"]
    code, out, _ = run(restored, "search", "signalsystem", "--mode", "dense", "--json")
    assert json.loads(out)["total"] == 3
    copy = KnowledgeBase.to_read(small_kb.config.with_(data_dir=restored), small_kb.embedder)
    assert copy.accounts.get("redaktor") is not None
    copy.close()
    code, _, err = run(data, "backup", str(tmp_path / "backup"))
    assert code == 1 and "not empty" in one_line(err)


# 5. vector store damage ------------------------------------------------------------------
def test_a_deleted_vector_store_is_reported_and_search_says_keyword_only(
    tmp_path, base_config, embedder, run
):
    data = built(tmp_path / "data", _corpus(tmp_path / "docs", 3))
    shutil.rmtree(data / "chroma")
    client = web_app(data, base_config, embedder).test_client()
    health = client.get("/api/health").get_json()
    assert health["status"] == "degraded" and "0 vectors for" in health["problems"]["vectors"]
    found = client.get("/api/search?q=signalsystem").get_json()
    assert found["keyword_only"] and found["total"] == 3
    page = client.get("/?q=signalsystem").get_data(as_text=True)
    assert "Träffar bara på ord" in page
    dense = client.get("/api/search?q=signalsystem&mode=dense")
    assert dense.status_code == 503 and dense.get_json()["code"] == "vectors_damaged"
    code, out, _ = run(data, "check", "--repair", "--json")
    assert code == 0 and json.loads(out)["clean"]
    assert client.get("/api/health").get_json()["status"] == "ok"
    assert not client.get("/api/search?q=signalsystem").get_json()["keyword_only"]


def _larger_store(tmp_path) -> Path:
    """3 documents, and 1100 vectors more: Chroma then keeps an HNSW index on disk."""
    data = built(tmp_path / "data", _corpus(tmp_path / "docs", 3))
    script = (
        "import sys, numpy as np\n"
        "from kb.config import load_config\nfrom kb.knowledge_base import KnowledgeBase\n"
        "kb = KnowledgeBase(load_config(), check_model=False)\n"
        "n = 1100\nv = np.random.default_rng(1).random((n, 384)).astype('float32')\n"
        "from kb.models import Chunk\n"
        "chunks = [Chunk('fyll', i, f'fyll {i}', None, 0, 0) for i in range(n)]\n"
        "kb.store.replace_documents([(chunks, v, kb.catalog.get('dok-00').meta)])\n"
    )
    env = {**os.environ, "KB_DATA_DIR": str(data), "PYTHONPATH": os.getcwd()}
    subprocess.run([sys.executable, "-c", script], check=True, env=env)
    return data


def test_a_deleted_index_file_is_repaired_by_check_repair(tmp_path):
    data = _larger_store(tmp_path)
    index_files = list((data / "chroma").glob("*/data_level0.bin"))
    assert index_files, "Chroma kept no index on disk"
    for path in index_files:
        path.unlink()
    checked = kb_process(data, "check", "--json")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr, checked.stderr
    assert json.loads(checked.stdout)["damaged_store"]
    found = kb_process(data, "search", "signalsystem", "--json")
    assert found.returncode == 0 and json.loads(found.stdout)["keyword_only"], found.stderr
    repaired = kb_process(data, "check", "--repair", "--json")
    assert repaired.returncode == 0, repaired.stderr
    report = json.loads(repaired.stdout)
    assert report["clean"] and any("rebuilt the vector store" in r for r in report["repaired"])
    found = kb_process(data, "search", "signalsystem", "--mode", "dense", "--json")
    assert json.loads(found.stdout)["total"] == 3


def test_check_finds_stored_vectors_its_index_cannot_find_and_repair_rebuilds_it(tmp_path):
    data = _larger_store(tmp_path)
    (index,) = (data / "chroma").glob("*/data_level0.bin")
    # HNSW's level 0, element by element: (M0 = 32) links and their count, the vector, the
    # label. Erasing the links leaves every vector readable but the graph without edges.
    element = 32 * 4 + 4 + 384 * 4 + 8
    raw = bytearray(index.read_bytes())
    assert len(raw) % element == 0
    for start in range(0, len(raw), element):
        raw[start : start + 132] = bytes(132)
    index.write_bytes(bytes(raw))
    checked = kb_process(data, "check", "--json")
    assert checked.returncode == 1 and checked.stdout, checked.stderr
    report = json.loads(checked.stdout)
    assert report["unfindable"] and not report["damaged_store"]
    repaired = kb_process(data, "check", "--repair", "--json")
    report = json.loads(repaired.stdout)
    assert repaired.returncode == 0 and report["clean"] and not report["unfindable"], report

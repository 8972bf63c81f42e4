"""`kb serve --workers N` over a real Chroma server: processes share sessions, upload jobs,
login throttling and the store, and a worker that dies is replaced."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ingest.pipeline import ingest
from kb.knowledge_base import KnowledgeBase
from tests.chroma_server import free_port, wait_until_up
from tests.conftest import CORPUS, EDITOR_PASSWORD
from tests.files import make_pdf

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory):
    """The CI's server when KB_CHROMA_URL is set, else one of our own."""
    if os.environ.get("KB_CHROMA_URL"):
        yield os.environ["KB_CHROMA_URL"]
        return
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    path = tmp_path_factory.mktemp("chroma")
    server = subprocess.Popen(
        [BIN / "chroma", "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _env(base_config, data_dir: Path, chroma_url: str) -> dict:
    return {
        **os.environ,
        "KB_DATA_DIR": str(data_dir),
        "KB_CACHE_DIR": str(base_config.cache_dir),
        "KB_CHROMA_URL": chroma_url,
    }


def _kb(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [BIN / "kb", *args], env=env, input=stdin, capture_output=True, text=True, timeout=300
    )


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


@pytest.fixture(scope="module")
def served(base_config, embedder, chroma_url, tmp_path_factory):
    data = tmp_path_factory.mktemp("workers-data")
    env = _env(base_config, data, chroma_url)
    # Built in this process, where the session's embedder already has the corpus's vectors;
    # the workers are what these tests are about.
    config = base_config.with_(data_dir=data, chroma_url=chroma_url)
    knowledge_base = KnowledgeBase(config, embedder=embedder)
    try:
        assert ingest(knowledge_base, [CORPUS]).ok
        knowledge_base.accounts.add("redaktor", EDITOR_PASSWORD, editor=True)
        token = knowledge_base.accounts.create_token("redaktor")
    finally:
        knowledge_base.close()
    port = free_port()
    command = [BIN / "kb", "serve", "--workers", "2", "--port", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/search?q=kostnader", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"kb serve --workers 2 did not come up: {server.stderr.read()[-2000:]}")
    server.base, server.env = base, env
    yield base, token, server
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0


def test_two_workers_serve_and_share_state(served, tmp_path):
    base, token, server = served
    workers = _children(server.pid)
    assert len(workers) == 2

    with httpx.Client(base_url=base, timeout=60) as web:
        # a session made by one worker is honoured by the other (shared key)
        page = web.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        login = web.post(
            "/login", data={"name": "redaktor", "password": EDITOR_PASSWORD, "csrf_token": csrf}
        )
        assert login.status_code == 303
        assert all(web.get("/upload/").status_code == 200 for _ in range(8))

        # an upload job started by one worker can be followed on any
        pdf = make_pdf(tmp_path / "arbetare.pdf", ["Fleranvändarprovet: processer delar jobb."])
        headers = {"Authorization": f"Bearer {token}"}
        job = web.post(
            "/api/documents",
            headers=headers,
            files={"files": ("arbetare.pdf", pdf.read_bytes(), "application/pdf")},
        )
        assert job.status_code in (200, 202)
        job_id = job.json()["id"]
        deadline = time.monotonic() + 120
        while True:
            state = web.get(f"/api/jobs/{job_id}", headers=headers)
            assert state.status_code == 200
            if state.json()["status"] not in ("queued", "running") or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert state.json()["status"] == "done" and state.json()["files"][0]["outcome"] == "added"
        found = web.get("/api/search", params={"q": "Fleranvändarprovet", "mode": "keyword"})
        assert found.json()["results"][0]["title"]

    # failed logins are counted across workers: the sixth is refused whichever answers
    with httpx.Client(base_url=base, timeout=60) as web:
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', web.get("/login").text).group(1)
        wrong = {"name": "redaktor", "password": "fel-fel-fel", "csrf_token": csrf}
        codes = [web.post("/login", data=wrong).status_code for _ in range(6)]
    assert codes[:5] == [401] * 5 and codes[5] == 429


def test_a_dead_worker_is_replaced(served):
    base, _, server = served
    killed = _children(server.pid)[0]
    os.kill(killed, signal.SIGKILL)
    _wait_for_workers(server, gone=[killed])
    ok = [httpx.get(f"{base}/api/search?q=kostnader", timeout=60).status_code for _ in range(10)]
    assert ok == [200] * 10


def test_an_upload_whose_worker_dies_reports_failed_and_can_be_redone(served, tmp_path):
    base, token, server = served
    headers = {"Authorization": f"Bearer {token}"}
    # 12 pages: seconds of embedding in the worker, against the tenth of a second between
    # seeing the job running and the kill; the redo embeds them all again.
    pages = [
        f"Avbrottsprovet sida {n}: myndighet {n} beskriver upphandling, drift och "
        f"förvaltning av system {n * 7} med kostnad {n * 13} miljoner kronor. " * 12
        for n in range(12)
    ]
    pdf = make_pdf(tmp_path / "avbrott.pdf", pages)
    files = {"files": ("avbrott.pdf", pdf.read_bytes(), "application/pdf")}
    job_id = httpx.post(f"{base}/api/documents", headers=headers, files=files, timeout=60).json()[
        "id"
    ]
    state = _wait_for_job(base, job_id, headers, until=("running",))
    assert state["status"] == "running"

    before = _children(server.pid)
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    _wait_for_workers(server, gone=before)

    state = httpx.get(f"{base}/api/jobs/{job_id}", headers=headers, timeout=60).json()
    assert state["status"] == "failed" and "upload the files again" in state["error"]
    assert state["files"][0]["outcome"] == "failed"
    hits = httpx.get(
        f"{base}/api/search", params={"q": "Avbrottsprovet", "mode": "keyword"}, timeout=60
    ).json()["results"]
    assert hits == []  # nothing half-ingested is shown

    again = httpx.post(f"{base}/api/documents", headers=headers, files=files, timeout=60)
    state = _wait_for_job(base, again.json()["id"], headers, until=("done", "failed"))
    assert state["status"] == "done" and state["files"][0]["outcome"] == "added"
    hits = httpx.get(
        f"{base}/api/search", params={"q": "Avbrottsprovet", "mode": "keyword"}, timeout=60
    ).json()["results"]
    assert len(hits) == 1 and hits[0]["doc_id"] == state["files"][0]["doc_id"]
    check = _kb(server.env, "check")
    assert check.returncode == 0, check.stdout + check.stderr


def _wait_for_job(base: str, job_id: str, headers: dict, until: tuple[str, ...]) -> dict:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        state = httpx.get(f"{base}/api/jobs/{job_id}", headers=headers, timeout=60).json()
        if state["status"] in until or state["status"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    return state


def _wait_for_workers(server: subprocess.Popen, gone: list[int]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = _children(server.pid)
        if len(now) == 2 and not set(gone) & set(now):
            break
        time.sleep(0.5)
    assert len(now) == 2 and not set(gone) & set(now)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # both new workers have loaded and answer
        try:
            if httpx.get(f"{server.base}/api/search?q=kostnader", timeout=60).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.5)


def test_workers_without_a_chroma_server_are_refused(base_config, tmp_path):
    env = {**_env(base_config, tmp_path / "data", ""), "KB_CHROMA_URL": ""}
    done = _kb(env, "serve", "--workers", "2", "--port", str(free_port()))
    assert done.returncode == 1
    assert "needs a Chroma server" in done.stderr and "Traceback" not in done.stderr


def test_sigterm_while_a_worker_is_being_replaced_stops_the_server(served):
    """The home-made supervisor could spawn a worker after SIGTERM and wait for ever."""
    _, _, server = served
    os.kill(_children(server.pid)[0], signal.SIGKILL)
    time.sleep(0.3)  # the master is now replacing it
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=60) == 0
    assert _children(server.pid) == []

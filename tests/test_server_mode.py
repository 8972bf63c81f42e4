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
    server = subprocess.Popen([BIN / "chroma", "run", "--host", "127.0.0.1", "--port", str(port),
                               "--path", str(path)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        wait_until_up(url, server)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _env(base_config, data_dir: Path, chroma_url: str) -> dict:
    return {**os.environ, "KB_DATA_DIR": str(data_dir), "KB_CACHE_DIR": str(base_config.cache_dir),
            "KB_CHROMA_URL": chroma_url}  # fmt: skip


def _kb(env: dict, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([BIN / "kb", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=300)  # fmt: skip


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


@pytest.fixture(scope="module")
def served(base_config, chroma_url, tmp_path_factory):
    data = tmp_path_factory.mktemp("workers-data")
    env = _env(base_config, data, chroma_url)
    assert _kb(env, "ingest", str(CORPUS), "--quiet").returncode == 0
    assert _kb(env, "user", "add", "redaktor", "--editor", "--password-stdin",
               stdin=EDITOR_PASSWORD + "\n").returncode == 0  # fmt: skip
    token = _kb(env, "token", "create", "redaktor").stdout.strip().split()[-1]
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
        login = web.post("/login", data={"name": "redaktor", "password": EDITOR_PASSWORD,
                                          "csrf_token": csrf})  # fmt: skip
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
    before = _children(server.pid)
    os.kill(before[0], signal.SIGKILL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = _children(server.pid)
        if len(now) == 2 and before[0] not in now:
            break
        time.sleep(0.5)
    assert len(now) == 2 and before[0] not in now
    ok = [httpx.get(f"{base}/api/search?q=kostnader", timeout=60).status_code for _ in range(10)]
    assert ok == [200] * 10


def test_workers_without_a_chroma_server_are_refused(base_config, tmp_path):
    env = {**_env(base_config, tmp_path / "data", ""), "KB_CHROMA_URL": ""}
    done = _kb(env, "serve", "--workers", "2", "--port", str(free_port()))
    assert done.returncode == 1
    assert "needs a Chroma server" in done.stderr and "Traceback" not in done.stderr

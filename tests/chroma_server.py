"""Run a command against a throw-away Chroma server: `python -m tests.chroma_server CMD ...`.

Starts `chroma run` on loopback (a free port, a temporary data folder), waits until it answers,
runs CMD with KB_CHROMA_URL pointing at it, stops the server and exits with CMD's status.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"chroma run exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"no Chroma server at {url} after {timeout:.0f} s")


def main(argv: list[str]) -> int:
    if not argv:
        raise SystemExit(__doc__)
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="kb-chroma-") as path:
        log = open(Path(path) / "server.log", "w")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(
            [chroma, "run", "--host", "127.0.0.1", "--port", str(port), "--path", path + "/db"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_up(url, server)
            print(f"chroma server: {url}", file=sys.stderr)
            return subprocess.call(argv, env={**os.environ, "KB_CHROMA_URL": url})
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

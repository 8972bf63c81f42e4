"""Web latency under load: p50/p95 and errors for GET /api/search and the search page, with
1, 10 and 50 concurrent clients for 30 s each, against `kb serve` on the sample corpus.

Usage: python bench/web.py [--seconds 30] [--clients 1 10 50]

The load comes from wrk (Debian's package; `apt-get install wrk`) on loopback only, cycling
through the evaluation set's queries. The knowledge base is a fresh temporary one.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KB = Path(sys.executable).parent / "kb"

LUA = """
local paths = {%s}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %%d, "errors": %%d, "p50_ms": %%.1f, "p95_ms": %%.1f}\\n',
    summary.requests, errors, latency:percentile(50) / 1000, latency:percentile(95) / 1000))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, seconds: float = 120) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"server did not answer at {url}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 10, 50])
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    queries = [
        json.loads(line)["text"]
        for line in (ROOT / "corpus/eval/queries.jsonl").read_text().splitlines()
    ]
    with tempfile.TemporaryDirectory(prefix="kb-bench-web-") as tmp:
        env = {**os.environ, "KB_DATA_DIR": tmp}
        subprocess.run([str(KB), "ingest", str(ROOT / "corpus/documents"), "--quiet"],
                       env=env, check=True, capture_output=True)  # fmt: skip
        port = free_port()
        server = subprocess.Popen([str(KB), "serve", "--port", str(port)], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base + "/api/health")
            for name, prefix in (("GET /api/search", "/api/search?q="), ("search page", "/?q=")):
                paths = ", ".join(json.dumps(prefix + urllib.parse.quote_plus(q)) for q in queries)
                script = Path(tmp) / "paths.lua"
                script.write_text(LUA % paths)
                for clients in args.clients:
                    out = subprocess.run(
                        ["wrk", "-t", str(min(clients, 2)), "-c", str(clients),
                         "-d", f"{args.seconds}s", "--timeout", "30s", "-s", str(script), base],
                        capture_output=True, text=True, check=True,
                    ).stdout  # fmt: skip
                    result = json.loads(out.strip().splitlines()[-1])
                    print(
                        f"{name:<16} {clients:>3} clients: {result['requests']:>5} requests, "
                        f"{result['requests'] / args.seconds:6.1f}/s, p50 {result['p50_ms']:7.1f}"
                        f" ms, p95 {result['p95_ms']:7.1f} ms, errors {result['errors']}"
                    )
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

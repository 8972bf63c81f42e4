"""Web latency under load: p50/p95 and errors for GET /api/search and the search page, with
1, 10 and 50 concurrent clients for 30 s each, against `kb serve` on the sample corpus.

Usage: python bench/web.py [--seconds 30] [--clients 1 10 50]
       python bench/web.py --during-upload [--seconds 30] [--clients 50] [--upload-files 12]
       python bench/web.py --code /path/to/old-checkout . [--seconds 20]   (before and after)

--during-upload: the same searches, first alone (the baseline), then while an editor's upload
of --upload-files documents (~70 chunks each) is ingested by the same server; reports both,
their ratio, how long the ingest took, and whether `kb check` is clean afterwards.

The load comes from wrk (Debian's package; `apt-get install wrk`) on loopback only, cycling
through the evaluation set's queries. The knowledge base is a fresh temporary one.
"""

from __future__ import annotations

import argparse
import contextlib
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
import uuid
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


def wrk(base: str, script: Path, clients: int, seconds: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            "wrk",
            "-t",
            str(min(clients, 2)),
            "-c",
            str(clients),
            "-d",
            f"{seconds}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            base,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )


def wrk_result(process: subprocess.Popen) -> dict:
    out, _ = process.communicate()
    if process.returncode:
        raise SystemExit(f"wrk failed: {out[-500:]}")
    return json.loads(out.strip().splitlines()[-1])


def multipart(files: list[tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="{name}"\r\nContent-Type: text/markdown\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), boundary


def upload_documents(count: int) -> list[tuple[str, bytes]]:
    """Documents made from the corpus' own Markdown, each distinct so each is embedded."""
    texts = [p.read_text() for p in sorted((ROOT / "corpus/documents").glob("*.md"))]
    body = "\n\n".join(t.split("---", 2)[-1] for t in texts)
    return [
        (
            f"lastprov-{i:02d}.md",
            f"# Lastprov {i}\n\nUppladdning nummer {i} under sökningar.\n\n{body}".encode(),
        )
        for i in range(count)
    ]


def api(base: str, path: str, token: str, data: bytes | None = None, headers=None) -> dict:
    request = urllib.request.Request(
        base + path,
        data=data,
        method="POST" if data else "GET",
        headers={"Authorization": f"Bearer {token}", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())


def during_upload(args, base: str, env: dict, tmp: str, script: Path) -> None:
    add = [str(KB), "user", "add", "bench", "--editor", "--password-stdin"]
    subprocess.run(
        add, env=env, input="bench-password-123\n", text=True, check=True, capture_output=True
    )
    token = json.loads(
        subprocess.run(
            [str(KB), "token", "create", "bench", "--json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )["token"]
    for clients in args.clients:
        alone = wrk_result(wrk(base, script, clients, args.seconds))
        body, boundary = multipart(upload_documents(args.upload_files))
        load = wrk(base, script, clients, args.seconds)
        time.sleep(1)
        started = time.time()
        job = api(
            base,
            "/api/documents",
            token,
            body,
            {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        )
        while job["status"] in ("queued", "running"):
            time.sleep(0.5)
            job = api(base, f"/api/jobs/{job['id']}", token)
        ingest_s = time.time() - started
        during = wrk_result(load)
        outcomes = sorted({f["outcome"] for f in job["files"]})
        check = subprocess.run(
            [str(KB), "check", "--json"], env=env, capture_output=True, text=True
        )
        for name, r in (("alone", alone), ("during upload", during)):
            print(
                f"{name:<14} {clients:>3} clients {args.seconds} s: {r['requests']:>5} requests,"
                f" {r['requests'] / args.seconds:6.1f}/s, p50 {r['p50_ms']:7.1f} ms,"
                f" p95 {r['p95_ms']:7.1f} ms, errors {r['errors']}"
            )
        print(
            f"p95 during / alone: {during['p95_ms'] / alone['p95_ms']:.2f}; requests during /"
            f" alone: {during['requests'] / alone['requests']:.2f}"
        )
        print(
            f"upload: {len(job['files'])} files ({', '.join(outcomes)}), ingested in "
            f"{ingest_s:.1f} s (the searches ran for the first {args.seconds - 1} s of it); "
            f"kb check: {'clean' if check.returncode == 0 else check.stdout}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--clients", type=int, nargs="+", default=None)
    parser.add_argument("--during-upload", action="store_true")
    parser.add_argument("--upload-files", type=int, default=12)
    parser.add_argument(
        "--servers",
        nargs="+",
        default=["waitress"],
        choices=["waitress", "gunicorn"],
        help="one process under each, measured one after the other in this run",
    )
    parser.add_argument(
        "--code",
        nargs="+",
        type=Path,
        default=[ROOT],
        help="checkouts whose code to serve (e.g. a `git worktree` of an older commit): each "
        "row is measured against each in turn, so before and after share the machine's noise",
    )
    args = parser.parse_args()
    args.clients = args.clients or ([50] if args.during_upload else [1, 10, 50])
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    queries = [
        json.loads(line)["text"]
        for line in (ROOT / "corpus/eval/queries.jsonl").read_text().splitlines()
    ]
    if args.during_upload:
        for server_name in args.servers:
            print(f"\n{server_name}, one process, {args.seconds} s per row:")
            with started(args.code[0], server_name) as (base, env, tmp):
                paths = ", ".join(
                    json.dumps("/api/search?q=" + urllib.parse.quote_plus(q)) for q in queries
                )
                script = Path(tmp) / "paths.lua"
                script.write_text(LUA % paths)
                during_upload(args, base, env, tmp, script)
        return
    with contextlib.ExitStack() as stack:
        targets = [
            (f"{code.name}/{server_name}", stack.enter_context(started(code, server_name)))
            for code in args.code
            for server_name in args.servers
        ]
        print(f"one process each, {args.seconds} s per row, targets measured in turn")
        for name, prefix in (("GET /api/search", "/api/search?q="), ("search page", "/?q=")):
            paths = ", ".join(json.dumps(prefix + urllib.parse.quote_plus(q)) for q in queries)
            script = Path(targets[0][1][2]) / f"paths-{len(prefix)}.lua"
            script.write_text(LUA % paths)
            for clients in args.clients:
                for label, (base, _env, _tmp) in targets:
                    result = wrk_result(wrk(base, script, clients, args.seconds))
                    print(
                        f"{label:<24} {name:<16} {clients:>3} clients: "
                        f"{result['requests']:>5} requests, "
                        f"{result['requests'] / args.seconds:6.1f}/s, p50 {result['p50_ms']:7.1f}"
                        f" ms, p95 {result['p95_ms']:7.1f} ms, errors {result['errors']}",
                        flush=True,
                    )


@contextlib.contextmanager
def started(code: Path, server_name: str):
    """`kb serve` of `code`'s checkout on a fresh copy of the sample corpus: (url, env, tmp)."""
    with tempfile.TemporaryDirectory(prefix="kb-bench-web-") as tmp:
        env = {
            **os.environ,
            "KB_DATA_DIR": tmp,
            "KB_SERVER": server_name,
            "PYTHONPATH": str(code.resolve()),
        }
        subprocess.run(
            [str(KB), "ingest", str(ROOT / "corpus/documents"), "--quiet"],
            env=env,
            check=True,
            capture_output=True,
        )
        port = free_port()
        server = subprocess.Popen(
            [str(KB), "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(base + "/api/health")
            yield base, env, tmp
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()

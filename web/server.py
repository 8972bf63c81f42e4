"""`kb serve`: the app under waitress, in one process or in N pre-forked workers.

Workers share one listening socket (the kernel hands each connection to one of them), each
with its own model and Chroma client. The embedded Chroma store belongs to one process, so
several workers need a Chroma server (KB_CHROMA_URL); the catalog (SQLite, WAL), upload jobs,
login throttling and session key live in the data folder and are shared.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time

from kb.config import Config
from kb.errors import KBError

log = logging.getLogger(__name__)

IDENT = "erfarenhetsbanken"


def _ready_app(config: Config):
    from web import create_app
    from web.access_log import AccessLog

    app = create_app(kb_config=config)
    # Load the model now, not on the first request.
    app.extensions["kb"]["backends"].embedder.embed_query("uppvärmning")
    return AccessLog(app)


def serve(config: Config, host: str, port: int, threads: int, workers: int = 1) -> None:
    from waitress import serve as waitress_serve

    if workers < 1:
        raise KBError("--workers must be at least 1")
    if workers > 1 and not config.chroma_url:
        raise KBError(
            "--workers above 1 needs a Chroma server: the embedded store belongs to one "
            "process. Start `chroma run --host 127.0.0.1 --path <folder>` and set KB_CHROMA_URL."
        )
    print(f"Erfarenhetsbanken: http://{host}:{port}/  (data {config.data_dir}"
          f"{', vectors ' + config.chroma_url if config.chroma_url else ''}"
          f"{f', {workers} workers' if workers > 1 else ''})", file=sys.stderr)  # fmt: skip
    if workers == 1:
        waitress_serve(_ready_app(config), host=host, port=port, threads=threads, ident=IDENT)
        return
    from web.services import secret_key

    secret_key(config)  # made once here, so no two workers race to make different ones
    sock = socket.create_server((host, port), backlog=2048)
    _supervise(sock, workers, lambda: waitress_serve(
        _ready_app(config), sockets=[sock], threads=threads, ident=IDENT))  # fmt: skip


def _supervise(sock: socket.socket, workers: int, run_worker) -> None:
    """Fork the workers, restart one that dies, stop them all on SIGTERM/SIGINT."""
    children: set[int] = set()
    stopping = False

    def spawn() -> None:
        pid = os.fork()
        if pid == 0:  # the worker: its own model, threads and Chroma client from here on
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            code = 0
            try:
                run_worker()
            except BaseException:  # noqa: BLE001 - reported, then the supervisor restarts us
                log.exception("worker %d failed", os.getpid())
                code = 1
            os._exit(code)
        children.add(pid)

    def stop(_signum, _frame) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    for _ in range(workers):
        spawn()
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        children.discard(pid)
        if not stopping:
            log.warning("worker %d ended (status %d); starting another", pid, status)
            time.sleep(1)  # no tight loop if workers die at start (e.g. the server is gone)
            spawn()
    sock.close()

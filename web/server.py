"""`kb serve`: the app under waitress in one process, or under gunicorn with N workers.

gunicorn's workers (`gthread`: threads per process) share one listening socket, each with its
own model and Chroma client: the app is not preloaded, so every worker loads its own after the
fork. gunicorn restarts a worker that dies, reloads gracefully on SIGHUP and stops on SIGTERM.
The embedded Chroma store belongs to one process, so several workers need a Chroma server
(KB_CHROMA_URL); the catalog (SQLite, WAL), upload jobs, login throttling and session key live
in the data folder and are shared.
"""

from __future__ import annotations

import logging
import sys

from kb.config import Config
from kb.errors import KBError

log = logging.getLogger(__name__)

IDENT = "erfarenhetsbanken"
# A worker loads the model before it answers: allow for that on a busy machine.
WORKER_BOOT_SECONDS = 120


def _ready_app(config: Config):
    from web import create_app
    from web.access_log import AccessLog

    app = create_app(kb_config=config)
    # Load the model now, not on the first request.
    app.extensions["kb"]["model"].embedder.embed_query("uppvärmning")
    return AccessLog(app)


def serve(config: Config, host: str, port: int, threads: int, workers: int = 1) -> None:
    if workers < 1:
        raise KBError("--workers must be at least 1")
    if workers > 1 and not config.chroma_url:
        raise KBError(
            "--workers above 1 needs a Chroma server: the embedded store belongs to one "
            "process. Start `chroma run --host 127.0.0.1 --path <folder>` and set KB_CHROMA_URL."
        )
    vectors = f", vectors {config.chroma_url}" if config.chroma_url else ""
    several = f", {workers} workers" if workers > 1 else ""
    print(
        f"Erfarenhetsbanken: http://{host}:{port}/  (data {config.data_dir}{vectors}{several})",
        file=sys.stderr,
    )
    if config.server not in ("auto", "waitress", "gunicorn"):
        raise KBError(f"KB_SERVER={config.server!r}: expected auto, waitress or gunicorn")
    if config.server == "waitress" and workers > 1:
        raise KBError("waitress serves one process: --workers above 1 runs under gunicorn")
    if config.server == "gunicorn" or workers > 1:
        _serve_gunicorn(config, host, port, threads, workers)
    else:
        _serve_waitress(config, host, port, threads)


def _serve_waitress(config: Config, host: str, port: int, threads: int) -> None:
    from waitress import serve as waitress_serve

    # waitress reads a whole body before the app sees it: never more than an upload may be.
    waitress_serve(
        _ready_app(config),
        host=host,
        port=port,
        threads=threads,
        ident=IDENT,
        max_request_body_size=config.max_upload_bytes,
    )


def _serve_gunicorn(config: Config, host: str, port: int, threads: int, workers: int) -> None:
    from gunicorn.app.base import BaseApplication

    from web.services import secret_key

    secret_key(config)  # made once here, so no two workers race to make different ones

    class Application(BaseApplication):
        def load_config(self) -> None:
            settings = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "worker_class": "gthread",
                "threads": threads,
                "preload_app": False,  # each worker loads its own model after the fork
                "timeout": WORKER_BOOT_SECONDS,
                "graceful_timeout": 10,
                "accesslog": None,  # our AccessLog writes one escaped line per request
                "proc_name": IDENT,
                "limit_request_line": 8190,
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self):
            return _ready_app(config)

    Application().run()

"""`kb serve`: the web app behind a production WSGI server."""

from __future__ import annotations

import argparse
import logging

from kb.config import Config


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="serve the web app (production WSGI server)")
    p.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (this machine only)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--threads", type=int, default=8, help="request threads (default 8)")
    p.add_argument(
        "--workers", type=int, default=1, help="processes (default 1; above 1 needs KB_CHROMA_URL)"
    )
    p.set_defaults(handler=serve)


def serve(config: Config, args: argparse.Namespace) -> int:
    # Imported here: only this command needs Flask and waitress.
    from web.server import serve as run_server

    logging.getLogger("web").setLevel(logging.INFO)
    logging.getLogger("waitress").setLevel(logging.INFO)
    run_server(config, args.host, args.port, args.threads, args.workers)
    return 0

"""One log line per request: method, path, status, duration (waitress logs none itself)."""

from __future__ import annotations

import logging
import re
import time

log = logging.getLogger("web.access")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# A feed reader's token is in its URL (web/views/feeds.py): never in the log.
_TOKEN = re.compile(r"(^|&)token=[^&]*")


def printable(text: str) -> str:
    """Control characters as \\xNN: a decoded %0A in a path must not forge a log line."""
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], text)


class AccessLog:
    def __init__(self, app) -> None:
        self.app = app

    def __call__(self, environ, start_response):
        start = time.perf_counter()
        status_holder = {}

        def recording_start_response(status, headers, exc_info=None):
            status_holder["status"] = status.split(" ", 1)[0]
            return start_response(status, headers, exc_info)

        try:
            return self.app(environ, recording_start_response)
        finally:
            path = environ.get("PATH_INFO", "")
            if environ.get("QUERY_STRING"):
                path += "?" + _TOKEN.sub(r"\1token=…", environ["QUERY_STRING"])[:200]
            log.info(
                "%s %s %s %.1fms",
                printable(str(environ.get("REQUEST_METHOD"))),
                printable(path),
                status_holder.get("status", "-"),
                (time.perf_counter() - start) * 1000,
            )

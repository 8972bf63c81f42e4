"""Turns at the model for searches and uploads: searches first, uploads never starved.

One model serves both the search requests and the ingest worker of a web server, and it can
do one thing at a time. A search waiting for its turn goes before the next batch of an
upload's passages, but a batch that has waited `max_wait` seconds goes next, so an upload
always moves on. Within each class, turns go in arrival order.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class PriorityLock:
    def __init__(self, max_wait: float = 3.0) -> None:
        self.max_wait = max_wait
        self._cond = threading.Condition(threading.Lock())
        self._busy = False
        self._urgent: deque[tuple[object, float]] = deque()
        self._background: deque[tuple[object, float]] = deque()

    @contextmanager
    def turn(self, urgent: bool) -> Iterator[None]:
        me = object()
        queue = self._urgent if urgent else self._background
        with self._cond:
            queue.append((me, time.monotonic()))
            # a timeout, because a background turn falls due without anyone notifying
            while self._busy or not self._is_next(me, urgent):
                self._cond.wait(timeout=0.05)
            queue.popleft()
            self._busy = True
        try:
            yield
        finally:
            with self._cond:
                self._busy = False
                self._cond.notify_all()

    def _is_next(self, me: object, urgent: bool) -> bool:
        overdue = bool(self._background) and (
            time.monotonic() - self._background[0][1] >= self.max_wait
        )
        if urgent:
            return self._urgent[0][0] is me and not overdue
        return self._background[0][0] is me and (overdue or not self._urgent)

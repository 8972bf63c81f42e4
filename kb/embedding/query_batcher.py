"""Queries that arrive while the model is busy are encoded together, in one model call.

A web server encodes each search's query alone; under load, requests queue for the one model
and each call pays the model's fixed cost. Here the first caller encodes at once (so one
client waits no longer than before), and whoever arrives meanwhile waits for that call and
then goes in one batch with the others that came in the same time; the batch's first caller
does the work and hands the lead to the next waiting caller when it is done.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np


class _Request:
    __slots__ = ("texts", "vectors", "error", "lead", "ready")

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.vectors: np.ndarray | None = None
        self.error: BaseException | None = None
        self.lead = False
        self.ready = threading.Event()  # set when done, or when made the next leader


class QueryBatcher:
    def __init__(self, encode: Callable[[list[str]], np.ndarray], max_texts: int = 64) -> None:
        self._encode = encode
        self.max_texts = max_texts
        self._lock = threading.Lock()
        self._waiting: list[_Request] = []
        self._busy = False

    def embed(self, texts: list[str]) -> np.ndarray:
        request = _Request(texts)
        with self._lock:
            self._waiting.append(request)
            if not self._busy:
                self._busy = request.lead = True
        if not request.lead:
            request.ready.wait()
        if request.lead and request.vectors is None and request.error is None:
            self._run_batch()
        if request.error is not None:
            raise request.error
        return request.vectors

    def _run_batch(self) -> None:
        with self._lock:
            batch, count = [], 0
            while self._waiting and (
                not batch or count + len(self._waiting[0].texts) <= self.max_texts
            ):
                count += len(self._waiting[0].texts)
                batch.append(self._waiting.pop(0))
        try:
            vectors = self._encode([t for r in batch for t in r.texts])
            start = 0
            for r in batch:
                r.vectors = vectors[start : start + len(r.texts)]
                start += len(r.texts)
        except BaseException as exc:  # every caller of the batch hears of it
            for r in batch:
                r.error = exc
        finally:
            with self._lock:
                if self._waiting:
                    self._waiting[0].lead = True
                    self._waiting[0].ready.set()
                else:
                    self._busy = False
            for r in batch:
                r.ready.set()

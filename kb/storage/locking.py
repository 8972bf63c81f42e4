"""One writer at a time: an advisory file lock in the data folder serialises ingests."""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from kb.errors import Busy
from kb.storage.data_folder import private_folder

log = logging.getLogger(__name__)


@dataclass
class HeldLock:
    """Proof that this process holds the write lock of `data_dir` (while `held`)."""

    data_dir: Path
    held: bool = True


@contextmanager
def write_lock(
    data_dir: Path,
    on_wait: Callable[[str], None] | None = None,
    timeout: float | None = None,
    task: str = "another writer",
) -> Iterator[HeldLock]:
    """Hold the knowledge base's write lock; wait (after calling `on_wait` with what holds it)
    while another process or thread holds it, at most `timeout` seconds if given (then `Busy`).
    The lock is released even if the holder is killed. `task` says what this holder does
    (an ingest, a re-index…), written in the lock file for whoever waits."""
    private_folder(data_dir)
    # "a+", not "w": opening must not erase the holder's description before we hold the lock
    with open(data_dir / "write.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder(handle)
            if on_wait:
                on_wait(holder)
            _wait_for(handle, timeout, holder)
        _describe(handle, task)
        lock = HeldLock(data_dir)
        try:
            yield lock
        finally:
            lock.held = False
            fcntl.flock(handle, fcntl.LOCK_UN)


def _holder(handle) -> str:
    handle.seek(0)
    return handle.read().strip() or "another writer"


def _describe(handle, task: str) -> None:
    """Best effort: a full disk may refuse even these bytes, and the lock holds without them."""
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"{task} (process {os.getpid()})")
        handle.flush()
    except OSError:
        log.debug("could not describe the write lock's holder", exc_info=True)


def _wait_for(handle, timeout: float | None, holder: str) -> None:
    if timeout is None:
        fcntl.flock(handle, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise Busy("busy_holder", holder=holder) from None
            time.sleep(0.1)

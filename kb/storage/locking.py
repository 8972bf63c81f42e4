"""One writer at a time: an advisory file lock in the data folder serialises ingests."""

from __future__ import annotations

import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kb.errors import Busy
from kb.storage.data_folder import private_folder

log = logging.getLogger(__name__)


@contextmanager
def write_lock(
    data_dir: Path, on_wait: Callable[[], None] | None = None, timeout: float | None = None
) -> Iterator[None]:
    """Hold the knowledge base's write lock; wait (after calling `on_wait`) while another
    process or thread holds it, at most `timeout` seconds if given (then `Busy`).
    The lock is released even if the holder is killed."""
    private_folder(data_dir)
    with open(data_dir / "write.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            _wait_for(handle, timeout)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _wait_for(handle, timeout: float | None) -> None:
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
                raise Busy("busy") from None
            time.sleep(0.1)

"""One writer at a time: an advisory file lock in the data folder serialises ingests."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)


@contextmanager
def write_lock(data_dir: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold the knowledge base's write lock; wait (after calling `on_wait`) while another
    process or thread holds it. The lock is released even if the holder is killed."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / "write.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait:
                on_wait()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

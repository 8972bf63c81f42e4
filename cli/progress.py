"""What the CLI shows while it works: a progress bar on stderr, and the wait for the lock."""

from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from ingest.pipeline import Progress


def say_waiting(holder: str = "another writer") -> None:
    """Told once when another process holds the write lock, so a pause is not a hang."""
    print(f"kb: {holder} is writing to this knowledge base; waiting for it…", file=sys.stderr)


class ProgressBar(Progress):
    """A tqdm bar on stderr; drawn only when enabled (never under --json or --quiet)."""

    def __init__(self, enabled: bool, unit: str = "file", desc: str = "ingest") -> None:
        self.enabled, self.unit, self.desc = enabled, unit, desc
        self.bar: tqdm | None = None
        self.ocr_bar: tqdm | None = None  # a second bar, per page, while a scan is OCR'd

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        if self.ocr_bar is not None:
            self.ocr_bar.close()
        if self.bar is not None:
            self.bar.close()

    def start(self, total: int) -> None:
        if self.enabled:
            self.bar = tqdm(total=total, unit=self.unit, desc=self.desc, file=sys.stderr)

    def waiting(self, holder: str = "another writer") -> None:
        say_waiting(holder)

    def advance(self, outcome: str, path: str) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(outcome, refresh=False)
            self.bar.update(1)

    def ocr(self, path: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        if done == 0:
            if self.ocr_bar is not None:
                self.ocr_bar.close()
            name = Path(path).name
            self.ocr_bar = tqdm(
                total=total, unit="page", desc=f"OCR {name}", file=sys.stderr, leave=False
            )
        elif self.ocr_bar is not None:
            self.ocr_bar.update(done - self.ocr_bar.n)
            if done == total:
                self.ocr_bar.close()
                self.ocr_bar = None

    def add(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(n)

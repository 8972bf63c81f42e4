"""Uploads are ingested by one background worker, so no request waits for embedding."""

from __future__ import annotations

import json
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.metadata import upload_id
from ingest.pipeline import Ingester, Progress, ocr_summary
from ingest.sources import SourceFile
from kb.errors import StorageFault
from kb.knowledge_base import KnowledgeBase
from kb.messages import english
from kb.storage.data_folder import private_folder
from kb.writer import Writer

log = logging.getLogger(__name__)

JOB_DAYS = 7  # job results are kept this long
_JOB_ID = re.compile(r"[0-9a-f]{12}")


@dataclass
class FileResult:
    name: str
    outcome: str = "queued"  # queued, added, updated, unchanged, failed
    reason: str = ""  # in English; `code` and `params` show it translated (kb/messages.py)
    doc_id: str | None = None
    code: str | None = None
    params: dict = field(default_factory=dict)
    ocr_pages: list[int] = field(default_factory=list)  # pages without a text layer, OCR'd
    ocr_seconds_per_page: float = 0.0
    # documents it resembles: {"id", "title", "percent"}; it is kept, for an editor to decide
    near_duplicates: list[dict] = field(default_factory=list)


@dataclass
class Job:
    id: str
    files: list[FileResult]
    options: dict
    paths: list[Path]
    ids: list[str | None]
    status: str = "queued"  # queued, running, done, failed
    error: str = ""
    error_code: str | None = None
    created: float = field(default_factory=time.time)
    discard_failed: bool = False  # the files are fresh uploads: delete those that are refused
    owner: str = field(default_factory=lambda: _process_key(os.getpid()))  # runs the job
    # while a file's scanned pages are OCR'd: {"name", "done", "total"} (pages), else None
    ocr: dict | None = None

    @property
    def done(self) -> int:
        return sum(f.outcome not in ("queued",) for f in self.files)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "status": self.status,
            "error": self.error,
            "error_code": self.error_code,
            "done": self.done,
            "total": len(self.files),
            "files": [vars(f) for f in self.files],
            "ocr": self.ocr,
        }


class _JobProgress(Progress):
    def __init__(self, job: Job, names: dict[str, FileResult], saved: Callable[[Job], None]):
        self.job, self.names, self.saved = job, names, saved

    def advance(self, outcome: str, path: str) -> None:
        result = self.names.get(path)
        if result is not None:
            result.outcome = outcome
            self.saved(self.job)

    def ocr(self, path: str, done: int, total: int) -> None:
        result = self.names.get(path)
        name = result.name if result is not None else Path(path).name
        self.job.ocr = {"name": name, "done": done, "total": total} if done < total else None
        self.saved(self.job)


class IngestJobs:
    """A queue of upload jobs and the single worker thread that ingests them in order."""

    def __init__(self, data_dir: Path, open_kb: Callable[[], KnowledgeBase]) -> None:
        self.data_dir, self.open_kb = data_dir, open_kb
        # Each job's state is also written here, so that with `kb serve --workers N` any
        # process can show a job that another one is running.
        self.folder = data_dir / "jobs"
        self.jobs: dict[str, Job] = {}
        self.queue: queue.Queue[Job] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(
        self,
        files: list[tuple[str, Path]],
        options: dict,
        ids: list[str] | None = None,
        uploaded: bool = False,
    ) -> Job:
        """Queue files for ingest; `ids` (one per file) make each file replace that document.
        `uploaded` files were saved for this job alone (a refused one is deleted) and are
        known by their names unless `ids` says otherwise."""
        if ids is None and uploaded:
            ids = [upload_id(name) for name, _ in files]
        job = Job(
            uuid.uuid4().hex[:12],
            [FileResult(name) for name, _ in files],
            options,
            [path for _, path in files],
            ids or [None] * len(files),
            discard_failed=uploaded,
        )
        self.jobs[job.id] = job
        self._forget_old_jobs()
        self._save(job)
        self.queue.put(job)
        self._ensure_worker()
        return job

    def get(self, job_id: str) -> Job | None:
        if job_id in self.jobs:
            return self.jobs[job_id]
        if not _JOB_ID.fullmatch(job_id):
            return None
        try:
            saved = json.loads((self.folder / f"{job_id}.json").read_text())
        except (OSError, ValueError):
            return None
        files = [FileResult(**f) for f in saved["files"]]
        job = Job(
            saved["id"],
            files,
            {},
            [],
            [],
            saved["status"],
            saved["error"],
            saved.get("error_code"),
            owner=saved.get("owner", ""),
            ocr=saved.get("ocr"),
        )
        if job.status in ("queued", "running") and not _running(job.owner):
            # A worker killed mid-job never finishes it; say so rather than "running" for ever.
            # Its documents are safe: left `indexing`, never shown, redone by uploading again.
            _fail_unfinished(job, "worker_stopped")
        return job

    def _save(self, job: Job) -> None:
        private_folder(self.folder)
        tmp = self.folder / f".{job.id}.tmp"
        # default=str: a parameter of a message may be any value a sidecar held (a date)
        tmp.write_text(json.dumps({**job.to_dict(), "owner": job.owner}, default=str))
        tmp.replace(self.folder / f"{job.id}.json")  # readers never see half a file

    def _forget_old_jobs(self) -> None:
        cutoff = time.time() - JOB_DAYS * 86400
        for path in self.folder.glob("*.json") if self.folder.exists() else ():
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)

    def wait(self, job: Job, timeout: float = 120.0) -> Job:
        deadline = time.time() + timeout
        while job.status in ("queued", "running") and time.time() < deadline:
            time.sleep(0.05)
        return job

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._run, name="kb-ingest", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            job = self.queue.get()
            job.status = "running"
            self._save(job)
            try:
                self._ingest(job)
                job.status = "done"
            except StorageFault as fault:  # a full or read-only disk: said on the job
                log.warning("ingest job %s stopped: %s", job.id, fault)
                _fail_unfinished(job, None, str(fault))
                job.error_code = fault.code
            except Exception as exc:  # noqa: BLE001 - reported on the job, and logged
                log.exception("ingest job %s failed", job.id)
                _fail_unfinished(job, None, f"{type(exc).__name__}: {exc}")
            finally:
                try:
                    self._save(job)
                except OSError as exc:  # a full disk: the job's state stays in memory
                    log.warning("could not save the state of job %s: %s", job.id, exc)
                self.queue.task_done()

    def _ingest(self, job: Job) -> None:
        knowledge_base = self.open_kb()
        try:  # never beside a `kb ingest` or `kb reindex`
            with knowledge_base.writing(task="an upload") as writer:
                self._ingest_locked(job, writer)
        finally:
            knowledge_base.close()

    def _ingest_locked(self, job: Job, writer: Writer) -> None:
        names = {str(p.resolve()): f for p, f in zip(job.paths, job.files)}
        ingester = Ingester(writer, _JobProgress(job, names, self._save))
        for path, doc_id in zip(job.paths, job.ids):
            options = {**job.options, "id": doc_id, "replace": True} if doc_id else job.options
            ingester.ingest_file(SourceFile(path.resolve(), path.name), options)
        try:
            ingester.flush()
        finally:
            self._report_files(job, ingester, names, writer.base)

    def _report_files(self, job: Job, ingester: Ingester, names: dict, knowledge_base) -> None:
        job.ocr = None
        for path, pages in ingester.report.ocr.items():
            if path in names:
                names[path].ocr_pages = [p.page for p in pages]
                names[path].ocr_seconds_per_page = ocr_summary(pages)["seconds_per_page"]
        for path, found in ingester.report.near_duplicates.items():
            if path in names:
                names[path].near_duplicates = found
        for path, reason in ingester.report.failed:
            if path in names:
                names[path].outcome, names[path].reason = "failed", reason
                names[path].code, names[path].params = ingester.report.codes.get(path, (None, {}))
                if job.discard_failed:
                    _delete_upload(Path(path))
        for path, result in names.items():
            if result.outcome != "failed":
                # also for a file found unchanged: its document has an earlier upload's source
                result.doc_id = ingester.doc_ids.get(path)


def _delete_upload(path: Path) -> None:
    """A refused upload is not kept: nothing would ever serve it, and it may be anything."""
    path.unlink(missing_ok=True)
    if not any(path.parent.iterdir()):
        path.parent.rmdir()  # its originals/<12 hex>/ folder, made for it alone


def _process_key(pid: int) -> str:
    """The pid plus the process's start time, so a reused pid (a restarted container) differs."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return f"{pid}:" if pid > 0 else ""
    return f"{pid}:{stat.rsplit(')', 1)[1].split()[19]}"  # field 22, after the command name


def _running(owner: str) -> bool:
    pid = owner.split(":", 1)[0]
    if not pid.isdigit() or int(pid) <= 0:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        pass  # it exists but is not ours
    return owner.endswith(":") or _process_key(int(pid)) == owner


def _fail_unfinished(job: Job, code: str | None, error: str = "") -> None:
    """The job failed: by a message of kb/messages.py (`code`), or an unexpected `error`."""
    job.status, job.error_code = "failed", code
    job.error = english(code, {}) if code else error
    for f in job.files:
        if f.outcome == "queued":
            f.outcome, f.reason, f.code = "failed", english("ingest_stopped", {}), "ingest_stopped"

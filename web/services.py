"""What the app shares across requests (the model, the Chroma client, the ingest worker) and
what each request opens for itself (a catalog connection), Flask-tutorial style."""

from __future__ import annotations

import logging
import os
import secrets
import stat
import threading

from flask import Flask, current_app, g

from kb.config import Config
from kb.embedding.embedder import Embedder
from kb.errors import CorruptCatalog
from kb.knowledge_base import KnowledgeBase
from kb.search.searcher import Searcher
from kb.search.similar import Similarity
from kb.storage.catalog import Catalog
from kb.storage.data_folder import private_folder
from kb.storage.faults import storage_fault
from kb.storage.vectors import VectorStore
from web.jobs import IngestJobs

log = logging.getLogger(__name__)


def secret_key(config: Config) -> str:
    """A random key kept in the data folder, so sessions survive restarts and all
    `kb serve --workers` processes sign alike (the first to create it wins)."""
    path = config.data_dir / "secret_key"
    try:
        return _secret_key(config, path)
    except OSError as exc:  # a full or read-only disk: one line, not a trace
        fault = storage_fault(exc, config.data_dir)
        if fault is None:
            raise
        raise type(fault)(f"cannot make the session key {path}: {fault}") from exc


def _secret_key(config: Config, path) -> str:
    if not path.exists():
        private_folder(config.data_dir)
        tmp = config.data_dir / f".secret_key.{secrets.token_hex(4)}"
        # 0600 from the moment it exists: whoever reads the key can forge an editor's session
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)  # atomic, and fails if another process made one first
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        # left readable by an older version or a restored backup
        log.warning("%s was readable by others; making it private", path)
        try:
            path.chmod(0o600)
        except OSError as exc:  # a read-only disk: the key is still read, never rewritten
            log.warning("could not make %s private: %s", path, exc)
    return path.read_text().strip()


class SharedModel:
    """The model and the vector collection every request and the ingest worker share (one
    Chroma client, one model in memory); each request opens a catalog of its own to read."""

    def __init__(self, config: Config, embedder: Embedder, store: VectorStore | None) -> None:
        self.config, self.embedder, self.store = config, embedder, store
        self.lock = threading.Lock()

    def open_kb(self) -> KnowledgeBase:
        catalog = Catalog(self.config.catalog_path)
        try:
            with self.lock:  # a `kb reindex` switch is followed once, for everyone
                knowledge_base = KnowledgeBase(
                    self.config, self.embedder, self.store, catalog=catalog
                )
                self.embedder = knowledge_base.embedder
                if "store" in knowledge_base.__dict__:  # else not opened (yet): see init_app
                    self.store = knowledge_base.hand_over_store()
            return knowledge_base
        except BaseException:
            catalog.close()
            raise


def init_app(app: Flask, embedder: Embedder | None = None) -> None:
    config: Config = app.config["KB_CONFIG"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(config)
    embedder = embedder or Embedder(config)
    first = _first_open(config, embedder)
    try:
        store = first.hand_over_store()
    except Exception as exc:  # noqa: BLE001 - searches go on by keyword; health says why
        log.warning("the vector store cannot be opened (%s): searching by keyword only", exc)
        store = None
    shared_model = SharedModel(config, embedder, store)
    first.close()
    jobs = IngestJobs(config.data_dir, shared_model.open_kb)
    app.extensions["kb"] = {"model": shared_model, "jobs": jobs}
    app.teardown_appcontext(close_kb)


def _first_open(config: Config, embedder: Embedder) -> KnowledgeBase:
    """Opened for writing once: the schema migrated, the collection named, the model checked;
    on a full or read-only disk, opened to read (writes then answer why they cannot)."""
    try:
        return KnowledgeBase(config, embedder)
    except Exception as exc:
        fault = storage_fault(exc, config.data_dir)
        if fault is None or isinstance(fault, CorruptCatalog):
            raise (fault or exc) from exc
        log.warning("%s: serving to read", fault)
        return KnowledgeBase.to_read(config, embedder)


def shared(name: str):
    return current_app.extensions["kb"][name]


def open_kb() -> KnowledgeBase:
    """A knowledge base of its own for code outside a request (tests, the CLI's serve)."""
    return shared("model").open_kb()


def get_kb() -> KnowledgeBase:
    if "kb" not in g:
        g.kb = open_kb()
    return g.kb


def writing():
    """A writer for an edit or delete: it waits a little for another writer, then says busy."""
    return get_kb().writing(
        timeout=current_app.config.get("WRITE_WAIT_SECONDS", 15), task="an edit on the web"
    )


def get_searcher() -> Searcher:
    return Searcher(get_kb())


def get_similarity() -> Similarity:
    return Similarity(get_searcher())


def jobs() -> IngestJobs:
    return shared("jobs")


def close_kb(_exc=None) -> None:
    knowledge_base = g.pop("kb", None)
    if knowledge_base is not None:
        knowledge_base.close()

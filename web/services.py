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
from kb.knowledge_base import KnowledgeBase, active_collection
from kb.search.searcher import Searcher
from kb.search.similar import Similarity
from kb.storage.catalog import Catalog
from kb.storage.data_folder import private_folder
from kb.storage.locking import write_lock
from kb.storage.vectors import VectorStore, open_client
from web.jobs import IngestJobs

log = logging.getLogger(__name__)


def secret_key(config: Config) -> str:
    """A random key kept in the data folder, so sessions survive restarts and all
    `kb serve --workers` processes sign alike (the first to create it wins)."""
    path = config.data_dir / "secret_key"
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
        path.chmod(0o600)
    return path.read_text().strip()


class Backends:
    """The model and the vector collection the catalog names as current, shared by all
    requests and the ingest worker; they follow a `kb reindex` switch without a restart."""

    def __init__(self, config: Config, embedder: Embedder) -> None:
        self.config, self.embedder = config, embedder
        self.client = open_client(config)
        self.store: VectorStore | None = None
        self.lock = threading.Lock()

    def open_kb(self) -> KnowledgeBase:
        catalog = Catalog(self.config.catalog_path)
        try:
            name = active_collection(catalog, self.config)
            model = catalog.setting("embed_model") or self.embedder.model_id
            with self.lock:
                if self.store is None or self.store.name != name:
                    self.store = VectorStore(self.client, name)
                if model != self.embedder.model_id:
                    # switched by `kb reindex` while we were serving: load its model once
                    log.info("the knowledge base now uses %s; loading it", model)
                    self.embedder = Embedder(self.config.with_(embed_model=model))
                embedder, store = self.embedder, self.store
            return KnowledgeBase(self.config, embedder, store, catalog=catalog)
        except BaseException:
            catalog.close()
            raise


def init_app(app: Flask, embedder: Embedder | None = None) -> None:
    config: Config = app.config["KB_CONFIG"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(config)
    embedder = embedder or Embedder(config)
    KnowledgeBase(config, embedder).close()  # fail early on a model mismatch
    backends = Backends(config, embedder)
    jobs = IngestJobs(config.data_dir, backends.open_kb)
    app.extensions["kb"] = {"backends": backends, "jobs": jobs}
    app.teardown_appcontext(close_kb)


def shared(name: str):
    return current_app.extensions["kb"][name]


def open_kb() -> KnowledgeBase:
    """A knowledge base of its own for code outside a request (tests, the CLI's serve)."""
    return shared("backends").open_kb()


def get_kb() -> KnowledgeBase:
    if "kb" not in g:
        g.kb = open_kb()
    return g.kb


def editing():
    """The write lock around an edit or delete: brief, so it waits a little, then says busy."""
    config = current_app.config["KB_CONFIG"]
    return write_lock(config.data_dir, timeout=current_app.config.get("WRITE_WAIT_SECONDS", 15))


def get_searcher() -> Searcher:
    return Searcher(get_kb())


def get_similarity() -> Similarity:
    return Similarity(get_searcher())


def jobs() -> IngestJobs:
    return shared("jobs")


def close_kb(_exc=None) -> None:
    kb = g.pop("kb", None)
    if kb is not None:
        kb.close()

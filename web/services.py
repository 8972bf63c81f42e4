"""What the app shares across requests (the model, the Chroma client, the ingest worker) and
what each request opens for itself (a catalog connection), Flask-tutorial style."""

from __future__ import annotations

import secrets

from flask import Flask, current_app, g

from kb.config import Config
from kb.embedder import Embedder
from kb.knowledge_base import KnowledgeBase
from kb.search import Searcher
from kb.similar import Similarity
from kb.store import VectorStore
from web.jobs import IngestJobs


def secret_key(config: Config) -> str:
    """A random key kept in the data folder, so sessions survive restarts."""
    path = config.data_dir / "secret_key"
    if not path.exists():
        config.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def init_app(app: Flask, embedder: Embedder | None = None) -> None:
    config: Config = app.config["KB_CONFIG"]
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(config)
    embedder = embedder or Embedder(config)
    store = VectorStore(config.chroma_path)
    app.extensions["kb"] = {"embedder": embedder, "store": store,
                            "jobs": IngestJobs(config, embedder, store)}  # fmt: skip
    KnowledgeBase(config, embedder, store).close()  # fail early on a model mismatch
    app.teardown_appcontext(close_kb)


def shared(name: str):
    return current_app.extensions["kb"][name]


def get_kb() -> KnowledgeBase:
    if "kb" not in g:
        config = current_app.config["KB_CONFIG"]
        g.kb = KnowledgeBase(config, shared("embedder"), shared("store"))
    return g.kb


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

"""Shared fixtures: the real embedding model (once per session) and knowledge bases in tmp_path."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from ingest.pipeline import ingest
from kb.config import load_config
from kb.embedding.embedder import Embedder
from kb.knowledge_base import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus" / "documents"


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashing():
    """scrypt at n=2^14 (~50 ms a hash) instead of production's 2^17 (~0.5 s): the suite logs
    in often. Accounts are still made and checked the normal way; cost tests set their own."""
    from kb.accounts import users

    users.SCRYPT = users.Scrypt(n=2**14, r=8, p=1)
    yield
    users.SCRYPT = users.DEFAULT_SCRYPT


@pytest.fixture(scope="session")
def base_config(tmp_path_factory):
    # The converted model is cached per user (rebuilt in ~5 s when absent); data never is.
    cache = os.environ.get("KB_CACHE_DIR") or None
    # KB_CHROMA_URL: the same tests against a Chroma server (`python -m tests.chroma_server`).
    env = {k: os.environ[k] for k in ("KB_CHROMA_URL",) if os.environ.get(k)}
    config = load_config(env=env, data_dir=tmp_path_factory.mktemp("unused-data"))
    return config.with_(cache_dir=Path(cache)) if cache else config


class RememberingEmbedder(Embedder):
    """The real model, remembering each passage's vector for the session: the suite ingests
    the sample corpus into a dozen fresh stores, and the model gives a text the same vector
    each time. Queries, token counts and the tests of the encoder itself use the model."""

    def __init__(self, config) -> None:
        super().__init__(config)
        self._vectors: dict[str, np.ndarray] = {}

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        new = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        for text, vector in zip(new, super().embed_passages(new), strict=True):
            self._vectors[text] = vector
        return np.stack([self._vectors[t] for t in texts]) if texts else super().embed_passages([])

    def save(self, path: Path) -> None:
        partial = path.with_name(path.name + ".partial")
        with open(partial, "wb") as f:
            pickle.dump((self.model_id, self._vectors), f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, path)

    def load(self, path: Path) -> None:
        with open(path, "rb") as f:
            model_id, vectors = pickle.load(f)  # our own file, written by the pass before
        if model_id == self.model_id:
            self._vectors.update(vectors)


@pytest.fixture(scope="session")
def model_embedder(base_config) -> Embedder:
    """The embedder as the product runs it, remembering nothing (for tests of the encoder)."""
    emb = Embedder(base_config)
    emb.encoder  # load once for the whole session  # noqa: B018
    return emb


@pytest.fixture(scope="session")
def parity_vectors(model_embedder) -> tuple[np.ndarray, np.ndarray]:
    """The product's passage and query vectors of the parity texts (tests/test_e5_convert.py),
    embedded once: the engine, torch and int8 comparisons all hold them against their own."""
    from tests.test_e5_convert import parity_texts

    texts = parity_texts()
    return model_embedder.embed_passages(texts), model_embedder.embed_queries(texts)


@pytest.fixture(scope="session")
def embedder(base_config, model_embedder) -> Embedder:
    # make test's two passes run the same code: the embedded pass saves what it embedded
    # (KB_TEST_VECTORS_SAVE) and the server pass starts with it (KB_TEST_VECTORS_LOAD).
    remembering = RememberingEmbedder(base_config)  # the same loaded session as model_embedder
    if (earlier := os.environ.get("KB_TEST_VECTORS_LOAD")) and Path(earlier).is_file():
        remembering.load(Path(earlier))
    yield remembering
    if later := os.environ.get("KB_TEST_VECTORS_SAVE"):
        remembering.save(Path(later))


@pytest.fixture
def config(base_config, tmp_path):
    return base_config.with_(data_dir=tmp_path / "data")


@pytest.fixture
def kb(config, embedder):
    knowledge_base = KnowledgeBase(config, embedder=embedder)
    yield knowledge_base
    knowledge_base.close()


@pytest.fixture(scope="session")
def corpus_kb(base_config, embedder, tmp_path_factory):
    """The whole sample corpus ingested once, for read-only tests."""
    config = base_config.with_(data_dir=tmp_path_factory.mktemp("corpus-data"))
    knowledge_base = KnowledgeBase(config, embedder=embedder)
    report = ingest(knowledge_base, [CORPUS])
    assert report.ok, report.failed
    yield knowledge_base
    knowledge_base.close()


@pytest.fixture(scope="session")
def corpus_app(corpus_kb):
    """The web app over the ingested sample corpus (read-only tests)."""
    from web import create_app

    return create_app({"TESTING": True}, kb_config=corpus_kb.config, embedder=corpus_kb.embedder)


@pytest.fixture
def app(config, embedder):
    """The web app over an empty knowledge base of its own (tests that write)."""
    from web import create_app

    return create_app({"TESTING": True}, kb_config=config, embedder=embedder)


@pytest.fixture
def client(app):
    return app.test_client()


EDITOR_PASSWORD = "sekretariatet-2026"


@pytest.fixture
def editor_token(app):
    """An editor account in the app's knowledge base, and an API token for it."""

    kb = app.extensions["kb"]["model"].open_kb()
    users = kb.accounts
    users.add("redaktor", EDITOR_PASSWORD, editor=True)
    token = users.create_token("redaktor")
    kb.close()
    return token


def dense_search(knowledge_base, text: str, limit: int = 10):
    """Documents by meaning alone, best first (the dense side of the searcher)."""
    from kb.search.query import SearchQuery
    from kb.search.searcher import Searcher

    return Searcher(knowledge_base).search(SearchQuery(text, "dense", per_page=limit)).hits


def csrf(client) -> str:
    """The CSRF token of the client's session (a page view creates it)."""
    client.get("/login")
    with client.session_transaction() as session:
        return session["csrf"]


def api_with_session(client) -> None:
    """API writes from a logged-in page carry the CSRF header, as a script of ours would."""
    client.environ_base["HTTP_X_CSRF_TOKEN"] = csrf(client)


@pytest.fixture
def editor(app, client, editor_token):
    """The test client, logged in as an editor (session cookie)."""
    response = client.post(
        "/login", data={"name": "redaktor", "password": EDITOR_PASSWORD, "csrf_token": csrf(client)}
    )
    assert response.status_code == 303
    return client

"""The knowledge base: catalog + vector store + embedder, opened together from one config."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property

from kb.accounts.login_throttle import LoginThrottle
from kb.accounts.users import Users
from kb.config import Config
from kb.embedding.embedder import Embedder, config_for_model_id
from kb.errors import KBError, ModelMismatch
from kb.storage import migrations
from kb.storage.catalog import Catalog
from kb.storage.contributions import ContributionReader
from kb.storage.data_folder import private_folder
from kb.storage.faults import storage_fault
from kb.storage.keyword_copy import KeywordCopy
from kb.storage.locking import HeldLock, write_lock
from kb.storage.records import RecordReader
from kb.storage.references import ReferenceReader
from kb.storage.search_log import SearchLog
from kb.storage.suggestions import SuggestionReader
from kb.storage.vectors import COLLECTION, VectorStore, lessons_collection, new_collection_name
from kb.writer import Writer

log = logging.getLogger(__name__)


def active_collection(catalog: Catalog) -> str:
    """The Chroma collection that holds this knowledge base's vectors now (`kb reindex`
    switches it; recorded when the knowledge base is first opened for writing)."""
    return catalog.setting("collection") or COLLECTION


class KnowledgeBase:
    def __init__(
        self,
        config: Config,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
        catalog: Catalog | None = None,
        check_model: bool = True,
    ) -> None:
        """Opens the data folder for writing (its schema migrated, its collection named)
        unless `catalog` is given: a web request opens a catalog to read and shares the
        model and the Chroma client (`embedder`, `store`) with every other request."""
        self.config = config
        shared = catalog is not None
        if catalog is None:
            private_folder(config.data_dir)
            catalog = Catalog(config.catalog_path, migrate=True)
            # Embedded stores keep the historical name; on a shared Chroma server each
            # knowledge base gets a collection of its own.
            default = new_collection_name() if config.chroma_url else COLLECTION
            catalog.record_setting_once("collection", default)
        if config.keyword_engine not in ("tantivy", "fts5"):
            raise ValueError(f"KB_KEYWORD_ENGINE={config.keyword_engine!r}: use tantivy or fts5")
        if config.keyword_engine == "tantivy":
            catalog.keyword_copy = KeywordCopy(config.keyword_copy_path)
        self.catalog = catalog
        self.embedder = embedder or Embedder(config)
        if store is not None:
            self.store = store
        # A store we open is ours to close; a store we are given (or hand over) is not.
        self._owns_store = store is None
        if not shared:
            # an older catalog, or a follow a crash cut short: the copy catches up here
            catalog.follow_keywords()
        self.follows_model = check_model and shared
        if self.follows_model:
            self.follow_switch()  # a web request: the shared model follows a `kb reindex`
        elif check_model:
            self._check_model()  # the configured model must be the one recorded

    @classmethod
    def to_read(cls, config: Config, embedder: Embedder | None = None) -> KnowledgeBase:
        """For commands that only read: opened without writing a byte, so that they work on
        a full or read-only disk (a missing or outdated catalog is made as for writing)."""
        if config.catalog_path.exists():
            catalog = Catalog(config.catalog_path)
            try:
                current = not migrations.pending(catalog.connection)
                if current:
                    knowledge_base = cls(config, embedder, catalog=catalog, check_model=False)
                    knowledge_base._check_model()
                    return knowledge_base
            except BaseException:
                catalog.close()
                raise
            catalog.close()
        return cls(config, embedder)

    @cached_property
    def store(self) -> VectorStore:
        return VectorStore.open(self.config, active_collection(self.catalog))

    def vector_problem(self) -> str | None:
        """Why the dense side cannot answer (the store unreachable or damaged, or holding
        fewer vectors than the catalog has chunks: a deleted chroma/ folder), else None."""
        try:
            stored = self.store.count()
        except Exception as exc:  # noqa: BLE001 - reported to the caller, and logged
            log.warning("the vector store cannot be read: %s", exc)
            fault = storage_fault(exc, self.config.data_dir)
            return str(fault or exc)
        expected = self.catalog.ready_chunk_count()
        if stored < expected:
            return f"the vector store holds {stored} vectors for {expected} chunks"
        return None

    @property
    def lesson_store(self) -> VectorStore:
        """The lessons' vectors, beside the active collection of chunks (and following it)."""
        name = lessons_collection(self.store.name)
        cached = self.__dict__.get("_lesson_store")
        if cached is None or cached.name != name:
            cached = self.__dict__["_lesson_store"] = VectorStore(self.store.client, name)
        return cached

    @cached_property
    def records(self) -> RecordReader:
        """Investments, lessons and recommendations, to read; written through `writing()`."""
        return RecordReader(self.catalog.connection)

    @cached_property
    def references(self) -> ReferenceReader:
        """Which documents cite which (detected at ingest)."""
        return ReferenceReader(self.catalog.connection)

    @cached_property
    def suggestions(self) -> SuggestionReader:
        """The review queue: the suggesters' proposals and the editors' decisions."""
        return SuggestionReader(self.catalog.connection)

    @cached_property
    def contributions(self) -> ContributionReader:
        """Experiences contributors shared ("Dela en erfarenhet"); none is public unpublished."""
        return ContributionReader(self.catalog.connection)

    @cached_property
    def accounts(self) -> Users:
        return Users(self.catalog.connection)

    @cached_property
    def search_log(self) -> SearchLog:
        return SearchLog(
            self.catalog.connection, self.config.search_log, self.config.search_log_days
        )

    @cached_property
    def login_throttle(self) -> LoginThrottle:
        return LoginThrottle(self.catalog.connection)

    @contextmanager
    def writing(
        self,
        timeout: float | None = None,
        on_wait: Callable[[str], None] | None = None,
        task: str = "another writer",
        held: HeldLock | None = None,
    ) -> Iterator[Writer]:
        """The one way to change the knowledge base: the write lock (one writer at a time,
        across processes) is held for the block, and the writer works only inside it.

        `timeout`: wait at most this long for another writer, then `Busy`; `on_wait` is
        called once before waiting, with what holds the lock; `task`: what this writer does;
        `held`: the lock, taken already by a caller that had to hold it before this knowledge
        base could be opened (`kb recover` makes the catalog anew under it)."""
        if held is None:
            with write_lock(self.config.data_dir, on_wait, timeout, task) as lock:
                with self.writing(held=lock) as writer:
                    yield writer
            return
        if not held.held or held.data_dir.resolve() != self.config.data_dir.resolve():
            raise KBError("writing(held=…) needs the write lock of this data folder, held")
        self.follow_switch()
        writer = Writer(self)
        try:
            yield writer
        finally:
            writer.close()
            # still under the lock; a copy that cannot follow leaves FTS5 to answer
            self.catalog.follow_keywords()

    def close(self) -> None:
        self.catalog.close()
        if self._owns_store and "store" in self.__dict__:
            self.store.close()  # its Chroma client holds files and threads until closed

    def hand_over_store(self) -> VectorStore:
        """The vector store, to be kept open by the caller after this knowledge base closes
        (the web app shares one Chroma client between its requests)."""
        store = self.store
        self._owns_store = False
        return store

    def follow_switch(self) -> None:
        """A `kb reindex` may have switched collection and model (while we served, or waited
        for the lock): use the collection the catalog names, and its model where we share
        one with a server's requests."""
        name = active_collection(self.catalog)
        if "store" in self.__dict__ and self.store.name != name:
            self.store = VectorStore(self.store.client, name)
        model = self.catalog.setting("embed_model")
        if self.follows_model and model and model != self.embedder.model_id:
            log.info("the knowledge base now uses %s; loading it", model)
            self.embedder = Embedder(config_for_model_id(self.config, model))

    def _check_model(self) -> None:
        recorded = self.catalog.setting("embed_model")
        if recorded is None or recorded == self.embedder.model_id:
            return
        raise ModelMismatch(
            f"this knowledge base ({self.config.data_dir}) was indexed with the model "
            f"{recorded!r}, but {self.embedder.model_id!r} is configured. Set KB_EMBED_MODEL "
            f"back to {recorded!r}, or run "
            f"`kb reindex` with KB_EMBED_MODEL={self.embedder.model_id!r} to re-embed everything."
        )

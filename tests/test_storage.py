"""The catalog's schema: numbered migrations applied once when opened for writing; opening to
read never writes, so reads answer while another process holds a write transaction."""

from __future__ import annotations

import os
import sqlite3
import time
from dataclasses import replace

from ingest.pipeline import ingest
from kb.knowledge_base import KnowledgeBase
from kb.storage import migrations
from kb.storage.catalog import Catalog

# What a catalog looked like before the keyword index (schema version 1).
VERSION_1 = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (
    id TEXT PRIMARY KEY, source TEXT NOT NULL, content_hash TEXT NOT NULL, meta TEXT NOT NULL,
    kind TEXT NOT NULL, agency TEXT, year INTEGER, file_type TEXT NOT NULL,
    n_chunks INTEGER NOT NULL DEFAULT 0, n_pages INTEGER, size_bytes INTEGER NOT NULL,
    status TEXT NOT NULL, index_signature TEXT NOT NULL, meta_inputs_hash TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL
);
CREATE TABLE chunks (
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    text TEXT NOT NULL, page INTEGER, char_start INTEGER NOT NULL, char_end INTEGER NOT NULL,
    PRIMARY KEY (doc_id, seq)
);
INSERT INTO settings VALUES ('schema_version', '1');
INSERT INTO documents VALUES ('tull', 'tull.md', 'h', '{"title": "Tullverket", "kind": "case"}',
    'case', NULL, NULL, 'markdown', 1, NULL, 10, 'ready', 'sig', '',
    'Beslagshantering i tullen.', '2020-01-01', '2020-01-01');
INSERT INTO chunks VALUES ('tull', 0, 'Beslagshantering i tullen.', NULL, 0, 26);
"""


def test_a_new_catalog_has_every_migration_and_opening_again_applies_none(config):
    config.data_dir.mkdir(parents=True)
    catalog = Catalog(config.catalog_path, migrate=True)
    assert migrations.version(catalog.connection) == len(migrations.MIGRATIONS)
    assert migrations.migrate(catalog.connection) == 0
    catalog.close()


def test_an_old_catalog_is_migrated_and_its_keyword_index_built(config):
    config.data_dir.mkdir(parents=True)
    with sqlite3.connect(config.catalog_path) as db:
        db.executescript(VERSION_1)
    catalog = Catalog(config.catalog_path, migrate=True)
    try:
        assert catalog.keyword_keys() == {("tull", 0)}
        assert catalog.get("tull").meta.title == "Tullverket"
        assert migrations.version(catalog.connection) == len(migrations.MIGRATIONS)
    finally:
        catalog.close()


def test_a_keyword_index_without_its_title_column_is_rebuilt_with_one(kb, tmp_path, config):
    (tmp_path / "a.md").write_text("# Tullverket\n\nUtredningsstöd för brott.", encoding="utf-8")
    ingest(kb, [tmp_path / "a.md"])
    kb.close()
    with sqlite3.connect(config.catalog_path) as db:  # as migration 6 left it
        db.executescript(
            "DROP TABLE chunk_vocab; DROP TABLE chunk_terms;"
            " CREATE VIRTUAL TABLE chunk_terms USING fts5(terms, doc_id UNINDEXED, seq UNINDEXED);"
            " PRAGMA user_version = 6;"
        )
    catalog = Catalog(config.catalog_path, migrate=True)
    try:
        db = catalog.connection
        assert "title" in {row[1] for row in db.execute("PRAGMA table_info(chunk_terms)")}
        titled = "SELECT COUNT(*) FROM chunk_terms WHERE chunk_terms MATCH 'title:tullverket'"
        assert db.execute(titled).fetchone()[0] == 1
        assert catalog.keyword_keys() == {("a", 0)}
    finally:
        catalog.close()


def test_opening_to_read_writes_nothing(config, embedder):
    KnowledgeBase(config, embedder=embedder).close()  # made and migrated
    before = config.catalog_path.stat().st_mtime_ns
    wal = config.data_dir / "catalog.sqlite3-wal"
    wal_before = wal.stat().st_size if wal.exists() else 0
    for _ in range(3):
        catalog = Catalog(config.catalog_path)
        catalog.documents()
        catalog.close()
    assert config.catalog_path.stat().st_mtime_ns == before
    assert (wal.stat().st_size if wal.exists() else 0) == wal_before


def test_searches_answer_while_another_connection_holds_a_write_transaction(corpus_app, corpus_kb):
    client = corpus_app.test_client()
    client.get("/api/search?q=kostnader")  # warm: the model is loaded
    holder = sqlite3.connect(corpus_kb.config.catalog_path, timeout=1)
    holder.execute("BEGIN IMMEDIATE")  # as a long repair or keyword rebuild does
    try:
        for url in (
            "/api/search?q=kostnader",
            "/?q=signalsystem",
            "/documents/",
            "/api/documents",
            "/api/health",
            # the pages added since: records, feeds, the lessons' search
            "/investeringar/",
            "/myndigheter/",
            "/teman/",
            "/oversikt",
            "/api/lessons?q=kostnader",
            "/feed?q=kostnader",
        ):
            began = time.monotonic()
            response = client.get(url)
            assert response.status_code == 200, url
            assert time.monotonic() - began < 6, url
    finally:
        holder.rollback()
        holder.close()


def test_filter_values_follow_every_write_without_reading_the_metadata(kb, tmp_path):
    # Filters are checked against the catalog's indexed agencies and tags (migration 19), kept
    # by the same writes as the documents row: ingest, an editor's edit, a delete.
    (tmp_path / "a.md").write_text(
        "---\nagency: Tullverket\ntags: [beslag, kassa]\n---\nBeslagshantering i tullen.\n",
        encoding="utf-8",
    )
    (tmp_path / "b.md").write_text("---\ntags: [kassa]\n---\nKassaregister.\n", encoding="utf-8")
    ingest(kb, [tmp_path / "a.md", tmp_path / "b.md"])
    assert kb.catalog.known_filter_values() == (["Tullverket"], ["beslag", "kassa"])
    with kb.writing() as writer:
        meta = kb.catalog.get("a").meta
        writer.edit_metadata("a", replace(meta, tags=("tull",)), "redaktör")
    assert kb.catalog.known_filter_values() == (["Tullverket"], ["kassa", "tull"])
    tagged = kb.catalog.connection.execute(
        "SELECT doc_id, tag FROM document_tags ORDER BY doc_id, tag"
    ).fetchall()
    assert [tuple(r) for r in tagged] == [("a", "tull"), ("b", "kassa")]
    with kb.writing() as writer:
        writer.delete("a")
    assert kb.catalog.known_filter_values() == ([], ["kassa"])


def test_an_old_catalog_gets_its_documents_tags_indexed(config):
    config.data_dir.mkdir(parents=True)
    with sqlite3.connect(config.catalog_path) as db:
        db.executescript(VERSION_1)
        db.execute(
            "UPDATE documents SET agency = 'Tullverket',"
            """ meta = '{"title": "Tullverket", "kind": "case", "tags": ["beslag", "tull"]}'"""
        )
    catalog = Catalog(config.catalog_path, migrate=True)
    try:
        assert catalog.known_filter_values() == (["Tullverket"], ["beslag", "tull"])
    finally:
        catalog.close()


def test_a_closed_knowledge_base_leaves_no_files_open(config, embedder, tmp_path):
    """Each embedded Chroma client holds ~8 descriptors until closed: a process that opens
    knowledge bases one after another (the tests, a script) would otherwise run out."""

    def open_files() -> int:
        return len(os.listdir("/proc/self/fd"))

    before = open_files()
    for n in range(5):
        knowledge_base = KnowledgeBase(replace(config, data_dir=tmp_path / f"kb{n}"), embedder)
        assert knowledge_base.store.count() == 0  # the store opened
        knowledge_base.close()
    assert open_files() - before < 5

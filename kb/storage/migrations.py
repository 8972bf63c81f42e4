"""The catalog's schema, and its only owner: numbered migrations, each applied once.

`migrate()` runs when a knowledge base is opened for writing (the CLI, the web app's start);
opening the catalog to read never writes. `PRAGMA user_version` counts the migrations applied.
Catalogs made before migrations existed ran the same `CREATE … IF NOT EXISTS` statements on
every open, so the first migrations adopt them as they are.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from kb.storage import keyword_index

Migration = Callable[[sqlite3.Connection], None]
MIGRATIONS: list[Migration] = []


def migration(function: Migration) -> Migration:
    MIGRATIONS.append(function)
    return function


def version(db: sqlite3.Connection) -> int:
    return db.execute("PRAGMA user_version").fetchone()[0]


def pending(db: sqlite3.Connection) -> bool:
    return version(db) < len(MIGRATIONS)


def migrate(db: sqlite3.Connection, until: int | None = None) -> int:
    """Apply the migrations this catalog lacks (up to number `until`, if given), each in its
    own transaction; returns how many.

    Several processes may open an old catalog at once: `BEGIN IMMEDIATE` lets one of them
    migrate while the others wait, then find nothing left to do.
    """
    applied = 0
    last = len(MIGRATIONS) if until is None else min(until, len(MIGRATIONS))
    while version(db) < last:
        db.execute("BEGIN IMMEDIATE")
        try:
            current = version(db)
            if current < last:
                MIGRATIONS[current](db)
                db.execute(f"PRAGMA user_version = {current + 1}")
                applied += 1
            db.commit()
        except BaseException:
            db.rollback()
            raise
    return applied


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


@migration
def m001_documents_and_chunks(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS documents (
            id TEXT PRIMARY KEY,
            source TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            meta TEXT NOT NULL,              -- JSON of Metadata
            kind TEXT NOT NULL,              -- copies of filterable metadata, for SQL filters
            agency TEXT,
            year INTEGER,
            file_type TEXT NOT NULL,
            n_chunks INTEGER NOT NULL DEFAULT 0,
            n_pages INTEGER,
            size_bytes INTEGER NOT NULL,
            status TEXT NOT NULL,            -- 'indexing' until chunks and vectors are written
            index_signature TEXT NOT NULL,
            meta_inputs TEXT NOT NULL DEFAULT '',  -- hash of metadata given outside the file
            text TEXT NOT NULL,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS documents_source ON documents(source)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS chunks (
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            text TEXT NOT NULL,
            page INTEGER,
            char_start INTEGER NOT NULL,
            char_end INTEGER NOT NULL,
            PRIMARY KEY (doc_id, seq)
        )"""
    )


@migration
def m002_keyword_index(db: sqlite3.Connection) -> None:
    # Its first shape; m007 gives it the title column and indexes the chunks a catalog holds.
    db.execute(
        """CREATE VIRTUAL TABLE IF NOT EXISTS chunk_terms USING fts5(
            terms, doc_id UNINDEXED, seq UNINDEXED,
            tokenize = "unicode61 remove_diacritics 0"
        )"""
    )
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS chunk_vocab USING fts5vocab(chunk_terms, 'row')")


@migration
def m003_accounts(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE IF NOT EXISTS users (
            name TEXT PRIMARY KEY, password_hash TEXT NOT NULL, role TEXT NOT NULL,
            created_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS tokens (
            token_hash TEXT PRIMARY KEY,
            name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            created_at TEXT NOT NULL
        )"""
    )


@migration
def m004_revocable_sessions_and_tokens(db: sqlite3.Connection) -> None:
    # A session names its account's generation; changing it ends every session.
    if "session_gen" not in _columns(db, "users"):
        db.execute("ALTER TABLE users ADD COLUMN session_gen TEXT")
    db.execute("UPDATE users SET session_gen = lower(hex(randomblob(8))) WHERE session_gen IS NULL")
    # A token gets a public id, so it can be listed and revoked without being shown.
    if "id" not in _columns(db, "tokens"):
        db.execute("ALTER TABLE tokens ADD COLUMN id TEXT")
    db.execute("UPDATE tokens SET id = substr(token_hash, 1, 12) WHERE id IS NULL")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS tokens_id ON tokens(id)")


@migration
def m005_login_failures(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE IF NOT EXISTS login_failures (key TEXT NOT NULL, at REAL NOT NULL)")
    db.execute("CREATE INDEX IF NOT EXISTS login_failures_key ON login_failures(key, at)")


@migration
def m006_name_the_metadata_hash(db: sqlite3.Connection) -> None:
    # It holds a hash of the metadata given outside the file (sidecar, options), not the inputs.
    if "meta_inputs" in _columns(db, "documents"):
        db.execute("ALTER TABLE documents RENAME COLUMN meta_inputs TO meta_inputs_hash")


@migration
def m007_title_column(db: sqlite3.Connection) -> None:
    # The title as a column of its own, so that a match in it can weigh more than one in the
    # text (bm25's column weights, chosen per query); it is repeated for each chunk of a
    # document. FTS5 tables cannot gain columns: made anew, then filled from the chunks.
    db.execute("DROP TABLE IF EXISTS chunk_vocab")
    db.execute("DROP TABLE IF EXISTS chunk_terms")
    db.execute(
        """CREATE VIRTUAL TABLE chunk_terms USING fts5(
            terms, title, doc_id UNINDEXED, seq UNINDEXED,
            tokenize = "unicode61 remove_diacritics 0"
        )"""
    )
    db.execute("CREATE VIRTUAL TABLE chunk_vocab USING fts5vocab(chunk_terms, 'row')")
    keyword_index.fill(db)


@migration
def m008_manual_edits(db: sqlite3.Connection) -> None:
    # Editors' edits, a layer above the file's metadata that re-reading the file keeps; and
    # the file's metadata itself, so an edit can be cleared (NULL: the same as `meta`).
    db.execute(
        """CREATE TABLE IF NOT EXISTS manual_edits (
            doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
            field TEXT NOT NULL,
            value TEXT NOT NULL,             -- JSON, as in Metadata.to_dict
            editor TEXT NOT NULL,
            edited_at TEXT NOT NULL,
            PRIMARY KEY (doc_id, field)
        )"""
    )
    if "file_meta" not in _columns(db, "documents"):
        db.execute("ALTER TABLE documents ADD COLUMN file_meta TEXT")


@migration
def m009_text_structure(db: sqlite3.Connection) -> None:
    # Headings, list items and table rows of the text, so the document page can show them.
    if "structure" not in _columns(db, "documents"):
        db.execute("ALTER TABLE documents ADD COLUMN structure TEXT NOT NULL DEFAULT '[]'")


@migration
def m010_stem_overrides(db: sqlite3.Connection) -> None:
    # kb.analysis.STEM_OVERRIDES tells "nytt" (new) from "nytta" (benefit): index terms anew.
    keyword_index.fill(db)


@migration
def m011_records(db: sqlite3.Connection) -> None:
    # Investments, lessons and recommendations (issue 14), kept beside the documents. Evidence
    # names its document without a foreign key: a deleted document flags it for review, and
    # never takes a lesson with it.
    db.execute(
        """CREATE TABLE IF NOT EXISTS investments (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            agency TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            start_year INTEGER,
            end_year INTEGER,
            phase TEXT NOT NULL,             -- kb.records.models.PHASES
            outcome TEXT NOT NULL,           -- OUTCOMES
            estimated_msek REAL,
            actual_msek REAL,
            actual_kind TEXT,                -- COST_KINDS
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS investment_documents (
            investment_id TEXT NOT NULL REFERENCES investments(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,              -- the order the record gives
            doc_id TEXT NOT NULL,
            role TEXT NOT NULL,              -- DOCUMENT_ROLES
            PRIMARY KEY (investment_id, n)
        )"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS investment_documents_doc ON investment_documents(doc_id)"
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS lessons (
            id TEXT PRIMARY KEY,
            text TEXT NOT NULL,
            polarity TEXT NOT NULL,          -- POLARITIES
            investment_id TEXT REFERENCES investments(id),  -- NULL: a general lesson
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS lesson_themes (
            lesson_id TEXT NOT NULL REFERENCES lessons(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,
            theme_id TEXT NOT NULL,          -- an id of the themes file
            PRIMARY KEY (lesson_id, n)
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS lesson_themes_theme ON lesson_themes(theme_id)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS recommendations (
            id TEXT PRIMARY KEY,
            text TEXT NOT NULL,
            given_by TEXT NOT NULL,
            agency TEXT,                     -- to whom
            investment_id TEXT REFERENCES investments(id),
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS follow_ups (
            recommendation_id TEXT NOT NULL REFERENCES recommendations(id) ON DELETE CASCADE,
            n INTEGER NOT NULL,
            status TEXT NOT NULL,            -- FOLLOW_UP_STATUSES
            PRIMARY KEY (recommendation_id, n)
        )"""
    )
    # One row per anchored passage: a lesson's evidence (slot 'lesson'), an investment's cost
    # figures ('estimated_cost', 'actual_cost'), a recommendation's source ('source') and its
    # follow-ups ('follow_up', n as in follow_ups). A W3C TextQuoteSelector: exact, prefix,
    # suffix; the offsets and chunk seq are hints, re-found when the document's text changes.
    db.execute(
        """CREATE TABLE IF NOT EXISTS evidence (
            record_id TEXT NOT NULL,
            slot TEXT NOT NULL,
            n INTEGER NOT NULL,
            doc_id TEXT NOT NULL,
            exact TEXT NOT NULL,
            prefix TEXT NOT NULL,
            suffix TEXT NOT NULL,
            char_start INTEGER,
            char_end INTEGER,
            seq INTEGER,
            status TEXT NOT NULL,            -- 'ok' or 'needs_review'
            PRIMARY KEY (record_id, slot, n)
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS evidence_doc ON evidence(doc_id)")


@migration
def m012_stem_overrides_of_every_form(db: sqlite3.Connection) -> None:
    # STEM_OVERRIDES gained the genitives (nyttans, nyttors, nyttornas) and "nyttighet".
    keyword_index.fill(db)


@migration
def m013_references_and_suggestions(db: sqlite3.Connection) -> None:
    # Detected at ingest (issue 14). References: one row per (place in the citing document,
    # document it names); cited_id NULL keeps a designation no known document carries yet, so
    # a later document that carries it is linked without reading the citer again.
    db.execute(
        """CREATE TABLE IF NOT EXISTS doc_references (
            citing_id TEXT NOT NULL,
            n INTEGER NOT NULL,
            cited_id TEXT,                   -- NULL: not resolved (yet)
            kind TEXT NOT NULL,              -- rir, sou, dir, … dnr, or 'title'
            designation TEXT NOT NULL,       -- normalised ("RiR 2011:5"), or the title cited
            char_start INTEGER NOT NULL,     -- offsets into the citing document's text
            char_end INTEGER NOT NULL,
            PRIMARY KEY (citing_id, n)
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS doc_references_cited ON doc_references(cited_id)")
    db.execute(
        "CREATE INDEX IF NOT EXISTS doc_references_designation"
        " ON doc_references(designation COLLATE NOCASE)"
    )
    db.execute(
        """CREATE TABLE IF NOT EXISTS doc_designations (
            doc_id TEXT NOT NULL,
            designation TEXT NOT NULL,       -- a designation the document carries as its own
            PRIMARY KEY (doc_id, designation)
        )"""
    )
    # The review queue: what the suggesters proposed for a version of a document, and what an
    # editor decided. `key` tells a suggestion again (the lesson's sentence, the theme, the
    # investment), so a decided one is not proposed anew by a later version.
    db.execute(
        """CREATE TABLE IF NOT EXISTS suggestions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id TEXT NOT NULL,
            kind TEXT NOT NULL,              -- theme, lesson, investment
            key TEXT NOT NULL,
            payload TEXT NOT NULL,           -- JSON: text, polarity, themes, quote, score, …
            content_hash TEXT NOT NULL,      -- of the document version it was made from
            status TEXT NOT NULL DEFAULT 'pending',  -- pending, accepted, rejected
            decided_by TEXT,
            decided_at TEXT,
            result TEXT,                     -- JSON of what was accepted (edited payload, record)
            created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS suggestions_doc ON suggestions(doc_id, status)")


@migration
def m014_ocr_pages(db: sqlite3.Connection) -> None:
    # The pages of a scanned PDF whose text OCR read, with the seconds each took: JSON
    # [[page, seconds], …], [] for a document with a text layer.
    if "ocr_pages" not in _columns(db, "documents"):
        db.execute("ALTER TABLE documents ADD COLUMN ocr_pages TEXT NOT NULL DEFAULT '[]'")


@migration
def m015_search_log(db: sqlite3.Connection) -> None:
    # The Sök page's searches, for the secretariat's Sökstatistik: what was asked, how many
    # results, and which were opened. No user, address or session: `id` is random per search.
    db.execute(
        """CREATE TABLE IF NOT EXISTS search_log (
            id TEXT PRIMARY KEY,
            at TEXT NOT NULL,                -- UTC, ISO 8601
            query TEXT NOT NULL,
            filters TEXT NOT NULL,           -- JSON: the refinements ticked
            result_type TEXT NOT NULL,       -- documents, lessons or investments
            results INTEGER NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS search_log_at ON search_log(at)")
    db.execute(
        """CREATE TABLE IF NOT EXISTS search_log_opened (
            search_id TEXT NOT NULL REFERENCES search_log(id) ON DELETE CASCADE,
            target TEXT NOT NULL,            -- 'document:<id>' or 'investment:<id>'
            rank INTEGER NOT NULL
        )"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS search_log_opened_search ON search_log_opened(search_id)"
    )


@migration
def m016_feed_tokens(db: sqlite3.Connection) -> None:
    # Read-only tokens for feed readers, which cannot log in (KB_READ_REQUIRES_LOGIN): kept
    # apart from the API's tokens so that one can never stand in for the other.
    db.execute(
        """CREATE TABLE IF NOT EXISTS feed_tokens (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            name TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
            created_at TEXT NOT NULL
        )"""
    )


@migration
def m017_contributions(db: sqlite3.Connection) -> None:
    # "Dela en erfarenhet": what contributors submit, waiting for an editor (issue 15). Nothing
    # here is public; a published one becomes the document `doc_id` (kind experience).
    db.execute(
        """CREATE TABLE IF NOT EXISTS contributions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            author TEXT NOT NULL,            -- the account that submitted it
            status TEXT NOT NULL,            -- submitted, changes_requested, published, rejected
            agency TEXT NOT NULL,
            investment_id TEXT,              -- an existing investment record, or
            investment_name TEXT,            -- the name of one the records lack
            went_well TEXT NOT NULL,
            went_badly TEXT NOT NULL,
            advice TEXT NOT NULL,
            attachments TEXT NOT NULL DEFAULT '[]',  -- JSON [{name, path, size}] in the data folder
            message TEXT,                    -- the editor's request for changes, or reason
            decided_by TEXT,
            decided_at TEXT,
            doc_id TEXT,                     -- the experience document, once published
            job_id TEXT,                     -- the ingest job of its attachments, once published
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute(
        "CREATE INDEX IF NOT EXISTS contributions_author ON contributions(author, created_at)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS contributions_status ON contributions(status)")


@migration
def m018_document_versions(db: sqlite3.Connection) -> None:
    # Issue 16: every version of a document's content, the current one included (the highest
    # n), so the document page can list and diff them and an editor restore one. The vector
    # store and the keyword index hold the current version only. No foreign key: the
    # documents row is replaced (INSERT OR REPLACE) on every write, which would cascade.
    db.execute(
        """CREATE TABLE IF NOT EXISTS document_versions (
            doc_id TEXT NOT NULL,
            n INTEGER NOT NULL,              -- 1, 2, … in the order they were made
            content_hash TEXT NOT NULL,
            text TEXT NOT NULL,
            meta TEXT NOT NULL,              -- JSON of the Metadata shown then
            file_meta TEXT,                  -- JSON of the file's own layer (NULL: as meta)
            structure TEXT NOT NULL DEFAULT '[]',
            pages TEXT NOT NULL DEFAULT '[]',  -- JSON [[char_start, page], …] of its chunks
            source_name TEXT NOT NULL,       -- the file name (never a path: see `actor`)
            file_type TEXT NOT NULL,
            n_pages INTEGER,
            size_bytes INTEGER NOT NULL,
            origin TEXT NOT NULL,            -- upload, ingest, reingest, restore, link, import, ''
            actor TEXT NOT NULL DEFAULT '',  -- the editor, or the path a `kb ingest` read
            note TEXT NOT NULL DEFAULT '',   -- restore: the version restored; link: the other id
            original TEXT,                   -- its file, relative to originals/ (versions/…)
            created_at TEXT NOT NULL,
            PRIMARY KEY (doc_id, n)
        )"""
    )
    db.execute(
        """INSERT OR IGNORE INTO document_versions (doc_id, n, content_hash, text, meta,
            file_meta, structure, pages, source_name, file_type, n_pages, size_bytes, origin,
            created_at)
        SELECT id, 1, content_hash, text, meta, file_meta, structure,
            COALESCE((SELECT json_group_array(json_array(char_start, page)) FROM
                (SELECT char_start, page FROM chunks WHERE doc_id = documents.id ORDER BY seq)),
                '[]'),
            replace(source, rtrim(source, replace(source, '/', '')), ''), file_type, n_pages,
            size_bytes, '', updated_at
        FROM documents"""
    )
    # Another document is a version of this one: the id that was linked keeps leading here.
    db.execute(
        """CREATE TABLE IF NOT EXISTS document_aliases (
            alias TEXT PRIMARY KEY, doc_id TEXT NOT NULL, created_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS document_aliases_doc ON document_aliases(doc_id)")
    # Near-duplicates found at ingest: `doc_id` (the one read in later) resembles `other_id`.
    db.execute(
        """CREATE TABLE IF NOT EXISTS near_duplicates (
            doc_id TEXT NOT NULL,
            other_id TEXT NOT NULL,
            score REAL NOT NULL,             -- estimated Jaccard similarity of word shingles
            status TEXT NOT NULL DEFAULT 'open',  -- open, kept (both kept), linked
            found_at TEXT NOT NULL,
            decided_by TEXT,
            decided_at TEXT,
            PRIMARY KEY (doc_id, other_id)
        )"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS near_duplicates_other ON near_duplicates(other_id)")
    # Each document's MinHash signature (of its current text), compared with a new one's.
    db.execute(
        """CREATE TABLE IF NOT EXISTS document_minhash (
            doc_id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, signature BLOB NOT NULL
        )"""
    )


@migration
def m019_document_tags(db: sqlite3.Connection) -> None:
    # Issue 17: a search's filters are checked against the agencies and tags documents have,
    # and that must not parse every document's JSON metadata on each query. The tags get a
    # table of their own (written with the documents row, in its transaction) and the agency
    # column an index, so both lists are read from indexes.
    db.execute(
        """CREATE TABLE IF NOT EXISTS document_tags (
            doc_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (doc_id, tag)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX IF NOT EXISTS document_tags_tag ON document_tags(tag)")
    db.execute("CREATE INDEX IF NOT EXISTS documents_agency ON documents(agency)")
    db.execute(
        "INSERT OR IGNORE INTO document_tags (doc_id, tag)"
        " SELECT documents.id, value FROM documents, json_each(documents.meta, '$.tags')"
    )


@migration
def m020_keyword_changes(db: sqlite3.Connection) -> None:
    # Issue 17: the keyword side answers from a tantivy copy of chunk_terms (block-max WAND,
    # kb/storage/keyword_copy.py). Each change to chunk_terms notes its document here, in the
    # same transaction; the last row (number and random token) is the state the copy must hold
    # to be used. The first entry ("": everything) has the copy built from the table.
    db.execute(
        """CREATE TABLE IF NOT EXISTS keyword_changes (
            n INTEGER PRIMARY KEY AUTOINCREMENT, doc_id TEXT NOT NULL,
            token TEXT NOT NULL DEFAULT (lower(hex(randomblob(8))))
        )"""
    )
    db.execute("INSERT INTO keyword_changes (doc_id) VALUES ('')")

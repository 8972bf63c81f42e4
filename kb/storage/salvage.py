"""What `kb recover` saves of a damaged catalog: every table's rows, copied into a new catalog
column by column, as far as the damaged file lets them be read.

Only the documents, their chunks and the keyword index are not copied: they are made anew
from the originals kept in the data folder. Every other table, including any that a later
migration adds, is carried over without being named here. The new catalog is migrated to the
damaged one's version first, then the rows go in, then the remaining migrations run: a
damaged catalog of an older version gets the data changes of the migrations it lacked.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from kb.storage import migrations
from kb.storage.catalog import Catalog
from kb.storage.data_folder import private_folder

log = logging.getLogger(__name__)

# From the originals (the keyword index: virtual tables; its change log follows the new rows).
REBUILT = ("documents", "chunks", "keyword_changes")
_BATCH = 500


@dataclass
class Salvage:
    """The damaged catalog, open read-only (None: it cannot be read at all)."""

    old: sqlite3.Connection | None
    carried: list[str] = field(default_factory=list)  # "table (n rows)"
    lost: list[str] = field(default_factory=list)  # what could not be read, one line each
    whole: set[str] = field(default_factory=set)  # the tables copied with all their rows

    def close(self) -> None:
        if self.old is not None:
            self.old.close()

    def documents(self) -> tuple[dict[str, tuple[str, str]], bool]:
        """doc id -> (source, created_at) of the damaged catalog's documents, and whether
        all of them could be read."""
        rows, whole = self._rows("documents", ["id", "source", "created_at"])
        return {r[0]: (r[1], r[2]) for r in rows}, whole

    def aliases(self) -> set[str]:
        """The ids that lead to another document (it became a version of that one)."""
        rows, _ = self._rows("document_aliases", ["alias"], report=False)
        return {r[0] for r in rows}

    def make_catalog(self, path: Path) -> list[str]:
        """A new catalog at `path` holding every copyable table's rows; returns the tables
        left to copy once the documents are back (their rows name a document)."""
        private_folder(path.parent)
        db = sqlite3.connect(path)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            migrations.migrate(db, until=self._version())
            tables = self._tables()
            first, later = _copyable(db, tables)
            self.lost += [
                f"table {t}: this version of kb does not know it"
                for t in tables
                if t not in first + later + list(REBUILT)
            ]
            self.copy(db, first)
            migrations.migrate(db)
            return later
        finally:
            db.close()

    def copy(self, db: sqlite3.Connection, tables: list[str]) -> None:
        """The old rows of `tables` into `db`, for the columns both catalogs have."""
        db.execute("PRAGMA foreign_keys=OFF")  # rows arrive in table order, not dependency order
        try:
            for table in tables:
                columns = [c for c in self._columns(table) if c in _columns(db, table)]
                if not columns:
                    continue
                rows, whole = self._rows(table, columns)
                if whole:
                    self.whole.add(table)
                names, marks = ",".join(f'"{c}"' for c in columns), ",".join("?" * len(columns))
                with db:
                    db.executemany(
                        f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({marks})', rows
                    )
                self.carried.append(f"{table} ({len(rows)} rows)")
        finally:
            db.execute("PRAGMA foreign_keys=ON")

    def _version(self) -> int:
        if self.old is None:
            return 0
        try:
            return min(migrations.version(self.old), len(migrations.MIGRATIONS))
        except sqlite3.DatabaseError:
            return 0

    def _tables(self) -> list[str]:
        if self.old is None:
            self.lost.append(
                "every table: the damaged catalog cannot be read at all"
                " (the documents are rebuilt from their originals)"
            )
            return []
        try:
            rows = self.old.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'")
            return _plain_tables(rows.fetchall())
        except sqlite3.DatabaseError as exc:
            self.lost.append(f"every table: the damaged catalog lists none ({exc})")
            return []

    def _columns(self, table: str) -> list[str]:
        try:
            return [r[1] for r in self.old.execute(f'PRAGMA table_info("{table}")')]
        except sqlite3.DatabaseError as exc:
            self.lost.append(f"table {table}: unreadable in the damaged catalog ({exc})")
            return []

    def _rows(self, table: str, columns: list[str], report: bool = True) -> tuple[list, bool]:
        """As many rows as can be read, in batches: those before damaged pages are kept."""
        if self.old is None:
            return [], False
        rows: list = []
        try:
            names = ",".join(f'"{c}"' for c in columns)
            cursor = self.old.execute(f'SELECT {names} FROM "{table}"')
            while batch := cursor.fetchmany(_BATCH):
                rows += batch
            return rows, True
        except sqlite3.DatabaseError as exc:
            if report:
                read = f"{len(rows)} rows read, the rest" if rows else "its rows"
                self.lost.append(f"table {table}: {read} unreadable in the damaged catalog ({exc})")
            return rows, False


def sound(path: Path) -> bool:
    """Whether the catalog file exists and SQLite's quick check finds it whole."""
    if not path.exists():
        return False
    try:
        catalog = Catalog(path)
    except sqlite3.DatabaseError:
        return False
    try:
        return catalog.integrity_problem() is None
    except sqlite3.DatabaseError:
        return False
    finally:
        catalog.close()


def move_aside(catalog: Path) -> Path:
    """The damaged catalog (and its write-ahead log) renamed beside it, kept for whoever
    wants to look; returns its new path."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = catalog.with_name(f"{catalog.stem}.damaged-{stamp}{catalog.suffix}")
    for suffix in ("", "-wal", "-shm"):
        part = catalog.with_name(catalog.name + suffix)
        if part.exists():
            part.rename(target.with_name(target.name + suffix))
    return target


def open_damaged(path: Path) -> Salvage:
    if not path.exists():
        return Salvage(None)
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return Salvage(db)
    except sqlite3.DatabaseError as exc:
        log.warning("the damaged catalog cannot be read at all: %s", exc)
        return Salvage(None)


def restore_documents(db: sqlite3.Connection, old: dict[str, tuple[str, str]], kept: Path) -> None:
    """What a document's original does not say: when it was first added, and, for a file
    ingested from elsewhere, its own path as its source (the copy under `kept` is only what
    is served), so that the next `kb ingest` of its folder finds it the same."""
    with db:
        for doc_id, (source, created_at) in old.items():
            row = db.execute("SELECT source FROM documents WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                continue
            if (
                source
                and not Path(source).is_relative_to(kept)
                and Path(row[0]).is_relative_to(kept)
            ):
                db.execute("UPDATE documents SET source = ? WHERE id = ?", (source, doc_id))
            if created_at:
                db.execute("UPDATE documents SET created_at = ? WHERE id = ?", (created_at, doc_id))


def drop_orphan_edits(db: sqlite3.Connection) -> list[str]:
    """Editors' edits of documents that could not be rebuilt go; returns those documents."""
    orphans = [
        r[0]
        for r in db.execute(
            "SELECT DISTINCT doc_id FROM manual_edits"
            " WHERE doc_id NOT IN (SELECT id FROM documents) ORDER BY doc_id"
        )
    ]
    with db:
        db.execute("DELETE FROM manual_edits WHERE doc_id NOT IN (SELECT id FROM documents)")
    return orphans


def edited_documents(db: sqlite3.Connection) -> set[str]:
    return {r[0] for r in db.execute("SELECT DISTINCT doc_id FROM manual_edits")}


def _plain_tables(rows: list[tuple[str, str]]) -> list[str]:
    """The tables that hold rows of their own: not SQLite's, not virtual tables (the keyword
    index, rebuilt) nor their shadow tables."""
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    return [
        name
        for name, _ in rows
        if not name.startswith("sqlite_")
        and name not in virtual
        and not any(name.startswith(f"{v}_") for v in virtual)
    ]


def _copyable(db: sqlite3.Connection, tables: list[str]) -> tuple[list[str], list[str]]:
    """(tables to copy now, tables to copy once the documents are rebuilt: those whose rows
    a foreign key ties to a rebuilt table); tables the new catalog lacks are left out."""
    present = set(_plain_tables(db.execute("SELECT name, sql FROM sqlite_master").fetchall()))
    first, later = [], []
    for table in tables:
        if table in REBUILT or table not in present:
            continue
        parents = {r[2] for r in db.execute(f'PRAGMA foreign_key_list("{table}")')}
        (later if parents & set(REBUILT) else first).append(table)
    return first, later


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in db.execute(f'PRAGMA table_info("{table}")')}

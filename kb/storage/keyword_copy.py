"""The keyword index for top-k search: a tantivy copy of the catalog's FTS5 terms.

FTS5 scores every posting of every query term (~4 µs a matching row: 128 ms p95 at 100,000
chunks); tantivy's block-max WAND skips the postings that cannot reach the top k. The catalog
stays the source of truth: its FTS5 table is written in the catalog's own transactions, and
each change there also appends the document's id to `keyword_changes`, with a random token:
the last change (number, token) is the catalog's keyword state. This copy follows after the
write (the end of every `KnowledgeBase.writing()` block): the documents changed since the
state it holds are deleted and added again from the catalog, or, after many changes, the
copy is built anew in a folder of its own and swapped in. A search uses the copy only while it
holds the catalog's state; otherwise FTS5 answers (the same terms, slower) until the copy has
followed. A crash anywhere leaves the copy behind, never wrong: following is idempotent. The
token tells catalogs apart: after `kb recover`, or a backup copied back over a newer data
folder, the counter may reach the copy's number again with other changes behind it.

Layout, in the data folder: keywords/current.json names the folder of the copy in use and the
state it holds; keywords/lock serialises followers across processes.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import re
import shutil
import sqlite3
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import tantivy

from kb.analysis import index_terms
from kb.models import Metadata
from kb.storage.keyword_index import MIN_PREFIX, KeywordMatch

log = logging.getLogger(__name__)

POINTER = "current.json"
FORMAT = 3  # of the copy's documents: a copy of another format is built anew
# Changes to more than this share of the documents (or a rebuilt FTS5 table) and the copy is
# built anew from the FTS5 table's stored terms: quicker than analysing those chunks again.
REBUILD_SHARE = 0.25
MAX_ADDED_SHARE = 0.1  # chunks re-added in place since the build, of all chunks (see _apply)
_FOLDER = re.compile(r"index-[0-9a-f]{12}")
WRITER_HEAP = 64_000_000  # bytes tantivy buffers before it writes a segment


State = tuple[int, str]  # the last change to the terms: (number, token)


def catalog_state(db: sqlite3.Connection) -> State:
    row = db.execute("SELECT n, token FROM keyword_changes ORDER BY n DESC LIMIT 1").fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    # The catalog's analysed terms (Snowball stems, stop words out), title + text in one field
    # as FTS5's bm25 counts them at title weight 1; no positions: no phrase is ever asked.
    builder.add_text_field("terms", tokenizer_name="terms", index_option="freq")
    # every 5+ letter beginning of each term ("kostn", "kostna", "kostnad" for "kostnad"):
    # a query stem's prefix match is one term here, counted as FTS5 counts "stem"* (_prefixes)
    builder.add_text_field("prefixes", tokenizer_name="terms", index_option="freq")
    builder.add_text_field("doc_id", stored=True, tokenizer_name="raw", index_option="basic")
    builder.add_integer_field("seq", stored=True, indexed=False)
    return builder.build()


SCHEMA = _schema()


def _open_index(folder: Path, create: bool = False) -> tantivy.Index:
    if create:
        folder.mkdir(mode=0o700)
    # Index.open: a folder removed meanwhile is an error, not a new empty index
    index = tantivy.Index(SCHEMA, path=str(folder)) if create else tantivy.Index.open(str(folder))
    # The terms are analysed already (lower-case \w+ stems): split at the spaces, nothing more
    # ("e_post" stays one term, as the query stem does).
    index.register_tokenizer(
        "terms", tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    )
    return index


@dataclass
class _Opened:
    name: str  # the folder under keywords/
    state: State | None
    index: tantivy.Index
    searcher: tantivy.Searcher


# One open index per copy and process, shared by the requests that each open a catalog.
_OPEN: dict[Path, _Opened] = {}
_OPEN_LOCK = threading.Lock()


class KeywordCopy:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    # reading ---------------------------------------------------------------
    def pointer(self) -> tuple[str, State] | None:
        """(the folder of the copy in use, the catalog state it holds), if there is one."""
        try:
            data = json.loads((self.folder / POINTER).read_text())
            if data.get("format") != FORMAT or not _FOLDER.fullmatch(str(data["folder"])):
                return None  # made by another version of this module: built anew
            # "pending": being changed in place, so its content may be past this state
            token = "" if data.get("pending") else str(data["token"])
            return str(data["folder"]), (int(data["change"]), token)
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _current(self, state: State) -> _Opened | None:
        """The open copy if it holds `state`, else None (FTS5 answers)."""
        pointer = self.pointer()
        if pointer is None or pointer[1] != state:
            return None
        name, held = pointer
        with _OPEN_LOCK:
            opened = _OPEN.get(self.folder)
            if opened is None or opened.name != name:
                index = _open_index(self.folder / name)
                opened = _Opened(name, None, index, index.searcher())
                _OPEN[self.folder] = opened
            if opened.state != held:
                opened.index.reload()  # at least the commit the pointer names
                opened.searcher = opened.index.searcher()
                opened.state = held
            return opened

    def search(
        self,
        db: sqlite3.Connection,
        stems: list[str],
        limit: int,
        doc_ids: list[str] | None,
        prefix: bool,
    ) -> list[KeywordMatch] | None:
        """The top `limit` chunks for the stems OR-ed (within `doc_ids` if given), or None
        when the copy cannot answer for the catalog as it is now, or for a phrase ("e tjänst",
        from compound splitting: the copy keeps no positions)."""
        if any(" " in stem for stem in stems):
            return None
        try:
            return self._search(db, stems, limit, doc_ids, prefix)
        except Exception as exc:  # noqa: BLE001 - tantivy's errors vary
            # a damaged copy, or one swapped while being opened: FTS5 answers, `kb check` tells
            log.warning("the keyword copy in %s cannot be read: %s", self.folder, exc)
            return None

    def _search(self, db, stems, limit, doc_ids, prefix) -> list[KeywordMatch] | None:
        opened = self._current(catalog_state(db))
        if opened is None:
            return None
        searcher = opened.searcher
        clauses = [(tantivy.Occur.Should, q) for q in _term_queries(searcher, stems, prefix)]
        if not clauses or doc_ids == []:
            return []
        query = tantivy.Query.boolean_query(clauses)
        if doc_ids is not None:
            allowed = tantivy.Query.term_set_query(SCHEMA, "doc_id", doc_ids)
            query = tantivy.Query.boolean_query(
                [(tantivy.Occur.Must, query), (tantivy.Occur.Must, allowed)]
            )
        # count=False: counting every match would visit every posting, WAND's whole gain
        hits = searcher.search(query, limit, count=False).hits
        out = []
        for score, address in hits:
            stored = searcher.doc(address)
            out.append(KeywordMatch(stored["doc_id"][0], int(stored["seq"][0]), float(score)))
        return out

    def keys(self) -> set[tuple[str, int]]:
        """Every chunk the copy in use holds (for `kb check`)."""
        pointer = self.pointer()
        if pointer is None:
            return set()
        searcher = _open_index(self.folder / pointer[0]).searcher()
        n = searcher.num_docs
        if not n:
            return set()
        hits = searcher.search(tantivy.Query.all_query(), n, count=False).hits
        keys = set()
        for _, address in hits:
            stored = searcher.doc(address)
            keys.add((stored["doc_id"][0], int(stored["seq"][0])))
        return keys

    # following the catalog ---------------------------------------------------
    def follow(self, catalog_path: Path, rebuild: bool = False) -> bool:
        """Bring the copy to the catalog's state (anew if `rebuild`); False when the copy
        cannot be written. Another follower is waited for: it may have read the catalog before
        this caller's change (and finding the copy current then costs a read)."""
        try:
            self.folder.mkdir(mode=0o700, exist_ok=True)
            with open(self.folder / "lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                db = sqlite3.connect(catalog_path, timeout=30)
                try:
                    self._follow(db, rebuild)
                finally:
                    db.close()
                return True
        except Exception as exc:  # noqa: BLE001 - the write it follows has committed
            # searches stay right (FTS5 answers while the copy is behind); `kb check` tells
            log.warning("the keyword copy in %s could not follow the catalog: %s", self.folder, exc)
            return False

    def _follow(self, db: sqlite3.Connection, rebuild: bool) -> None:
        db.execute("BEGIN")  # one snapshot of the changes and the rows they name
        try:
            state = catalog_state(db)
            pointer = self.pointer()
            if pointer and pointer[1] == state and not rebuild:
                return
            changed = None
            if pointer and not rebuild and _holds(db, pointer[1]):  # behind on this catalog
                rows = db.execute(
                    "SELECT DISTINCT doc_id FROM keyword_changes WHERE n > ?", (pointer[1][0],)
                ).fetchall()
                changed = [r[0] for r in rows]
                (documents,) = db.execute("SELECT COUNT(*) FROM documents").fetchone()
                if "" in changed or len(changed) > max(20, REBUILD_SHARE * documents):
                    changed = None
            if changed is not None:
                try:
                    if self._apply(db, pointer[0], changed, state):
                        return
                except Exception as exc:  # noqa: BLE001 - a damaged or vanished copy
                    log.warning("the keyword copy %s is built anew: %s", pointer[0], exc)
            self._build(db, state)
        finally:
            db.rollback()
        self._forget_old_folders()

    def _build(self, db: sqlite3.Connection, state: State) -> None:
        name = f"index-{uuid.uuid4().hex[:12]}"
        try:
            index = _open_index(self.folder / name, create=True)
            writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
            for terms, title, doc_id, seq in db.execute(
                "SELECT terms, title, doc_id, seq FROM chunk_terms"
            ):
                writer.add_document(_document(doc_id, int(seq), terms, title))
            writer.commit()
            writer.wait_merging_threads()
        except BaseException:
            shutil.rmtree(self.folder / name, ignore_errors=True)  # a full disk gets it back
            raise
        self._point(name, state, added=0)

    def _apply(self, db: sqlite3.Connection, name: str, doc_ids: list[str], state: State) -> bool:
        """The documents deleted and added again in place (False: build anew instead). Deleted
        chunks still count in tantivy's statistics until their segment is merged, which skews
        BM25 against FTS5's: past MAX_ADDED_SHARE of the chunks added since the build, the
        copy is built anew."""
        added = self._added()
        rows = [(doc_id, *row) for doc_id in doc_ids for row in _document_terms(db, doc_id)]
        (chunks,) = db.execute("SELECT COUNT(*) FROM chunks").fetchone()
        if added + len(rows) > max(100, MAX_ADDED_SHARE * chunks):
            return False
        index = _open_index(self.folder / name)
        writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
        for doc_id in doc_ids:
            writer.delete_documents_by_term("doc_id", doc_id)
        for doc_id, seq, terms, title in rows:
            writer.add_document(_document(doc_id, seq, terms, title))
        # the folder's content may pass its recorded state from the commit on: say so first
        self._point(name, self.pointer()[1], added, pending=True)
        writer.commit()
        writer.wait_merging_threads()
        self._point(name, state, added + len(rows))
        return True

    def _added(self) -> int:
        try:
            return int(json.loads((self.folder / POINTER).read_text()).get("added", 0))
        except (OSError, ValueError, TypeError):
            return 0

    def _point(self, name: str, state: State, added: int, pending: bool = False) -> None:
        record = {"format": FORMAT, "folder": name, "change": state[0], "token": state[1]}
        partial = self.folder / f"{POINTER}.partial"
        with open(partial, "w") as f:
            json.dump(record | {"added": added, "pending": pending}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, self.folder / POINTER)
        folder = os.open(self.folder, os.O_RDONLY)  # the rename itself on disk, before any rmtree
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def _forget_old_folders(self) -> None:
        """Copies no pointer names (replaced, or left by a crash mid-build). A process still
        reading one keeps its files open until it notices the new pointer."""
        pointer = self.pointer()
        for path in self.folder.glob("index-*"):
            if pointer is None or path.name != pointer[0]:
                shutil.rmtree(path, ignore_errors=True)


def _holds(db: sqlite3.Connection, state: State) -> bool:
    """Whether `state` is a change this catalog made (the copy is then behind on it)."""
    row = db.execute("SELECT token FROM keyword_changes WHERE n = ?", (state[0],)).fetchone()
    return row is not None and row[0] == state[1]


def _document(doc_id: str, seq: int, terms: str, title: str) -> tantivy.Document:
    both = f"{terms} {title}"
    return tantivy.Document(terms=both, prefixes=_prefixes(both), doc_id=doc_id, seq=seq)


# Each term gives the prefixes field exactly this many tokens: its beginnings of 5 to 14
# letters, and fillers. A longer query stem is looked up by its first 14 letters (a term
# that shares those and differs later is rare). BM25 divides by the field's length, and so the
# prefixes field's length is always PER_TERM times the terms field's (FTS5 divides a prefix
# match by the row's real length). Without it, prefix matches in chunks of long words weighed
# less: keyword nDCG@10 0.8122 against FTS5's 0.8413 on corpus/eval.
LONGEST_PREFIX = 14
PER_TERM = LONGEST_PREFIX - MIN_PREFIX + 1
FILLER = "0"  # one letter: never a prefix query (those are 5 letters or more)


def _prefixes(terms: str) -> str:
    out = []
    for term in terms.split():
        own = [term[:n] for n in range(MIN_PREFIX, min(len(term), LONGEST_PREFIX) + 1)]
        out += own + [FILLER] * (PER_TERM - len(own))
    return " ".join(out)


def _document_terms(db: sqlite3.Connection, doc_id: str) -> list[tuple[int, str, str]]:
    """A document's chunks analysed as keyword_index.add_chunks does (none if it is gone)."""
    row = db.execute("SELECT meta FROM documents WHERE id = ?", (doc_id,)).fetchone()
    if row is None:
        return []
    title = index_terms(Metadata.from_dict(json.loads(row[0]), stored=True).context_title)
    chunks = db.execute(
        "SELECT seq, text FROM chunks WHERE doc_id = ? ORDER BY seq", (doc_id,)
    ).fetchall()
    return [(int(seq), index_terms(text), title) for seq, text in chunks]


def _term_queries(searcher: tantivy.Searcher, stems: list[str], prefix: bool) -> list:
    """One term query per stem: a 5+ letter stem (with `prefix`) in the prefixes field, where it
    stands for every term it begins, with one document frequency and their occurrences summed,
    as FTS5 scores "stem"*. As keyword_index.common_terms: in a store of 1,000 chunks or more,
    a stem (or prefix) found in over half the chunks is left out (BM25 gives it next to no
    weight; FTS5 none) unless nothing else is left; a common prefix falls back to the stem."""
    total = searcher.num_docs
    chosen: list[tuple[str, str, int]] = []
    common: list[tuple[str, str, int]] = []
    for stem in stems:
        field, frequency = "terms", searcher.doc_freq("terms", stem)
        if prefix and len(stem) >= MIN_PREFIX:
            prefixed = searcher.doc_freq("prefixes", stem[:LONGEST_PREFIX])
            if total < 1000 or prefixed <= total / 2:
                field, stem, frequency = "prefixes", stem[:LONGEST_PREFIX], prefixed
        if not frequency:
            continue
        found = (field, stem, frequency)
        (common if total >= 1000 and frequency > total / 2 else chosen).append(found)
    return [_fts5_weighted(f, t, n, total) for f, t, n in chosen or common]


def _fts5_weighted(field: str, term: str, frequency: int, total: int) -> tantivy.Query:
    """A term query scored with FTS5's IDF instead of Lucene's: log((N - n + 0.5) / (n + 0.5)),
    at least 1e-6, gives terms in half the chunks or more next to nothing, where Lucene's
    log(1 + …) still gives them 0.69. Measured on the development sets, Lucene's IDF lost
    keyword nDCG@10 (0.8413 → 0.8134 on corpus/eval, whose 52 chunks share most words)."""
    frequency = min(frequency, total)  # deleted chunks count until their segment is merged
    lucene = math.log(1 + (total - frequency + 0.5) / (frequency + 0.5))
    fts5 = max(1e-6, math.log((total - frequency + 0.5) / (frequency + 0.5)))
    query = tantivy.Query.term_query(SCHEMA, field, term)
    return tantivy.Query.boost_query(query, fts5 / lucene)

"""The tantivy copy of the keyword terms: it follows every write, answers only while it holds the
catalog's state, and FTS5 answers (the same documents) when it is behind or damaged."""

from __future__ import annotations

import fcntl
import json
import shutil
import sqlite3
import threading

import pytest

from cli.main import main
from ingest.pipeline import ingest
from kb.analysis import query_stems
from kb.knowledge_base import KnowledgeBase
from kb.operations.backup import copy_sqlite
from kb.operations.consistency import check, repair
from kb.search.filters import Filters
from kb.search.query import SearchQuery
from kb.search.searcher import Searcher
from kb.storage import keyword_copy
from tests.conftest import ROOT

TEXTS = {
    "tull": ("Tullverket", "Tullverkets nya deklarationssystem krävde en lång upphandling."),
    "skv": ("Skatteverket", "Skatteverket byggde om folkbokföringen med egen personal."),
    "fk": (
        "Försäkringskassan",
        "Försäkringskassans handläggningssystem försenades av upphandlingen.",
    ),
}


def _write(folder, name, agency, text):
    (folder / f"{name}.md").write_text(
        f"---\ntitle: {name} om {agency}\nagency: {agency}\n---\n\n{text}\n", encoding="utf-8"
    )


@pytest.fixture
def small(kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, (agency, text) in TEXTS.items():
        _write(folder, name, agency, text)
    assert ingest(kb, [folder]).ok
    return kb, folder


def _found(knowledge_base, text, **kw):
    hits = Searcher(knowledge_base).search(SearchQuery(text, mode="keyword", **kw)).hits
    return [h.doc_id for h in hits]


def _copy_answer(knowledge_base, text, doc_ids=None):
    catalog = knowledge_base.catalog
    stems = query_stems(text)
    found = catalog.keyword_copy.search(catalog.connection, stems, 10, doc_ids, prefix=True)
    return None if found is None else [m.doc_id for m in found]


def test_the_copy_follows_ingest_and_answers_as_fts5_does(small):
    knowledge_base, _ = small
    catalog = knowledge_base.catalog
    assert catalog.keyword_copy.pointer()[1] == catalog.keyword_state()
    assert catalog.keyword_copy.keys() == catalog.keyword_keys()
    # "upphandling" also finds "upphandlingen" (a prefix), in both indexes
    assert sorted(_copy_answer(knowledge_base, "upphandling")) == ["fk", "tull"]
    assert sorted(_found(knowledge_base, "upphandling")) == ["fk", "tull"]
    # filters reach the copy as the documents they allow
    assert _copy_answer(knowledge_base, "upphandling", doc_ids=["fk", "skv"]) == ["fk"]
    only_fk = Filters(agencies=("Försäkringskassan",))
    assert _found(knowledge_base, "upphandling", filters=only_fk) == ["fk"]
    assert _copy_answer(knowledge_base, "upphandling", doc_ids=[]) == []


def test_a_changed_and_a_deleted_document_are_followed(small):
    knowledge_base, folder = small
    _write(folder, "skv", "Skatteverket", "Skatteverket gjorde till slut en upphandling.")
    (folder / "tull.md").unlink()
    assert ingest(knowledge_base, [folder], prune=True).ok
    name = knowledge_base.catalog.keyword_copy.pointer()[0]
    assert sorted(_copy_answer(knowledge_base, "upphandling")) == ["fk", "skv"]
    assert _copy_answer(knowledge_base, "deklarationssystem") == []
    assert check(knowledge_base).clean
    # few changes are applied in place: the same folder, no new build
    assert knowledge_base.catalog.keyword_copy.pointer()[0] == name


def test_a_copy_left_behind_is_not_used_and_check_repairs_it(small, monkeypatch):
    knowledge_base, folder = small
    catalog = knowledge_base.catalog
    copy = catalog.keyword_copy
    # a process killed after its catalog commit, before it could follow
    with monkeypatch.context() as m:
        m.setattr(keyword_copy.KeywordCopy, "follow", lambda *a, **k: False)
        _write(folder, "ny", "Kammarkollegiet", "Kammarkollegiet samordnar upphandlingar.")
        assert ingest(knowledge_base, [folder]).ok
    assert copy.pointer()[1][0] < catalog.keyword_state()[0]
    assert _copy_answer(knowledge_base, "upphandling") is None  # not current: not used
    assert sorted(_found(knowledge_base, "upphandling")) == ["fk", "ny", "tull"]  # FTS5's
    report = check(knowledge_base)
    assert not report.clean and "behind" in report.keyword_copy[0]
    with knowledge_base.writing() as writer:
        repaired = repair(writer)
    assert repaired.clean and "rebuilt the keyword copy" in repaired.repaired
    assert sorted(_copy_answer(knowledge_base, "upphandling")) == ["fk", "ny", "tull"]


def test_a_damaged_copy_leaves_fts5_to_answer_and_is_rebuilt(small, monkeypatch, capsys):
    knowledge_base, _ = small
    copy = knowledge_base.catalog.keyword_copy
    name = copy.pointer()[0]
    keyword_copy._OPEN.clear()  # as a process that has not opened it yet
    (copy.folder / name / "meta.json").write_text("{ not tantivy's")
    assert _copy_answer(knowledge_base, "upphandling") is None
    assert sorted(_found(knowledge_base, "upphandling")) == ["fk", "tull"]
    report = check(knowledge_base)
    assert any("cannot be read" in p for p in report.keyword_copy)
    # as the secretariat finds and mends it
    monkeypatch.setenv("KB_DATA_DIR", str(knowledge_base.config.data_dir))
    monkeypatch.setenv("KB_CACHE_DIR", str(knowledge_base.config.cache_dir))
    capsys.readouterr()
    assert main(["check", "--json"]) == 1
    assert any("cannot be read" in p for p in json.loads(capsys.readouterr().out)["keyword_copy"])
    assert main(["check", "--repair", "--json"]) == 0
    assert "rebuilt the keyword copy" in json.loads(capsys.readouterr().out)["repaired"]
    assert copy.pointer()[0] != name and not (copy.folder / name).exists()
    assert sorted(_copy_answer(knowledge_base, "upphandling")) == ["fk", "tull"]


@pytest.mark.parametrize("loss", ["deleted", "an older format"])
def test_a_lost_pointer_is_built_again_when_the_knowledge_base_is_opened(small, embedder, loss):
    knowledge_base, _ = small
    copy = knowledge_base.catalog.keyword_copy
    pointer = copy.folder / keyword_copy.POINTER
    if loss == "deleted":
        pointer.unlink()
    else:
        pointer.write_text(json.dumps(json.loads(pointer.read_text()) | {"format": 1}))
    assert "missing" in check(knowledge_base).keyword_copy[0]
    knowledge_base.close()
    again = KnowledgeBase(knowledge_base.config, embedder=embedder)
    try:
        assert check(again).clean
        assert sorted(_copy_answer(again, "upphandling")) == ["fk", "tull"]
    finally:
        again.close()


def test_a_catalog_copied_back_over_a_newer_copy_is_not_taken_for_it(small, embedder, tmp_path):
    knowledge_base, folder = small
    config, catalog = knowledge_base.config, knowledge_base.catalog
    backup = tmp_path / "backup.sqlite3"
    copy_sqlite(catalog.connection, backup)  # as `kb backup` copies the catalog
    _write(folder, "ny", "Kammarkollegiet", "Kammarkollegiet samordnar upphandlingar.")
    assert ingest(knowledge_base, [folder]).ok
    newer = catalog.keyword_copy.pointer()[1]
    knowledge_base.close()
    for suffix in ("", "-wal", "-shm"):
        config.catalog_path.with_name(config.catalog_path.name + suffix).unlink(missing_ok=True)
    shutil.copy(backup, config.catalog_path)  # the older catalog, the newer keyword copy
    with sqlite3.connect(config.catalog_path) as db:  # as many changes since, other ones
        while keyword_copy.catalog_state(db)[0] < newer[0]:
            db.execute("INSERT INTO keyword_changes (doc_id) VALUES ('skv')")
    restored = KnowledgeBase(config, embedder=embedder)  # opening follows: built anew
    try:
        assert restored.catalog.keyword_copy.pointer()[1] == restored.catalog.keyword_state()
        assert sorted(_copy_answer(restored, "upphandling")) == ["fk", "tull"]
        assert check(restored).keyword_copy == []  # (the vectors were not copied back)
    finally:
        restored.close()


def test_many_changes_build_a_new_copy_and_drop_the_old(small):
    knowledge_base, folder = small
    copy = knowledge_base.catalog.keyword_copy
    old = copy.pointer()[0]
    for n in range(21):  # more than 20 documents, and more than a quarter of them
        _write(folder, f"extra{n}", "ESV", f"Ekonomistyrningsverket granskade upphandling {n}.")
    assert ingest(knowledge_base, [folder]).ok
    assert copy.pointer()[0] != old and not (copy.folder / old).exists()
    assert len(_copy_answer(knowledge_base, "upphandling")) == 10  # the top 10 of 23
    pointer = json.loads((copy.folder / keyword_copy.POINTER).read_text())
    assert (pointer["change"], pointer["token"]) == knowledge_base.catalog.keyword_state()


def test_fts5_alone_when_configured(config, embedder, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    _write(folder, "tull", "Tullverket", TEXTS["tull"][1])
    knowledge_base = KnowledgeBase(config.with_(keyword_engine="fts5"), embedder=embedder)
    try:
        assert ingest(knowledge_base, [folder]).ok
        assert knowledge_base.catalog.keyword_copy is None
        assert not config.keyword_copy_path.exists()
        assert _found(knowledge_base, "upphandling") == ["tull"]
        assert check(knowledge_base).clean
    finally:
        knowledge_base.close()
    with pytest.raises(ValueError, match="KB_KEYWORD_ENGINE"):
        KnowledgeBase(config.with_(keyword_engine="lucene"), embedder=embedder)


def test_the_copy_ranks_as_fts5_does(corpus_kb):
    """Same BM25 (FTS5's IDF, a prefix as one term, lengths as FTS5 counts them): on the
    evaluation queries over the sample corpus the two top tens nearly coincide."""
    from kb.search.evaluation import load_beir
    from kb.storage import keyword_index

    catalog = corpus_kb.catalog
    queries = load_beir(ROOT / "corpus" / "eval", "dev").queries.values()
    overlaps, firsts = [], []
    for text in queries:
        stems = query_stems(text)
        copy = catalog.keyword_copy.search(catalog.connection, stems, 10, None, prefix=True)
        fts5 = keyword_index.search(catalog.connection, stems, 10, None, prefix=True)
        assert copy is not None
        ours, theirs = [(m.doc_id, m.seq) for m in copy], [(m.doc_id, m.seq) for m in fts5]
        overlaps.append(len(set(ours) & set(theirs)) / max(1, len(theirs)))
        firsts.append(ours[:1] == theirs[:1])
    assert sum(overlaps) / len(overlaps) >= 0.9
    assert sum(firsts) / len(firsts) >= 0.8


def test_a_follower_waits_for_another_and_then_catches_up(small):
    knowledge_base, folder = small
    catalog = knowledge_base.catalog
    copy = catalog.keyword_copy
    with open(copy.folder / "lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process following, from an older snapshot
        assert catalog.delete("skv")  # a change the other follower has not read
        waiting = threading.Thread(target=catalog.follow_keywords)
        waiting.start()
        waiting.join(1.0)
        assert waiting.is_alive()  # it waits rather than leave the copy behind
    waiting.join(30)
    assert copy.pointer()[1] == catalog.keyword_state()
    assert _copy_answer(knowledge_base, "folkbokföringen") == []


def test_a_term_with_an_underscore_is_found_as_fts5_finds_it(kb, tmp_path):
    (tmp_path / "a.md").write_text("Blanketten skickas som e_post till handläggaren.\n")
    assert ingest(kb, [tmp_path / "a.md"]).ok
    assert _copy_answer(kb, "e_post") == ["a"]

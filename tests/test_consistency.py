"""`kb check` finds every disagreement between catalog, keyword index and Chroma; `--repair`
fixes them from the catalog; ingests never write at the same time."""

from __future__ import annotations

import threading
import time

import numpy as np

from ingest.pipeline import Progress, ingest
from kb.knowledge_base import KnowledgeBase
from kb.operations.consistency import check, repair
from kb.storage.locking import write_lock
from tests.conftest import dense_search
from tests.files import make_pdf


def _docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("# ERTMS\n\nSignalsystemet blev dyrare än planerat.\n")
    (folder / "b.txt").write_text("Tullverket och beslagshantering.\n")
    make_pdf(folder / "c.pdf", ["Föråldrade system är dyra.", "Sida två om risker."])
    return folder


def test_fresh_ingest_is_consistent(kb, tmp_path):
    ingest(kb, [_docs(tmp_path)])
    report = check(kb)
    assert report.clean and report.documents == 3 and report.chunks == kb.store.count()


def test_every_kind_of_damage_is_found_and_repaired(kb, tmp_path):
    ingest(kb, [_docs(tmp_path)])
    kb.store.collection.delete(ids=["a#0"])
    kb.store.collection.upsert(
        ids=["ghost#0"],
        embeddings=[np.ones(384, dtype=np.float32)],
        documents=["spöke"],
        metadatas=[{"doc_id": "ghost", "seq": 0, "kind": "other"}],
    )
    kb.store.collection.update(
        ids=["b#0"], documents=["annan text"], embeddings=kb.store.vectors(["b#0"])
    )
    with kb.catalog.connection as db:  # damage made under the facade, as a crash would
        db.execute("DELETE FROM chunk_terms WHERE doc_id = 'c'")
        db.execute("INSERT INTO chunk_terms (terms, doc_id, seq) VALUES ('x', 'borta', 0)")
        db.execute("UPDATE documents SET status = 'indexing' WHERE id = 'c'")
    found = check(kb)
    assert not found.clean
    assert found.missing_vectors == ["a#0"] and found.orphan_vectors == ["ghost#0"]
    assert found.stale_vectors == ["b#0"] and found.incomplete == ["c"]
    assert "c#0" in found.missing_terms and found.orphan_terms == ["borta#0"]
    with kb.writing() as writer:
        fixed = repair(writer)
    assert fixed.clean and fixed.repaired
    assert {h.doc_id for h in dense_search(kb, "signalsystem ertms", 5)} >= {"a"}


def test_kb_check_command(config, kb, tmp_path, monkeypatch, capsys):
    from cli.main import main

    ingest(kb, [_docs(tmp_path)])
    monkeypatch.setenv("KB_CACHE_DIR", str(config.cache_dir))
    args = ["--data-dir", str(config.data_dir), "check", "--json"]
    assert main(args) == 0
    kb.store.collection.delete(ids=["b#0"])
    capsys.readouterr()
    assert main(args) == 1
    assert main([*args, "--repair"]) == 0
    assert '"clean": true' in capsys.readouterr().out


def test_two_ingests_are_serialised_by_the_write_lock(config, embedder, tmp_path):
    folder = _docs(tmp_path)
    waited = threading.Event()

    class Watch(Progress):
        def waiting(self, holder: str = "") -> None:
            waited.set()

    kb = KnowledgeBase(config, embedder=embedder)
    reports = []
    with write_lock(config.data_dir):  # another writer holds the knowledge base
        worker = threading.Thread(
            target=lambda: reports.append(ingest(kb, [folder], progress=Watch()))
        )
        worker.start()
        assert waited.wait(10)
        time.sleep(0.3)
        assert worker.is_alive() and kb.catalog.documents() == []  # it waits, writes nothing
    worker.join(60)
    assert reports[0].ok and len(kb.catalog.documents()) == 3 and check(kb).clean

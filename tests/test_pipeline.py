"""Ingest end to end with the real model and a real Chroma store in tmp_path."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from ingest.pipeline import ingest
from kb.errors import ModelMismatch
from kb.knowledge_base import KnowledgeBase
from kb.models import Filters, passage_text
from kb.operations.consistency import check
from tests.conftest import dense_search
from tests.files import make_blank_pdf, make_docx, make_pdf

ERTMS = (
    "---\ntitle: ERTMS\nkind: case\nagency: Trafikverket\ndate: 2018\ntags: [järnväg]\n---\n"
    "# Signalsystem\n\nKostnaden för ERTMS nästan tredubblades efter ändringar.\n"
)
TULL = "Tullverket planerade ett nytt utredningsstöd för 63 miljoner kronor.\n"


@pytest.fixture
def docs(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "ertms.md").write_text(ERTMS, encoding="utf-8")
    (folder / "tull.txt").write_text(TULL, encoding="utf-8")
    make_pdf(
        folder / "rapport.pdf", ["Första sidan om nyttorealisering.", "Andra sidan om risker."]
    )
    make_docx(folder / "styrning.docx", "Styrning", ["Gemensamma investeringar kräver styrning."])
    return folder


def vector_texts(kb: KnowledgeBase) -> list[str]:
    return kb.store.collection.get(include=["documents"])["documents"]


def test_ingest_adds_every_format_with_chunks_and_vectors(kb, docs):
    report = ingest(kb, [docs])
    assert report.ok and len(report.added) == 4
    assert {d.file_type for d in kb.catalog.documents()} == {"markdown", "text", "pdf", "docx"}
    n_chunks = sum(d.n_chunks for d in kb.catalog.documents())
    assert kb.store.count() == n_chunks == report.chunks_embedded
    pdf_chunks = kb.catalog.chunks("rapport")
    assert {c.page for c in pdf_chunks} <= {1, 2} and pdf_chunks[0].page == 1
    doc = kb.catalog.get("ertms")
    assert (doc.meta.kind, doc.meta.agency, doc.meta.year) == ("case", "Trafikverket", 2018)


def test_reingest_of_unchanged_files_embeds_nothing(kb, docs):
    ingest(kb, [docs])
    before = kb.store.count()
    report = ingest(kb, [docs])
    assert len(report.unchanged) == 4 and not report.added and not report.updated
    assert report.chunks_embedded == 0 and kb.store.count() == before


def test_changed_file_replaces_its_chunks(kb, docs):
    ingest(kb, [docs])
    (docs / "tull.txt").write_text("Helt ny text om beslagshantering och tullkodex.\n")
    report = ingest(kb, [docs])
    assert report.updated == [str((docs / "tull.txt").resolve())]
    assert report.chunks_embedded == kb.catalog.get("tull").n_chunks
    texts = " ".join(vector_texts(kb))
    assert "beslagshantering" in texts and "63 miljoner" not in texts


def test_sidecar_change_updates_metadata_without_embedding(kb, docs):
    ingest(kb, [docs])
    (docs / "tull.meta.yaml").write_text("agency: Tullverket\nkind: analysis\ntags: [tull]\n")
    report = ingest(kb, [docs])
    assert len(report.updated) == 1 and report.chunks_embedded == 0
    meta = kb.catalog.get("tull").meta
    assert (meta.agency, meta.kind, meta.tags) == ("Tullverket", "analysis", ("tull",))
    vector = kb.embedder.embed_query("tull")
    hits = kb.store.query(vector, 10, Filters(agencies=("Tullverket",)))
    assert {h.doc_id for h in hits} == {"tull"}


def test_a_new_title_is_embedded_with_every_passage(kb, docs):
    ingest(kb, [docs])
    chunks = kb.catalog.chunks("tull")
    ids = [c.id for c in chunks]
    old_vectors = kb.store.vectors(ids)
    (docs / "tull.meta.yaml").write_text("title: Beslagshantering i tullkodexen\n")
    report = ingest(kb, [docs])
    assert len(report.updated) == 1 and report.chunks_embedded == len(chunks)
    meta = kb.catalog.get("tull").meta
    assert meta.title == "Beslagshantering i tullkodexen"
    expected = kb.embedder.embed_passages([passage_text(meta, c.text) for c in chunks])
    stored = kb.store.vectors(ids)
    assert np.allclose(stored, expected, atol=1e-5) and not np.allclose(stored, old_vectors)
    assert check(kb).clean


def test_vectors_carry_filterable_metadata(kb, docs):
    ingest(kb, [docs], options={"tags": ["stat"]})
    vector = kb.embedder.embed_query("kostnad")
    assert {h.doc_id for h in kb.store.query(vector, 20, Filters(kinds=("case",)))} == {"ertms"}
    since_2018 = kb.store.query(vector, 20, Filters(year_from=2018))
    assert {h.doc_id for h in since_2018} == {"ertms"}
    tagged = kb.store.query(vector, 20, Filters(tags=("järnväg",)))
    assert {h.doc_id for h in tagged} == {"ertms"}


def test_prune_removes_documents_whose_files_are_gone(kb, docs):
    ingest(kb, [docs])
    (docs / "tull.txt").unlink()
    report = ingest(kb, [docs], prune=True)
    assert report.removed == ["tull"]
    assert kb.catalog.find("tull") is None
    assert all(not cid.startswith("tull#") for cid in kb.store.collection.get()["ids"])


def test_one_bad_file_is_reported_and_the_run_goes_on(config, embedder, docs):
    (docs / "corrupt.pdf").write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 50)
    make_pdf(docs / "secret.pdf", ["hemligt"], user_password="lösen")
    make_blank_pdf(docs / "scan.pdf")
    (docs / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (docs / "empty.md").write_text("")
    (docs / "big.txt").write_text("stor fil " * 200_000)
    (docs / "bad-kind.md").write_text("---\nkind: memo\n---\nText.\n")
    kb = KnowledgeBase(config.with_(max_file_mb=1.0), embedder=embedder)
    report = ingest(kb, [docs])
    reasons = {path.rsplit("/", 1)[-1]: reason for path, reason in report.failed}
    assert set(reasons) == {
        "corrupt.pdf",
        "secret.pdf",
        "scan.pdf",
        "binary.txt",
        "empty.md",
        "big.txt",
        "bad-kind.md",
    }
    assert "password" in reasons["secret.pdf"] and "text layer" in reasons["scan.pdf"]
    assert "binary" in reasons["binary.txt"] and "limit" in reasons["big.txt"]
    assert "kind" in reasons["bad-kind.md"]
    assert len(report.added) == 4 and not report.ok


def test_crash_between_catalog_and_vectors_is_repaired_by_the_next_run(kb, docs, monkeypatch):
    original = kb.store.replace_documents

    def crash_after_some_vectors(items):
        original(items[:1])  # the first document's vectors land, then the process dies
        raise RuntimeError("simulated crash while writing vectors")

    monkeypatch.setattr(kb.store, "replace_documents", crash_after_some_vectors)
    with pytest.raises(RuntimeError):
        ingest(kb, [docs])
    assert {d.status for d in kb.catalog.documents()} == {"indexing"}
    assert dense_search(kb, "nyttorealisering risker", 20) == []  # half-written: never shown
    monkeypatch.setattr(kb.store, "replace_documents", original)

    report = ingest(kb, [docs])
    assert len(report.updated) == 4 and report.ok  # every half-written document redone
    assert all(d.status == "ready" for d in kb.catalog.documents())
    assert len(kb.catalog.documents()) == 4
    assert kb.store.count() == sum(d.n_chunks for d in kb.catalog.documents())


def test_same_file_name_in_two_folders_keeps_both(kb, docs, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "tull.txt").write_text("En annan text om tullens digitalisering.\n")
    ingest(kb, [docs])
    report = ingest(kb, [other])
    assert len(report.added) == 1
    ids = {d.id for d in kb.catalog.documents()}
    assert "tull" in ids and any(i.startswith("tull-") for i in ids)


def test_same_stem_in_two_formats_keeps_both(kb, docs):
    shutil.copy(docs / "tull.txt", docs / "tull.md")
    report = ingest(kb, [docs])
    assert report.ok and len(report.added) == 5


def test_store_built_with_another_model_is_refused(config, kb, docs):
    ingest(kb, [docs])
    with pytest.raises(ModelMismatch, match="kb reindex"):
        KnowledgeBase(config.with_(embed_model="sentence-transformers/all-MiniLM-L6-v2"))


def test_missing_path_is_reported(kb, tmp_path):
    report = ingest(kb, [tmp_path / "finns-inte"])
    assert report.failed == [(str(tmp_path / "finns-inte"), "no such file or folder")]

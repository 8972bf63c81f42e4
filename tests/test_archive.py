"""`kb export` / `kb import`: a knowledge base survives the round trip, with or without vectors."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from ingest.pipeline import ingest
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.operations.archive import export, import_archive
from kb.operations.consistency import check
from tests.conftest import dense_search
from tests.files import make_pdf


def imported(knowledge_base, archive):
    """`kb import`: the archive written through the knowledge base's writer."""
    with knowledge_base.writing() as writer:
        return import_archive(writer, archive)


@pytest.fixture
def source_kb(kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    text = "---\ntitle: ERTMS\nkind: case\nagency: Trafikverket\ntags: [järnväg]\n---\n"
    (folder / "ertms.md").write_text(text + "Signalsystemet blev dyrare.\n")
    make_pdf(folder / "tull.pdf", ["Tullverkets utredningsstöd.", "Beslag och brott."])
    assert ingest(kb, [folder]).ok
    return kb


def snapshot(kb: KnowledgeBase) -> dict:
    return {
        d.id: (d.meta, d.content_hash, [(c.seq, c.text, c.page) for c in kb.catalog.chunks(d.id)])
        for d in kb.catalog.documents()
    }


@pytest.mark.parametrize("with_vectors", [True, False])
def test_round_trip(source_kb, config, embedder, tmp_path, with_vectors):
    archive = tmp_path / "kb.tar.gz"
    manifest = export(source_kb, archive, with_vectors=with_vectors)
    assert manifest["documents"] == 2 and archive.exists()
    target = KnowledgeBase(config.with_(data_dir=tmp_path / "other"), embedder=embedder)
    result = imported(target, archive)
    assert result["vectors_reused"] is with_vectors
    assert snapshot(target) == snapshot(source_kb)
    assert check(target).clean and target.store.count() == source_kb.store.count()
    original = target.catalog.get("tull").source
    assert original.startswith(str(tmp_path / "other" / "originals")) and original.endswith(".pdf")
    hits = dense_search(target, "signalsystem", 1)
    assert hits[0].doc_id == "ertms"
    again = imported(target, archive)  # importing twice replaces, never doubles
    assert again["documents"] == 2 and len(target.catalog.documents()) == 2


def test_hostile_or_broken_archives_are_refused(kb, tmp_path):
    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(b"not a tar")
    with pytest.raises(KBError, match="not a readable export"):
        imported(kb, broken)
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as tar:
        for name, data in {
            "manifest.json": json.dumps({"format": "erfarenhetsbanken-export/1"}),
            "documents.jsonl": json.dumps({"id": "x", "original": "originals/x/../../../etc/x"}),
            "chunks.jsonl": "",
        }.items():
            info = tarfile.TarInfo(name)
            info.size = len(data.encode())
            tar.addfile(info, io.BytesIO(data.encode()))
    with pytest.raises(KBError, match="unsafe path"):
        imported(kb, evil)

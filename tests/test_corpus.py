"""The sample corpus: enough real documents of every format, with metadata, built reproducibly."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import CORPUS, ROOT


def test_corpus_has_thirty_documents_of_every_format(corpus_kb):
    docs = corpus_kb.catalog.documents()
    assert len(docs) >= 30
    formats = {d.file_type for d in docs}
    assert formats == {"markdown", "pdf", "docx", "html", "text"}
    assert sum(d.file_type == "pdf" for d in docs) >= 3
    assert sum(d.n_pages or 0 for d in docs if d.file_type == "pdf") > 4  # real page structure


def test_every_document_has_kind_agency_date_and_sources(corpus_kb):
    for doc in corpus_kb.catalog.documents():
        assert doc.meta.kind != "other", doc.id
        assert doc.meta.agency and doc.meta.date, doc.id
        assert doc.meta.source_urls and all(u.startswith("http") for u in doc.meta.source_urls)


def test_documents_vary_in_length(corpus_kb):
    lengths = sorted(d.n_chunks for d in corpus_kb.catalog.documents())
    assert lengths[0] == 1 and lengths[-1] >= 5


def test_pdfs_and_docx_rebuild_byte_for_byte(tmp_path):
    subprocess.run(
        [sys.executable, str(ROOT / "corpus" / "build.py"), str(tmp_path)],
        check=True,
        capture_output=True,
    )
    built = sorted(p for p in tmp_path.iterdir() if p.suffix in (".pdf", ".docx", ".yaml"))
    assert len(built) >= 8
    for path in built:
        assert path.read_bytes() == (CORPUS / path.name).read_bytes(), path.name

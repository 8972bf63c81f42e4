"""Chunks are exact slices of the text, within the token budget, aligned to words and sections."""

from __future__ import annotations

import re

import pytest

from ingest.chunking import chunk_blocks
from ingest.readers.base import Block

SENTENCES = [
    "Tullverket planerade ett nytt utredningsstöd för brottshantering.",
    "Kostnaden för projektet beräknades till 63 miljoner kronor.",
    "Nyttorealiseringen skulle vara avslutad den 31 december 2020.",
    "Expertgruppen rekommenderade etappindelning och mätbara nyttor.",
]


def long_document(n_paragraphs: int = 12) -> list[Block]:
    blocks = []
    for i in range(n_paragraphs):
        if i % 4 == 0:
            blocks.append(Block(f"Avsnitt {i // 4 + 1}", page=i // 3 + 1, heading=True))
        text = " ".join(SENTENCES[(i + k) % 4] for k in range(6))
        blocks.append(Block(text, page=i // 3 + 1))
    return blocks


@pytest.fixture
def count(embedder):
    return embedder.token_counts


def test_chunks_are_exact_slices_with_pages(count):
    text, spans = chunk_blocks(long_document(), count, 120, 200, 30)
    assert len(spans) > 3
    for span in spans:
        piece = text[span.start : span.end]
        assert piece == piece.strip() and piece
        assert span.page is not None
    pages = [s.page for s in spans]
    assert pages == sorted(pages) and pages[-1] > 1


def test_chunks_respect_the_token_budget(count):
    text, spans = chunk_blocks(long_document(), count, 120, 200, 30)
    sizes = count([text[s.start : s.end] for s in spans])
    assert max(sizes) <= 200 + 30  # a whole unit may bring its overlap along
    assert sum(1 for n in sizes if n >= 60) >= len(sizes) - 1


def test_never_splits_inside_a_word(count):
    words = " ".join(["investeringsbeslut", "nyttorealisering", "förvaltningsgemensamma"] * 300)
    text, spans = chunk_blocks([Block(words)], count, 100, 150, 20)
    assert len(spans) > 5
    for span in spans:
        assert span.start == 0 or not text[span.start - 1].isalnum()
        assert span.end == len(text) or not text[span.end].isalnum()
        assert count([text[span.start : span.end]])[0] <= 150


def test_consecutive_chunks_overlap_by_whole_sentences(count):
    blocks = [Block(" ".join(SENTENCES * 10))]
    text, spans = chunk_blocks(blocks, count, 100, 200, 40)
    for a, b in zip(spans, spans[1:]):
        assert b.start < a.end  # overlap
        assert re.match(r"[A-ZÅÄÖ]", text[b.start])  # starts at a sentence


def test_headings_start_chunks(count):
    text, spans = chunk_blocks(long_document(16), count, 120, 200, 30)
    starts = [text[s.start : s.end].split("\n")[0] for s in spans]
    assert sum(s.startswith("Avsnitt") for s in starts) >= 3


def test_small_document_is_one_chunk(count):
    text, spans = chunk_blocks([Block("Rubrik", heading=True), Block(SENTENCES[0])], count)
    assert len(spans) == 1 and text[spans[0].start : spans[0].end] == text

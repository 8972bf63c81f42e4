"""Metadata precedence, fallbacks, validation and document ids."""

from __future__ import annotations

import datetime as dt

import pytest

from ingest.metadata import document_id, guess_language, resolve, title_from_name
from kb.errors import InvalidMetadata


def test_options_beat_sidecar_beat_the_file():
    found = {"title": "Filens titel", "kind": "report", "agency": "SCB", "tags": ["a"]}
    sidecar = {
        "kind": "analysis",
        "agency": "Tullverket",
        "date": dt.date(2017, 12, 15),
        "tags": "b, c",
        "sources": ["https://x.se/1", "https://x.se/2"],
    }
    options = {"agency": "DIGG", "tags": ["d"]}
    meta = resolve("f.pdf", found, sidecar, options, "text")
    assert meta.title == "Filens titel"
    assert (meta.kind, meta.agency, meta.date, meta.year) == (
        "analysis",
        "DIGG",
        "2017-12-15",
        2017,
    )
    assert meta.tags == ("a", "b", "c", "d")
    assert meta.source_url == "https://x.se/1" and len(meta.source_urls) == 2


def test_title_falls_back_to_first_heading_then_file_name():
    assert resolve("x.md", {"_first_heading": "Rubriken"}, {}, {}, "").title == "Rubriken"
    assert resolve("07-tullverket_analys.txt", {}, {}, {}, "").title == "Tullverket analys"
    assert title_from_name("rapport.pdf") == "Rapport"


@pytest.mark.parametrize("bad", [{"kind": "memo"}, {"date": "15/12/2017"}, {"date": "igår"}])
def test_invalid_metadata_is_refused_with_a_reason(bad):
    with pytest.raises(InvalidMetadata, match="kind|date"):
        resolve("x.md", {}, bad, {}, "text")


def test_language_is_guessed_when_not_given():
    assert guess_language("Det här är en text om att styra och följa upp investeringar.") == "sv"
    assert guess_language("This is a text about the steering of investments and the costs.") == "en"
    assert resolve("x.md", {"language": "en"}, {}, {}, "och att som").language == "en"


def test_document_ids_are_deterministic_slugs():
    assert document_id(None, "Tullverket/Årsrapport 2019.pdf") == "tullverket-arsrapport-2019"
    assert document_id("min-rapport", "x.pdf") == "min-rapport"
    with pytest.raises(InvalidMetadata):
        document_id("Inte Giltigt!", "x.pdf")

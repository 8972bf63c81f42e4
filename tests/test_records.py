"""Records (issue 14): evidence anchored by its quote, the import, lesson search, the CLI."""

from __future__ import annotations

import pytest

from kb.errors import KBError
from kb.records.anchors import anchor, reanchor


# anchoring ---------------------------------------------------------------------------
def test_anchor_keeps_32_characters_around_the_quote_and_refuses_missing_or_ambiguous():
    text = "Inledning. " * 5 + "Det gick dåligt.\nMed  styrningen. Slut. Det gick dåligt igen."
    selector = anchor(text, "Med styrningen.", doc_id="d")  # whitespace differs
    assert text[selector.start : selector.end] == selector.exact == "Med  styrningen."
    assert selector.prefix == text[selector.start - 32 : selector.start]
    assert selector.suffix == text[selector.end : selector.end + 32]
    with pytest.raises(KBError) as missing:
        anchor(text, "finns inte", doc_id="d")
    assert missing.value.code == "quote_not_found"
    with pytest.raises(KBError) as ambiguous:
        anchor(text, "Det gick dåligt", doc_id="d")
    assert ambiguous.value.code == "quote_ambiguous" and ambiguous.value.params["count"] == 2
    chosen = anchor(text, "Det gick dåligt", suffix="igen", doc_id="d")
    assert text[chosen.end :].startswith(" igen")


def test_reanchor_finds_the_moved_quote_and_uses_the_context_among_several():
    text = "Först kom A. Sedan sa chefen: budgeten sprack. Till sist: budgeten sprack igen."
    selector = anchor(text, "budgeten sprack", prefix="chefen:")
    moved = "Ny inledning här. " + text.replace("Först kom A. ", "")
    start, end = reanchor(moved, selector)
    assert moved[start:end] == "budgeten sprack" and moved[:start].endswith("chefen: ")
    assert reanchor("Helt annan text.", selector) is None

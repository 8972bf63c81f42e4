"""Sentences and short headings of a document's text, with their character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? or : followed by a capital, a digit, a dash or a quote. Abbreviations
# such as "t.ex." and "dnr." are followed by lower case in Swedish prose, so they do not split.
_BOUNDARY = re.compile(r"(?<=[.!?:])\s+(?=[A-ZÅÄÖÉ0-9–\"”-])")
_PARAGRAPH = re.compile(r"\n\s*\n")
# Abbreviations that a number or a name may follow ("skr. 2019/20:35", "dir. 2017:62")
_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:skr|prop|dir|dnr|bet|rskr|jfr|nr|t\.ex|bl\.a|s\.k|m\.m)\.$", re.I
)
HEADING_MAX_WORDS = 12


@dataclass(frozen=True)
class Sentence:
    text: str
    span: tuple[int, int]  # offsets into the text split
    heading: bool  # a short paragraph without a closing full stop ("Lärdomar", "Vad gick bra?")


def split_sentences(text: str) -> list[Sentence]:
    """The text's paragraphs split into sentences; one-line paragraphs without a full stop are
    headings."""
    out = []
    start = 0
    for m in [*_PARAGRAPH.finditer(text), None]:
        end = m.start() if m else len(text)
        out.extend(_paragraph(text, start, end))
        start = m.end() if m else end
    return out


def _paragraph(text: str, start: int, end: int) -> list[Sentence]:
    para = text[start:end]
    stripped = para.strip()
    if not stripped:
        return []
    lead = start + para.index(stripped[0])
    if len(stripped.split()) <= HEADING_MAX_WORDS and not stripped.endswith("."):
        return [Sentence(" ".join(stripped.split()), (lead, lead + len(stripped)), True)]
    out = []
    pos = 0
    boundaries = [
        m for m in _BOUNDARY.finditer(stripped) if not _ABBREVIATION.search(stripped[: m.start()])
    ]
    for m in [*boundaries, None]:
        stop = m.start() if m else len(stripped)
        piece = stripped[pos:stop]
        if piece.strip():
            # "Erfarenhetsbankens kommentar:" opens what follows, as a heading does
            heading = piece.endswith(":") and len(piece.split()) <= 3
            span = (lead + pos, lead + stop)
            out.append(Sentence(" ".join(piece.split()), span, heading))
        pos = m.end() if m else stop
    return out

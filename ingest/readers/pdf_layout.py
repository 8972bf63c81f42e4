"""Rebuild paragraphs and headings from a PDF page's text lines, and drop running footers."""

from __future__ import annotations

import re
from collections import Counter

from ingest.readers.base import Block, clean_text

_ITEM = re.compile(r"^([-•–*]|\d+[.)])\s+\S")
_ENDS_SENTENCE = re.compile(r"[.!?:;\"”»)]$")


def _signature(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def _edges(lines: list[str]) -> list[str]:
    lines = [ln for ln in lines if ln.strip()]
    return lines[:1] + lines[-1:]


def running_lines(pages: list[list[str]]) -> set[str]:
    """Line shapes (digits masked) at the top or bottom of most pages: headers and footers."""
    if len(pages) < 2:
        return set()
    counts = Counter(sig for lines in pages for sig in {_signature(ln) for ln in _edges(lines)})
    return {sig for sig, n in counts.items() if n >= max(2, len(pages) // 2 + 1) and sig}


_NUMBERED_HEADING = re.compile(r"^\d+(\.\d+)*\.?\s+[A-ZÅÄÖ][^.:;]{0,70}$")


def _is_heading(line: str, width: int, prev_closed: bool, prev_sentence_end: bool) -> bool:
    if _NUMBERED_HEADING.match(line) and prev_sentence_end and len(line) < 0.75 * width:
        return True  # "5. Råd i sammandrag" after a full stop, even at the end of a long line
    words = line.split()
    # A wrapped paragraph's first line fills the width, so a short unpunctuated line after
    # a full stop can only be a heading (or a one-line paragraph without a full stop).
    return (
        (prev_closed or prev_sentence_end)
        and 0 < len(words) <= 12
        and len(line) < 0.6 * width
        and not re.search(r"[.!:;,]$", line)  # a question may be a heading
        and (line[0].isupper() or line[0].isdigit())
        and not _ITEM.match(line)
    )


def _heading_style(line: str) -> str:
    """A recovered heading's level: "3.2 Kostnader" is one below "3 Resultat"; the rest h2."""
    number = _NUMBERED_HEADING.match(line)
    if not number:
        return "h2"
    depth = line.split()[0].rstrip(".").count(".")
    return f"h{min(6, 2 + depth)}"


def page_blocks(text: str, page: int, drop: set[str]) -> list[Block]:
    lines = [ln.strip() for ln in clean_text(text).split("\n")]
    lines = [ln for ln in lines if _signature(ln) not in drop]
    width = max((len(ln) for ln in lines), default=0)
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            item = _ITEM.match(para[0])
            style = ("ol" if item.group(1)[0].isdigit() else "ul") if item else ""
            blocks.append(Block(_join(para), page, style=style))
            para.clear()

    closed = sentence_end = True  # did the previous line end a paragraph / a sentence?
    for line in lines:
        if not line:
            flush()
            closed = sentence_end = True
            continue
        # "4. Utveckla …" right after items 1 to 3 is the list's next item, not a heading
        after_item = bool(para and _ITEM.match(para[0])) or bool(
            not para and blocks and blocks[-1].style == "ol"
        )
        if not (after_item and _ITEM.match(line)) and _is_heading(
            line, width, closed, sentence_end
        ):
            flush()
            blocks.append(Block(line, page, heading=True, style=_heading_style(line)))
            closed = sentence_end = True
            continue
        if _ITEM.match(line):
            flush()
        para.append(line)
        sentence_end = bool(_ENDS_SENTENCE.search(line))
        closed = sentence_end and len(line) < 0.85 * width
        if closed:
            flush()
    flush()
    return blocks


def _join(lines: list[str]) -> str:
    text = lines[0]
    for line in lines[1:]:
        # "IT-" + "stödet": a line broken after a hyphen continues the same word
        if text.endswith("-") and line[:1].islower():
            text += line
        else:
            text += " " + line
    return text

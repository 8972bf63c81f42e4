"""A document's text as its page shows it: paragraphs with their chunk anchors, page markers
and highlights, grouped into the headings, lists and tables the document has."""

from __future__ import annotations

import re

from kb.models import CELL_SEPARATOR
from kb.search.highlight import highlight_spans


def paragraphs_with_anchors(text: str, chunks, focus: int | None, stems: list[str], structure=()):
    """The full text as paragraphs, each knowing which chunk anchors start in it, its page
    (when it changes), its style (a heading, list item, table row: `structure`) and whether
    it lies in the focused chunk.

    One pass over paragraphs and chunks together (both in text order): a large document
    costs paragraphs + chunks, not their product."""
    out, pos, page = [], 0, None
    starts = sorted(chunks, key=lambda c: c.char_start)
    focus_chunk = next((c for c in chunks if c.seq == focus), None)
    next_chunk = 0
    styles = dict(structure)
    for match in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]*)*", text):
        start, end = match.start(), match.end()
        anchors = []
        while next_chunk < len(starts) and starts[next_chunk].char_start < end:
            chunk = starts[next_chunk]
            # a chunk that starts before the first paragraph anchors there too
            if chunk.char_start >= pos or not out:
                anchors.append(chunk)
            next_chunk += 1
        new_page = next((c.page for c in anchors if c.page and c.page != page), None)
        if new_page:
            page = new_page
        in_focus = bool(
            focus_chunk and focus_chunk.char_start < end and start < focus_chunk.char_end
        )
        body = match.group()
        spans = highlight_spans(body, stems) if in_focus else []
        out.append(
            {
                "text": body,
                "spans": spans,
                "anchors": [c.seq for c in anchors],
                "page": new_page,
                "focus": in_focus,
                "style": styles.get(start, ""),
            }
        )
        pos = end
    return out


MARKER = re.compile(r"^(?:[-•–*]|\d+[.)])\s")  # a list item that carries its own marker


def text_blocks(paragraphs: list[dict]) -> list[dict]:
    """Paragraphs grouped as the page shows them: a heading (its level below the page's own
    <h1>), a list of items, a table of rows (each row's cells with their highlights), a page
    marker, or a paragraph. The text is never parsed as markup: templates escape it."""
    levels = [int(p["style"][1]) for p in paragraphs if p["style"][:1] == "h"]
    shift = 2 - min(levels, default=2)  # the document's top headings become <h2>
    out: list[dict] = []
    for p in paragraphs:
        if p["page"]:
            out.append({"kind": "page", "page": p["page"]})
        style = p["style"]
        if style[:1] == "h":
            out.append({"kind": "heading", "level": min(6, int(style[1]) + shift), "p": p})
        elif style in ("ul", "ol", "tr", "th"):
            kind = "table" if style in ("tr", "th") else style
            if not out or out[-1]["kind"] != kind:
                out.append({"kind": kind, "entries": [], "marked": True})
            item = {**p, "cells": _cells(p["text"], p["spans"])} if kind == "table" else p
            out[-1]["entries"].append(item)
            out[-1]["marked"] &= bool(MARKER.match(p["text"]))
        else:
            out.append({"kind": "paragraph", "p": p})
    return out


def _cells(text: str, spans) -> list[tuple[str, list]]:
    """A table row's cells, each with the highlight spans that fall inside it."""
    cells, start = [], 0
    for part in text.split(CELL_SEPARATOR):
        end = start + len(part)
        inside = [(s - start, e - start) for s, e in spans if start <= s and e <= end]
        cells.append((part, inside))
        start = end + len(CELL_SEPARATOR)
    return cells

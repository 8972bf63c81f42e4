"""Markdown with an optional YAML front-matter block for metadata."""

from __future__ import annotations

import re

import yaml

from ingest.readers.base import CELL_SEPARATOR, Block, ParsedFile, clean_text
from ingest.readers.text import decode_text
from ingest.yaml_meta import load_yaml
from kb.errors import EmptyDocument, InvalidMetadata

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", re.S)
# Inline markup is removed by linear scans, not by the regexes it once was: those backtrack
# over a whole paragraph at every "[" or "*" without its partner ("[" * 16000 took 0.6 s).
_IMAGE_OR_LINK_CLOSE = re.compile(r"\]")
_PAREN_CLOSE = re.compile(r"\)")
_NEWLINE = re.compile(r"\n")
_STRONG_OPEN = re.compile(r"(?=\*\*|__)")  # every position, overlapping ones too
_STRONG_CLOSE = {"**": re.compile(r"(?=\*\*)"), "__": re.compile(r"(?=__)")}
_EMPHASIS_OPEN = re.compile(r"(?<!\w)[*_]")
_EMPHASIS_CLOSE = {"*": re.compile(r"\*(?!\w)"), "_": re.compile(r"_(?!\w)")}
_CODE = re.compile(r"`([^`]*)`")  # linear: a "`" without a partner is the last one


class _Following:
    """The first match of a pattern at or after a position, for positions that never go back."""

    def __init__(self, pattern: re.Pattern, text: str) -> None:
        self._starts = [m.start() for m in pattern.finditer(text)]
        self._next = 0

    def at_or_after(self, pos: int) -> int | None:
        while self._next < len(self._starts) and self._starts[self._next] < pos:
            self._next += 1
        return self._starts[self._next] if self._next < len(self._starts) else None


def _links(text: str, opener: str) -> str:
    """`![alt](url)` -> alt (opener "!["), `[text](url)` -> text (opener "[", text not empty)."""
    closes, parens = _Following(_IMAGE_OR_LINK_CLOSE, text), _Following(_PAREN_CLOSE, text)
    out, done, start = [], 0, text.find(opener)
    while start != -1:
        inner = start + len(opener)
        close = closes.at_or_after(inner)  # the label cannot hold a "]": only this one
        if (
            close is not None
            and (opener == "![" or close > inner)
            and text[close + 1 : close + 2] == "("
        ):
            paren = parens.at_or_after(close + 2)
            if paren is not None:
                out += [text[done:start], text[inner:close]]
                done = paren + 1
                start = text.find(opener, done)
                continue
        start = text.find(opener, start + 1)
    return "".join(out) + text[done:]


def _delimited(text: str, opens: list[int], closes: dict[str, _Following], width: int) -> str:
    """Remove `width`-wide delimiters around non-empty text on one line, leftmost first."""
    newlines = _Following(_NEWLINE, text)
    out, done = [], 0
    for start in opens:
        if start < done:
            continue
        mark = text[start : start + width]
        inner = start + width
        close = closes[mark].at_or_after(inner + 1)
        newline = newlines.at_or_after(inner)
        if close is not None and (newline is None or newline >= close):
            out += [text[done:start], text[inner:close]]
            done = close + width
    return "".join(out) + text[done:]


def _inline(text: str) -> str:
    """Images -> alt text, links -> their text, and bold, italic and code markers removed."""
    text = _links(text, "![")
    text = _links(text, "[")
    strong = {mark: _Following(pattern, text) for mark, pattern in _STRONG_CLOSE.items()}
    text = _delimited(text, [m.start() for m in _STRONG_OPEN.finditer(text)], strong, 2)
    emphasis = {mark: _Following(pattern, text) for mark, pattern in _EMPHASIS_CLOSE.items()}
    text = _delimited(text, [m.start() for m in _EMPHASIS_OPEN.finditer(text)], emphasis, 1)
    return _CODE.sub(r"\1", text)


def _heading(line: str) -> str | None:
    """The text of an ATX heading (`## Text ##`), or None when the line is not one."""
    # As `^(#{1,6})\s+(.*?)\s*#*\s*$` did, without its backtracking over long runs of
    # spaces or "#" (quadratic in the line).
    level = len(line) - len(line.lstrip("#"))
    if not 1 <= level <= 6 or not line[level : level + 1].isspace():
        return None
    return line[level:].strip().rstrip("#").rstrip()


def split_front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = load_yaml(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise InvalidMetadata("front_matter_yaml", detail=str(exc)) from exc
    if not isinstance(meta, dict):
        raise InvalidMetadata("front_matter_not_mapping")
    return meta, text[match.end() :]


_ITEM = re.compile(r"^\s*(?:([-*+])|\d+[.)])\s+")
_QUOTE = re.compile(r"^\s*>\s?")
# Matched against the stripped line: with the line's own leading "\s*" before "\|?\s*" a
# long run of spaces was tried at every split between the two (quadratic: hours for 1 MB).
_TABLE_RULE = re.compile(r"\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?")


def _rule_under_a_row(line: str, blocks: list[Block]) -> bool:
    """`| --- | :-: |` under a table row, which makes that row the header."""
    if not (blocks and blocks[-1].style == "tr" and "|" in line):
        return False
    return _TABLE_RULE.fullmatch(line.strip()) is not None


def _table_row(line: str) -> str | None:
    """A pipe table's row as its cells joined by CELL_SEPARATOR, or None for other lines."""
    stripped = line.strip()
    if not stripped.startswith("|") or len(stripped) < 2:
        return None
    cells = [clean_text(_inline(c)) for c in stripped.strip("|").split("|")]
    return CELL_SEPARATOR.join(c for c in cells if c) or None


def read_markdown(data: bytes) -> ParsedFile:
    meta, body = split_front_matter(decode_text(data).lstrip("\ufeff"))
    blocks: list[Block] = []
    para: list[str] = []
    style = ""  # the open paragraph's: "" or a list ("ul", "ol")

    def flush() -> None:
        if para:
            text = clean_text(_inline(" ".join(para)))
            if text:
                blocks.append(Block(text, style=style))
            para.clear()

    for line in body.splitlines():
        heading = _heading(line)
        row = _table_row(line) if heading is None else None
        if heading is not None:
            flush()
            text = clean_text(_inline(heading))
            if text:
                level = len(line) - len(line.lstrip("#"))
                blocks.append(Block(text, heading=True, style=f"h{level}"))
                meta.setdefault("_first_heading", text)
        elif _rule_under_a_row(line, blocks):
            flush()
            blocks[-1] = Block(blocks[-1].text, style="th")  # the row above is the header
        elif row is not None:
            flush()
            blocks.append(Block(row, style="tr"))
        elif not line.strip():
            flush()
            style = ""
        else:
            # list items and quotes start their own block so structure survives
            item = _ITEM.match(line)
            stripped = line[item.end() :] if item else _QUOTE.sub("", line, count=1)
            if stripped != line and para:
                flush()
            if item:
                style = "ul" if item.group(1) else "ol"
            elif stripped != line or not para:
                style = ""
            para.append(stripped.strip())
    flush()
    if not blocks:
        raise EmptyDocument("no_text")
    return ParsedFile("markdown", blocks, meta)

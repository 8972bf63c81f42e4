"""Markdown with an optional YAML front-matter block for metadata."""

from __future__ import annotations

import re

import yaml

from ingest.readers.base import Block, ParsedFile, clean_text
from ingest.readers.text import decode_text
from kb.errors import EmptyDocument, InvalidMetadata

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(\n|\Z)", re.S)
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> their text
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<!\w)([*_])(.+?)\1(?!\w)"), r"\2"),
    (re.compile(r"`([^`]*)`"), r"\1"),
]


def split_front_matter(text: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise InvalidMetadata(f"front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise InvalidMetadata("front matter must be a mapping of keys to values")
    return meta, text[match.end() :]


def _inline(text: str) -> str:
    for pattern, repl in _INLINE:
        text = pattern.sub(repl, text)
    return text


def read_markdown(data: bytes) -> ParsedFile:
    meta, body = split_front_matter(decode_text(data).lstrip("\ufeff"))
    blocks: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            text = clean_text(_inline(" ".join(para)))
            if text:
                blocks.append(Block(text))
            para.clear()

    for line in body.splitlines():
        heading = _HEADING.match(line)
        if heading:
            flush()
            text = clean_text(_inline(heading.group(2)))
            if text:
                blocks.append(Block(text, heading=True))
                meta.setdefault("_first_heading", text)
        elif not line.strip():
            flush()
        else:
            # list items and quotes start their own block so structure survives
            stripped = re.sub(r"^\s*(?:[-*+]|\d+[.)]|>)\s+", "", line)
            if stripped != line and para:
                flush()
            para.append(stripped.strip())
    flush()
    if not blocks:
        raise EmptyDocument("the file holds no text")
    return ParsedFile("markdown", blocks, meta)

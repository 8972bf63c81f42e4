"""Plain text, with the encodings Swedish agencies actually produce."""

from __future__ import annotations

import codecs

from ingest.readers.base import ParsedFile, paragraphs
from kb.errors import EmptyDocument, UnsupportedFile

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _cp1252_for_invalid_utf8(exc: UnicodeDecodeError) -> tuple[str, int]:
    return exc.object[exc.start : exc.end].decode("cp1252", errors="replace"), exc.end


# Bytes that are not UTF-8 are read as Windows-1252, one stretch at a time: a UTF-8 file with
# a pasted Windows-1252 paragraph keeps both its å and its ä, and a pure Windows-1252 file
# (where no å/ä/ö byte forms valid UTF-8 next to Swedish letters) reads as before.
codecs.register_error("kb-cp1252", _cp1252_for_invalid_utf8)


def _looks_utf16(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.3 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def decode_text(data: bytes) -> str:
    """UTF-8, UTF-16 (with or without BOM), Windows-1252 or UTF-8 mixed with Windows-1252;
    binary data is refused."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    utf16 = _looks_utf16(data)
    if utf16:
        return data.decode(utf16, errors="replace")
    if b"\x00" in data[:8192]:
        raise UnsupportedFile("binary_not_text")
    text = data.decode("utf-8", errors="kb-cp1252")
    controls = sum(1 for c in text[:8192] if ord(c) < 32 and c not in "\t\n\r\f")
    if controls > 0.05 * max(1, len(text[:8192])):
        raise UnsupportedFile("binary_not_text")
    return text


def read_text(data: bytes) -> ParsedFile:
    blocks = paragraphs(decode_text(data))
    if not blocks:
        raise EmptyDocument("no_text")
    return ParsedFile("text", blocks)

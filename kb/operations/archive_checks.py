"""What `kb import` checks before it writes anything: the archive's members (names, types,
sizes), its documents, chunks and vectors. Each refusal is one KBError line a user can act on."""

from __future__ import annotations

import io
import json
import tarfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import IO

import numpy as np

from kb.errors import InvalidMetadata, KBError
from kb.manual_edits import apply_edits, valid_value
from kb.models import (
    EDITABLE_FIELDS,
    FILE_TYPES,
    TEXT_STYLES,
    Chunk,
    ManualEdit,
    Metadata,
    field_value,
    valid_doc_id,
)
from kb.records import files as record_files

FORMAT = "erfarenhetsbanken-export/1"
DATA_MEMBERS = (
    "manifest.json",
    "documents.jsonl",
    "chunks.jsonl",
    "vectors.npy",
    "vector_ids.json",
    "records.json",  # investments, lessons, recommendations, as a records file has them
)
MAX_MEMBER_BYTES = 256 * 2**20  # a data member is read into memory: at most this much
MAX_ARCHIVE_BYTES = 8 * 2**30  # everything unpacked, originals (staged on disk) included
MAX_MEMBERS = 100_000
_PIECE = 2**20
_CHUNK_FIELDS = {"doc_id", "seq", "text", "page", "char_start", "char_end"}
_EDIT_FIELDS = {"editor", "edited_at", "file_value"}
MAX_EDITOR_CHARS = 200


@dataclass
class Contents:
    documents: list[tuple[dict, list[Chunk]]]  # each checked row with its chunks, by seq
    vectors: dict[str, np.ndarray]  # chunk id -> vector, when they can be reused
    same_model: bool


def read_members(
    tar: tarfile.TarFile, staging: Path, max_original: int
) -> tuple[dict[str, bytes], dict[str, Path]]:
    """The data members in memory and the originals staged in `staging` (by member name), read
    in one streaming pass with every size bounded; links, devices, pipes and paths that could
    leave the data folder are refused."""
    data: dict[str, bytes] = {}
    staged: dict[str, Path] = {}
    total = 0
    try:
        for count, member in enumerate(tar, 1):
            if count > MAX_MEMBERS:
                raise KBError(f"the archive has more than {MAX_MEMBERS} members")
            name = _member_name(member)
            if member.isdir():
                continue  # nothing is extracted, so a folder entry needs nothing
            if not member.isreg():
                raise KBError(
                    f"{member.name!r} in the archive is not a regular file "
                    "(links, devices and pipes are refused)"
                )
            if name in data or name in staged:
                raise KBError(f"{name!r} appears twice in the archive")
            limit = MAX_MEMBER_BYTES if name in DATA_MEMBERS else max_original
            total += member.size
            if member.size > limit:
                raise KBError(
                    f"{name} in the archive is too large ({_mb(member.size)}; at most {_mb(limit)})"
                )
            if total > MAX_ARCHIVE_BYTES:
                raise KBError(f"the archive is too large: over {_mb(MAX_ARCHIVE_BYTES)} unpacked")
            source = tar.extractfile(member)
            if name in DATA_MEMBERS:
                data[name] = _read(source, name, limit)
            else:
                staged[name] = _stage(source, staging / f"{len(staged)}", name, limit)
        # to the end of the compressed stream: a cut archive lacks its checksum and length;
        # what follows the last member counts towards the total (a bomb can hide there too)
        while piece := tar.fileobj.read(_PIECE):
            total += len(piece)
            if total > MAX_ARCHIVE_BYTES:
                raise KBError(f"the archive is too large: over {_mb(MAX_ARCHIVE_BYTES)} unpacked")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
        raise KBError(f"the archive could not be read ({exc})") from exc
    return data, staged


def check_contents(
    members: dict[str, bytes], staged: dict[str, Path], model_id: str, dimension: int
) -> Contents:
    manifest = _json(_need(members, "manifest.json"), "manifest.json")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else None
        raise KBError(f"unknown export format {found!r}")
    rows = _documents(_need(members, "documents.jsonl"))
    chunks = _chunks(_need(members, "chunks.jsonl"), {r["id"]: r["text"] for r in rows})
    for row in rows:
        _check_original(row, staged)
        if not chunks.get(row["id"]):  # an ingest never stores a document without passages
            raise KBError(f"chunks.jsonl: document {row['id']!r} has no chunks in the archive")
    same_model = manifest.get("model") == model_id
    vectors = _vectors(members, dimension) if manifest.get("vectors") and same_model else {}
    return Contents([(r, chunks.get(r["id"], [])) for r in rows], vectors, same_model)


def records_data(members: dict[str, bytes]) -> dict[str, list] | None:
    """records.json as a records file's three lists, if the archive has one (each record is
    then checked by the records importer, as `kb records import` checks a file)."""
    if "records.json" not in members:
        return None
    return record_files.sections(_json(members["records.json"], "records.json"), "records.json")


# members -------------------------------------------------------------------------------


def _member_name(member: tarfile.TarInfo) -> str:
    """The member's name, normalised, if it is one an export has; else refused."""
    raw = member.name
    parts = [p for p in raw.split("/") if p not in ("", ".")]
    if raw.startswith("/") or "\\" in raw or "\x00" in raw or not parts or ".." in parts:
        raise KBError(f"unsafe path in archive: {raw!r}")
    name = "/".join(parts)
    if name in DATA_MEMBERS:
        return name
    if parts[0] == "originals" and (len(parts) == 3 or member.isdir() and len(parts) < 3):
        if len(parts) > 1 and not valid_doc_id(parts[1]):
            raise KBError(f"invalid document id {parts[1]!r} in the archive's {raw!r}")
        return name
    raise KBError(f"unexpected member {raw!r} in the archive")


def _read(source: IO[bytes], name: str, limit: int) -> bytes:
    pieces, size = [], 0
    while piece := source.read(_PIECE):
        size += len(piece)
        if size > limit:
            raise KBError(f"{name} in the archive is too large (over {_mb(limit)})")
        pieces.append(piece)
    return b"".join(pieces)


def _stage(source: IO[bytes], target: Path, name: str, limit: int) -> Path:
    size = 0
    with target.open("xb") as out:
        while piece := source.read(_PIECE):
            size += len(piece)
            if size > limit:
                raise KBError(f"{name} in the archive is too large (over {_mb(limit)})")
            out.write(piece)
    return target


def _need(members: dict[str, bytes], name: str) -> bytes:
    if name not in members:
        raise KBError(f"not an Erfarenhetsbanken export: {name} is missing")
    return members[name]


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f} MB"


def _json(data: bytes | str, where: str):
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise KBError(f"{where} is not valid JSON ({exc})") from exc


def _lines(data: bytes) -> list[tuple[int, bytes]]:
    # split on "\n" only: str.splitlines would also cut at U+2028 inside a JSON string
    return [(n, line) for n, line in enumerate(data.split(b"\n"), 1) if line.strip()]


# documents and chunks ----------------------------------------------------------------------


def _documents(data: bytes) -> list[dict]:
    rows: list[dict] = []
    seen: set[str] = set()
    for n, line in _lines(data):
        where = f"documents.jsonl line {n}"
        row = _json(line, where)
        if not isinstance(row, dict):
            raise KBError(f"{where} is not a JSON object")
        if not valid_doc_id(row.get("id")):
            raise KBError(
                f"{where}: invalid document id {row.get('id')!r} (expected lowercase "
                "letters, digits and '-')"
            )
        if row["id"] in seen:
            raise KBError(f"{where}: document {row['id']!r} appears twice")
        seen.add(row["id"])
        _check_original_path(row)
        _check_row(row, where)
        rows.append(row)
    return rows


def _check_row(row: dict, where: str) -> None:
    for key in ("title", "text", "content_hash", "file_type"):
        if not isinstance(row.get(key), str):
            raise KBError(f"{where}: {key!r} must be a string")
    for key in ("kind", "agency", "date", "language", "index_signature", "original", "source"):
        if row.get(key) is not None and not isinstance(row[key], str):
            raise KBError(f"{where}: {key!r} must be a string or null")
    for key in ("tags", "source_urls"):
        value = row.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise KBError(f"{where}: {key!r} must be a list of strings")
    for key in ("n_pages", "size_bytes"):
        if row.get(key) is not None and not (_is_int(row[key]) and row[key] >= 0):
            raise KBError(f"{where}: {key!r} must be a whole number")
    if row["file_type"] not in FILE_TYPES:
        raise KBError(f"{where}: unknown file type {row['file_type']!r}")
    structure = row.get("structure", [])
    if not isinstance(structure, list) or not all(
        isinstance(s, list)
        and len(s) == 2
        and _is_int(s[0])
        and 0 <= s[0] <= len(row["text"])
        and s[1] in TEXT_STYLES
        for s in structure
    ):
        raise KBError(f"{where}: 'structure' must be a list of [offset in the text, style]")
    ocr = row.get("ocr", [])
    if not isinstance(ocr, list) or not all(
        isinstance(p, dict)
        and _is_int(p.get("page"))
        and p["page"] >= 1
        and isinstance(p.get("seconds"), int | float)
        and not isinstance(p["seconds"], bool)
        for p in ocr
    ):
        raise KBError(f"{where}: 'ocr' must be a list of {{page, seconds}}")
    layers(row, where)


def layers(row: dict, where: str = "documents.jsonl") -> tuple[Metadata, Metadata, tuple]:
    """A checked row's metadata, its file's metadata and the editors' edits between them: the
    row holds the metadata as shown, and for each edited field what the file says instead."""
    try:
        meta = Metadata.from_dict(row)
    except InvalidMetadata as exc:
        raise KBError(f"{where}: {exc}") from exc
    given = row.get("edited_fields") or {}
    if not isinstance(given, dict):
        raise KBError(f"{where}: 'edited_fields' must be an object")
    edits, file_values = [], []
    for name, about in given.items():
        if name not in EDITABLE_FIELDS:
            raise KBError(
                f"{where}: unknown edited field {str(name)[:40]!r}; expected one of "
                f"{', '.join(EDITABLE_FIELDS)}"
            )
        if not isinstance(about, dict) or set(about) != _EDIT_FIELDS:
            raise KBError(
                f"{where}: edited field {name!r} has the keys {', '.join(sorted(_EDIT_FIELDS))}"
            )
        editor, at, file_value = about["editor"], about["edited_at"], about["file_value"]
        if not (isinstance(editor, str) and 0 < len(editor) <= MAX_EDITOR_CHARS):
            raise KBError(f"{where}: the editor of {name!r} must be a name")
        if not isinstance(at, str) or not _is_timestamp(at):
            raise KBError(f"{where}: edited_at of {name!r} must be an ISO 8601 time")
        if not valid_value(name, file_value):
            raise KBError(f"{where}: the file's value of {name!r} has the wrong type")
        edits.append(ManualEdit(name, field_value(meta, name), editor, at))
        file_values.append(ManualEdit(name, file_value, "", ""))
    try:
        file_meta = apply_edits(meta, file_values)
    except InvalidMetadata as exc:
        raise KBError(f"{where}: the file's metadata: {exc}") from exc
    return meta, file_meta, tuple(edits)


def _is_timestamp(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return len(value) <= 40


def _chunks(data: bytes, texts: dict[str, str]) -> dict[str, list[Chunk]]:
    """Each chunk checked against its document: its text must be the document's text at its
    offsets (the document page places passages and highlights by them)."""
    by_doc: dict[str, dict[int, Chunk]] = {}
    for n, line in _lines(data):
        where = f"chunks.jsonl line {n}"
        item = _json(line, where)
        if not isinstance(item, dict) or set(item) != _CHUNK_FIELDS:
            raise KBError(f"{where}: a chunk has the fields {', '.join(sorted(_CHUNK_FIELDS))}")
        doc_id, seq, start, end = item["doc_id"], item["seq"], item["char_start"], item["char_end"]
        if not isinstance(doc_id, str) or doc_id not in texts:
            raise KBError(f"{where}: chunk of a document not in the archive ({doc_id!r})")
        page = item["page"]
        if not (
            all(_is_int(v) for v in (seq, start, end))
            and isinstance(item["text"], str)
            and (page is None or _is_int(page) and page >= 1)
        ):
            raise KBError(
                f"{where}: seq, char_start and char_end must be whole numbers, "
                "page a whole number or null, and text a string"
            )
        text = texts[doc_id]
        if seq < 0 or not 0 <= start <= end <= len(text):
            raise KBError(
                f"{where}: offsets {start}..{end} lie outside the text of {doc_id!r} "
                f"({len(text)} characters)"
            )
        if text[start:end] != item["text"]:
            raise KBError(f"{where}: the chunk's text is not {doc_id!r}'s text at {start}..{end}")
        if seq in by_doc.setdefault(doc_id, {}):
            raise KBError(f"{where}: chunk {seq} of {doc_id!r} appears twice")
        by_doc[doc_id][seq] = Chunk(doc_id, seq, item["text"], page, start, end)
    out = {}
    for doc_id, chunks in by_doc.items():
        if sorted(chunks) != list(range(len(chunks))):
            raise KBError(
                f"chunks.jsonl: the chunks of {doc_id!r} are not numbered from 0 without gaps"
            )
        out[doc_id] = [chunks[seq] for seq in sorted(chunks)]
    return out


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_original_path(row: dict) -> None:
    """Only originals/<its own id>/<file>: never another document's folder, never outside."""
    name = row.get("original")
    if name is None:
        return
    parts = PurePosixPath(name).parts if isinstance(name, str) else ()
    if len(parts) != 3 or parts[0] != "originals" or ".." in parts or parts[1] != row["id"]:
        raise KBError(f"unsafe path in archive: {name!r}")
    row["original"] = "/".join(parts)  # as read_members names the staged file


def _check_original(row: dict, staged: dict[str, Path]) -> None:
    if row.get("original") is not None and row["original"] not in staged:
        raise KBError(f"not an Erfarenhetsbanken export: {row['original']} is missing")


def _vectors(members: dict[str, bytes], dimension: int) -> dict[str, np.ndarray]:
    ids = _json(_need(members, "vector_ids.json"), "vector_ids.json")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise KBError("vector_ids.json must be a list of chunk ids")
    try:
        matrix = np.load(io.BytesIO(_need(members, "vectors.npy")), allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise KBError(f"vectors.npy is not a saved array of vectors ({exc})") from exc
    if matrix.shape != (len(ids), dimension) or matrix.dtype.kind != "f":
        raise KBError(
            f"vectors.npy holds {matrix.dtype} values of shape {matrix.shape}; "
            f"expected {len(ids)} vectors of dimension {dimension}"
        )
    if not np.isfinite(matrix).all():
        raise KBError("vectors.npy holds values that are not finite numbers")
    return dict(zip(ids, matrix, strict=True))

"""Editors' edits: a layer of metadata above what a document's file and sidecar say.

A document's metadata is its file's metadata (reader, sidecar, upload options) with the edits
laid on top, field by field. Re-reading the file replaces the file's layer only, so an edit
stays until an editor clears it (sets the field back to the file's value, or resets it), and a
field nobody edited goes on following the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from kb.models import EDITABLE_FIELDS, ManualEdit, Metadata, field_value

_LISTS = ("tags", "source_urls")
_NULLABLE = ("agency", "date")


def valid_value(name: str, value: object) -> bool:
    """Whether `value` has the shape field `name` takes (its content is checked by Metadata)."""
    if name in _LISTS:
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    return isinstance(value, str) or (value is None and name in _NULLABLE)


def apply_edits(meta: Metadata, edits: Iterable[ManualEdit]) -> Metadata:
    """The file's metadata with the editors' edits laid on top."""
    changes = {
        e.field: tuple(e.value or ()) if e.field in _LISTS else e.value
        for e in edits
        if e.field in EDITABLE_FIELDS
    }
    return replace(meta, **changes) if changes else meta


def merge_edits(
    current: Iterable[ManualEdit], newer: Iterable[ManualEdit]
) -> tuple[ManualEdit, ...]:
    """`current` with `newer` edits taking the place of those of the same field; an edit to
    the value a field already has keeps who made it and when."""
    merged = {e.field: e for e in current}
    for edit in newer:
        if edit.field not in merged or merged[edit.field].value != edit.value:
            merged[edit.field] = edit
    return tuple(merged[f] for f in EDITABLE_FIELDS if f in merged)


def revise(
    file_meta: Metadata,
    current: Mapping[str, ManualEdit],
    wanted: Metadata,
    editor: str,
    at: str,
    reset: Iterable[str] = (),
) -> tuple[ManualEdit, ...]:
    """The edits after an editor asks for `wanted`: a field set to the file's value (or in
    `reset`) is no longer edited; a field left as it was keeps its edit, who made it and when;
    any other field is edited now, by `editor`."""
    shown = apply_edits(file_meta, current.values())
    reset = set(reset)
    out = []
    for name in EDITABLE_FIELDS:
        value = field_value(wanted, name)
        if name in reset:
            continue
        if name in current and value == field_value(shown, name):
            out.append(
                current[name]
            )  # left as it was (an upload form's value may equal the file's)
        elif value == field_value(file_meta, name):
            continue
        else:
            out.append(ManualEdit(name, value, editor, at))
    return tuple(out)

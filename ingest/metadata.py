"""Document metadata from the file, a sidecar `NAME.meta.yaml` and command-line options."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import yaml

from ingest.yaml_meta import load_yaml
from kb.errors import InvalidMetadata
from kb.models import ManualEdit, Metadata, field_value

FIELDS = (
    "id",
    "title",
    "kind",
    "agency",
    "date",
    "source_url",
    "source_urls",
    "sources",
    "tags",
    "language",
)

_SV_WORDS = {
    "och",
    "att",
    "som",
    "för",
    "med",
    "inte",
    "det",
    "är",
    "av",
    "på",
    "till",
    "har",
    "den",
    "ett",
    "en",
    "om",
    "vi",
    "de",
    "var",
    "kan",
}
_EN_WORDS = {
    "the",
    "and",
    "of",
    "to",
    "is",
    "in",
    "that",
    "for",
    "with",
    "not",
    "are",
    "was",
    "on",
    "as",
    "be",
    "by",
    "this",
    "have",
    "it",
    "we",
}


def sidecar_path(path: Path) -> Path | None:
    """`report.meta.yaml` (or `report.pdf.meta.yaml`) next to `report.pdf`."""
    for candidate in (path.with_suffix(".meta.yaml"), path.with_name(path.name + ".meta.yaml")):
        try:
            if candidate.is_file():
                return candidate
        except OSError:  # the sidecar's name would be too long for the file system: none
            continue
    return None


def is_sidecar(path: Path) -> bool:
    return path.name.endswith(".meta.yaml")


def read_sidecar(path: Path) -> dict:
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InvalidMetadata("sidecar_yaml", name=path.name, detail=str(exc)) from exc
    if not isinstance(data, dict):
        raise InvalidMetadata("sidecar_not_mapping", name=path.name)
    return data


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _list(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list | tuple):
        raise InvalidMetadata("expected_list", value=value)
    return [t for t in (_text(v) for v in value) if t]


def guess_language(text: str) -> str:
    words = re.findall(r"[a-zåäö]+", text[:5000].lower())
    sv = sum(w in _SV_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    return "en" if en > sv else "sv"


def title_from_name(name: str) -> str:
    stem = Path(name).stem
    stem = re.sub(r"^\d+[-_ ]+", "", stem)  # "07-tullverket" -> "tullverket"
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else name


INGEST_ONLY_OPTIONS = ("id", "replace", "edited_by", "origin")  # steer the ingest, not metadata
# An upload form's fields and the document field each one sets.
FORM_FIELDS = {
    "kind": "kind",
    "agency": "agency",
    "date": "date",
    "language": "language",
    "tags": "tags",
    "source_url": "source_urls",
}


def resolve(name: str, found: dict, sidecar: dict, options: dict, text: str) -> Metadata:
    """Merge metadata: command-line options > sidecar > the file's own > fallbacks.

    Tags from all sources are merged rather than replaced.
    """
    merged: dict = {}
    options = {k: v for k, v in options.items() if k not in INGEST_ONLY_OPTIONS}
    for layer in (found, sidecar, options):
        merged.update({k: v for k, v in layer.items() if v not in (None, "", [], ())})
    title = (
        _text(merged.get("title"))
        or _text(found.get("_first_heading"))
        or _text(found.get("_html_title"))
    )
    sources = (  # the options' own address first: options beat the lower layers
        _list(options.get("source_urls"))
        or _list(options.get("source_url"))
        or _list(merged.get("source_urls"))
        or _list(merged.get("sources"))
        or _list(merged.get("source_url"))
    )
    tags = []
    for layer in (found, sidecar, options):
        tags.extend(_list(layer.get("tags")))
    return Metadata(
        title=" ".join((title or title_from_name(name)).split())[:300],
        kind=(_text(merged.get("kind")) or "other").lower(),
        agency=_text(merged.get("agency")),
        date=_text(merged.get("date")),
        source_urls=tuple(dict.fromkeys(sources)),
        tags=tuple(dict.fromkeys(t.lower() for t in tags)),
        language=(_text(merged.get("language")) or guess_language(text)).lower()[:8],
        title_derived=title is None,  # shown, but never embedded or indexed
    )


def resolve_layers(
    name: str, found: dict, sidecar: dict, options: dict, text: str, at: str
) -> tuple[Metadata, tuple[ManualEdit, ...]]:
    """The file's metadata and, when an editor gave fields in the upload form
    (`options["edited_by"]`), those fields as the editor's edits: they are the editor's word,
    not the file's, so re-reading the file or uploading it again without them keeps them. A
    field the form gives is an edit even when the file says the same: the editor chose it (a
    later version of the file that says otherwise does not change it, and an earlier edit of
    the field gives way to it)."""
    editor = options.get("edited_by")
    given = {k for k in FORM_FIELDS if k in options and options[k] not in (None, "", [], ())}
    if not editor or not given:
        return resolve(name, found, sidecar, options, text), ()
    file_meta = resolve(
        name, found, sidecar, {k: v for k, v in options.items() if k not in given}, text
    )
    with_form = resolve(name, found, sidecar, options, text)
    edits = tuple(
        ManualEdit(field, field_value(with_form, field), editor, at)
        for field in dict.fromkeys(FORM_FIELDS[k] for k in given)
    )
    return file_meta, edits


def upload_id(name: str) -> str:
    """An uploaded file's document id: its name's slug, so that uploading it again updates
    the document instead of adding another."""
    return slugify(Path(name).stem)


def slugify(value: str, max_length: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].strip("-") or "dokument"


def document_id(explicit: str | None, relative_name: str) -> str:
    """Deterministic id: an explicit `id` from the metadata, else the path under the root."""
    if explicit:
        slug = slugify(explicit)
        if slug != explicit:
            raise InvalidMetadata("bad_id", field="id", value=explicit)
        return slug
    return slugify(str(Path(relative_name).with_suffix("")))

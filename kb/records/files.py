"""Records files (YAML as in notes/records-format.md, or CSV) read into plain mappings.

A CSV file has one row per record, with a `type` column (investment, lesson or
recommendation); list fields (`themes`) are separated by ";", an investment's `documents` are
`doc-id:role` separated by ";". Each row may carry one piece of evidence in the columns
`document`, `quote`, `prefix`, `suffix`; further rows with the same id add evidence. Which
part of a record it supports is told by `evidence_for`: `estimated_cost` or `actual_cost` for
an investment, `source` (the default) or `follow_up` (with `status`) for a recommendation.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import yaml

from kb.errors import KBError

SECTIONS = {"investment": "investments", "lesson": "lessons", "recommendation": "recommendations"}
EVIDENCE_COLUMNS = ("document", "quote", "prefix", "suffix")
_ROW_ONLY = ("type", "evidence_for", "status", "estimated_msek", "actual_msek", "actual_kind")


def read(path: Path) -> dict[str, list]:
    """{"investments": [...], "lessons": [...], "recommendations": [...]}, as the file has them."""
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise KBError("records_file_type", suffix=suffix or path.name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise KBError("records_file_unreadable", name=path.name, detail=str(exc)) from exc
    if suffix in (".yaml", ".yml"):
        return parse_yaml(text, path.name)
    return parse_csv(text)


def parse_yaml(text: str, name: str) -> dict[str, list]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KBError("records_file_yaml", name=name, detail=str(exc)) from exc
    return sections(data, name)


def sections(data, name: str) -> dict[str, list]:
    """The three lists of a parsed records file (YAML, or an archive's JSON)."""
    data = {} if data is None else data
    if not isinstance(data, dict) or set(data) - set(SECTIONS.values()):
        raise KBError("records_file_shape", name=name)
    out = {}
    for section in SECTIONS.values():
        entries = data.get(section) or []
        if not isinstance(entries, list):
            raise KBError("records_file_shape", name=name)
        out[section] = entries
    return out


def parse_csv(text: str) -> dict[str, list]:
    out: dict[str, list] = {section: [] for section in SECTIONS.values()}
    by_id: dict[tuple[str, str], dict] = {}
    for row in csv.DictReader(io.StringIO(text)):
        row = {k.strip(): (v or "").strip() for k, v in row.items() if k}
        record_type = row.get("type", "")
        if record_type not in SECTIONS:
            # kept as a record of no section, so the importer names it with its problem
            out.setdefault("unknown", []).append({"id": row.get("id", ""), "type": record_type})
            continue
        key = (record_type, row.get("id", ""))
        record = by_id.get(key)
        if record is None:
            record = by_id[key] = _record(record_type, row)
            out[SECTIONS[record_type]].append(record)
        _add_evidence(record_type, record, row)
    return out


def _record(record_type: str, row: dict) -> dict:
    fields = {
        k: v for k, v in row.items() if v and k not in _ROW_ONLY and k not in EVIDENCE_COLUMNS
    }
    if "themes" in fields:
        fields["themes"] = _list(fields["themes"])
    if record_type == "investment":
        if "documents" in fields:
            pairs = [item.partition(":") for item in _list(fields["documents"])]
            fields["documents"] = [{"document": d.strip(), "role": r.strip()} for d, _, r in pairs]
        for cost, column in (("estimated_cost", "estimated_msek"), ("actual_cost", "actual_msek")):
            if row.get(column):
                fields[cost] = {"msek": row[column]}
        if row.get("actual_kind") and "actual_cost" in fields:
            fields["actual_cost"]["kind"] = row["actual_kind"]
    return fields


def _add_evidence(record_type: str, record: dict, row: dict) -> None:
    if not (row.get("document") or row.get("quote")):
        return
    evidence = {k: row[k] for k in EVIDENCE_COLUMNS if row.get(k)}
    place = row.get("evidence_for", "")
    if record_type == "lesson":
        record.setdefault("evidence", []).append(evidence)
    elif record_type == "investment":
        cost = record.setdefault(place or "estimated_cost", {})
        cost["evidence"] = evidence
    elif place == "follow_up":
        record.setdefault("follow_ups", []).append({**evidence, "status": row.get("status", "")})
    else:
        record["source"] = evidence


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(";") if item.strip()]


def file_form(record) -> dict:
    """A record as a records file (and an export archive) writes it; `needs_review` marks
    evidence whose quote its document no longer holds, which only an archive may carry."""
    d = record.to_dict()
    d.pop("type")
    if record.type == "investment":
        for cost_name in ("estimated_cost", "actual_cost"):
            cost = getattr(record, cost_name)
            if cost is None:
                d.pop(cost_name)
                continue
            d[cost_name] = {"msek": cost.msek}
            if cost_name == "actual_cost":
                d[cost_name]["kind"] = cost.kind
            if cost.evidence is not None:
                d[cost_name]["evidence"] = _evidence_form(cost.evidence)
    elif record.type == "lesson":
        d["evidence"] = [_evidence_form(e) for e in record.evidence]
    else:
        d["source"] = _evidence_form(record.source)
        d["follow_ups"] = [
            {**_evidence_form(f.evidence), "status": f.status} for f in record.follow_ups
        ]
    return {k: v for k, v in d.items() if v is not None}


def _evidence_form(evidence) -> dict:
    out = {"document": evidence.doc_id, "quote": evidence.exact}
    out |= {"prefix": evidence.prefix, "suffix": evidence.suffix}
    if evidence.status != "ok":
        out["needs_review"] = True
    return out

"""A records file's records checked one at a time: every value against its kind, every
reference against the catalog and the themes file, every quote anchored in its document."""

from __future__ import annotations

import math
from dataclasses import dataclass

from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.models import Chunk, valid_doc_id
from kb.records import files, themes
from kb.records.anchors import anchor, with_chunk
from kb.records.models import (
    COST_KINDS,
    DOCUMENT_ROLES,
    ESTIMATE,
    FOLLOW_UP_STATUSES,
    NEEDS_REVIEW,
    OUTCOMES,
    PHASES,
    POLARITIES,
    CostFigure,
    Evidence,
    FollowUp,
    Investment,
    InvestmentDocument,
    Lesson,
    Recommendation,
)
from kb.search.filters import MAX_YEAR, MIN_YEAR

FIELDS = {
    "investments": (
        "id name agency description start_year end_year phase outcome estimated_cost"
        " actual_cost documents"
    ).split(),
    "lessons": "id text polarity themes investment evidence".split(),
    "recommendations": "id text given_by agency investment source follow_ups".split(),
}
EVIDENCE_FIELDS = ("document", "quote", "prefix", "suffix")


@dataclass(frozen=True)
class Problem:
    record_id: str
    error: KBError

    def to_dict(self) -> dict:
        return {
            "id": self.record_id,
            "field": self.error.field,
            "code": self.error.code,
            "error": str(self.error),
        }


class _Invalid(Exception):
    """A value that stops its record (already listed as a problem)."""


class Checker:
    """Validates one record at a time, collecting every problem it finds."""

    def __init__(
        self,
        knowledge_base: KnowledgeBase,
        raw: dict[str, list],
        texts: dict[str, tuple[str, list[Chunk]]],
        from_archive: bool,
    ) -> None:
        self.kb = knowledge_base
        self.from_archive = from_archive
        self.theme_ids = [t.id for t in themes.load(knowledge_base.config.themes_file)]
        in_file = {str(e.get("id")) for e in raw.get("investments", []) if isinstance(e, dict)}
        stored = {i.id for i in knowledge_base.records.investments()}
        self.investment_ids = in_file | stored
        self.record_id = ""
        self.problems: list[Problem] = []
        self._texts: dict[str, tuple[str, list[Chunk]] | None] = dict(texts)

    def check(self, section: str, entry, build, seen: set[str]):
        self.problems = []
        if not isinstance(entry, dict):
            self._problem(KBError("record_not_mapping"))
            return None, self.problems
        self.record_id = record_id = str(entry.get("id") or "")
        if not valid_doc_id(record_id):
            self._problem(KBError("bad_id", field="id", value=record_id))
        elif record_id in seen:
            self._problem(KBError("record_given_twice", field="id", value=record_id))
        else:
            seen.add(record_id)
            owner = self.kb.records.record_type(record_id)
            if owner is not None and files.SECTIONS[owner] != section:
                self._problem(KBError("id_in_use", field="id", value=record_id, owner=owner))
        for key in set(entry) - set(FIELDS[section]):
            self._problem(
                KBError("unknown_parameter", field=key, name=key, known=", ".join(FIELDS[section]))
            )
        try:
            record = build(entry)
        except _Invalid:
            record = None
        return record, self.problems

    # the three kinds ---------------------------------------------------------
    def investment(self, e: dict) -> Investment:
        estimated = self._cost(e, "estimated_cost", ESTIMATE)
        actual = self._cost(e, "actual_cost", None)
        documents = []
        for item in self._list(e, "documents"):
            doc_id = self._known_document(self._text(item, "document"))
            documents.append(InvestmentDocument(doc_id, self._choice(item, "role", DOCUMENT_ROLES)))
        return self._done(
            Investment(
                id=self.record_id,
                name=self._text(e, "name"),
                agency=self._text(e, "agency"),
                description=self._text(e, "description", required=False),
                start_year=self._year(e, "start_year"),
                end_year=self._year(e, "end_year"),
                phase=self._choice(e, "phase", PHASES),
                outcome=self._choice(e, "outcome", OUTCOMES, default="okänd"),
                estimated_cost=estimated,
                actual_cost=actual,
                documents=tuple(documents),
            )
        )

    def lesson(self, e: dict) -> Lesson:
        theme_ids = self._list(e, "themes", required=True)
        for theme_id in theme_ids:
            if theme_id not in self.theme_ids:
                known = ", ".join(self.theme_ids) or "-"
                self._problem(KBError("unknown_theme", field="themes", value=theme_id, known=known))
        evidence = [self._evidence(x) for x in self._list(e, "evidence", required=True)]
        return self._done(
            Lesson(
                id=self.record_id,
                text=self._text(e, "text"),
                polarity=self._choice(e, "polarity", POLARITIES),
                themes=tuple(str(t) for t in theme_ids),
                investment=self._investment(e),
                evidence=tuple(evidence),
            )
        )

    def recommendation(self, e: dict) -> Recommendation:
        source = self._evidence(e.get("source")) if "source" in e else None
        if source is None:
            self._problem(KBError("record_missing_field", field="source"))
        follow_ups = [
            FollowUp(self._evidence(f), self._choice(f, "status", FOLLOW_UP_STATUSES))
            for f in self._list(e, "follow_ups")
        ]
        return self._done(
            Recommendation(
                id=self.record_id,
                text=self._text(e, "text"),
                given_by=self._text(e, "given_by"),
                source=source,  # type: ignore[arg-type]
                agency=self._text(e, "agency", required=False) or None,
                investment=self._investment(e),
                follow_ups=tuple(follow_ups),
            )
        )

    def _done(self, record):
        if self.problems:
            raise _Invalid
        return record

    # values -----------------------------------------------------------------
    def _problem(self, error: KBError) -> None:
        self.problems.append(Problem(self.record_id, error))

    def _text(self, e, name: str, required: bool = True) -> str:
        value = e.get(name) if isinstance(e, dict) else None
        if value is None or not str(value).strip():
            if required:
                self._problem(KBError("record_missing_field", field=name))
            return ""
        return " ".join(str(value).split())

    def _choice(self, e, name: str, allowed: tuple[str, ...], default: str | None = None) -> str:
        value = self._text(e, name, required=default is None) or default or ""
        if value and value not in allowed:
            self._problem(
                KBError("record_bad_value", field=name, value=value, allowed=", ".join(allowed))
            )
        return value

    def _year(self, e: dict, name: str) -> int | None:
        value = e.get(name)
        if value in (None, ""):
            return None
        if isinstance(value, bool) or not isinstance(value, int | str):
            self._problem(KBError("not_whole_number", field=name))
            return None
        text = value.strip() if isinstance(value, str) else ""
        if isinstance(value, str) and not (text.isascii() and text.isdigit()):  # not "²", "٣"
            self._problem(KBError("not_whole_number", field=name))
            return None
        # before int(): a string of 5,000 digits is a ValueError there, not a year
        if isinstance(value, str) and len(text) > 4 or not MIN_YEAR <= int(value) <= MAX_YEAR:
            self._problem(KBError("year_out_of_range", field=name, min=MIN_YEAR, max=MAX_YEAR))
            return None
        return int(value)

    def _list(self, e, name: str, required: bool = False) -> list:
        value = e.get(name) if isinstance(e, dict) else None
        if value in (None, "", []):
            if required:
                self._problem(KBError("record_missing_field", field=name))
            return []
        if not isinstance(value, list):
            self._problem(KBError("expected_list", field=name, value=str(value)[:80]))
            return []
        return value

    def _investment(self, e: dict) -> str | None:
        value = self._text(e, "investment", required=False)
        if value and value not in self.investment_ids:
            self._problem(KBError("unknown_investment", field="investment", value=value))
        return value or None

    def _cost(self, e: dict, name: str, kind: str | None) -> CostFigure | None:
        cost = e.get(name)
        if cost is None:
            return None
        if not isinstance(cost, dict):
            self._problem(KBError("record_not_mapping", field=name))
            return None
        msek = parse_amount(cost.get("msek"))
        if msek is None:
            self._problem(
                KBError("record_not_number", field=f"{name}.msek", value=cost.get("msek"))
            )
        kind = kind or self._choice(cost, "kind", COST_KINDS, default="utfall")
        evidence = self._evidence(cost["evidence"]) if cost.get("evidence") else None
        return CostFigure(msek or 0.0, kind, evidence)

    def _known_document(self, doc_id: str) -> str:
        if doc_id and self._document(doc_id) is None:
            self._problem(KBError("no_document", field="document", id=doc_id))
        return doc_id

    def _document(self, doc_id: str) -> tuple[str, list[Chunk]] | None:
        """A document's text and chunks (read once per import)."""
        if doc_id not in self._texts:
            doc = self.kb.catalog.find(doc_id, with_text=True)
            self._texts[doc_id] = (doc.text, self.kb.catalog.chunks(doc_id)) if doc else None
        return self._texts[doc_id]

    def _evidence(self, e) -> Evidence | None:
        if not isinstance(e, dict):
            self._problem(KBError("record_not_mapping", field="evidence"))
            return None
        allowed = {*EVIDENCE_FIELDS, "status"} | ({"needs_review"} if self.from_archive else set())
        for key in set(e) - allowed:
            self._problem(
                KBError("unknown_parameter", field=key, name=key, known=", ".join(EVIDENCE_FIELDS))
            )
        doc_id, quote = self._text(e, "document"), str(e.get("quote") or "")
        if self.from_archive and e.get("needs_review") is True and doc_id and quote.strip():
            # flagged where it came from: kept for an editor, whatever the text holds now
            context = {k: str(e.get(k) or "") for k in ("prefix", "suffix")}
            return Evidence(doc_id, quote, **context, status=NEEDS_REVIEW)
        found = self._document(doc_id) if doc_id else None
        if doc_id and found is None:
            self._problem(KBError("no_document", field="document", id=doc_id))
        if found is None:
            return None
        text, chunks = found
        try:
            selector = anchor(text, quote, e.get("prefix"), e.get("suffix"), doc_id=doc_id)
        except KBError as exc:
            self._problem(exc)
            return None
        return with_chunk(selector, chunks)


def parse_amount(value) -> float | None:
    """A finite amount: 12,5 and 1 200 too; not "٣", "1_000", "inf" or "nan"."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = str(value).replace(",", ".").replace(" ", "")
        if not text.isascii() or "_" in text:
            return None
        try:
            number = float(text)
        except ValueError:
            return None
    return number if math.isfinite(number) else None

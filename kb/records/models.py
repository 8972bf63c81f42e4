"""The records: investments, lessons, recommendations and their evidence passages."""

from __future__ import annotations

from dataclasses import dataclass, field

# The allowed values, in Swedish as the records files and the interface write them
# (notes/records-format.md).
PHASES = ("planerad", "pågående", "avslutad", "avbruten")
OUTCOMES = ("lyckad", "delvis lyckad", "misslyckad", "okänd")
COST_KINDS = ("utfall", "prognos")  # of the actual cost: the outcome, or the latest forecast
ESTIMATE = "kalkyl"  # the kind of an estimated cost
DOCUMENT_ROLES = (
    "rekommendation",
    "intervju",
    "fallbeskrivning",
    "granskning",
    "myndighetens svar",
    "uppföljning",
)
POLARITIES = ("gick bra", "gick dåligt", "råd")
FOLLOW_UP_STATUSES = ("följd", "delvis följd", "inte följd", "okänd")

OK = "ok"
NEEDS_REVIEW = "needs_review"  # the document's text no longer holds the quote (or is gone)
EVIDENCE_STATUSES = (OK, NEEDS_REVIEW)

RECORD_TYPES = ("investment", "lesson", "recommendation")


@dataclass(frozen=True)
class Evidence:
    """A passage, anchored by its text as a W3C TextQuoteSelector: `exact` with the text just
    before and after it; the offsets and the chunk seq are hints, re-found from the quote
    whenever the document's text changes."""

    doc_id: str
    exact: str
    prefix: str = ""
    suffix: str = ""
    start: int | None = None  # offsets into the document's text
    end: int | None = None
    seq: int | None = None  # the chunk holding `start`
    status: str = OK

    def to_dict(self) -> dict:
        return {
            "document": self.doc_id,
            "quote": self.exact,
            "prefix": self.prefix,
            "suffix": self.suffix,
            "start": self.start,
            "end": self.end,
            "seq": self.seq,
            "status": self.status,
        }


@dataclass(frozen=True)
class CostFigure:
    msek: float  # million SEK
    kind: str  # ESTIMATE, or one of COST_KINDS
    evidence: Evidence | None = None

    def to_dict(self) -> dict:
        return {
            "msek": self.msek,
            "kind": self.kind,
            "evidence": self.evidence.to_dict() if self.evidence else None,
        }


@dataclass(frozen=True)
class InvestmentDocument:
    doc_id: str
    role: str  # one of DOCUMENT_ROLES

    def to_dict(self) -> dict:
        return {"document": self.doc_id, "role": self.role}


@dataclass(frozen=True)
class Investment:
    id: str
    name: str
    agency: str
    description: str = ""
    start_year: int | None = None
    end_year: int | None = None
    phase: str = "pågående"
    outcome: str = "okänd"
    estimated_cost: CostFigure | None = None
    actual_cost: CostFigure | None = None
    documents: tuple[InvestmentDocument, ...] = ()

    type = "investment"

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        costs = (self.estimated_cost, self.actual_cost)
        return tuple(c.evidence for c in costs if c is not None and c.evidence is not None)

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "id": self.id,
            "name": self.name,
            "agency": self.agency,
            "description": self.description,
            "start_year": self.start_year,
            "end_year": self.end_year,
            "phase": self.phase,
            "outcome": self.outcome,
            "estimated_cost": self.estimated_cost.to_dict() if self.estimated_cost else None,
            "actual_cost": self.actual_cost.to_dict() if self.actual_cost else None,
            "documents": [d.to_dict() for d in self.documents],
        }


@dataclass(frozen=True)
class Lesson:
    id: str
    text: str
    polarity: str  # one of POLARITIES
    themes: tuple[str, ...]  # theme ids, at least one
    investment: str | None = None  # None: a general lesson
    evidence: tuple[Evidence, ...] = ()

    type = "lesson"

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "id": self.id,
            "text": self.text,
            "polarity": self.polarity,
            "themes": list(self.themes),
            "investment": self.investment,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclass(frozen=True)
class FollowUp:
    """A later document's answer to a recommendation (a citator's "cited by")."""

    evidence: Evidence
    status: str  # one of FOLLOW_UP_STATUSES

    def to_dict(self) -> dict:
        return {"status": self.status, "evidence": self.evidence.to_dict()}


@dataclass(frozen=True)
class Recommendation:
    id: str
    text: str
    given_by: str
    source: Evidence
    agency: str | None = None  # to whom
    investment: str | None = None
    follow_ups: tuple[FollowUp, ...] = field(default=())

    type = "recommendation"

    @property
    def evidence(self) -> tuple[Evidence, ...]:
        return (self.source, *(f.evidence for f in self.follow_ups))

    def to_dict(self) -> dict:
        return {
            "type": self.type,
            "id": self.id,
            "text": self.text,
            "given_by": self.given_by,
            "agency": self.agency,
            "investment": self.investment,
            "source": self.source.to_dict(),
            "follow_ups": [f.to_dict() for f in self.follow_ups],
        }


Record = Investment | Lesson | Recommendation


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    description: str = ""

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "description": self.description}

"""Suggesters for the review queue: themes of passages, draft lessons, references to other
documents and the investment a document belongs to. Pure functions over text and vectors; an
editor decides on every suggestion."""

from ingest.suggest.investment import InvestmentProfile, InvestmentSuggester, InvestmentSuggestion
from ingest.suggest.lessons import LessonCandidate, LessonDetector
from ingest.suggest.references import (
    KnownDocument,
    Reference,
    find_designations,
    find_references,
    own_designations,
)
from ingest.suggest.themes import Theme, ThemeSuggester, ThemeSuggestion, load_themes

__all__ = [
    "InvestmentProfile",
    "InvestmentSuggester",
    "InvestmentSuggestion",
    "KnownDocument",
    "LessonCandidate",
    "LessonDetector",
    "Reference",
    "Theme",
    "ThemeSuggester",
    "ThemeSuggestion",
    "find_designations",
    "find_references",
    "load_themes",
    "own_designations",
]

"""Suggestions made when documents are written, for the review queue: draft lessons (with the
themes and polarity guessed for them), the themes of the document's lesson passages and the
investments it belongs to. An editor decides on each; nothing is published unreviewed.

Cheap by design: only the sentences with a cue phrase or under a lessons heading are embedded
(LessonDetector(cued_only=True)), in one batch for all the documents written together; the
investments are scored on the passage vectors the ingest has just made."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property

import numpy as np

from ingest.suggest import (
    InvestmentProfile,
    InvestmentSuggester,
    LessonDetector,
    Theme,
    ThemeSuggester,
)
from kb.models import Chunk, Document
from kb.records import themes as theme_file
from kb.records.anchors import seq_at
from kb.storage.suggestions import NewSuggestion
from kb.writer import Writer

MAX_LESSONS = 12  # per document: every suggestion costs an editor a reading


class Suggesters:
    """The suggesters for one ingest run, their prototype and theme vectors embedded once."""

    def __init__(self, writer: Writer) -> None:
        self.writer = writer
        self.base = writer.base

    @cached_property
    def lessons(self) -> LessonDetector:
        return LessonDetector(self.base.embedder, cued_only=True)

    @cached_property
    def themes(self) -> ThemeSuggester | None:
        found = theme_file.load(self.base.config.themes_file)
        if not found:
            return None
        return ThemeSuggester(
            [Theme(t.id, t.name, t.description) for t in found], self.base.embedder
        )

    @cached_property
    def investments(self) -> InvestmentSuggester | None:
        found = self.base.records.investments()
        if not found:
            return None
        profiles = [InvestmentProfile(i.id, i.name, i.agency, i.description) for i in found]
        return InvestmentSuggester(profiles, self.base.embedder)

    def suggest(self, items: Sequence[tuple[Document, list[Chunk], np.ndarray]]) -> int:
        """Suggest for documents just written (with their text, chunks and passage vectors);
        returns how many suggestions were stored."""
        if not items:
            return 0
        drafts = self.lessons.find_many([doc.text or "" for doc, _, _ in items])
        sentence_vectors = [c.vector for found in drafts for c in found[:MAX_LESSONS]]
        theme_rows = []
        if self.themes and sentence_vectors:
            theme_rows = self.themes.suggest_vectors(np.stack(sentence_vectors))
        names = {t.id: t.name for t in self.themes.themes} if self.themes else {}
        stored, offset = 0, 0
        for (doc, chunks, vectors), found in zip(items, drafts, strict=True):
            found = found[:MAX_LESSONS]
            doc_themes = theme_rows[offset : offset + len(found)]
            offset += len(found)
            new = self._lessons(doc, chunks, found, doc_themes, names)
            new += self._investments(doc, vectors)
            stored += self.writer.save_suggestions(doc.id, doc.content_hash, new)
        return stored

    def _lessons(self, doc, chunks, found, doc_themes, names) -> list[NewSuggestion]:
        lessons, by_theme = [], {}
        for draft, picked in zip(found, doc_themes, strict=True):
            seq = seq_at(chunks, draft.span[0])
            lessons.append(
                NewSuggestion(
                    "lesson",
                    f"lesson:{' '.join(draft.text.split())}",
                    {
                        "text": draft.text,
                        "quote": (doc.text or "")[draft.span[0] : draft.span[1]],
                        "polarity": draft.polarity,
                        "themes": [t.theme_id for t in picked],
                        "score": draft.score,
                        "cues": list(draft.cues),
                        "seq": seq,
                        "start": draft.span[0],
                        "end": draft.span[1],
                    },
                )
            )
            for t in picked:
                best = by_theme.get(t.theme_id)
                if best is None or t.score > best["score"]:
                    by_theme[t.theme_id] = {
                        "theme": t.theme_id,
                        "name": names.get(t.theme_id, t.theme_id),
                        "score": t.score,
                        "quote": draft.text,
                        "seq": seq,
                        "seqs": sorted({*(best or {}).get("seqs", []), seq} - {None}),
                    }
                else:
                    best["seqs"] = sorted({*best["seqs"], seq} - {None})
        theme_suggestions = [
            NewSuggestion("theme", f"theme:{theme_id}", payload)
            for theme_id, payload in sorted(by_theme.items(), key=lambda kv: -kv[1]["score"])
        ]
        return lessons + theme_suggestions

    def _investments(self, doc: Document, vectors: np.ndarray) -> list[NewSuggestion]:
        if self.investments is None or not len(vectors):
            return []
        already = {
            i.id
            for i in self.base.records.investments()
            if any(d.doc_id == doc.id for d in i.documents)
        }
        names = {p.id: p.name for p in self.investments.investments}
        return [
            NewSuggestion(
                "investment",
                f"investment:{s.investment_id}",
                {
                    "investment": s.investment_id,
                    "name": names[s.investment_id],
                    "score": s.score,
                    "similarity": s.similarity,
                    "agency_match": s.agency_match,
                },
            )
            for s in self.investments.suggest_vectors(vectors, doc.meta.agency)
            if s.investment_id not in already
        ]

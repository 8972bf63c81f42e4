"""Draft lessons: sentences that state one, found by Swedish cue phrases, the section they stand
in ("Lärdomar", "Vad gick bra?") and their likeness to a few prototype lesson sentences."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from ingest.suggest.sentences import Sentence, split_sentences
from kb.embedding.embedder import Embedder

GOOD, BAD, ADVICE = "gick bra", "gick dåligt", "råd"
POLARITIES = (GOOD, BAD, ADVICE)

# (pattern, weight, polarity or None). Strong cues name the polarity outright; weak ones lean.
_CUES: tuple[tuple[str, float, str | None], ...] = (
    (r"lärdom\w*|lärde (?:oss|sig|vi)|lära (?:sig|av)", 1.0, None),
    (r"erfarenhet(?:en|erna)? visar", 1.0, None),
    (r"rekommender\w*", 1.0, ADVICE),
    (r"viktigt att|se till att|undvik\w*|räkna med", 1.0, ADVICE),
    (r"bör|behöver|måste|kräver|förutsättning\w*", 0.5, ADVICE),
    (r"gick bra|fungerade bra|fungerat bäst|lyckades|lönar sig|var rätt|vågade", 1.0, GOOD),
    (r"borde ha|hade varit bättre|gick (?:dåligt|mindre bra|snett)|misslyck\w*", 1.0, BAD),
    (
        r"underskatta\w*|försenad\w*|överskr\w*|över budget|dyrare än|svag\w*|svårt|brist\w*|"
        r"saknade\w*|förlorade|uteblir|orealistisk",
        0.5,
        BAD,
    ),
    (r"risk\w*", 0.5, None),
)
_CUE_PATTERNS = tuple((re.compile(rf"\b(?:{p})\b", re.I), w, pol) for p, w, pol in _CUES)
# Headings that open a lessons section, and the polarity they lend it when they name one.
_SECTION = re.compile(
    r"lärdom|lära|lärde|råd|rekommend|kommentar|annorlunda|svår|gick|fungera", re.I
)

# Written for this module (not taken from the corpus): what a lesson sentence sounds like.
PROTOTYPES: dict[str, tuple[str, ...]] = {
    GOOD: (
        "Det som gick bra var att vi delade upp arbetet i mindre steg med egna beslut.",
        "Satsningen lyckades eftersom verksamheten var med från början och ägde förändringen.",
    ),
    BAD: (
        "Kostnaden underskattades kraftigt och projektet blev försenat och dyrare än planerat.",
        "Vi borde ha låtit någon utanför projektet granska kalkylen innan beslutet.",
        "Det gick dåligt eftersom ingen myndighet ägde helheten och styrningen var svag.",
    ),
    ADVICE: (
        "Myndigheten bör följa upp nyttorna med mätbara mål och en ansvarig i verksamheten.",
        "Vi rekommenderar att investeringen delas upp i etapper med egna beslutspunkter.",
        "Erfarenheten visar att det är viktigt att förankra förändringen hos medarbetarna.",
        "En lärdom är att kalkylen måste omfatta hela livscykeln och redovisas som ett intervall.",
    ),
}

# Chosen on the train split of corpus/suggest-eval (bench/suggesters.py --tune).
THRESHOLD = 0.8
CUE_WEIGHT = 0.5  # per cue point, at most two points count
SECTION_WEIGHT = 0.25
SIMILARITY_WEIGHT = 1.0  # times the prototype cosine above SIMILARITY_FLOOR, per 0.1
SIMILARITY_FLOOR = 0.8
MIN_WORDS = 4
MAX_WORDS = 60  # at ingest: a longer "sentence" is a list or table run together, not a lesson


@dataclass(frozen=True)
class LessonCandidate:
    text: str
    span: tuple[int, int]  # offsets into the text searched
    polarity: str  # gick bra | gick dåligt | råd: a guess for the editor
    score: float
    cues: tuple[str, ...]  # the cue phrases found, as written
    # the sentence's query vector (ThemeSuggester.suggest_vectors reuses it)
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class LessonFeatures:
    """What the score is made of, for one sentence (the bench tunes the weights on these)."""

    sentence: Sentence
    cues: tuple[tuple[str, float, str | None], ...]
    section: bool
    section_polarity: str | None
    similarity: dict[str, float]  # best prototype cosine per polarity
    vector: np.ndarray | None = field(default=None, compare=False, repr=False)


class LessonDetector:
    """Embeds the prototypes once and scores the sentences of texts."""

    def __init__(
        self, embedder: Embedder, threshold: float = THRESHOLD, cued_only: bool = False
    ) -> None:
        self.embedder = embedder
        self.threshold = threshold
        # At ingest: only sentences with a cue phrase or under a lessons heading are embedded
        # (a quarter of the corpus's sentences); the others would need a prototype cosine of
        # 0.88 alone to pass, which costs a second embedding of the whole text to find.
        self.cued_only = cued_only
        self._labels = [pol for pol, texts in PROTOTYPES.items() for _ in texts]
        self._vectors = embedder.embed_passages([t for ts in PROTOTYPES.values() for t in ts])

    def find(self, text: str) -> list[LessonCandidate]:
        """The sentences of `text` that look like lessons, best first."""
        return self.find_many([text])[0]

    def find_many(self, texts: list[str]) -> list[list[LessonCandidate]]:
        """`find` for several texts, their sentences embedded in one batch."""
        out = []
        for features in self.features_many(texts):
            scored = [(score(f), f) for f in features]
            found = [candidate(f, s) for s, f in scored if s >= self.threshold]
            out.append(sorted(found, key=lambda c: -c.score))
        return out

    def features(self, text: str) -> list[LessonFeatures]:
        """Cue, section and similarity features of each sentence of `text`."""
        return self.features_many([text])[0]

    def features_many(self, texts: list[str]) -> list[list[LessonFeatures]]:
        split = [split_sentences(text) for text in texts]
        bodies = [self._body(sentences) for sentences in split]
        flat = [s.text for body in bodies for s in body]
        vectors = self.embedder.embed_queries(flat)
        sims = vectors @ self._vectors.T
        out, offset = [], 0
        for sentences, body in zip(split, bodies, strict=True):
            rows = zip(sims[offset:], vectors[offset:], strict=False)
            offset += len(body)
            by_span = {s.span: row for s, row in zip(body, rows, strict=False)}
            out.append(self._features(sentences, by_span))
        return out

    def _body(self, sentences: list[Sentence]) -> list[Sentence]:
        body = [s for s in sentences if not s.heading and len(s.text.split()) >= MIN_WORDS]
        if self.cued_only:
            in_section = _in_lesson_section(sentences)
            body = [
                s
                for s in body
                if (s.span in in_section or _cues(s.text)) and len(s.text.split()) <= MAX_WORDS
            ]
        return body

    def _features(self, sentences: list[Sentence], by_span: dict) -> list[LessonFeatures]:
        out = []
        section, section_polarity = False, None
        for s in sentences:
            if s.heading:
                section = bool(_SECTION.search(s.text))
                cue_pols = [pol for _, _, pol in _cues(s.text) if pol]
                section_polarity = cue_pols[0] if cue_pols else None
                continue
            if s.span not in by_span:
                continue
            row, vector = by_span[s.span]
            similarity = {
                pol: float(
                    max(v for v, label in zip(row, self._labels, strict=True) if label == pol)
                )
                for pol in POLARITIES
            }
            out.append(
                LessonFeatures(s, _cues(s.text), section, section_polarity, similarity, vector)
            )
        return out


def score(
    f: LessonFeatures,
    cue_weight: float = CUE_WEIGHT,
    section_weight: float = SECTION_WEIGHT,
    similarity_weight: float = SIMILARITY_WEIGHT,
) -> float:
    """How much a sentence looks like a lesson."""
    cue_points = min(sum(w for _, w, _ in f.cues), 2.0)
    similarity = max(0.0, max(f.similarity.values()) - SIMILARITY_FLOOR) * 10
    return cue_weight * cue_points + section_weight * f.section + similarity_weight * similarity


def polarity(f: LessonFeatures) -> str:
    """The polarity guess: a strong cue in the sentence, else the section heading's, else the
    nearest prototypes' nudged by the weak cues."""
    strong = [pol for _, w, pol in f.cues if pol and w >= 1.0]
    if strong:
        return BAD if BAD in strong else strong[0]
    if f.section_polarity:
        return f.section_polarity
    votes = dict(f.similarity)
    for _, w, pol in f.cues:
        if pol:
            votes[pol] += 0.02 * w
    return max(votes, key=votes.get)


def candidate(f: LessonFeatures, s: float) -> LessonCandidate:
    return LessonCandidate(
        f.sentence.text,
        f.sentence.span,
        polarity(f),
        round(s, 3),
        tuple(c for c, _, _ in f.cues),
        f.vector,
    )


def _in_lesson_section(sentences: list[Sentence]) -> set[tuple[int, int]]:
    """The spans of the sentences that stand under a lessons heading."""
    out, section = set(), False
    for s in sentences:
        if s.heading:
            section = bool(_SECTION.search(s.text))
        elif section:
            out.add(s.span)
    return out


def _cues(text: str) -> tuple[tuple[str, float, str | None], ...]:
    found = []
    for pattern, weight, pol in _CUE_PATTERNS:
        found.extend((m.group(0), weight, pol) for m in pattern.finditer(text))
    return tuple(found)

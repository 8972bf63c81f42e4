"""Swedish text analysis for the keyword index: tokens, Snowball stems, stop words.

Diacritics are kept: å, ä and ö are letters of their own in Swedish ("får" is not "far").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

_TOKEN = re.compile(r"\w+")

# Snowball's Swedish stop-word list, plus the modal and light verbs that open real questions
# ("Vad ska jag göra …", "Hur många …": the commonest content-less words of the development
# sets' 1,308 queries, highlighted in every snippet before), plus the English words an English
# query is made of.
STOP_WORDS = frozenset(
    """
    och det att i en jag hon som han på den med var sig för så till är men ett om hade de av
    icke mig du henne då sin nu har inte hans honom skulle hennes där min man ej vid kunde något
    från ut när efter upp vi dem vara vad över än dig kan sina här ha mot alla under någon eller
    allt mycket sedan ju denna själv detta åt utan varit hur ingen mitt ni bli blev oss din dessa
    några deras blir mina samma vilken er sådan vår blivit dess inom mellan sådant varför varje
    vilka ditt vem vilket sitta sådana vart dina vars vårt våra ert era vilkas
    ska skall måste bör borde kunna kunnat vill ville få får fick gör göra gjorde görs finns
    fanns många
    the a an of to in and or is are was were be been what how why which who did do does for with
    on at by from that this it its as
    """.split()
)


# Words Snowball conflates that mean different things (as Lucene's StemmerOverrideFilter
# fixes them): it stems "nytt" (new) and "nytta"/"nyttorna" (benefit) alike to "nytt", so a
# question about a new system matched passages on benefits — and "nyttan" to "nyttan", apart
# from "nytta". Only the benefit's forms are moved: measured with bench/tune_search.py, also
# joining "ny"/"nytt"/"nya" cost more (corpus/eval 0.909 -> 0.902) than this (-> 0.906).
# Changing this list needs a keyword index rebuild (a migration).
STEM_OVERRIDES = {
    **dict.fromkeys(
        ("nytta", "nyttan", "nyttans", "nyttor", "nyttors", "nyttorna", "nyttornas"), "nytta"
    ),
    **dict.fromkeys(
        ("nyttig", "nyttigt", "nyttiga", "nyttigare", "nyttigast", "nyttigaste"), "nyttig"
    ),
    **dict.fromkeys(("nyttighet", "nyttigheten", "nyttigheter", "nyttigheterna"), "nyttighet"),
}


@dataclass(frozen=True)
class Token:
    text: str
    stem: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("swedish")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFC", text).lower()


def word_spans(text: str) -> list[tuple[str, int, int]]:
    """Every word of `text` in lower case, with its offsets in the NFC form of `text`."""
    text = unicodedata.normalize("NFC", text)
    return [(m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]


def stem_words(words: list[str]) -> list[str]:
    """The stems of lower-case words, with our overrides of Snowball's."""
    return [STEM_OVERRIDES.get(w, s) for w, s in zip(words, _stemmer().stemWords(words))]


def tokens(text: str) -> list[Token]:
    """Every word with its stem and offsets in `text` (stop words included)."""
    spans = word_spans(text)
    stems = stem_words([w for w, _, _ in spans])
    return [Token(w, s, start, end) for (w, start, end), s in zip(spans, stems)]


def index_terms(text: str) -> str:
    """The stemmed text stored in the keyword index (stop words left out)."""
    return " ".join(t.stem for t in tokens(text) if t.text not in STOP_WORDS)


def query_stems(text: str) -> list[str]:
    """Distinct stems of a query's content words, in order."""
    return list(dict.fromkeys(t.stem for t in tokens(text) if t.text not in STOP_WORDS))

"""References to other documents: designations (RiR 2011:5, SOU 2015:66, skr. 2018/19:31, dnr …)
and exact titles of known documents, resolved to the documents that carry them."""

from __future__ import annotations

import re
from dataclasses import dataclass

# Each kind: a pattern whose group "num" is the number, and how the designation is written out.
# Swedish official series: Riksrevisionen (RiR), statens offentliga utredningar (SOU),
# kommittédirektiv (Dir.), departementsserien (Ds), ESV's reports: calendar year + number.
# Riksdag documents (skr., prop., KU-anmälan, skriftlig fråga): riksmöte (2018/19) + number.
_YEAR = r"(?:19|20)\d{2}"
_SESSION = r"(?:19|20)\d{2}/\d{2}"
_END = r"(?![\d:/])"
_KINDS: tuple[tuple[str, str, str], ...] = (
    ("rir", rf"\bRiR\s+(?P<num>{_YEAR}:\d+){_END}", "RiR {}"),
    ("sou", rf"\bSOU\s+(?P<num>{_YEAR}:\d+){_END}", "SOU {}"),
    ("dir", rf"\b[Dd]ir\.\s*(?P<num>{_YEAR}:\d+){_END}", "Dir. {}"),
    ("ds", rf"\bDs\s+(?P<num>{_YEAR}:\d+){_END}", "Ds {}"),
    ("esv", rf"\bESV\s+(?P<num>{_YEAR}:\d+){_END}", "ESV {}"),
    # "regeringens skrivelse 2018/19:31" names the same document as "skr. 2018/19:31"
    ("skr", rf"\b(?:[Ss]kr\.|[Ss]krivelse(?:n)?)\s*(?P<num>{_SESSION}:\d+){_END}", "skr. {}"),
    ("prop", rf"\b(?:[Pp]rop\.|[Pp]roposition(?:en)?)\s*(?P<num>{_SESSION}:\d+){_END}", "prop. {}"),
    ("ku-anmälan", rf"\bKU-anmälan\s+(?P<num>{_SESSION}:\d+){_END}", "KU-anmälan {}"),
    # "en skriftlig fråga i riksdagen (2011/12:95)": the number may follow a few words later
    ("fråga", rf"\bskriftlig\s+fråga\b[^.()]{{0,40}}?\(?(?P<num>{_SESSION}:\d+){_END}", "fråga {}"),
    # Diarienummer: after "dnr", anything up to the next space/punctuation that holds a digit
    ("dnr", r"\b[Dd]nr\.?\s+(?P<num>[A-Za-zÅÄÖåäö]*\d[\w/-]*\d\w*|\d+)", "dnr {}"),
    # Regeringskansliet's and the committees' registration numbers without "dnr": N2015/738/EF,
    # Komm2017/01749-1 (a letter prefix, a year, a slash, a serial)
    (
        "dnr",
        rf"(?<![\w/])(?P<num>(?:[A-Z][a-z]{{0,3}}){_YEAR}/\d{{2,6}}(?:[-/][0-9A-Z]+)*)(?![\w/])",
        "dnr {}",
    ),
)
_PATTERNS = tuple((kind, re.compile(p), fmt) for kind, p, fmt in _KINDS)
_DASHES = dict.fromkeys(map(ord, "‐‑‒–—−"), "-")
MIN_TITLE_WORDS = 4
_SUMMARY = re.compile(r"\bsammanfattning\b|\bsammandrag\b")


@dataclass(frozen=True)
class KnownDocument:
    doc_id: str
    title: str
    designations: tuple[str, ...] = ()  # normalised, as Reference.designation writes them


@dataclass(frozen=True)
class Reference:
    kind: str  # rir, sou, dir, ds, esv, skr, prop, ku-anmälan, fråga, dnr, or "title"
    designation: str  # normalised ("RiR 2011:5", "skr. 2018/19:31"); the title for kind "title"
    span: tuple[int, int]  # character offsets in the text searched
    doc_ids: tuple[str, ...] = ()  # known documents (other than the one searched) it names


def find_designations(text: str) -> list[Reference]:
    """Every designation in `text`, in order of position, unresolved."""
    found: dict[tuple[int, int], Reference] = {}
    for kind, pattern, fmt in _PATTERNS:
        for m in pattern.finditer(text):
            span = m.span()
            if any(_overlaps(span, other) for other in found):
                continue  # "Dnr Komm2017/…" is one dnr, not two
            found[span] = Reference(kind, fmt.format(m.group("num")), span)
    return sorted(found.values(), key=lambda r: r.span)


def own_designations(title: str, text: str, head_chars: int = 400) -> tuple[str, ...]:
    """The designations a document carries: those in its title, else one near the top that
    opens a line ("Dnr Komm2017/01749-1, daterad …") or sits in the sentence saying what the
    text summarises ("Sammanfattning … utifrån … (dnr 2022-104)"). A designation the first lines
    merely cite ("Riksrevisionens slutsats finns i RiR 2009:2") is a reference, not its own."""
    in_title = [r.designation for r in find_designations(title)]
    if in_title:
        return tuple(dict.fromkeys(in_title))
    head = text[:head_chars]
    for ref in find_designations(head):
        line_start = head.rfind("\n", 0, ref.span[0]) + 1
        sentence_start = max(head.rfind(". ", 0, ref.span[0]) + 2, line_start)
        sentence = head[sentence_start : ref.span[0]].lower()
        if not head[line_start : ref.span[0]].strip() or _SUMMARY.search(sentence):
            return (ref.designation,)
    return ()


def find_references(
    text: str, known: list[KnownDocument], self_id: str | None = None
) -> list[Reference]:
    """Designations and exact known titles in `text`, each with the known documents it names.
    The document's own designations and title (`self_id`) resolve to nothing."""
    own = next((k for k in known if k.doc_id == self_id), None)
    own_designations_ = set(own.designations) if own else set()
    carriers: dict[str, list[str]] = {}
    for k in known:
        for d in k.designations:
            carriers.setdefault(d.casefold(), []).append(k.doc_id)
    refs = []
    for ref in find_designations(text):
        ids = ()
        if ref.designation not in own_designations_:
            ids = tuple(i for i in carriers.get(ref.designation.casefold(), []) if i != self_id)
        refs.append(Reference(ref.kind, ref.designation, ref.span, ids))
    refs.extend(_title_references(text, known, self_id))
    return sorted(refs, key=lambda r: r.span)


def _title_references(
    text: str, known: list[KnownDocument], self_id: str | None
) -> list[Reference]:
    folded = _fold(text)  # same length as text: offsets carry over
    out = []
    for k in known:
        if k.doc_id == self_id:
            continue
        title = _bare_title(k.title)
        if len(title.split()) < MIN_TITLE_WORDS:
            continue
        needle = _fold(title)
        for m in re.finditer(
            r"(?<!\w)" + re.escape(needle).replace(r"\ ", r"\s+") + r"(?!\w)", folded
        ):
            out.append(Reference("title", title, m.span(), (k.doc_id,)))
    return out


def _bare_title(title: str) -> str:
    # "Föråldrade IT-system – hinder … (RiR 2019:28)" is cited without its designation
    bare = re.sub(r"\s*\([^()]*\)\s*$", "", title.strip())
    return " ".join(bare.split())


def _fold(text: str) -> str:
    # casefold can change lengths (ß → ss); lower() on NFC Swedish keeps offsets
    return text.translate(_DASHES).lower()


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]

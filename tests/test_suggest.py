"""The ingest suggesters (ingest/suggest/): themes, draft lessons, references and investments,
on passages written here, with the real embedding model."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.suggest.investment import InvestmentProfile, InvestmentSuggester
from ingest.suggest.lessons import LessonDetector
from ingest.suggest.references import (
    KnownDocument,
    find_designations,
    find_references,
    own_designations,
)
from ingest.suggest.sentences import split_sentences
from ingest.suggest.themes import ThemeSuggester, load_themes

THEMES_FILE = Path(__file__).resolve().parent.parent / "corpus" / "themes.yaml"


@pytest.fixture(scope="module")
def theme_suggester(embedder):
    return ThemeSuggester(load_themes(THEMES_FILE), embedder)


@pytest.fixture(scope="module")
def lesson_detector(embedder):
    return LessonDetector(embedder)


def test_passage_about_cost_estimates_gets_the_cost_theme(theme_suggester):
    passage = (
        "Kostnadskalkylen för det nya ärendesystemet var 40 miljoner kronor, men prognosen visar "
        "nu 95 miljoner. Budgeten överskreds eftersom kalkylen saknade förvaltningskostnaderna."
    )
    suggestions = theme_suggester.suggest_one(passage)
    assert suggestions[0].theme_id == "kostnadskalkyl-och-budget"
    assert len(suggestions) <= 2
    assert all(s.score >= theme_suggester.threshold for s in suggestions)


def test_passages_get_their_own_themes_in_one_batch(theme_suggester):
    passages = [
        "Upphandlingen gjordes som avrop på ett ramavtal utan konkurrens, och leverantören fick "
        "tilläggsbeställningar utan ny upphandling enligt LOU.",
        "Behörigheterna till personuppgifterna i systemet kontrollerades inte, och "
        "informationssäkerheten brast när driften lades ut.",
    ]
    first, second = theme_suggester.suggest(passages)
    assert first[0].theme_id == "upphandling-och-leverantorer"
    assert second[0].theme_id == "informationssakerhet"


def test_lesson_sentence_is_found_with_its_polarity_and_plain_fact_is_not(lesson_detector):
    text = (
        "Myndigheten har sitt huvudkontor i Norrköping och omkring 900 anställda.\n\n"
        "Vi borde ha delat upp projektet i etapper; det gick dåligt när allt skulle levereras "
        "på en gång.\n\n"
        "Det gick bra att låta verksamheten äga nyttorna från början."
    )
    found = {c.text: c for c in lesson_detector.find(text)}
    bad = found[
        "Vi borde ha delat upp projektet i etapper; det gick dåligt när allt skulle "
        "levereras på en gång."
    ]
    assert bad.polarity == "gick dåligt"
    assert "borde ha" in bad.cues
    assert text[bad.span[0] : bad.span[1]].startswith("Vi borde ha")
    good = found["Det gick bra att låta verksamheten äga nyttorna från början."]
    assert good.polarity == "gick bra"
    assert not any("Norrköping" in t for t in found)


def test_advice_is_guessed_as_advice(lesson_detector):
    text = (
        "Lärdomar\n\nMyndigheten bör redovisa kalkylen som ett intervall och följa upp den vid "
        "varje beslutspunkt."
    )
    (candidate,) = lesson_detector.find(text)
    assert candidate.polarity == "råd"


def test_sentences_do_not_split_after_designation_abbreviations():
    text = "Regeringen svarade (skr. 2019/20:35) i oktober. Nästa mening följer."
    assert [s.text for s in split_sentences(text)] == [
        "Regeringen svarade (skr. 2019/20:35) i oktober.",
        "Nästa mening följer.",
    ]


def test_designations_are_found_and_written_out_the_same_way():
    text = (
        "Se RiR 2011:5 och SOU 2015:66, regeringens skrivelse 2018/19:31, dir. 2016:91, "
        "prop. 2017/18:1, Ds 2019:3, ESV 2019:42 och dnr 2016/123."
    )
    refs = find_designations(text)
    assert [(r.kind, r.designation) for r in refs] == [
        ("rir", "RiR 2011:5"),
        ("sou", "SOU 2015:66"),
        ("skr", "skr. 2018/19:31"),
        ("dir", "Dir. 2016:91"),
        ("prop", "prop. 2017/18:1"),
        ("ds", "Ds 2019:3"),
        ("esv", "ESV 2019:42"),
        ("dnr", "dnr 2016/123"),
    ]
    assert text[slice(*refs[0].span)] == "RiR 2011:5"
    assert not find_designations("RiR 2011:55 är inte RiR 2011:5")[0].designation.endswith(":5")


def test_designations_and_titles_resolve_to_the_documents_that_carry_them():
    known = [
        KnownDocument(
            "rir-2011-5",
            "Statens IT-projekt – en granskning (RiR 2011:5)",
            own_designations("Statens IT-projekt – en granskning (RiR 2011:5)", "Text."),
        ),
        KnownDocument(
            "sou-2015-66",
            "En digital förvaltning för alla",
            own_designations(
                "En digital förvaltning för alla",
                "En digital förvaltning\n\nSammanfattning utifrån betänkandet SOU 2015:66.",
            ),
        ),
    ]
    assert known[0].designations == ("RiR 2011:5",)
    assert known[1].designations == ("SOU 2015:66",)
    text = (
        "Riksrevisionen (RiR 2011:5) och utredningen SOU 2015:66 pekade åt samma håll. "
        "Betänkandet En digital förvaltning för alla citeras ofta; RiR 2012:1 känner vi inte."
    )
    refs = find_references(text, known, self_id="mitt-dokument")
    resolved = {(r.kind, r.designation): r.doc_ids for r in refs}
    assert resolved[("rir", "RiR 2011:5")] == ("rir-2011-5",)
    assert resolved[("sou", "SOU 2015:66")] == ("sou-2015-66",)
    assert resolved[("title", "En digital förvaltning för alla")] == ("sou-2015-66",)
    assert resolved[("rir", "RiR 2012:1")] == ()
    # A document's own designation is not a reference to itself
    own = find_references("Granskningen RiR 2011:5 visar …", known, self_id="rir-2011-5")
    assert [r.doc_ids for r in own] == [()]


def test_designation_cited_in_the_first_lines_is_not_the_documents_own():
    text = "Fallet\n\nDen bygger på pressen; Riksrevisionens slutsats finns i RiR 2009:2."
    assert own_designations("Fall: Försäkringskassans IT-satsningar", text) == ()
    assert own_designations("Analys", "Analys\n\nDnr Komm2017/01749-1, daterad 2017.") == (
        "dnr Komm2017/01749-1",
    )


def test_document_about_an_investment_gets_it_suggested(embedder):
    investments = [
        InvestmentProfile(
            "ertms",
            "ERTMS – nytt signalsystem för järnvägen",
            "Trafikverket",
            "Införandet av det europeiska signalsystemet ERTMS på den svenska järnvägen, som "
            "ersätter äldre nationella signalsystem.",
        ),
        InvestmentProfile(
            "pust",
            "PUST – mobilt utredningsstöd för polisen",
            "Polisen",
            "Ett mobilt stöd för poliser att hantera enklare brott direkt på plats.",
        ),
        InvestmentProfile(
            "tandvard",
            "Nytt system för tandvårdsstödet",
            "Försäkringskassan",
            "Ett IT-system för att administrera det statliga tandvårdsstödet.",
        ),
    ]
    suggester = InvestmentSuggester(investments, embedder)
    # As the pipeline embeds chunks: the document's title first (kb.models.passage_text)
    title = "ERTMS på Malmbanan försenas\n"
    chunks = [
        title + "Trafikverket har skjutit upp utrullningen av det nya signalsystemet på Malmbanan. "
        "Tågen ska få körbesked i förarhytten i stället för från signaler längs spåret.",
        title + "Ombyggnaden av ställverken och de europeiska specifikationerna har gjort att "
        "kostnaden för signalsystemet har stigit.",
    ]
    suggestions = suggester.suggest(chunks, agency="Trafikverket")
    assert suggestions and suggestions[0].investment_id == "ertms"
    assert suggestions[0].agency_match
    assert "pust" not in [s.investment_id for s in suggestions]
    scored = {
        s.investment_id: s for s in suggester.score_all(suggester.embedder.embed_passages(chunks))
    }
    assert scored["ertms"].similarity > scored["pust"].similarity

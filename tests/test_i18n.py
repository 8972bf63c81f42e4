"""Swedish and English: complete catalogs, the language a visitor gets and chooses, kb/ errors
translated by their code, and a year error that keeps the form to correct it in."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from cli.main import main
from ingest.pipeline import ingest
from kb.errors import InvalidQuery, KBError
from kb.messages import MESSAGES
from tests.conftest import ROOT, csrf
from tests.files import make_pdf

CATALOGS = ROOT / "web" / "translations"


def extracted_msgids() -> set[str]:
    """Every msgid in the code and templates, read the way `make translations` reads them."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = set()
    for _name, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(language: str):
    with open(CATALOGS / language / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=language)


def test_every_string_has_a_swedish_translation():
    msgids = extracted_msgids()
    assert set(MESSAGES.values()) <= msgids  # kb/messages.py is read, every code's text
    sv = catalog("sv")
    untranslated = sorted(
        m
        for m in msgids
        if m not in sv
        or sv[m].fuzzy
        or not all(s.strip() for s in (sv[m].string if sv[m].pluralizable else [sv[m].string]))
    )
    assert untranslated == [], "run `make translations` and translate these in sv/messages.po"


def test_translations_keep_the_placeholders():
    for language in ("sv", "en"):
        problems = [(m.id, errors) for m, errors in catalog(language).check()]
        assert problems == []


def test_a_new_untranslated_string_is_found(tmp_path):
    """The extraction above sees templates and Python alike (a guard on the guard)."""
    msgids = extracted_msgids()
    assert "Skip to content" in msgids  # base.html
    assert "Wrong name or password." in msgids  # web/auth.py
    assert "not a readable PDF (%(detail)s)" in msgids  # kb/messages.py, for ingest/


def test_a_mistyped_code_is_refused():
    with pytest.raises(KeyError):
        KBError("no_such_code")
    assert str(InvalidQuery("bad_date", value="mars 2024")) == (
        "date 'mars 2024' is not YYYY, YYYY-MM or YYYY-MM-DD"
    )


# the language of a page ---------------------------------------------------------------------


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_swedish_by_default(corpus_app):
    response = corpus_app.test_client().get("/")
    assert html_lang(response) == "sv"
    assert "Hoppa till innehållet" in response.get_data(as_text=True)


@pytest.mark.parametrize("header", ["en", "en-GB,en;q=0.9", "de-DE,de;q=0.9,en;q=0.8"])
def test_accept_language_english_gives_english(corpus_app, header):
    response = corpus_app.test_client().get("/login", headers={"Accept-Language": header})
    text = response.get_data(as_text=True)
    assert html_lang(response) == "en"
    assert "Skip to content" in text and "User name" in text and "Användarnamn" not in text
    assert "Accept-Language" in response.headers["Vary"]


@pytest.mark.parametrize("header", ["sv-SE", "nb-NO,nb;q=0.9", "fi"])
def test_other_languages_get_swedish(corpus_app, header):
    response = corpus_app.test_client().get("/", headers={"Accept-Language": header})
    assert html_lang(response) == "sv"


def test_the_header_link_switches_the_language_and_back(corpus_app):
    client = corpus_app.test_client()
    page = client.get("/?q=beslag").get_data(as_text=True)
    link = re.search(r'href="([^"]+)" lang="en" hreflang="en">English</a>', page)
    assert link, "the Swedish page links to English"
    response = client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 303 and response.headers["Location"] == "/?q=beslag"
    english = client.get("/?q=beslag")
    assert html_lang(english) == "en"
    link = re.search(r'href="([^"]+)" lang="sv" hreflang="sv">Svenska</a>', english.get_data(True))
    client.get(link.group(1).replace("&amp;", "&"))
    assert html_lang(client.get("/")) == "sv"
    # the choice beats Accept-Language
    assert html_lang(client.get("/", headers={"Accept-Language": "en"})) == "sv"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_the_switch_goes_back_only_to_this_site(corpus_app, target):
    response = corpus_app.test_client().get("/lang/en", query_string={"next": target})
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_an_unknown_language_is_a_404(corpus_app):
    response = corpus_app.test_client().get("/lang/xx")
    assert response.status_code == 404 and "Set-Cookie" not in response.headers


# kb/ messages by code -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "swedish", "english"),
    [
        (
            "/?q=beslag&from=abc",
            "Från måste vara ett årtal, till exempel 2018, inte &#39;abc&#39;",
            "&#39;From&#39; must be a year such as 2018, not &#39;abc&#39;",
        ),
        (
            "/?q=beslag&to=1700",
            "Till måste vara ett årtal mellan 1900 och 2100",
            "&#39;To&#39; must be a year between 1900 and 2100",
        ),
        (
            "/documents/finns-inte",
            "det finns inget dokument med id &#39;finns-inte&#39;",
            "no document with id &#39;finns-inte&#39;",
        ),
        (
            "/?q=och+att&mode=keyword",
            "frågan har bara vanliga ord",
            "the query has only common words",
        ),
    ],
)
def test_a_kb_error_is_shown_in_both_languages(corpus_app, url, swedish, english):
    client = corpus_app.test_client()
    sv = client.get(url).get_data(as_text=True)
    en = client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert swedish in sv and english not in sv
    assert english in en and swedish not in en


def test_the_api_keeps_english_and_adds_the_code(corpus_app):
    response = corpus_app.test_client().get(
        "/api/search?q=beslag&from=abc", headers={"Accept-Language": "sv"}
    )
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "'from' must be a year such as 2018, not 'abc'",
        "status": 400,
        "code": "year_not_number",
    }


def test_the_cli_translates_by_code_with_lang(corpus_kb, capsys):
    data = ["--data-dir", str(corpus_kb.config.data_dir)]
    assert main([*data, "search", "--from", "abc", "beslag"]) == 1
    assert "'from' must be a year such as 2018, not 'abc'" in capsys.readouterr().err
    assert main([*data, "--lang", "sv", "search", "--from", "abc", "beslag"]) == 1
    assert "Från måste vara ett årtal, till exempel 2018, inte 'abc'" in capsys.readouterr().err


def test_an_ingest_failure_carries_its_code(kb, tmp_path):
    broken = tmp_path / "trasig.pdf"
    broken.write_bytes(make_pdf(tmp_path / "hel.pdf", ["Text"]).read_bytes()[:200])
    report = ingest(kb, [broken])
    code, params = report.codes[str(broken)]
    assert code == "unreadable_pdf" and "detail" in params
    assert report.failed[0][1].startswith("not a readable PDF")


def test_an_upload_failure_is_shown_in_swedish(app, editor, tmp_path):
    broken = make_pdf(tmp_path / "hel.pdf", ["Text"]).read_bytes()[:200]
    response = editor.post(
        "/upload/",
        data={"files": (BytesIO(broken), "trasig.pdf"), "csrf_token": csrf(editor)},
    )
    assert response.status_code == 303
    job_id = response.headers["Location"].rsplit("/", 1)[1]
    app.extensions["kb"]["jobs"].wait(app.extensions["kb"]["jobs"].get(job_id))
    page = editor.get(f"/upload/jobs/{job_id}").get_data(as_text=True)
    assert "inte en läsbar PDF-fil" in page and "Misslyckades" in page
    english = editor.get(f"/upload/jobs/{job_id}", headers={"Accept-Language": "en"})
    assert "not a readable PDF" in english.get_data(as_text=True)


# the year error keeps the form ---------------------------------------------------------------


@pytest.mark.parametrize("year", ["abc", "1700"])
def test_a_year_error_keeps_the_facets_and_the_year_fields(corpus_app, year):
    response = corpus_app.test_client().get("/", query_string={"q": "ERTMS", "from": year})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'role="alert"' in page and "Från" in page
    assert f'id="from" name="from" inputmode="numeric" size="4" maxlength="4" value="{year}"' in (
        page
    )
    assert 'id="to"' in page and 'class="facets"' in page
    assert 'name="agency" value="Trafikverket"' in page  # the facets of the search without it


def test_a_year_error_names_its_field_and_searches_without_it(corpus_app):
    from flask import request

    from web.views.search import page_with_error, search_data

    with corpus_app.test_request_context("/?q=ERTMS&from=abc&to=1700"):
        with pytest.raises(InvalidQuery) as caught:
            search_data(request.args)
        data = page_with_error(request.args, caught.value)
    assert data.error_field == "from" and data.results is not None
    assert data.results.query.filters.year_from is None is data.results.query.filters.year_to


# a query cut at 2,000 characters says so ---------------------------------------------------


def test_a_long_query_is_cut_and_says_so(corpus_app):
    long_query = "signalsystem för järnvägen " * 100  # 2,700 characters
    body = corpus_app.test_client().get("/api/search", query_string={"q": long_query}).get_json()
    assert body["truncated"] is True and len(body["query"]) <= 2000
    assert long_query.startswith(body["query"])  # cut between words
    short = corpus_app.test_client().get("/api/search?q=ERTMS").get_json()
    assert short["truncated"] is False

    from flask import request

    from web.views.search import search_data

    for language, words in (("sv", "2\xa0000 tecken"), ("en", "2,000 characters")):
        with corpus_app.test_request_context(
            "/", query_string={"q": long_query}, headers={"Accept-Language": language}
        ):
            assert words in search_data(request.args).truncated


# the whole interface in English ------------------------------------------------------------

# Words and letters of today's Swedish interface. The corpus below is in English (agencies,
# titles, text), so any of these on an English page is a string the interface forgot.
SWEDISH_WORDS = re.compile(
    r"\b(Sök\w*|dokument|Dokument\w*|Visa( fler)?|Avgränsa|Läs in igen|Ta bort|Ändra\w*|sida|Sida|"
    r"Sidor|Inga|träffar|Hoppa|Myndighet|myndigheter|Typ|typer|Ämnen?|Titel|Datum|Nästa|"
    r"Föregående|Betydelse|Exakta ord|Kombinerat|Liknande|Rekommenderat|Uppgifter saknas|"
    r"Komplettera|Filer|Källa|Källor|Ladda upp|Uppladdning\w*|Beskrivning|Hitta|Letar|Åtgärder|"
    r"Sortera|Alla|Exempel|tecken|för hand|Fallbeskrivning|Rekommendation|Övrigt|Har sökorden|"
    r"Liknar frågan|valda?)\b"
)
SWEDISH_LETTERS = re.compile("[åäöÅÄÖ]")

ENGLISH_DOCS = {
    f"{name.lower()}-office-{kind}.md": (
        f"---\ntitle: {name} Office {title}\nkind: {kind}\nagency: {name} Office\n"
        f"date: 20{10 + n}-0{1 + n % 9}\ntags: [budget, {name.lower()}]\n---\n"
        f"# {title}\n\nThe {name} Office replaced its case management system. {text}\n\n"
        "## Lessons\n\n- Costs grew when the requirements changed late.\n"
        "- The project split the delivery into small steps.\n"
    )
    for n, (name, kind, title, text) in enumerate(
        [
            ("Road", "case", "case study", "The budget doubled during the procurement."),
            ("Tax", "recommendation", "advice", "The experts recommend a smaller scope."),
            ("Rail", "case", "signalling", "The signalling system cost more than planned."),
            ("Health", "analysis", "review", "The review found weak project governance."),
            ("Data", "interview", "interview", "The manager describes the budget overrun."),
            ("Police", "case", "case study", "The case management system was delayed."),
            ("Coast", "report", "report", "The report follows up the costs and benefits."),
            ("Land", "case", "lessons", "The budget was kept by cutting the scope."),
        ]
    )
}
ENGLISH_DOCS["notes.md"] = "Loose notes about the budget of a case management system.\n"
ENGLISH_DOCS["spare-one.md"] = "---\ntitle: Spare one\n---\nA spare page, to be removed.\n"
ENGLISH_DOCS["spare-two.md"] = "---\ntitle: Spare two\n---\nAnother spare page, to be removed.\n"


@pytest.fixture(scope="module")
def english_app(base_config, embedder, tmp_path_factory):
    """An app over English documents only, with an editor, and one document edited by hand."""
    from kb.knowledge_base import KnowledgeBase
    from web import create_app

    folder = tmp_path_factory.mktemp("english-docs")
    for name, text in ENGLISH_DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    config = base_config.with_(data_dir=tmp_path_factory.mktemp("english-data"))
    knowledge_base = KnowledgeBase(config, embedder=embedder)
    assert ingest(knowledge_base, [folder]).ok
    knowledge_base.accounts.add("editor", "a-long-test-password", editor=True)
    knowledge_base.close()
    app = create_app({"TESTING": True}, kb_config=config, embedder=embedder)
    client = app.test_client()
    client.post(
        "/login",
        data={"name": "editor", "password": "a-long-test-password", "csrf_token": csrf(client)},
    )
    response = client.post(
        "/documents/road-office-case/edit",
        data={
            "title": "Road Office case study",
            "kind": "case",
            "agency": "Road Agency",
            "date": "2010-01",
            "tags": "budget",
            "csrf_token": csrf(client),
        },
    )
    assert response.status_code == 303
    return app


@pytest.fixture
def english_editor(english_app):
    client = english_app.test_client()
    response = client.post(
        "/login",
        data={"name": "editor", "password": "a-long-test-password", "csrf_token": csrf(client)},
    )
    assert response.status_code == 303
    return client


# Each page, and Swedish strings it shows (the same pages must still say them in Swedish).
INTERFACE_PAGES = [
    ("/", ["Sök bland erfarenheterna", "Exempel på frågor", "Sökläge", "Exakta ord"]),
    (
        "/?q=budget+of+the+case+management+system&per_page=2&kind=case",
        [
            "Avgränsa",
            "vald",
            "dokument",
            "sida 1 av",
            "Nästa",
            "Myndighet",
            "Fallbeskrivning",
            "Hoppa till resultaten",
            "Sida 1 av",
        ],
    ),
    (
        "/?q=requirements+changed+late&per_page=2&page=2&mode=keyword",
        ["Föregående", "Har sökorden", "sida 2 av", "Läs i sitt sammanhang", "Visa fler"],
    ),
    ("/?q=zzqqxx+wwvvkk", ["Inga"]),
    (
        "/documents/road-office-case?chunk=0&q=budget",
        [
            "Myndighet",
            "ändrad för hand",
            "Ändrad för hand av editor",
            "Liknande dokument",
            "Ändra uppgifterna",
            "Öppna originalfilen",
            "Ämnen",
        ],
    ),
    ("/documents/notes", ["Uppgifter saknas: typ, myndighet, datum.", "Komplettera uppgifterna"]),
    ("/documents/road-office-case/edit", ["Ändrat för hand", "återställ till filens värde"]),
    (
        "/documents/",
        [
            "Dokumentlista",
            "dokument",
            "Ändra",
            "Läs in igen",
            "Ta bort",
            "Alla typer",
            "Sortera",
            "sortera fallande",
            "Åtgärder",
        ],
    ),
    ("/documents/?kind=case&sort=date&order=asc", ["Datum (nyast först)", "sortera fallande"]),
    ("/upload/", ["Lägg till dokument", "Ladda upp", "Högst 20 filer", "Ange inte", "Uppladdning"]),
    ("/describe/", ["Beskriv din investering", "Hitta liknande fall", "tecken", "Letar…"]),
    (
        "/describe/?text=We+plan+to+replace+our+case+management+system+within+budget.",
        ["Liknande tidigare fall", "Liknande fall: We plan"],
    ),
]


@pytest.mark.parametrize(("url", "swedish"), INTERFACE_PAGES)
def test_every_page_is_english_in_english_and_swedish_in_swedish(english_editor, url, swedish):
    english = english_editor.get(url, headers={"Accept-Language": "en"})
    assert english.status_code == 200
    page = english.get_data(as_text=True)
    assert html_lang(english) == "en"
    leftovers = sorted(set(SWEDISH_WORDS.findall(page)) | set(SWEDISH_LETTERS.findall(page)))
    assert leftovers == [], f"Swedish on the English page {url}"

    swedish_page = english_editor.get(url).get_data(as_text=True)  # the default language
    missing = [s for s in swedish if s not in swedish_page]
    assert missing == []


def test_an_htmx_search_is_english_too(english_editor):
    response = english_editor.get(
        "/?q=budget&per_page=2", headers={"Accept-Language": "en", "HX-Request": "true"}
    )
    page = response.get_data(as_text=True)
    assert "<title>budget – Search – Erfarenhetsbanken</title>" in page
    assert re.search(r'id="results-status"[^>]* hx-swap-oob="innerHTML">\d+ documents', page)
    assert SWEDISH_WORDS.findall(page) == [] and SWEDISH_LETTERS.findall(page) == []


def test_a_deletion_and_the_match_labels_are_in_the_reader_s_language(english_app, english_editor):
    from web.helpers import match_label

    for language, label in (("en", "Has the search words"), ("sv", "Har sökorden")):
        with english_app.test_request_context(headers={"Accept-Language": language}):
            assert match_label("words") == label
    for doc_id, language, said in (
        ("spare-one", "en", "The document “Spare one” has been removed."),
        ("spare-two", "sv", "Dokumentet ”Spare two” är borttaget."),
    ):
        response = english_editor.post(
            f"/documents/{doc_id}/delete",
            data={"csrf_token": csrf(english_editor)},
            headers={"Accept-Language": language},
            follow_redirects=True,
        )
        assert said in response.get_data(as_text=True)

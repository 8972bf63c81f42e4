"""Records (issue 14): evidence anchored by its quote, the import, lesson search, the CLI."""

from __future__ import annotations

import csv
import json

import pytest
import yaml

from cli.main import main
from ingest.pipeline import ingest
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.operations.consistency import check
from kb.operations.reindex import reindex
from kb.records.anchors import anchor, reanchor
from kb.records.importer import import_records
from kb.records.models import NEEDS_REVIEW, OK
from kb.search.lessons import search_lessons
from kb.search.relevance import MEANING
from kb.storage.vectors import lessons_collection, open_client

THEMES = {
    "themes": [
        {"id": "kostnadskalkyl-och-budget", "name": "Kostnadskalkyl och budget"},
        {"id": "styrning-och-ledning", "name": "Styrning och ledning"},
        {"id": "forandringsledning-och-inforande", "name": "Förändringsledning och införande"},
    ]
}
COST_QUOTE = "Kalkylen för signalsystemet underskattade kostnaderna med två miljarder kronor."
STEERING_QUOTE = "Styrgruppen sammanträdde sällan och fattade beslut utan underlag."
TRAINING_QUOTE = "Handläggarna fick sin utbildning först efter att systemet tagits i drift."
RECOMMENDATION_QUOTE = "Riksrevisionen rekommenderar att Trafikverket tar fram en strategi."
ANSWER_QUOTE = "Trafikverket har tagit fram en strategi för reinvesteringar."

FILLER = [
    f"Avsnitt {n} beskriver {topic} i projektets {n}:e etapp, med uppgifter om tidplan, "
    f"ansvar och de leveranser som {topic} omfattade under perioden, så som rapporterna "
    "till departementet och de interna uppföljningarna beskrev dem i sin tid."
    for n, topic in enumerate(
        [
            "upphandlingen av banutrustning",
            "arbetet med trafikledningscentralerna",
            "provdriften på Ådalsbanan",
            "samordningen med järnvägsföretagen",
            "ombyggnaden av fordonen",
            "säkerhetsbevisningen",
            "kontakterna med Europeiska järnvägsbyrån",
            "planeringen av banarbeten",
            "tester av radiosystemet GSM-R",
            "överlämningen till förvaltningen",
            "riskhanteringen i programmet",
            "dokumentationen av gränssnitten",
        ],
        start=1,
    )
]


def document(*paragraphs: str) -> str:
    front = "---\ntitle: ERTMS-granskningen\nkind: report\nagency: Trafikverket\ndate: 2018\n---\n"
    return front + "\n\n".join(paragraphs) + "\n"


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "ertms.md").write_text(
        document(COST_QUOTE, STEERING_QUOTE, TRAINING_QUOTE, *FILLER), encoding="utf-8"
    )
    (folder / "svar.md").write_text(
        document(RECOMMENDATION_QUOTE, ANSWER_QUOTE, "Svaret lämnades i december."),
        encoding="utf-8",
    )
    return folder


@pytest.fixture
def rkb(config, embedder, tmp_path, folder):
    """A knowledge base with the two documents, and a themes file of its own."""
    themes = tmp_path / "themes.yaml"
    themes.write_text(yaml.safe_dump(THEMES, allow_unicode=True), encoding="utf-8")
    knowledge_base = KnowledgeBase(config.with_(themes_file=themes), embedder=embedder)
    assert ingest(knowledge_base, [folder]).ok
    yield knowledge_base
    knowledge_base.close()


def records(**changes) -> dict:
    data = {
        "investments": [
            {
                "id": "trafikverket-ertms",
                "name": "ERTMS – nytt signalsystem för järnvägen",
                "agency": "Trafikverket",
                "description": "Ett nytt signalsystem.",
                "start_year": 2008,
                "end_year": None,
                "phase": "pågående",
                "outcome": "delvis lyckad",
                "estimated_cost": {
                    "msek": 1170,
                    "evidence": {"document": "ertms", "quote": COST_QUOTE},
                },
                "actual_cost": {"msek": 3300, "kind": "prognos"},
                "documents": [{"document": "ertms", "role": "granskning"}],
            }
        ],
        "lessons": [
            {
                "id": "ertms-kostnader-underskattade",
                "text": "Kostnaderna för det nya signalsystemet underskattades kraftigt i den "
                "första kalkylen.",
                "polarity": "gick dåligt",
                "themes": ["kostnadskalkyl-och-budget"],
                "investment": "trafikverket-ertms",
                "evidence": [{"document": "ertms", "quote": COST_QUOTE}],
            },
            {
                "id": "ertms-svag-styrning",
                "text": "Styrgruppen möttes för sällan och tog beslut utan tillräckligt underlag.",
                "polarity": "gick dåligt",
                "themes": ["styrning-och-ledning"],
                "investment": "trafikverket-ertms",
                "evidence": [{"document": "ertms", "quote": STEERING_QUOTE}],
            },
            {
                "id": "utbilda-fore-driftstart",
                "text": "Utbilda användarna innan systemet tas i drift, inte efteråt.",
                "polarity": "råd",
                "themes": ["forandringsledning-och-inforande"],
                "evidence": [{"document": "ertms", "quote": TRAINING_QUOTE}],
            },
        ],
        "recommendations": [
            {
                "id": "rir-strategi",
                "text": "Ta fram en strategi för reinvesteringar.",
                "given_by": "Riksrevisionen",
                "agency": "Trafikverket",
                "investment": "trafikverket-ertms",
                "source": {"document": "svar", "quote": RECOMMENDATION_QUOTE},
                "follow_ups": [{"document": "svar", "quote": ANSWER_QUOTE, "status": "följd"}],
            }
        ],
    }
    data.update(changes)
    return data


def write_yaml(tmp_path, data: dict, name: str = "records.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def evidence_of(knowledge_base, record_id: str):
    return knowledge_base.records.get(record_id).evidence


# anchoring ---------------------------------------------------------------------------
def test_anchor_keeps_32_characters_around_the_quote_and_refuses_missing_or_ambiguous():
    text = "Inledning. " * 5 + "Det gick dåligt.\nMed  styrningen. Slut. Det gick dåligt igen."
    selector = anchor(text, "Med styrningen.", doc_id="d")  # whitespace differs
    assert text[selector.start : selector.end] == selector.exact == "Med  styrningen."
    assert selector.prefix == text[selector.start - 32 : selector.start]
    assert selector.suffix == text[selector.end : selector.end + 32]
    with pytest.raises(KBError) as missing:
        anchor(text, "finns inte", doc_id="d")
    assert missing.value.code == "quote_not_found"
    with pytest.raises(KBError) as ambiguous:
        anchor(text, "Det gick dåligt", doc_id="d")
    assert ambiguous.value.code == "quote_ambiguous" and ambiguous.value.params["count"] == 2
    chosen = anchor(text, "Det gick dåligt", suffix="igen", doc_id="d")
    assert text[chosen.end :].startswith(" igen")


def test_reanchor_finds_the_moved_quote_and_uses_the_context_among_several():
    text = "Först kom A. Sedan sa chefen: budgeten sprack. Till sist: budgeten sprack igen."
    selector = anchor(text, "budgeten sprack", prefix="chefen:")
    moved = "Ny inledning här. " + text.replace("Först kom A. ", "")
    start, end = reanchor(moved, selector)
    assert moved[start:end] == "budgeten sprack" and moved[:start].endswith("chefen: ")
    assert reanchor("Helt annan text.", selector) is None


def test_a_new_version_with_the_quote_in_another_chunk_keeps_it_anchored(rkb, tmp_path, folder):
    import_records(rkb, write_yaml(tmp_path, records()))
    (before,) = evidence_of(rkb, "ertms-svag-styrning")
    assert before.status == OK and before.seq == 0

    (folder / "ertms.md").write_text(
        document(COST_QUOTE, TRAINING_QUOTE, *FILLER, "Vidare gäller att " + STEERING_QUOTE),
        encoding="utf-8",
    )
    assert len(ingest(rkb, [folder]).updated) == 1
    (after,) = evidence_of(rkb, "ertms-svag-styrning")
    doc = rkb.catalog.get("ertms", with_text=True)
    assert after.status == OK and after.seq is not None and after.seq > before.seq
    assert doc.text[after.start : after.end] == STEERING_QUOTE
    chunk = rkb.catalog.chunks("ertms")[after.seq]
    assert chunk.char_start <= after.start < chunk.char_end


def test_a_new_version_without_the_quote_flags_the_lesson_for_review(rkb, tmp_path, folder):
    import_records(rkb, write_yaml(tmp_path, records()))
    (folder / "ertms.md").write_text(document(COST_QUOTE, *FILLER), encoding="utf-8")
    ingest(rkb, [folder])

    (steering,) = evidence_of(rkb, "ertms-svag-styrning")
    assert steering.status == NEEDS_REVIEW and steering.exact == STEERING_QUOTE
    assert steering.start is None and steering.seq is None  # never pointing at other text
    assert evidence_of(rkb, "ertms-kostnader-underskattade")[0].status == OK
    report = check(rkb)
    assert report.evidence_needing_review == 2 and report.clean  # steering and training


def test_a_deleted_document_flags_its_evidence_and_keeps_the_records(rkb, tmp_path):
    import_records(rkb, write_yaml(tmp_path, records()))
    with rkb.writing() as writer:
        writer.delete("svar")
    recommendation = rkb.records.get("rir-strategi")
    assert [e.status for e in recommendation.evidence] == [NEEDS_REVIEW, NEEDS_REVIEW]
    assert recommendation.follow_ups[0].status == "följd"
    assert all(e.status == OK for e in evidence_of(rkb, "ertms-kostnader-underskattade"))


# the import --------------------------------------------------------------------------
def test_a_dry_run_writes_nothing_and_a_second_import_changes_nothing(rkb, tmp_path):
    path = write_yaml(tmp_path, records())
    dry = import_records(rkb, path, dry_run=True)
    assert (
        dry.ok and not dry.written and dry.counts() == {"created": 5, "changed": 0, "unchanged": 0}
    )
    assert rkb.records.list() == [] and rkb.lesson_store.count() == 0

    first = import_records(rkb, path)
    assert first.written and first.counts()["created"] == 5
    assert rkb.lesson_store.count() == 3
    investment = rkb.records.get("trafikverket-ertms")
    assert investment.estimated_cost.msek == 1170 and investment.actual_cost.kind == "prognos"
    assert investment.estimated_cost.evidence.exact == COST_QUOTE

    again = import_records(rkb, path)
    assert again.counts() == {"created": 0, "changed": 0, "unchanged": 5}
    data = records()
    data["lessons"][2]["polarity"] = "gick bra"
    changed = import_records(rkb, write_yaml(tmp_path, data), dry_run=True)
    assert [(p.record.id, p.action) for p in changed.records if p.action != "unchanged"] == [
        ("utbilda-fore-driftstart", "changed")
    ]


def _lesson(**changes) -> dict:
    lesson = dict(records()["lessons"][0])
    lesson.update(changes)
    return lesson


BAD = {
    "unknown document": (
        {"lessons": [_lesson(evidence=[{"document": "finns-inte", "quote": "x"}])]},
        "no_document",
    ),
    "unknown theme": ({"lessons": [_lesson(themes=["vaderlek"])]}, "unknown_theme"),
    "unknown investment": ({"lessons": [_lesson(investment="okand")]}, "unknown_investment"),
    "value outside an enum": ({"lessons": [_lesson(polarity="sådär")]}, "record_bad_value"),
    "quote not found": (
        {"lessons": [_lesson(evidence=[{"document": "ertms", "quote": "står inte där"}])]},
        "quote_not_found",
    ),
    "quote ambiguous": (
        {"lessons": [_lesson(evidence=[{"document": "ertms", "quote": "projektets"}])]},
        "quote_ambiguous",
    ),
    "cost not a number": (
        {
            "investments": [
                {**records()["investments"][0], "actual_cost": {"msek": "mycket", "kind": "utfall"}}
            ]
        },
        "record_not_number",
    ),
    # "²".isdigit() is true and int("²") raises; "٣" is 3 to int() and no year to a reader
    "year in superscript digits": (
        {"investments": [{**records()["investments"][0], "end_year": "²"}]},
        "not_whole_number",
    ),
    "year in Arabic-Indic digits": (
        {"investments": [{**records()["investments"][0], "start_year": "٢٠٠٨"}]},
        "not_whole_number",
    ),
    "year of 5,000 digits": (  # int() refuses strings over 4,300 digits with a ValueError
        {"investments": [{**records()["investments"][0], "start_year": "9" * 5000}]},
        "year_out_of_range",
    ),
    "year out of range": (
        {"investments": [{**records()["investments"][0], "end_year": 20180}]},
        "year_out_of_range",
    ),
    **{
        f"cost {value!r}": (
            {
                "investments": [
                    {
                        **records()["investments"][0],
                        "actual_cost": {"msek": value, "kind": "utfall"},
                    }
                ]
            },
            "record_not_number",
        )
        for value in ("inf", "nan", "٣", "1_000", float("inf"))
    },
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_a_file_with_an_invalid_record_is_refused_whole(rkb, tmp_path, case):
    changes, code = BAD[case]
    result = import_records(rkb, write_yaml(tmp_path, records(**changes)))
    assert not result.ok and not result.written and result.records == []
    assert [p.error.code for p in result.problems] == [code]
    bad_id = (changes.get("lessons") or changes.get("investments"))[0]["id"]
    assert result.problems[0].record_id == bad_id
    assert rkb.records.list() == [] and rkb.lesson_store.count() == 0


def test_every_problem_is_listed_with_its_record(rkb, tmp_path):
    data = records(lessons=[_lesson(polarity="sådär", themes=["vaderlek"])])
    data["recommendations"][0]["follow_ups"][0]["status"] = "kanske"
    result = import_records(rkb, write_yaml(tmp_path, data))
    assert sorted((p.record_id, p.error.code) for p in result.problems) == [
        ("ertms-kostnader-underskattade", "record_bad_value"),
        ("ertms-kostnader-underskattade", "unknown_theme"),
        ("rir-strategi", "record_bad_value"),
    ]


def test_a_csv_file_with_a_row_per_record_and_rows_adding_evidence(rkb, tmp_path):
    rows = [
        {
            **{"type": "investment", "id": "ertms", "name": "ERTMS", "agency": "Trafikverket"},
            **{"phase": "pågående", "outcome": "okänd", "estimated_msek": "1170"},
            **{"documents": "ertms:granskning", "evidence_for": "estimated_cost"},
            **{"document": "ertms", "quote": COST_QUOTE},
        },
        {
            **{"type": "lesson", "id": "styrning", "text": "Styrgruppen möttes för sällan."},
            **{"polarity": "gick dåligt", "investment": "ertms"},
            "themes": "styrning-och-ledning;kostnadskalkyl-och-budget",
            **{"document": "ertms", "quote": STEERING_QUOTE},
        },
        {"type": "lesson", "id": "styrning", "document": "ertms", "quote": TRAINING_QUOTE},
        {
            **{"type": "recommendation", "id": "strategi", "text": "Ta fram en strategi."},
            **{"agency": "Trafikverket", "investment": "ertms", "given_by": "Riksrevisionen"},
            **{"evidence_for": "source", "document": "svar", "quote": RECOMMENDATION_QUOTE},
        },
        {
            **{"type": "recommendation", "id": "strategi", "evidence_for": "follow_up"},
            **{"status": "delvis följd", "document": "svar", "quote": ANSWER_QUOTE},
        },
    ]
    path = tmp_path / "records.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, list(dict.fromkeys(k for row in rows for k in row)))
        writer.writeheader()
        writer.writerows(rows)
    result = import_records(rkb, path)
    assert result.ok, [p.to_dict() for p in result.problems]
    lesson = rkb.records.get("styrning")
    assert lesson.themes == ("styrning-och-ledning", "kostnadskalkyl-och-budget")
    assert [e.exact for e in lesson.evidence] == [STEERING_QUOTE, TRAINING_QUOTE]
    recommendation = rkb.records.get("strategi")
    assert recommendation.source.exact == RECOMMENDATION_QUOTE
    assert [f.status for f in recommendation.follow_ups] == ["delvis följd"]
    assert rkb.records.get("ertms").documents[0].role == "granskning"
    assert import_records(rkb, path).counts()["unchanged"] == 3


# lesson search -----------------------------------------------------------------------
def test_lesson_search_finds_a_lesson_by_a_paraphrase_and_filters_by_theme(rkb, tmp_path):
    import_records(rkb, write_yaml(tmp_path, records()))
    hits = search_lessons(rkb, "budgeten höll inte, det blev mycket dyrare än beräknat")
    assert hits[0].lesson.id == "ertms-kostnader-underskattade"
    assert hits[0].match == MEANING and hits[0].investment.id == "trafikverket-ertms"
    assert hits[0].lesson.evidence[0].exact == COST_QUOTE

    steering = search_lessons(
        rkb, "budgeten höll inte, det blev mycket dyrare", themes=["styrning-och-ledning"]
    )
    assert [h.lesson.id for h in steering] == ["ertms-svag-styrning"]
    general = search_lessons(rkb, "utbildning", polarities=["råd"])
    assert [h.lesson.id for h in general] == ["utbilda-fore-driftstart"]
    assert search_lessons(rkb, "utbildning", agencies=["Skatteverket"]) == []


def test_reindex_re_embeds_the_lessons_into_the_new_generation(rkb, tmp_path):
    import_records(rkb, write_yaml(tmp_path, records()))
    old = rkb.store.name
    result = reindex(rkb.config, rkb.embedder, drain_seconds=0)
    names = {c.name for c in open_client(rkb.config).list_collections()}
    assert lessons_collection(result.new_collection) in names
    assert lessons_collection(old) not in names
    moved = KnowledgeBase(rkb.config, embedder=rkb.embedder)
    try:
        assert moved.lesson_store.name == lessons_collection(result.new_collection)
        hits = search_lessons(moved, "det blev mycket dyrare än beräknat")
        assert hits[0].lesson.id == "ertms-kostnader-underskattade"
        assert check(moved).clean
    finally:
        moved.close()


# the command line --------------------------------------------------------------------
@pytest.fixture
def run(base_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KB_CACHE_DIR", str(base_config.cache_dir))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    themes = tmp_path / "themes.yaml"
    themes.write_text(yaml.safe_dump(THEMES, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("KB_THEMES_FILE", str(themes))

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


def test_records_commands_answer_in_json(run, folder, tmp_path):
    assert run("ingest", str(folder), "--quiet")[0] == 0
    path = write_yaml(tmp_path, records())
    code, out, _ = run("records", "import", str(path), "--dry-run", "--json")
    assert code == 0 and json.loads(out)["created"] == 5 and not json.loads(out)["written"]
    assert json.loads(run("records", "list", "--json")[1]) == []
    code, out, _ = run("records", "import", str(path), "--json")
    assert code == 0 and json.loads(out)["written"]

    lessons = json.loads(run("records", "list", "--type", "lesson", "--json")[1])
    assert [x["id"] for x in lessons] == [
        "ertms-kostnader-underskattade",
        "ertms-svag-styrning",
        "utbilda-fore-driftstart",
    ]
    shown = json.loads(run("records", "show", "rir-strategi", "--json")[1])
    assert shown["source"]["quote"] == RECOMMENDATION_QUOTE
    assert shown["follow_ups"][0]["status"] == "följd"

    code, out, _ = run("records", "delete", "trafikverket-ertms", "--json")
    assert code == 1 and json.loads(out)["code"] == "record_in_use"
    code, out, _ = run("records", "delete", "utbilda-fore-driftstart", "--json")
    assert code == 0 and json.loads(out) == {"deleted": "utbilda-fore-driftstart", "type": "lesson"}
    code, out, _ = run("records", "show", "utbilda-fore-driftstart", "--json")
    assert code == 1 and json.loads(out)["code"] == "no_record"

    bad = write_yaml(tmp_path, records(lessons=[_lesson(themes=["vaderlek"])]), "bad.yaml")
    code, out, err = run("records", "import", str(bad), "--json")
    problems = json.loads(out)["problems"]
    assert code == 1 and [(p["id"], p["code"]) for p in problems] == [
        ("ertms-kostnader-underskattade", "unknown_theme")
    ]
    code, out, err = run("records", "import", str(bad))
    assert code == 1 and "ertms-kostnader-underskattade: unknown theme 'vaderlek'" in out
    assert "nothing was imported" in err
    code, out, _ = run("check")
    assert code == 0


# export and import -------------------------------------------------------------------
def test_an_export_archive_carries_the_records_and_import_checks_them(rkb, tmp_path, folder):
    from kb.operations.archive import export, import_archive

    import_records(rkb, write_yaml(tmp_path, records()))
    with rkb.writing() as writer:
        writer.delete("svar")  # its evidence now needs review, and travels so
    archive = tmp_path / "kb.tar.gz"
    assert export(rkb, archive)["records"] == 5

    target = KnowledgeBase(rkb.config.with_(data_dir=tmp_path / "other"), embedder=rkb.embedder)
    try:
        with target.writing() as writer:
            assert import_archive(writer, archive)["records"] == 5
        assert [r.to_dict() for r in target.records.list()] == [
            r.to_dict() for r in rkb.records.list()
        ]
        hits = search_lessons(target, "det blev mycket dyrare än beräknat")
        assert hits[0].lesson.id == "ertms-kostnader-underskattade"
        assert check(target).evidence_needing_review == 2
    finally:
        target.close()

    # a bad record refuses the whole archive: not even its documents are written
    themes = tmp_path / "no-themes.yaml"
    themes.write_text("themes: []\n", encoding="utf-8")
    other = KnowledgeBase(
        rkb.config.with_(data_dir=tmp_path / "third", themes_file=themes), embedder=rkb.embedder
    )
    try:
        with other.writing() as writer, pytest.raises(KBError, match="unknown theme"):
            import_archive(writer, archive)
        assert other.catalog.documents() == [] and other.records.list() == []
    finally:
        other.close()


# the JSON API ------------------------------------------------------------------------
def test_the_records_api_answers_as_its_openapi_description_says(rkb, tmp_path):
    from tests.test_api import check as checked
    from web import create_app

    import_records(rkb, write_yaml(tmp_path, records()))
    api = create_app({"TESTING": True}, kb_config=rkb.config, embedder=rkb.embedder).test_client()

    assert [i["id"] for i in checked(api.get("/api/investments"))] == ["trafikverket-ertms"]
    detail = checked(api.get("/api/investments/trafikverket-ertms"))
    assert detail["estimated_cost"]["evidence"]["quote"] == COST_QUOTE
    assert [x["id"] for x in detail["lessons"]] == [
        "ertms-kostnader-underskattade",
        "ertms-svag-styrning",
    ]
    assert [r["id"] for r in detail["recommendations"]] == ["rir-strategi"]

    hits = checked(api.get("/api/lessons?q=det+blev+mycket+dyrare+än+beräknat"))
    assert hits[0]["lesson"]["id"] == "ertms-kostnader-underskattade"
    assert hits[0]["match"] == MEANING
    assert hits[0]["investment"]["id"] == "trafikverket-ertms"
    steering = checked(api.get("/api/lessons?q=dyrare&theme=styrning-och-ledning"))
    assert [h["lesson"]["id"] for h in steering] == ["ertms-svag-styrning"]
    advice = checked(api.get("/api/lessons?polarity=råd"))
    assert [x["id"] for x in advice] == ["utbilda-fore-driftstart"] and "score" not in advice[0]
    by_agency = checked(api.get("/api/lessons?agency=Trafikverket&investment=trafikverket-ertms"))
    assert len(by_agency) == 2
    assert checked(api.get("/api/lessons/ertms-svag-styrning"))["themes"] == [
        "styrning-och-ledning"
    ]
    themes = {t["id"]: t["lessons"] for t in checked(api.get("/api/themes"))}
    assert themes["kostnadskalkyl-och-budget"] == 1
    (recommendation,) = checked(api.get("/api/recommendations"))
    assert recommendation["follow_ups"][0]["status"] == "följd"

    assert checked(api.get("/api/lessons/trafikverket-ertms"), 404)["code"] == "no_record"
    assert checked(api.get("/api/investments/nej"), 404)["code"] == "no_record"
    assert checked(api.get("/api/lessons?theme=vaderlek"), 400)["code"] == "unknown_theme"
    assert checked(api.get("/api/lessons?polarity=sådär"), 400)["code"] == "record_bad_value"
    assert checked(api.get("/api/lessons?limit=0"), 400)["code"] == "out_of_range"
    assert checked(api.get("/api/lessons?tema=x"), 400)["code"] == "unknown_parameter"

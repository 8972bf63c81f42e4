"""The `kb` command: human output, the stable --json shapes and exit statuses."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from cli.main import main
from tests.conftest import ROOT
from tests.files import make_pdf


@pytest.fixture
def run(base_config, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KB_CACHE_DIR", str(base_config.cache_dir))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))

    def invoke(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return invoke


@pytest.fixture
def folder(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "ertms.md").write_text(
        "---\ntitle: ERTMS-fallet\nkind: case\nagency: Trafikverket\ndate: 2018\n---\n"
        "Utvecklingskostnaden för signalsystemet ERTMS nästan tredubblades.\n",
        encoding="utf-8",
    )
    make_pdf(folder / "tull.pdf", ["Tullverkets utredningsstöd kostade 63 miljoner kronor."])
    return folder


def test_ingest_json_shape_and_exit_status(run, folder):
    (folder / "trasig.pdf").write_bytes(b"%PDF-1.4 trasig")
    code, out, _ = run("ingest", str(folder), "--agency", "Tullverket", "--tag", "test", "--json")
    report = json.loads(out)
    assert code == 1  # one file failed
    assert (report["added"], report["updated"], report["unchanged"]) == (2, 0, 0)
    assert report["failed"][0]["path"].endswith("trasig.pdf") and report["failed"][0]["reason"]
    (folder / "trasig.pdf").unlink()
    code, out, _ = run("ingest", str(folder), "--agency", "Tullverket", "--tag", "test", "--json")
    assert code == 0 and json.loads(out)["unchanged"] == 2


def test_search_json_is_the_api_shape(run, folder, client):
    run("ingest", str(folder), "--quiet")
    question = "Vad kostade det nya signalsystemet för järnvägen?"
    code, out, _ = run("search", question, "--json")
    answer = json.loads(out)
    assert code == 0
    assert set(answer) >= {"query", "mode", "filters", "page", "pages", "total"}
    assert set(answer) >= {"results", "facets", "notice", "per_page"}
    assert answer["query"] == question and answer["page"] == 1 and answer["total"] == 2
    hit = answer["results"][0]
    assert hit["doc_id"] == "ertms" and hit["title"] == "ERTMS-fallet" and 0 < hit["score"] <= 1
    assert {"page", "text", "chunk_id"} <= set(hit["passages"][0])
    assert "signalsystemet" in hit["passages"][0]["text"]
    # The same data folder served by the web app answers the same object.
    assert client.get("/api/search", query_string={"q": question}).get_json() == answer


def test_list_show_stats_delete(run, folder):
    run("ingest", str(folder), "--quiet")
    code, out, _ = run("list")
    assert code == 0 and "ERTMS-fallet" in out and "2 documents" in out
    code, out, _ = run("show", "tull", "--chunks", "--json")
    shown = json.loads(out)
    assert shown["file_type"] == "pdf" and shown["chunks"][0]["page"] == 1
    code, out, _ = run("stats", "--json")
    assert json.loads(out)["documents"] == 2 and json.loads(out)["vectors"] >= 2
    assert run("delete", "tull")[0] == 0
    code, out, err = run("show", "tull")
    assert code == 1 and "no document with id 'tull'" in err and "Traceback" not in err
    code, out, _ = run("list", "--json")
    assert [d["id"] for d in json.loads(out)] == ["ertms"]


def test_errors_are_one_readable_line(run):
    code, out, err = run("search", "   ", "--json")
    assert code == 1 and json.loads(out) == {"error": "the query is empty", "code": "query_empty"}
    assert err.strip() == "kb: error: the query is empty"


def test_kb_console_script_runs(tmp_path, base_config):
    env = {
        **os.environ,
        "KB_DATA_DIR": str(tmp_path / "d"),
        "KB_CACHE_DIR": str(base_config.cache_dir),
    }
    kb = os.path.join(os.path.dirname(sys.executable), "kb")
    done = subprocess.run(
        [kb, "stats", "--json"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["documents"] == 0


def test_search_filters_and_modes_from_the_command_line(run, folder):
    run("ingest", str(folder), "--quiet")
    code, out, _ = run(
        "search", "signalsystem", "--agency", "Trafikverket", "--mode", "keyword", "--json"
    )
    assert code == 0 and [h["doc_id"] for h in json.loads(out)["results"]] == ["ertms"]
    code, out, err = run("search", "kostnad", "--kind", "case", "--from", "2019", "--json")
    assert code == 0 and json.loads(out)["results"] == [] and json.loads(out)["total"] == 0
    code, out, err = run("search", "kostnad", "--agency", "Okänd", "--json")
    assert code == 1 and "unknown agency" in json.loads(out)["error"]
    code, out, err = run("search", "kostnad", "--from", "förra året")
    assert code == 1 and "must be a year" in err
    code, out, _ = run("search", "Vad kostade utredningsstödet?")
    assert code == 0 and "tull" in out and "p. 1:" in out


def test_similar_from_the_command_line(run, folder, tmp_path, client):
    run("ingest", str(folder), "--quiet")
    code, out, _ = run("similar", "ertms", "--json")
    hits = json.loads(out)
    assert code == 0 and [h["doc_id"] for h in hits] == ["tull"]
    assert hits[0]["title"] and hits[0]["score"] > 0
    assert {"page", "text"} <= set(hits[0]["passages"][0])
    assert client.get("/api/documents/ertms/similar").get_json() == hits
    description = tmp_path / "plan.txt"
    description.write_text("Vi ska bygga ett nytt signalsystem för järnvägen.", encoding="utf-8")
    code, out, _ = run("similar", "--text-file", str(description), "--json")
    cases = json.loads(out)
    assert code == 0 and cases[0]["doc_id"] == "ertms" and "recommendations" in cases[0]
    assert client.post("/api/similar", json={"text": description.read_text()}).get_json() == cases
    code, out, err = run("similar", "--text-file", str(tmp_path / "saknas.txt"))
    assert code == 1 and "cannot read" in err


def test_export_and_import_from_the_command_line(run, folder, tmp_path, base_config, capsys):
    run("ingest", str(folder), "--quiet")
    archive = tmp_path / "export.tar.gz"
    code, out, _ = run("export", str(archive), "--vectors", "--json")
    assert code == 0 and json.loads(out)["documents"] == 2
    code = main(["--data-dir", str(tmp_path / "copy"), "import", str(archive), "--json"])
    imported = json.loads(capsys.readouterr().out)
    assert code == 0 and imported == {
        "documents": 2,
        "chunks": imported["chunks"],
        "vectors_reused": True,
        "records": 0,
    }


def test_reindex_same_model_keeps_results(run, folder):
    assert run("ingest", str(folder), "--quiet")[0] == 0
    before = json.loads(run("search", "signalsystem", "--json")[1])
    code, out, err = run("reindex", "--drain", "0", "--json")
    result = json.loads(out)
    assert code == 0 and result["documents"] == 2 and result["chunks"] >= 2
    assert result["new_collection"] != result["old_collection"]
    after = json.loads(run("search", "signalsystem", "--json")[1])
    passages = [[p["chunk_id"] for p in r["passages"]] for r in before["results"]]
    assert passages and [[p["chunk_id"] for p in r["passages"]] for r in after["results"]] == (
        passages
    )
    scores = [r["score"] for r in before["results"]]
    assert [r["score"] for r in after["results"]] == pytest.approx(scores, abs=1e-4)
    assert run("check")[0] == 0

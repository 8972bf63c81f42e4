"""Metrics, BEIR loading, and `kb eval` on the shipped evaluation set."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from ingest.metadata import guess_language
from kb.errors import KBError
from kb.search.evaluation import load_beir, mrr, ndcg, recall, score_run
from tests.conftest import ROOT

EVAL = ROOT / "corpus" / "eval"


def test_metrics_on_known_rankings():
    rel = {"a": 2, "b": 1}
    assert ndcg(["a", "b", "c"], rel, 10) == pytest.approx(1.0)
    assert ndcg(["c", "b", "a"], rel, 10) < ndcg(["b", "a", "c"], rel, 10) < 1.0
    assert recall(["x", "a"], rel, 1) == 0.0 and recall(["x", "a"], rel, 2) == 0.5
    assert mrr(["x", "y", "b"], rel, 10) == pytest.approx(1 / 3)
    assert mrr(["x"] * 10 + ["a"], rel, 10) == 0.0
    run = score_run({"q1": ["a", "b"]}, {"q1": rel, "q2": {"z": 1}})
    assert run["recall@10"] == 0.5  # q2 retrieved nothing and counts as zero


def test_shipped_eval_set_is_beir_with_dev_and_test_splits():
    dev, test = load_beir(EVAL, "dev"), load_beir(EVAL, "test")
    assert len(dev.queries) + len(test.queries) >= 40
    assert not set(dev.queries) & set(test.queries)
    ids = {e["_id"] for e in dev.corpus}
    assert all(d in ids for rel in (*dev.qrels.values(), *test.qrels.values()) for d in rel)
    queries = (*dev.queries.values(), *test.queries.values())
    english = [q for q in queries if guess_language(q) == "en"]
    assert len(english) >= 4


def test_eval_corpus_is_current_with_the_documents(tmp_path):
    import subprocess
    import sys

    expected = (EVAL / "corpus.jsonl").read_text(encoding="utf-8")
    subprocess.run(
        [sys.executable, str(EVAL / "make_corpus.py")], check=True, capture_output=True, cwd=ROOT
    )
    assert (EVAL / "corpus.jsonl").read_text(encoding="utf-8") == expected


def test_missing_dataset_files_are_clear_errors(tmp_path):
    with pytest.raises(KBError, match="qrels"):
        load_beir(tmp_path)


def test_kb_eval_json_on_the_held_out_split(base_config, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("KB_CACHE_DIR", str(base_config.cache_dir))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "untouched"))
    assert main(["eval", str(EVAL), "--mode", "all", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["dataset"] == "eval" and out["queries"] == 20
    assert set(out["results"]) == {"hybrid", "dense", "keyword"}
    for scores in out["results"].values():
        assert set(scores) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
        assert all(0.0 <= v <= 1.0 for v in scores.values())
    # the quality bar the defaults were chosen for (on dev; this is the held-out split)
    assert out["results"]["hybrid"]["ndcg@10"] >= out["results"]["dense"]["ndcg@10"]
    assert out["results"]["hybrid"]["ndcg@10"] >= 0.85
    assert not (tmp_path / "untouched").exists()  # eval never writes into the user's KB


def test_an_entry_without_title_is_embedded_and_indexed_as_its_bare_text(kb):
    from ingest.beir import ingest_corpus
    from kb.models import Filters
    from kb.search.evaluation import Dataset

    text = "Ansökan om bostadsbidrag görs digitalt hos myndigheten."
    corpus = [
        {"_id": "a17", "title": "", "text": text},
        {"_id": "b2", "title": "Bidrag", "text": text + " Mer."},
    ]
    ids = ingest_corpus(kb, Dataset("t", corpus, {}, {}))
    doc = kb.catalog.get("a17")
    assert doc.meta.title == "A17" and doc.meta.context_title == ""  # shown, not used
    chunk = kb.catalog.chunks("a17")[0]
    stored = kb.store.vectors([chunk.id])[0]
    assert abs(float(stored @ kb.embedder.embed_passages([text])[0]) - 1.0) < 1e-4
    assert kb.catalog.keyword_search(["a17"], 10, Filters(), prefix=False) == []
    assert kb.catalog.get("b2").meta.context_title == "Bidrag" and len(ids) == 2

"""Precision, recall and F1 of the ingest suggesters (ingest/suggest/) on corpus/suggest-eval.

Usage: python bench/suggesters.py [--data-dir DIR] [--tune]

The labels: corpus/records.yaml's lesson evidence quotes are the positives for lesson detection
(sentence level: a sentence is a lesson when it overlaps an evidence quote) and carry the gold
themes and polarity; its investments' document lists are the gold for investment suggestion;
corpus/suggest-eval/references.yaml is the hand-written references gold. Documents are split
into train and test by corpus/suggest-eval/split.yaml; --tune searches the suggesters'
parameters on train only and prints the best (the modules' constants are set from it); test is
only ever reported. Without --data-dir the corpus is ingested into a temporary folder first.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import ingest  # noqa: E402
from ingest.suggest import investment, lessons, themes  # noqa: E402
from ingest.suggest.investment import InvestmentProfile, InvestmentSuggester  # noqa: E402
from ingest.suggest.references import (  # noqa: E402
    KnownDocument,
    find_references,
    own_designations,
)
from kb.config import load_config  # noqa: E402
from kb.embedding.embedder import Embedder  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from kb.models import passage_text  # noqa: E402

EVAL = ROOT / "corpus" / "suggest-eval"
SPLITS = ("train", "test")


@dataclass(frozen=True)
class Doc:
    id: str
    title: str
    agency: str | None
    text: str
    passages: tuple[str, ...]  # chunks as embedded: with the document's title


def prf(predicted: set, gold: set) -> tuple[float, float, float]:
    tp = len(predicted & gold)
    p = tp / len(predicted) if predicted else 0.0
    r = tp / len(gold) if gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def f_half(p: float, r: float) -> float:
    """F0.5: precision counts twice, as every lesson suggestion costs an editor a reading."""
    return 1.25 * p * r / (0.25 * p + r) if p + r else 0.0


def load_docs(data_dir: Path, embedder: Embedder) -> dict[str, Doc]:
    knowledge_base = KnowledgeBase(load_config().with_(data_dir=data_dir), embedder=embedder)
    try:
        docs = {}
        for d in knowledge_base.catalog.documents():
            full = knowledge_base.catalog.get(d.id, with_text=True)
            chunks = knowledge_base.catalog.chunks(d.id)
            passages = tuple(passage_text(full.meta, c.text) for c in chunks)
            docs[d.id] = Doc(d.id, full.meta.title, full.meta.agency, full.text, passages)
        return docs
    finally:
        knowledge_base.close()


# --- themes -------------------------------------------------------------------------------


def theme_items(records: dict) -> dict[tuple[str, str], set[str]]:
    gold: dict[tuple[str, str], set[str]] = {}
    for lesson in records["lessons"]:
        for ev in lesson["evidence"]:
            gold.setdefault((ev["document"], ev["quote"]), set()).update(lesson["themes"])
    return gold


def bench_themes(embedder, records, split, tune: bool) -> list[tuple]:
    suggester = themes.ThemeSuggester(themes.load_themes(ROOT / "corpus/themes.yaml"), embedder)
    gold = theme_items(records)
    keys = list(gold)
    scores = dict(zip(keys, suggester.scores([q for _, q in keys]), strict=True))

    def run(part, threshold, margin):
        sg = suggester
        sg.threshold, sg.margin = threshold, margin
        pred, ref = set(), set()
        for key in keys:
            if key[0] in split[part]:
                pred |= {(key, s.theme_id) for s in sg.pick(scores[key])}
                ref |= {(key, t) for t in gold[key]}
        return prf(pred, ref), len(ref)

    if tune:
        grid = itertools.product([x / 1000 for x in range(-20, 31, 2)], [0.0, 0.005, 0.01, 0.02])
        best = max(grid, key=lambda g: run("train", *g)[0][2])
        print(
            f"themes: best on train threshold={best[0]} margin={best[1]}",
            f"(train F1 {run('train', *best)[0][2]:.2f})",
        )
    params = (themes.THRESHOLD, themes.MARGIN)
    return [("themes", part, *run(part, *params)[0], run(part, *params)[1], "") for part in SPLITS]


# --- lessons ------------------------------------------------------------------------------


def lesson_gold(records: dict, docs: dict[str, Doc]) -> dict[str, list[tuple[tuple, str]]]:
    """Per document: the evidence quotes' spans and their lesson's polarity."""
    out: dict[str, list[tuple[tuple, str]]] = {}
    for lesson in records["lessons"]:
        for ev in lesson["evidence"]:
            text = docs[ev["document"]].text
            at = text.find(ev["quote"])
            if at < 0:
                raise SystemExit(f"evidence quote not in {ev['document']}: {ev['quote'][:60]}")
            span = (at, at + len(ev["quote"]))
            out.setdefault(ev["document"], []).append((span, lesson["polarity"]))
    return out


def bench_lessons(embedder, records, docs, split, tune: bool) -> list[tuple]:
    detector = lessons.LessonDetector(embedder)
    gold = lesson_gold(records, docs)
    feats = {doc_id: detector.features(doc.text) for doc_id, doc in docs.items()}

    def truth(doc_id, span):
        hits = [pol for g, pol in gold.get(doc_id, []) if g[0] < span[1] and span[0] < g[1]]
        return hits

    def run(part, threshold, cue_w, sec_w, sim_w):
        pred, ref, polar_right = set(), set(), 0
        for doc_id in split[part]:
            for f in feats[doc_id]:
                span = f.sentence.span
                hits = truth(doc_id, span)
                if hits:
                    ref.add((doc_id, span))
                if lessons.score(f, cue_w, sec_w, sim_w) >= threshold:
                    pred.add((doc_id, span))
                    polar_right += bool(hits) and lessons.polarity(f) in hits
        tp = len(pred & ref)
        n_sentences = sum(len(feats[d]) for d in split[part])
        return prf(pred, ref), len(ref), (polar_right / tp if tp else 0.0), n_sentences

    params = (
        lessons.THRESHOLD,
        lessons.CUE_WEIGHT,
        lessons.SECTION_WEIGHT,
        lessons.SIMILARITY_WEIGHT,
    )
    if tune:
        grid = itertools.product(
            [x / 10 for x in range(3, 25)], [0.25, 0.5, 1.0], [0.0, 0.25, 0.5, 1.0], [0.0, 0.5, 1.0]
        )
        best = max(grid, key=lambda g: f_half(*run("train", *g)[0][:2]))
        print(
            f"lessons: best on train threshold, cue, section, similarity weights = {best}",
            f"(train F0.5 {f_half(*run('train', *best)[0][:2]):.2f})",
        )
    rows = []
    for part in SPLITS:
        (p, r, f1), n, polar, n_sentences = run(part, *params)
        base = n / n_sentences  # the F1 of suggesting every sentence is 2b/(1+b)
        note = (
            f"{n_sentences} sentences; every sentence would give F1 {2 * base / (1 + base):.2f};"
            f" polarity right for {polar:.0%} of hits"
        )
        rows.append(("lessons", part, p, r, f1, n, note))
    return rows


# --- references ---------------------------------------------------------------------------


def bench_references(docs, split) -> list[tuple]:
    gold = yaml.safe_load((EVAL / "references.yaml").read_text(encoding="utf-8"))["documents"]
    known = [KnownDocument(d.id, d.title, own_designations(d.title, d.text)) for d in docs.values()]
    rows = []
    for part in SPLITS:
        found, resolved, gold_found, gold_resolved = set(), set(), set(), set()
        for doc_id in split[part]:
            g = gold.get(doc_id, {})
            gold_found |= {(doc_id, d) for d in g.get("designations", [])}
            gold_resolved |= {(doc_id, t) for t in g.get("refers_to", [])}
            for ref in find_references(docs[doc_id].text, known, self_id=doc_id):
                if ref.kind != "title":
                    found.add((doc_id, ref.designation))
                resolved |= {(doc_id, t) for t in ref.doc_ids}
        rows.append(
            ("references: designations", part, *prf(found, gold_found), len(gold_found), "")
        )
        rows.append(
            ("references: resolved", part, *prf(resolved, gold_resolved), len(gold_resolved), "")
        )
    return rows


# --- investments --------------------------------------------------------------------------


def bench_investments(embedder, records, docs, split, tune: bool) -> list[tuple]:
    profiles = [
        InvestmentProfile(i["id"], i["name"], i.get("agency"), " ".join(i["description"].split()))
        for i in records["investments"]
    ]
    suggester = InvestmentSuggester(profiles, embedder)
    gold = {(d["document"], i["id"]) for i in records["investments"] for d in i["documents"]}
    vectors = {doc_id: embedder.embed_passages(list(d.passages)) for doc_id, d in docs.items()}

    def run(part, threshold, boost, margin, top):
        sg = suggester
        sg.threshold, sg.agency_boost, sg.margin, sg.top_chunks = threshold, boost, margin, top
        pred = set()
        for doc_id in split[part]:
            pred |= {
                (doc_id, s.investment_id)
                for s in sg.suggest_vectors(vectors[doc_id], docs[doc_id].agency)
            }
        ref = {(d, i) for d, i in gold if d in split[part]}
        return prf(pred, ref), len(ref)

    if tune:
        grid = itertools.product(
            [x / 1000 for x in range(800, 960, 2)],
            [0.0, 0.01, 0.02, 0.03, 0.05, 0.08],
            [0.01, 0.02, 0.03, 0.05, 1.0],
            [1, 2, 3],
        )
        best = max(grid, key=lambda g: run("train", *g)[0][2])
        print(
            f"investments: best on train threshold, agency boost, margin, top chunks = {best}",
            f"(train F1 {run('train', *best)[0][2]:.2f})",
        )
    params = (
        investment.THRESHOLD,
        investment.AGENCY_BOOST,
        investment.MARGIN,
        investment.TOP_CHUNKS,
    )
    return [
        ("investments", part, *run(part, *params)[0], run(part, *params)[1], "") for part in SPLITS
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="an ingested corpus (default: ingest now)")
    parser.add_argument("--tune", action="store_true", help="print the best parameters on train")
    args = parser.parse_args()
    embedder = Embedder(load_config())
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        if data_dir is None:
            data_dir = Path(tmp) / "data"
            knowledge_base = KnowledgeBase(
                load_config().with_(data_dir=data_dir), embedder=embedder
            )
            report = ingest(knowledge_base, [ROOT / "corpus" / "documents"])
            knowledge_base.close()
            if not report.ok:
                raise SystemExit(f"ingest failed: {report.failed}")
        docs = load_docs(data_dir, embedder)
    split = {k: set(v) for k, v in yaml.safe_load((EVAL / "split.yaml").read_text()).items()}
    records = yaml.safe_load((ROOT / "corpus" / "records.yaml").read_text(encoding="utf-8"))
    rows = [
        *bench_themes(embedder, records, split, args.tune),
        *bench_lessons(embedder, records, docs, split, args.tune),
        *bench_references(docs, split),
        *bench_investments(embedder, records, docs, split, args.tune),
    ]
    print("\n| suggester | split | precision | recall | F1 | gold items | |")
    print("|---|---|---:|---:|---:|---:|---|")
    for name, part, p, r, f1, n, note in rows:
        print(f"| {name} | {part} | {p:.2f} | {r:.2f} | {f1:.2f} | {n} | {note} |")


if __name__ == "__main__":
    main()

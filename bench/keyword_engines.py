"""The keyword side on a built store: the FTS5 query against a bare tantivy index of the terms.

Usage: python bench/search.py --sizes 100000 --keep ../bench-stores   (once, to build a store)
       python bench/keyword_engines.py ../bench-stores/kb-100000

This is the measurement that chose tantivy; the copy the product keeps and searches
(kb/storage/keyword_copy.py, scored as FTS5 scores) is timed by bench/search.py.

Both see the catalog's analysed terms (Snowball stems, stop words out; title + text in one
field for tantivy, as FTS5's bm25 with title weight 1 counts them); a stem of 5+ letters also
matches as a prefix (FTS5: one prefix phrase; tantivy: the index's terms with that prefix, one
clause each, so its scores differ). Timed: the corpus/eval test queries with their thesaurus
terms, 3 times, top 100. Ranking quality of the tantivy side is not measured here.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kb.analysis import query_stems  # noqa: E402
from kb.config import load_config  # noqa: E402
from kb.search import thesaurus  # noqa: E402
from kb.search.evaluation import load_beir  # noqa: E402
from kb.storage import keyword_index  # noqa: E402


def queries() -> list[list[str]]:
    found = thesaurus.load(load_config().thesaurus_file)
    out = []
    for text in load_beir(ROOT / "corpus" / "eval", "test").queries.values():
        stems = query_stems(text)
        extra = [s for term in found.expansions(tuple(stems)) for s in query_stems(term)]
        out.append(stems + [s for s in dict.fromkeys(extra) if s not in stems])
    return out


def timed(name: str, run, stem_lists: list[list[str]], repeats: int = 3) -> None:
    samples = []
    for _ in range(repeats):
        for stems in stem_lists:
            start = time.perf_counter()
            run(stems)
            samples.append(time.perf_counter() - start)
    qs = statistics.quantiles(samples, n=100, method="inclusive")
    print(f"  {name:<34} p50 {qs[49] * 1000:7.2f} ms   p95 {qs[94] * 1000:7.2f} ms", flush=True)


def tantivy_index(db: sqlite3.Connection, folder: Path):
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("all", stored=False, tokenizer_name="terms", index_option="freq")
    builder.add_integer_field("row", stored=True, indexed=False)
    schema = builder.build()
    index = tantivy.Index(schema, path=str(folder))
    analyzer = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace()).build()
    index.register_tokenizer("terms", analyzer)
    start = time.perf_counter()
    writer = index.writer(heap_size=200_000_000, num_threads=1)
    for rowid, terms, title in db.execute("SELECT rowid, terms, title FROM chunk_terms"):
        writer.add_document(tantivy.Document(all=f"{terms} {title}", row=rowid))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
    print(f"  tantivy: built in {time.perf_counter() - start:.1f} s, {size / 1e6:.0f} MB")
    return tantivy, schema, index.searcher()


def main() -> None:
    store = Path(sys.argv[1])
    db = sqlite3.connect(f"file:{store / 'catalog.sqlite3'}?mode=ro", uri=True)
    (chunks,) = db.execute("SELECT COUNT(*) FROM chunks").fetchone()
    print(f"{chunks:,} chunks")
    stem_lists = queries()
    timed(
        "FTS5 (keyword_index.search)",
        lambda s: keyword_index.search(db, s, 100, prefix=True),
        stem_lists,
    )
    folder = Path(tempfile.mkdtemp(prefix="kb-tantivy-"))
    try:
        tantivy, schema, searcher = tantivy_index(db, folder)

        def search(stems: list[str], prefix: bool) -> list[int]:
            clauses = []
            for stem in stems:
                terms = [stem]
                if prefix and len(stem) >= keyword_index.MIN_PREFIX:
                    terms = [t for t, _ in searcher.terms_with_prefix("all", stem)] or [stem]
                for term in terms:
                    query = tantivy.Query.term_query(schema, "all", term)
                    clauses.append((tantivy.Occur.Should, query))
            hits = searcher.search(tantivy.Query.boolean_query(clauses), 100).hits
            return [searcher.doc(address)["row"][0] for _, address in hits]

        timed("tantivy, no prefixes", lambda s: search(s, False), stem_lists)
        timed("tantivy, prefixes expanded", lambda s: search(s, True), stem_lists)
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()

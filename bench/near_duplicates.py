"""Near-duplicates on the sample corpus: MinHash over word shingles (datasketch) against the
cosine of the documents' mean chunk vectors (the embedding model), for pairs that are the same
document (the same text as Markdown, PDF and HTML; a draft and its final with edited
paragraphs) and for every pair of the corpus's distinct documents, which must stay below.

Usage: python bench/near_duplicates.py [--pairs N]

Prints, per method, the lowest score of a true pair and the highest of a distinct pair: a
threshold between the two separates them.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.pipeline import Ingester  # noqa: E402
from kb import near_duplicates as near  # noqa: E402
from kb.config import load_config  # noqa: E402
from kb.knowledge_base import KnowledgeBase  # noqa: E402
from tests.files import make_pdf  # noqa: E402

CORPUS = ROOT / "corpus" / "documents"


def plain(markdown: str) -> list[str]:
    """The Markdown's paragraphs without front matter or markup."""
    markdown = re.sub(r"\A---\n.*?\n---\n", "", markdown, flags=re.S)
    paragraphs = [re.sub(r"^[#>*\-\s]+|\*\*|__|`", "", p).strip() for p in markdown.split("\n\n")]
    return [p for p in paragraphs if p]


def draft_of(paragraphs: list[str]) -> list[str]:
    """A draft: every fourth paragraph reworded (its second half gone, a sentence added), one
    paragraph missing and one that the final lacks."""
    out = []
    for i, p in enumerate(paragraphs):
        if i == len(paragraphs) // 2:
            continue
        if i % 4 == 1:
            words = p.split()
            p = " ".join(words[: max(3, len(words) // 2)]) + " Detta avsnitt ska kompletteras."
        out.append(p)
    out.insert(1, "UTKAST – får inte spridas. Synpunkter till sekretariatet senast i maj.")
    return out


def make_variants(folder: Path, sources: list[Path]) -> list[tuple[str, str, str]]:
    """Files beside the corpus: (kind, the corpus file's name, the variant's name)."""
    pairs = []
    for source in sources:
        paragraphs = plain(source.read_text(encoding="utf-8"))
        latin = [p.encode("latin-1", "replace").decode("latin-1") for p in paragraphs]
        pdf = make_pdf(folder / f"{source.stem}-som-pdf.pdf", ["\n\n".join(latin)])
        html = folder / f"{source.stem}-som-webbsida.html"
        body = "".join(f"<p>{p}</p>" for p in paragraphs)
        html.write_text(
            f"<html><head><title>{paragraphs[0][:80]}</title></head><body><nav>Meny</nav>"
            f"<main>{body}</main><footer>Kontakt</footer></body></html>",
            encoding="utf-8",
        )
        draft = folder / f"{source.stem}-utkast.md"
        draft.write_text("\n\n".join(draft_of(paragraphs)) + "\n", encoding="utf-8")
        pairs += [
            ("pdf", source.name, pdf.name),
            ("html", source.name, html.name),
            ("draft", source.name, draft.name),
        ]
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pairs", type=int, default=4, help="corpus documents given variants")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        variants = tmp / "varianter"
        variants.mkdir()
        corpus_md = sorted(CORPUS.glob("*.md"), key=lambda p: -p.stat().st_size)
        chosen = corpus_md[1 : 1 + args.pairs * 3 : 3]  # long and short ones, not the longest
        pairs = make_variants(variants, chosen)
        knowledge_base = KnowledgeBase(load_config(data_dir=tmp / "data"))
        with knowledge_base.writing() as writer:
            report = Ingester(writer, suggest=False).ingest_paths([CORPUS, variants])
        assert report.ok, report.failed
        catalog = knowledge_base.catalog
        docs = {Path(d.source).name: d for d in catalog.documents()}
        texts = {name: catalog.get(d.id, with_text=True).text for name, d in docs.items()}
        means = {}
        for name, d in docs.items():
            vectors = knowledge_base.store.vectors([c.id for c in catalog.chunks(d.id)])
            mean = vectors.mean(axis=0)
            means[name] = mean / np.linalg.norm(mean)
        methods = {
            "minhash-3": {n: near.signature(t, 3) for n, t in texts.items()},
            "minhash-5": {n: near.signature(t, 5) for n, t in texts.items()},
        }
        corpus_names = [n for n in docs if (CORPUS / n).exists()]
        print(f"{len(corpus_names)} corpus documents, {len(pairs)} true pairs\n")
        header = f"{'method':<12} {'pdf (min)':>10} {'html (min)':>11} {'draft (min)':>12}"
        print(header + f" {'distinct (max)':>15} {'distinct p99':>13}")
        scores = {
            **{
                m: (lambda a, b, s=sigs: near.similarity(s[a], s[b])) for m, sigs in methods.items()
            },
            "embedding": lambda a, b: float(means[a] @ means[b]),
        }
        for method, score in scores.items():
            true = {
                k: [score(a, b) for kind, a, b in pairs if kind == k]
                for k in ("pdf", "html", "draft")
            }
            distinct = [score(a, b) for a, b in itertools.combinations(corpus_names, 2)]
            print(
                f"{method:<12} {min(true['pdf']):>10.3f} {min(true['html']):>11.3f}"
                f" {min(true['draft']):>12.3f} {max(distinct):>15.3f}"
                f" {np.percentile(distinct, 99):>13.3f}"
            )
        knowledge_base.close()


if __name__ == "__main__":
    main()

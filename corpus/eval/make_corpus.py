"""Write corpus.jsonl (BEIR format) from corpus/documents, with the ids `kb ingest` gives them.

Only the documents listed in documents.txt are taken: the queries were judged against those,
and a document added to the sample corpus later would compete unjudged (a relevant new one
would count as a miss).

Usage: python corpus/eval/make_corpus.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from ingest import metadata as md  # noqa: E402
from ingest.readers import read_document  # noqa: E402
from ingest.sources import collect  # noqa: E402


def judged() -> list[str]:
    lines = (HERE / "documents.txt").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def entries(documents: Path) -> list[dict]:
    files, missing, _ = collect([documents])
    assert not missing, missing
    by_name = {source.relative_name: source for source in files}
    names = judged()
    gone = [name for name in names if name not in by_name]
    assert not gone, f"judged documents missing from {documents}: {gone}"
    out = []
    for source in (by_name[name] for name in names):
        parsed = read_document(source.path.name, source.path.read_bytes(), max_pages=2000)
        text = "\n\n".join(b.text for b in parsed.blocks)
        sidecar_file = md.sidecar_path(source.path)
        sidecar = md.read_sidecar(sidecar_file) if sidecar_file else {}
        meta = md.resolve(source.path.name, parsed.meta, sidecar, {}, text)
        doc_id = md.document_id(sidecar.get("id"), source.relative_name)
        out.append({"_id": doc_id, "title": meta.title, "text": text})
    return out


def main() -> None:
    lines = [json.dumps(e, ensure_ascii=False) for e in entries(HERE.parent / "documents")]
    (HERE / "corpus.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{len(lines)} documents -> corpus.jsonl")


if __name__ == "__main__":
    main()

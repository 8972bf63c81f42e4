"""`kb export` / `kb import`: the whole knowledge base in one portable tar.gz.

Inside: manifest.json (format, model, counts), documents.jsonl (metadata, text, hashes; the
editors' edits as `edited_fields`, each with the file's value it replaces),
chunks.jsonl, originals/<doc id>/<file>, optionally vectors.npy + vector_ids.json, and
records.json (investments, lessons, recommendations in the records file's shape; checked by
the records importer, their quotes against the archive's texts, and their lessons embedded).
Only each document's current version travels: earlier versions stay in the exporting catalog.

An archive may come from anyone, so `import_archive` reads it in one bounded pass, checks all
of it, and only then writes: a refused archive leaves nothing behind.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
from pathlib import Path, PurePosixPath

import numpy as np

from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.models import Document, OcrPage
from kb.operations.archive_checks import (
    FORMAT,
    check_contents,
    layers,
    read_members,
    records_data,
)
from kb.records import files as record_files
from kb.records.importer import UNCHANGED, ImportPlan, plan
from kb.storage import originals
from kb.storage.versions import Origin
from kb.writer import Writer, embed_chunks


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def export(knowledge_base: KnowledgeBase, target: Path, with_vectors: bool = False) -> dict:
    docs = [
        knowledge_base.catalog.get(d.id, with_text=True)
        for d in knowledge_base.catalog.documents(status="ready")
    ]
    chunks = [c for d in docs for c in knowledge_base.catalog.chunks(d.id)]
    manifest = {
        "format": FORMAT,
        "model": knowledge_base.catalog.setting("embed_model"),
        "dimension": knowledge_base.catalog.setting("embed_dimension"),
        "documents": len(docs),
        "chunks": len(chunks),
        "vectors": with_vectors,
        "records": len(knowledge_base.records.list()),
    }
    tmp = target.with_name(target.name + ".partial")
    with tarfile.open(tmp, "w:gz") as tar:
        _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
        doc_lines = []
        for doc in docs:
            row = {**doc.to_dict(with_text=True), "index_signature": doc.index_signature}
            # the copy that was indexed, else the operator's file; never another file
            source = originals.servable(knowledge_base.config, doc) or originals.operator_file(
                knowledge_base.config, doc
            )
            if source is not None:
                name = f"originals/{doc.id}/{source.name}"
                with source.open("rb") as f:
                    tar.addfile(tar.gettarinfo(arcname=name, fileobj=f), f)  # a regular file
                row["original"] = name
            doc_lines.append(json.dumps(row, ensure_ascii=False))
        _add_bytes(tar, "documents.jsonl", "\n".join(doc_lines).encode())
        chunk_lines = [json.dumps(vars(c), ensure_ascii=False) for c in chunks]
        _add_bytes(tar, "chunks.jsonl", "\n".join(chunk_lines).encode())
        if with_vectors and chunks:
            buffer = io.BytesIO()
            np.save(buffer, knowledge_base.store.vectors([c.id for c in chunks]))
            _add_bytes(tar, "vectors.npy", buffer.getvalue())
            _add_bytes(tar, "vector_ids.json", json.dumps([c.id for c in chunks]).encode())
        if manifest["records"]:
            _add_bytes(tar, "records.json", _records_json(knowledge_base))
    tmp.replace(target)  # a crash never leaves a half archive under the real name
    return manifest


def import_archive(writer: Writer, source: Path) -> dict:
    """Add every document of the archive (replacing those with the same id)."""
    knowledge_base = writer.base
    try:
        tar = tarfile.open(source, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise KBError(f"{source} is not a readable export archive ({exc})") from exc
    with (
        tar,
        tempfile.TemporaryDirectory(dir=knowledge_base.config.data_dir, prefix=".import-") as tmp,
    ):
        # staged on the data folder's file system, so that moving an original in is atomic
        members, staged = read_members(tar, Path(tmp), knowledge_base.config.max_file_bytes)
        contents = check_contents(
            members, staged, knowledge_base.embedder.model_id, knowledge_base.embedder.dimension
        )
        items, placed = [], []
        for row, doc_chunks in contents.documents:
            meta, file_meta, edits = layers(row)  # checked already
            original = row.get("original")
            name = PurePosixPath(original).name if original else ""
            doc = Document(
                id=row["id"],
                source=_source(knowledge_base, row, name),
                content_hash=row["content_hash"],
                meta=meta,
                file_type=row["file_type"],
                n_chunks=len(doc_chunks),
                n_pages=row.get("n_pages"),
                size_bytes=row.get("size_bytes") or 0,
                status="indexing",
                meta_inputs_hash="",
                created_at="",
                updated_at="",
                index_signature=row.get("index_signature", "") if contents.same_model else "",
                text=row["text"],
                file_meta=file_meta,
                manual_edits=edits,
                structure=tuple((s[0], s[1]) for s in row.get("structure", [])),
                ocr=tuple(OcrPage(p["page"], float(p["seconds"])) for p in row.get("ocr", [])),
            )
            if all(c.id in contents.vectors for c in doc_chunks):
                matrix = np.array([contents.vectors[c.id] for c in doc_chunks], dtype=np.float32)
                matrix = matrix.reshape(len(doc_chunks), -1)
            else:  # another model, or exported without vectors: embed again
                matrix = embed_chunks(knowledge_base, meta, doc_chunks)
            items.append((doc, doc_chunks, matrix))
            placed.append((doc.id, name, staged.get(original) if original else None))
        records = _checked_records(knowledge_base, members, items)
        # everything is checked (and embedded): only now is anything written
        for doc_id, name, staged_file in placed:
            if staged_file is None:
                originals.discard(
                    knowledge_base.config, doc_id
                )  # never serve the copy of what it replaces
            else:
                originals.install(knowledge_base.config, doc_id, name, staged_file)
        # an archive carries each document's current version only; an imported content that
        # differs from the one here becomes a new version, and earlier versions here stay
        writer.write_documents(items, {doc.id: Origin("import") for doc, _, _ in items})
        writer.save_records([p.record for p in records.records if p.action != UNCHANGED])
    return {
        "documents": len(items),
        "chunks": sum(len(c) for _, c, _ in items),
        "vectors_reused": bool(contents.vectors),
        "records": len(records.records),
    }


def _records_json(knowledge_base: KnowledgeBase) -> bytes:
    out: dict[str, list] = {section: [] for section in record_files.SECTIONS.values()}
    for record in knowledge_base.records.list():
        out[record_files.SECTIONS[record.type]].append(record_files.file_form(record))
    return json.dumps(out, ensure_ascii=False, indent=1).encode()


def _checked_records(knowledge_base: KnowledgeBase, members: dict, items: list) -> ImportPlan:
    """The archive's records, checked as `kb records import` checks a file, their quotes
    against the texts the archive brings (else the catalog's)."""
    raw = records_data(members)
    if raw is None:
        return ImportPlan()
    texts = {doc.id: (doc.text, chunks) for doc, chunks, _ in items}
    result = plan(knowledge_base, raw, texts=texts, from_archive=True)
    if not result.ok:
        listed = "; ".join(f"{p.record_id or '-'}: {p.error}" for p in result.problems[:10])
        raise KBError(f"records.json in the archive has {len(result.problems)} problems: {listed}")
    return result


def _source(knowledge_base: KnowledgeBase, row: dict, original_name: str) -> str:
    """The archive's `source` is only display text: a path in it could name any file here."""
    if original_name:
        return str(originals.kept_path(knowledge_base.config, row["id"], original_name))
    given = row.get("source")
    return originals.safe_name(PurePosixPath(given).name) if isinstance(given, str) else row["id"]

"""`kb export` / `kb import`: the whole knowledge base in one portable tar.gz.

Inside: manifest.json (format, model, counts), documents.jsonl (metadata, text, hashes),
chunks.jsonl, originals/<doc id>/<file>, and optionally vectors.npy + vector_ids.json.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path, PurePosixPath

import numpy as np

from kb import originals
from kb.errors import KBError
from kb.knowledge_base import KnowledgeBase
from kb.models import Chunk, Document, Metadata, passage_text

FORMAT = "erfarenhetsbanken-export/1"


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def export(kb: KnowledgeBase, target: Path, with_vectors: bool = False) -> dict:
    docs = [kb.catalog.get(d.id, with_text=True) for d in kb.catalog.documents(status="ready")]
    chunks = [c for d in docs for c in kb.catalog.chunks(d.id)]
    manifest = {"format": FORMAT, "model": kb.catalog.setting("embed_model"),
                "dimension": kb.catalog.setting("embed_dimension"),
                "documents": len(docs), "chunks": len(chunks), "vectors": with_vectors}  # fmt: skip
    tmp = target.with_name(target.name + ".partial")
    with tarfile.open(tmp, "w:gz") as tar:
        _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
        doc_lines = []
        for doc in docs:
            row = {**doc.to_dict(with_text=True), "index_signature": doc.index_signature}
            # the copy that was indexed, else the operator's file; never another file
            source = originals.servable(kb.config, doc) or originals.operator_file(kb.config, doc)
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
            np.save(buffer, kb.store.vectors([c.id for c in chunks]))
            _add_bytes(tar, "vectors.npy", buffer.getvalue())
            _add_bytes(tar, "vector_ids.json", json.dumps([c.id for c in chunks]).encode())
    tmp.replace(target)  # a crash never leaves a half archive under the real name
    return manifest


def _member(tar: tarfile.TarFile, name: str) -> bytes:
    try:
        member = tar.getmember(name)
    except KeyError as exc:
        raise KBError(f"not an Erfarenhetsbanken export: {name} is missing") from exc
    return tar.extractfile(member).read()


def import_archive(kb: KnowledgeBase, source: Path) -> dict:
    """Add every document of the archive (replacing those with the same id)."""
    try:
        tar = tarfile.open(source, "r:gz")
    except (tarfile.TarError, OSError) as exc:
        raise KBError(f"{source} is not a readable export archive ({exc})") from exc
    with tar:
        manifest = json.loads(_member(tar, "manifest.json"))
        if manifest.get("format") != FORMAT:
            raise KBError(f"unknown export format {manifest.get('format')!r}")
        docs = [json.loads(x) for x in _member(tar, "documents.jsonl").decode().splitlines() if x]
        chunks: dict[str, list[Chunk]] = {}
        for line in _member(tar, "chunks.jsonl").decode().splitlines():
            if line:
                chunk = Chunk(**json.loads(line))
                chunks.setdefault(chunk.doc_id, []).append(chunk)
        vectors: dict[str, np.ndarray] = {}
        same_model = manifest.get("model") == kb.embedder.model_id
        if manifest.get("vectors") and same_model:
            ids = json.loads(_member(tar, "vector_ids.json"))
            matrix = np.load(io.BytesIO(_member(tar, "vectors.npy")))
            vectors = dict(zip(ids, matrix))
        items = []
        for row in docs:
            doc_chunks = sorted(chunks.get(row["id"], []), key=lambda c: c.seq)
            source_path = _restore_original(kb, tar, row)
            meta = Metadata.from_dict(row)
            doc = Document(
                id=row["id"], source=str(source_path or row["source"]),
                content_hash=row["content_hash"], meta=meta, file_type=row["file_type"],
                n_chunks=len(doc_chunks), n_pages=row.get("n_pages"),
                size_bytes=row.get("size_bytes", 0), status="indexing",
                index_signature=row.get("index_signature", "") if same_model else "",
                meta_inputs="", created_at="", updated_at="", text=row["text"],
            )  # fmt: skip
            if all(c.id in vectors for c in doc_chunks):
                matrix = np.array([vectors[c.id] for c in doc_chunks], dtype=np.float32)
            else:  # another model, or exported without vectors: embed again
                matrix = kb.embedder.embed_passages([passage_text(meta, c.text)
                                                     for c in doc_chunks])  # fmt: skip
            items.append((doc, doc_chunks, matrix.reshape(len(doc_chunks), -1)))
        kb.write_documents(items)
    return {"documents": len(items), "chunks": sum(len(c) for _, c, _ in items),
            "vectors_reused": bool(vectors)}  # fmt: skip


def _restore_original(kb: KnowledgeBase, tar: tarfile.TarFile, row: dict) -> Path | None:
    name = row.get("original")
    if not name:
        return None
    parts = PurePosixPath(name).parts
    # Only originals/<id>/<file>: a hostile archive must not write outside the data folder.
    if len(parts) != 3 or parts[0] != "originals" or ".." in parts or parts[1] != row["id"]:
        raise KBError(f"unsafe path in archive: {name!r}")
    target = kb.config.data_dir / "originals" / parts[1] / parts[2]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(_member(tar, name))
    return target

"""The ingest pipeline: read, resolve metadata, chunk, embed in batches, store; idempotent."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ingest import metadata as md
from ingest.chunking import chunk_document
from ingest.readers import Block, OcrSettings, ParsedFile, read_document, read_file_meta
from ingest.references import link_references
from ingest.sources import SourceFile, collect
from ingest.suggestions import Suggesters
from kb.errors import FileTooLarge, KBError, StorageFault, StorageFull
from kb.knowledge_base import KnowledgeBase
from kb.manual_edits import apply_edits, merge_edits
from kb.models import HEADING_STYLES, Chunk, Document, OcrPage, passage_text
from kb.storage import originals
from kb.storage.faults import disk_full, storage_fault
from kb.storage.versions import Origin
from kb.writer import Writer

log = logging.getLogger(__name__)

# 2: readers keep tables in reading order, one row a block (and record the text's structure)
CHUNKER_VERSION = 2


class Progress:
    """Told how many files a run looks at, then the outcome of each; the CLI draws a bar."""

    def start(self, total: int) -> None: ...

    def waiting(self, holder: str = "another writer") -> None:
        """Another writer (`holder` says which) holds the knowledge base; this one waits."""

    def advance(self, outcome: str, path: str) -> None: ...

    def ocr(self, path: str, done: int, total: int) -> None:
        """OCR of a file's scanned pages: `done` of `total` read (0 before the first)."""


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    # path -> (code, params) of a reason from kb/messages.py, for showing it translated
    codes: dict[str, tuple[str, dict]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)
    chunks_embedded: int = 0
    suggestions: int = 0  # new ones waiting in the review queue
    ocr: dict[str, list[OcrPage]] = field(default_factory=dict)  # path -> pages read by OCR
    # the storage fault (a full or read-only disk) that stopped the run, and the files it left
    stopped: StorageFault | None = None
    not_done: int = 0
    # path -> the documents it resembles: {"id", "title", "percent"} (kb/near_duplicates.py)
    near_duplicates: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed and self.stopped is None

    def to_dict(self) -> dict:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "failed": [
                {"path": p, "reason": r, "code": self.codes.get(p, (None,))[0]}
                for p, r in self.failed
            ],
            "removed": len(self.removed),
            "chunks_embedded": self.chunks_embedded,
            "suggestions": self.suggestions,
            "ocr": [{"path": p, **ocr_summary(pages)} for p, pages in self.ocr.items()],
            "near_duplicates": [
                {"path": p, "resembles": found} for p, found in self.near_duplicates.items()
            ],
        } | (
            {"error": str(self.stopped), "code": self.stopped.code, "not_done": self.not_done}
            if self.stopped
            else {}
        )


def ocr_summary(pages: list[OcrPage]) -> dict:
    """A file's OCR in figures: pages read, seconds in all and per page."""
    seconds = sum(p.seconds for p in pages)
    return {
        "pages": [p.page for p in pages],
        "seconds": round(seconds, 2),
        "seconds_per_page": round(seconds / len(pages), 2) if pages else 0.0,
    }


@dataclass
class _Pending:
    doc: Document
    chunks: list[Chunk]
    passages: list[str]
    outcome: str  # "added" or "updated"
    path: str
    origin: Origin


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _meta_inputs_hash(sidecar: dict, options: dict) -> str:
    options = {k: v for k, v in options.items() if k not in ("edited_by", "origin")}  # who
    blob = json.dumps([sidecar, options], sort_keys=True, default=str, ensure_ascii=False)
    return _sha256(blob.encode())[:16]


class Ingester:
    """Works inside `KnowledgeBase.writing()`: it is given the writer that holds the lock."""

    def __init__(
        self,
        writer: Writer,
        progress: Progress | None = None,
        suggest: bool = True,
        reuse_vectors: bool = False,
    ) -> None:
        """`suggest`: run the review queue's suggesters (an evaluation corpus needs none);
        `reuse_vectors`: a chunk whose text the store holds already keeps its vector (a
        catalog rebuilt by `kb recover` over an intact vector store)."""
        self.writer = writer
        self.suggesters = Suggesters(writer) if suggest else None
        self.reuse_vectors = reuse_vectors
        self.vectors_reused = 0  # documents whose stored vectors were kept
        self.kb = knowledge_base = writer.base
        self.config = knowledge_base.config
        self.progress = progress or Progress()
        self.signature = (
            f"{knowledge_base.embedder.model_id}|chunker{CHUNKER_VERSION}:{self.config.chunk_tokens}:"
            f"{self.config.chunk_max_tokens}:{self.config.chunk_overlap}"
        )
        self._pending: list[_Pending] = []
        self._claimed: dict[str, str] = {}  # doc id -> path, within this run
        self.doc_ids: dict[str, str] = {}  # path -> the id of its document, within this run
        self.report = IngestReport()

    # public ----------------------------------------------------------------
    def ingest_paths(
        self, paths: list[Path], options: dict | None = None, prune: bool = False
    ) -> IngestReport:
        files, missing, roots = collect(paths)
        self.report.failed.extend(missing)
        self.progress.start(len(files))
        done = 0
        try:
            for source in files:
                self.ingest_file(source, options or {})
                done += 1
            self._redo_interrupted_uploads()
            self.flush()
            if prune:
                self._prune(roots)
        except StorageFault as fault:
            self._stop(fault, files[done:])
        return self.report

    def _redo_interrupted_uploads(self) -> None:
        """An upload whose job was killed leaves its document 'indexing' and its file in the
        data folder: any ingest redoes it (with the form's fields, kept as its edits)."""
        uploads = originals.root(self.config).resolve()
        for doc in self.kb.catalog.documents(status="indexing"):
            path = Path(doc.source)
            is_upload = path.is_relative_to(uploads) and not path.is_relative_to(
                uploads / originals.KEPT
            )
            if is_upload and doc.id not in self._claimed and path.is_file():
                self.ingest_file(SourceFile(path, path.name), {"id": doc.id, "replace": True})

    def _stop(self, fault: StorageFault, left: list[SourceFile]) -> None:
        """Stop at the first storage fault: what is written stays (documents caught mid-write
        stay 'indexing', and the next run redoes them), the rest is counted, not tried."""
        pending = {item.path for item in self._pending}
        self._pending = []
        rest = [s for s in left if str(s.path) not in pending]
        self.report.not_done = len(pending) + len(rest)
        if isinstance(fault, StorageFull):
            # Rough: each file is copied in, and its text, chunks and vectors take about as much.
            needed = 2 * sum(_size(s.path) for s in rest) + sum(_size(Path(p)) for p in pending)
            fault = disk_full(self.config.data_dir, max(needed, 2**20))
        self.report.stopped = fault

    def ingest_file(self, source: SourceFile, options: dict) -> None:
        path = str(source.path)
        try:
            outcome = self._ingest_one(source, options)
        except StorageFault:
            raise
        except KBError as exc:
            self._fail(path, exc)
            return
        except Exception as exc:  # noqa: BLE001 - one bad file never stops the run
            if (fault := storage_fault(exc, self.config.data_dir)) is not None:
                raise fault from exc  # …but a full or read-only disk stops it
            log.warning("unexpected error reading %s", path, exc_info=True)
            self._fail(path, KBError("unreadable_file", detail=f"{type(exc).__name__}: {exc}"))
            return
        if outcome is not None:
            getattr(self.report, outcome).append(path)
            self.progress.advance(outcome, path)

    def flush(self) -> None:
        """Embed every queued chunk in one call, then write each document."""
        if not self._pending:
            return
        kept = self._stored_vectors() if self.reuse_vectors else {}
        self.vectors_reused += len(kept)
        to_embed = [item for item in self._pending if item.doc.id not in kept]
        passages = [p for item in to_embed for p in item.passages]
        vectors = self.kb.embedder.embed_passages(passages) if passages else None
        writes, offset = [], 0
        for item in self._pending:
            n = len(item.chunks)
            if item.doc.id in kept:
                writes.append((item.doc, item.chunks, kept[item.doc.id]))
                continue
            writes.append((item.doc, item.chunks, vectors[offset : offset + n]))
            offset += n
        try:
            self.writer.write_documents(
                writes, {item.doc.id: item.origin for item in self._pending}
            )
            link_references(self.writer, [doc for doc, _, _ in writes])
            if self.suggesters is not None:
                self.report.suggestions += self.suggesters.suggest(writes)
                self._near_duplicates(
                    [item for item in self._pending if item.outcome != "restored"]
                )
        except Exception as exc:
            fault = storage_fault(exc, self.config.data_dir)
            if fault is None:
                raise
            raise fault from exc
        for item in self._pending:
            if item.outcome == "restored":
                continue
            getattr(self.report, item.outcome).append(item.path)
            self.progress.advance(item.outcome, item.path)
        self.report.chunks_embedded += len(passages)
        self._pending = []

    def _stored_vectors(self) -> dict:
        """doc id -> its chunks' vectors, for pending documents whose every chunk the store
        holds with the same text (the passage embedded is the chunk's text and the title)."""
        ids = [c.id for item in self._pending for c in item.chunks]
        try:
            stored = self.kb.store.stored(ids) if ids else {}
        except Exception as exc:  # noqa: BLE001 - a damaged store: embed everything again
            log.warning("the stored vectors cannot be read (%s); embedding again", exc)
            return {}
        kept = {}
        for item in self._pending:
            found = [stored.get(c.id) for c in item.chunks]
            if item.chunks and all(f and f[0] == c.text for f, c in zip(found, item.chunks)):
                kept[item.doc.id] = np.stack([f[1] for f in found])
        return kept

    def _near_duplicates(self, items: list[_Pending]) -> None:
        """Warn of each new content that resembles another document (never dropped)."""
        found = self.writer.find_near_duplicates([item.doc for item in items])
        titles = self.kb.catalog.find_many(
            sorted(
                {p.other_id if p.doc_id == d else p.doc_id for d, ps in found.items() for p in ps}
            )
        )
        for item in items:
            pairs = found.get(item.doc.id, [])
            shown = []
            for pair in pairs:
                other = pair.other_id if pair.doc_id == item.doc.id else pair.doc_id
                title = titles[other].meta.title if other in titles else other
                shown.append({"id": other, "title": title, "percent": pair.percent})
            if shown:
                self.report.near_duplicates[item.path] = shown

    def restore_version(self, doc_id: str, n: int, editor: str) -> int:
        """Version `n` becomes the newest version again: its text re-chunked and re-embedded,
        its file the document's original, the editors' edits kept. Returns the new version's n."""
        catalog = self.kb.catalog
        doc = catalog.get(doc_id)
        version = catalog.version(doc_id, n)
        if version.content_hash == doc.content_hash:
            raise KBError("version_is_current", n=n)
        kept = originals.version_file(self.config, doc_id, version.original)
        source = doc.source
        if kept is not None:
            if originals.operator_file(self.config, doc) is not None:
                # the operator's file stays the source; the copy we serve is the version's
                originals.keep(self.config, doc_id, kept.name, kept.read_bytes())
            else:
                source = str(kept)
        parsed = ParsedFile(version.file_type, _blocks(version), n_pages=version.n_pages)
        file_meta = version.file_meta or version.meta
        self._queue(
            doc_id,
            source,
            parsed,
            version.content_hash,
            version.size_bytes,
            False,
            lambda text: (file_meta, ()),
            doc.meta_inputs_hash,
            Origin("restore", editor, str(n)),
            "restored",
        )
        self.flush()
        return catalog.versions(doc_id)[0].n

    # steps -----------------------------------------------------------------
    def _fail(self, path: str, error: KBError) -> None:
        self.report.failed.append((path, str(error)))
        if error.code:
            self.report.codes[path] = (error.code, error.params)
        self.progress.advance("failed", path)

    def _ingest_one(self, source: SourceFile, options: dict) -> str | None:
        size = source.path.stat().st_size
        if size > self.config.max_file_bytes:
            raise FileTooLarge(
                "file_too_large", size_mb=size / 2**20, limit_mb=f"{self.config.max_file_mb:g}"
            )
        data = source.path.read_bytes()
        sidecar_file = md.sidecar_path(source.path)
        sidecar = md.read_sidecar(sidecar_file) if sidecar_file else {}
        content_hash = _sha256(data)
        meta_inputs_hash = _meta_inputs_hash(sidecar, options)
        doc_id = self._document_id(source, sidecar, options)
        self.doc_ids[str(source.path)] = doc_id
        existing = self.kb.catalog.find(doc_id)
        if (
            existing is not None
            and existing.status == "ready"
            and existing.content_hash == content_hash
            and existing.index_signature == self.signature
        ):
            self._keep_copy(source, doc_id, data)  # also makes the copies an older version lacks
            if existing.meta_inputs_hash == meta_inputs_hash:
                return "unchanged"
            file_meta = read_file_meta(source.path.name, data, self.config.max_pages)
            text = self.kb.catalog.get(doc_id, with_text=True).text
            meta, form_edits = md.resolve_layers(
                source.path.name, file_meta, sidecar, options, text, _now()
            )
            self.report.chunks_embedded += self.writer.update_file_metadata(
                doc_id, meta, meta_inputs_hash, form_edits
            )
            return "updated"

        parsed = self._read(source.path.name, data, str(source.path))
        if parsed.ocr:
            self.report.ocr[str(source.path)] = parsed.ocr
        self._keep_copy(source, doc_id, data)
        self._queue(
            doc_id,
            str(source.path),
            parsed,
            content_hash,
            size,
            existing is None,
            lambda text: md.resolve_layers(
                source.path.name, {**parsed.meta}, sidecar, options, text, _now()
            ),
            meta_inputs_hash,
            _origin(options, str(source.path)),
        )
        return None  # reported when flushed

    def _keep_copy(self, source: SourceFile, doc_id: str, data: bytes) -> None:
        """The web app serves originals only from the data folder: keep a copy there of a file
        ingested from elsewhere (an upload is already there). Written before the catalog, so a
        crash between the two leaves a copy that the next run, seeing the change, redoes."""
        if not source.path.is_relative_to(originals.root(self.config).resolve()):
            originals.keep(self.config, doc_id, source.path.name, data)

    def _read(self, name: str, data: bytes, path: str) -> ParsedFile:
        return read_document(
            name, data, self.config.max_pages, self.config.max_text_chars, self._ocr(path)
        )

    def _ocr(self, path: str) -> OcrSettings | None:
        if not self.config.ocr:
            return None
        return OcrSettings(
            languages=self.config.ocr_languages,
            dpi=self.config.ocr_dpi,
            max_pages=self.config.ocr_max_pages,
            max_seconds=self.config.ocr_max_seconds,
            command=self.config.ocr_command,
            on_page=lambda done, total: self.progress.ocr(path, done, total),
        )

    def ingest_parsed(self, doc_id: str, source: str, parsed: ParsedFile, options: dict) -> None:
        """Ingest text that did not come from a file (an evaluation corpus, an API call)."""
        content_hash = _sha256("\n\n".join(b.text for b in parsed.blocks).encode())
        existing = self.kb.catalog.find(doc_id)
        if existing and existing.content_hash == content_hash and existing.status == "ready":
            self.report.unchanged.append(source)
            return
        self._queue(
            doc_id,
            source,
            parsed,
            content_hash,
            len(content_hash),
            existing is None,
            lambda text: md.resolve_layers(source, parsed.meta, {}, options, text, _now()),
            "",
            _origin(options, source),
        )

    def _queue(
        self,
        doc_id,
        source,
        parsed,
        content_hash,
        size,
        is_new,
        resolve_meta,
        meta_inputs_hash,
        origin: Origin,
        outcome: str | None = None,
    ) -> None:
        text, spans, blocks = chunk_document(
            parsed.blocks,
            self.kb.embedder.token_counts,
            self.config.chunk_tokens,
            self.config.chunk_max_tokens,
            self.config.chunk_overlap,
        )
        file_meta, form_edits = resolve_meta(text)
        # a new version of the file: what editors set by hand stays on top of what it says
        existing = self.kb.catalog.find(doc_id)
        edits = merge_edits(existing.manual_edits if existing else (), form_edits)
        meta = apply_edits(file_meta, edits)
        chunks = [
            Chunk(doc_id, seq, text[s.start : s.end], s.page, s.start, s.end)
            for seq, s in enumerate(spans)
        ]
        doc = Document(
            id=doc_id,
            source=source,
            content_hash=content_hash,
            meta=meta,
            file_type=parsed.file_type,
            n_chunks=len(chunks),
            n_pages=parsed.n_pages,
            size_bytes=size,
            status="indexing",
            index_signature=self.signature,
            meta_inputs_hash=meta_inputs_hash,
            created_at="",
            updated_at="",
            text=text,
            file_meta=file_meta,
            manual_edits=edits,
            structure=blocks,
            ocr=tuple(parsed.ocr),
        )
        self._pending.append(
            _Pending(
                doc,
                chunks,
                [passage_text(meta, c.text) for c in chunks],
                outcome or ("added" if is_new else "updated"),
                source,
                origin,
            )
        )
        if sum(len(p.chunks) for p in self._pending) >= self.config.embed_pool_chunks:
            self.flush()

    def _document_id(self, source: SourceFile, sidecar: dict, options: dict) -> str:
        explicit = options.get("id") or sidecar.get("id")
        doc_id = md.document_id(explicit, source.relative_name)
        # a document linked as another's version: its id leads to that one
        doc_id = self.kb.catalog.alias_of(doc_id) or doc_id
        path = str(source.path)
        existing = self.kb.catalog.find(doc_id)
        owner = self._claimed.get(doc_id) or (existing.source if existing else path)
        if existing and doc_id not in self._claimed and self._is_kept_copy(owner, doc_id):
            owner = path  # recovered from its copy (`kb recover`): the file itself takes it back
        if owner != path and (doc_id in self._claimed or Path(owner).exists()):
            if explicit and options.get("replace"):
                self._claimed[doc_id] = path  # a new upload of the document takes its place
                return doc_id
            if explicit:
                raise KBError("id_in_use", field="id", value=doc_id, owner=owner)
            # Same name from another folder or format: keep both, told apart by their path.
            doc_id = f"{doc_id}-{_sha256(path.encode())[:6]}"
        self._claimed[doc_id] = path
        return doc_id

    def _is_kept_copy(self, source: str, doc_id: str) -> bool:
        kept = originals.root(self.config).resolve() / originals.KEPT / doc_id
        return Path(source).is_relative_to(kept)

    def _prune(self, roots: list[Path]) -> None:
        for doc in self.kb.catalog.documents():
            source = Path(doc.source)
            under_root = any(source.is_relative_to(root) for root in roots)
            if under_root and not source.exists():
                self.writer.delete(doc.id)
                self.report.removed.append(doc.id)


def _origin(options: dict, path: str) -> Origin:
    """Who made a version: an upload (or a re-read) by an editor, or an ingest from a path."""
    editor = options.get("edited_by")
    kind = options.get("origin") or ("upload" if editor else "ingest")
    return Origin(kind, editor or path)


def _blocks(version) -> list[Block]:
    """A stored version's text as blocks again: its paragraphs, with their styles and pages."""
    styles = dict(version.structure)
    pages = sorted(version.pages)
    blocks, pos = [], 0
    for part in version.text.split("\n\n"):
        page = None
        for start, p in pages:
            if start > pos:
                break
            page = p
        style = styles.get(pos, "")
        blocks.append(Block(part, page, style in HEADING_STYLES, style))
        pos += len(part) + 2
    return blocks


def ingest(
    knowledge_base: KnowledgeBase,
    paths: list[Path],
    options: dict | None = None,
    prune: bool = False,
    progress: Progress | None = None,
) -> IngestReport:
    progress = progress or Progress()
    with knowledge_base.writing(on_wait=progress.waiting, task="an ingest (kb ingest)") as writer:
        return Ingester(writer, progress).ingest_paths(paths, options, prune)

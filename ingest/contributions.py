"""A contribution's files and its publication: attachments are checked and kept (never read
before an editor publishes), and publishing makes the experience a document of kind
`experience` through the normal pipeline, with its fields as draft lessons for the review queue
and its attachments ready to be ingested as documents of their own."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import BinaryIO

from ingest.metadata import slugify
from ingest.pipeline import Ingester
from ingest.readers import sniff_type
from ingest.readers.base import Block, ParsedFile, paragraphs
from kb.config import Config
from kb.errors import FileTooLarge, KBError
from kb.operations.contributions import MAX_ATTACHMENTS, mark_published, waiting
from kb.records.models import Investment
from kb.storage.contributions import Attachment, Contribution
from kb.storage.data_folder import private_folder
from kb.storage.originals import root as originals_root
from kb.storage.originals import safe_name
from kb.storage.suggestions import NewSuggestion
from kb.writer import Writer

FOLDER = "contributions"  # under the data folder: never served, never ingested as they are
# The experience's sections: heading, field, the polarity its draft lesson gets.
SECTIONS = (
    ("Vad gick bra", "went_well", "gick bra"),
    ("Vad gick dåligt", "went_badly", "gick dåligt"),
    ("Råd till andra", "advice", "råd"),
)
_CHUNK = 1 << 16


def save_attachments(config: Config, files: Iterable[tuple[str, BinaryIO]]) -> list[Attachment]:
    """Keep the files under the data folder, each checked as an upload is (size, format by
    its content); all or none: a refused file leaves nothing behind."""
    files = [(name, stream) for name, stream in files if name]
    if len(files) > MAX_ATTACHMENTS:
        raise KBError("too_many_attachments", field="attachments", max=MAX_ATTACHMENTS)
    folder = config.data_dir / FOLDER / uuid.uuid4().hex[:12]
    saved: list[Attachment] = []
    try:
        for n, (name, stream) in enumerate(files):
            safe = safe_name(name)
            target = private_folder(folder / str(n)) / safe
            size = _copy_capped(stream, target, config)
            with target.open("rb") as f:
                head = f.read(4096)
            try:
                sniff_type(safe, head)
            except KBError as exc:
                raise KBError(
                    "unsupported_attachment", field="attachments", name=safe, reason=str(exc)
                ) from exc
            saved.append(Attachment(safe, str(target.relative_to(config.data_dir)), size))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return saved


def _copy_capped(stream: BinaryIO, target: Path, config: Config) -> int:
    size = 0
    with target.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > config.max_file_bytes:
                raise FileTooLarge(
                    "file_too_large",
                    field="attachments",
                    size_mb=size / 2**20,
                    limit_mb=f"{config.max_file_mb:g}",
                )
            out.write(chunk)
    return size


def document_id(contribution: Contribution) -> str:
    return f"erfarenhet-{contribution.id}"


def investment_name(writer: Writer, contribution: Contribution) -> str:
    if contribution.investment_id:
        found = writer.base.records.get(contribution.investment_id)
        if isinstance(found, Investment):
            return found.name
    return contribution.investment_name or contribution.investment_id or ""


def document_blocks(contribution: Contribution, investment: str) -> list[Block]:
    """The experience as a document: its title, agency and investment, then one section per
    field the contributor filled in. The text is theirs, never read as markup."""
    blocks = [
        Block(title(contribution, investment), heading=True, style="h1"),
        Block(f"Myndighet: {contribution.agency}"),
        Block(f"Investering: {investment}"),
    ]
    for heading, name, _ in SECTIONS:
        text = getattr(contribution, name)
        if text:
            blocks.append(Block(heading, heading=True, style="h2"))
            blocks.extend(paragraphs(text))
    return blocks


def title(contribution: Contribution, investment: str) -> str:
    return f"Erfarenhet: {investment} ({contribution.agency})"[:300]


@dataclass(frozen=True)
class Published:
    doc_id: str
    drafts: int  # draft lessons (and the investment) put in the review queue


def publish(writer: Writer, contribution_id: int, editor: str) -> Published:
    """Ingest the experience as a document, put its fields in the review queue as draft
    lessons, and mark the contribution published. Its attachments are not read here: see
    `attachment_uploads`."""
    base = writer.base
    contribution = waiting(base, contribution_id)
    investment = investment_name(writer, contribution)
    source = f"bidrag:{contribution.id}"
    doc_id = document_id(contribution)
    taken = base.catalog.find(doc_id)
    if taken is not None and taken.source != source:  # an upload named so: never replaced
        doc_id = f"{doc_id}-{uuid.uuid4().hex[:6]}"
    ingester = Ingester(writer)
    ingester.ingest_parsed(
        doc_id,
        source,
        ParsedFile("text", document_blocks(contribution, investment)),
        {
            "title": title(contribution, investment),
            "kind": "experience",
            "agency": contribution.agency,
            "date": date.today().isoformat(),
        },
    )
    ingester.flush()
    if ingester.report.failed:
        raise KBError(ingester.report.failed[0][1])
    doc = base.catalog.get(doc_id, with_text=True)
    texts = [getattr(contribution, name) for _, name, _ in SECTIONS if getattr(contribution, name)]
    suggester = ingester.suggesters.themes if ingester.suggesters else None
    themes = [[t.theme_id for t in x] for x in suggester.suggest(texts)] if suggester else []
    found = _drafts(contribution, investment, doc.text or "", themes or [[] for _ in texts])
    drafts = writer.replace_suggestions(doc.id, doc.content_hash, "lesson", found)
    mark_published(base, contribution.id, editor, doc_id)
    return Published(doc_id, drafts)


def _drafts(
    contribution: Contribution, investment: str, text: str, themes: list[list[str]]
) -> list[NewSuggestion]:
    """One draft lesson per field, its polarity the field's, its quote the field's text, its
    themes those suggested for it."""
    out = []
    filled = [(name, polarity) for _, name, polarity in SECTIONS if getattr(contribution, name)]
    for (name, polarity), picked in zip(filled, themes, strict=True):
        value = getattr(contribution, name)
        quote = "\n\n".join(b.text for b in paragraphs(value))
        start = text.find(quote)
        lesson = " ".join(quote.split())
        out.append(
            NewSuggestion(
                "lesson",
                f"lesson:{lesson}",
                {
                    "text": lesson,
                    "quote": quote,
                    "polarity": polarity,
                    "themes": picked,
                    "score": 1.0,
                    "cues": [],
                    "seq": None,
                    "start": start if start >= 0 else None,
                    "end": start + len(quote) if start >= 0 else None,
                    "contribution": contribution.id,
                    "investment": contribution.investment_id,
                },
            )
        )
    if contribution.investment_id:
        out.append(
            NewSuggestion(
                "investment",
                f"investment:{contribution.investment_id}",
                {
                    "investment": contribution.investment_id,
                    "name": investment,
                    "score": 1.0,
                    "similarity": 1.0,
                    "agency_match": True,
                    "contribution": contribution.id,
                },
            )
        )
    return out


def attachment_uploads(
    config: Config, contribution: Contribution
) -> tuple[list[tuple[str, Path]], list[str]]:
    """The attachments copied to the originals folder as uploads are, with the document id
    each gets (its own, so an attachment never replaces another document)."""
    files, ids = [], []
    for n, attachment in enumerate(contribution.attachments):
        source = config.data_dir / attachment.path
        if not source.is_file():
            continue
        folder = private_folder(originals_root(config) / uuid.uuid4().hex[:12])
        target = folder / attachment.name
        shutil.copyfile(source, target)
        files.append((attachment.name, target))
        stem = slugify(Path(attachment.name).stem, max_length=60)
        ids.append(f"{document_id(contribution)}-bilaga-{n + 1}-{stem}")
    return files, ids


def attachment_options(contribution: Contribution, editor: str) -> dict:
    """The metadata the attachments get: the contribution's agency, as the editor's word."""
    return {"agency": contribution.agency, "edited_by": editor}

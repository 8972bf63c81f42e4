"""HTML: the page's main text, without navigation, headers, footers or scripts."""

from __future__ import annotations

from bs4 import BeautifulSoup, Tag

from ingest.readers.base import Block, ParsedFile, clean_text
from ingest.readers.text import decode_text
from kb.errors import EmptyDocument

_DROP = ["script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
         "button", "svg", "iframe", "select"]  # fmt: skip
_DROP_ROLES = ["navigation", "banner", "contentinfo", "search", "complementary"]
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = _HEADINGS | {"p", "li", "blockquote", "pre", "td", "th", "dd", "dt", "figcaption",
                       "caption"}  # fmt: skip
_META_KEYS = {
    "dcterms.date": "date", "dc.date": "date", "date": "date", "article:published_time": "date",
    "dcterms.creator": "agency", "dc.publisher": "agency", "author": "agency",
    "keywords": "tags", "og:url": "source_url", "dc.language": "language",
}  # fmt: skip


def _meta(soup: BeautifulSoup) -> dict:
    meta: dict = {}
    for tag in soup.find_all("meta"):
        key = (tag.get("name") or tag.get("property") or "").strip().lower()
        value = (tag.get("content") or "").strip()
        if key in _META_KEYS and value:
            meta.setdefault(_META_KEYS[key], value)
    if "tags" in meta:
        meta["tags"] = [t.strip() for t in meta["tags"].split(",") if t.strip()]
    if "date" in meta:
        meta["date"] = meta["date"][:10]
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        meta.setdefault("source_url", canonical["href"])
    html = soup.find("html")
    if html and html.get("lang"):
        meta.setdefault("language", html["lang"].split("-")[0].lower())
    if soup.title and soup.title.get_text(strip=True):
        meta["_html_title"] = clean_text(soup.title.get_text(" "))
    return meta


def _main(soup: BeautifulSoup) -> Tag:
    for tag in soup.find_all(_DROP):
        tag.decompose()
    for tag in soup.find_all(attrs={"role": _DROP_ROLES}):
        tag.decompose()
    return (
        soup.find("main")
        or soup.find(attrs={"role": "main"})
        or soup.find("article")
        or soup.body
        or soup
    )


def read_html(data: bytes) -> ParsedFile:
    soup = BeautifulSoup(decode_text(data), "html.parser")
    meta = _meta(soup)
    main = _main(soup)
    blocks: list[Block] = []
    for tag in main.find_all(_BLOCKS):
        if tag.find_parent(_BLOCKS - _HEADINGS - {"td", "th"}) and tag.name not in _HEADINGS:
            continue  # a <p> inside an <li> is read with its item
        text = clean_text(tag.get_text(" "))
        if not text:
            continue
        heading = tag.name in _HEADINGS
        blocks.append(Block(" ".join(text.split()), heading=heading))
        if heading:
            meta.setdefault("_first_heading", blocks[-1].text)
    if not blocks:  # pages made only of <div>s
        text = clean_text(main.get_text("\n"))
        blocks = [Block(line) for line in text.split("\n") if line.strip()]
    if not blocks:
        raise EmptyDocument("the page holds no main text")
    return ParsedFile("html", blocks, meta)

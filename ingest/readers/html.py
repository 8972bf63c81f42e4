"""HTML: the page's main text, without navigation, headers, footers or scripts."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from bs4 import BeautifulSoup, CData, NavigableString, PageElement, Tag

from ingest.readers.base import CELL_SEPARATOR, Block, ParsedFile, clean_text
from ingest.readers.text import decode_text
from kb.errors import EmptyDocument
from kb.models import is_web_address

_DROP = [
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "button",
    "svg",
    "iframe",
    "select",
]
_DROP_ROLES = ["navigation", "banner", "contentinfo", "search", "complementary"]
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_CELLS = {"td", "th"}
_BLOCKS = _HEADINGS | _CELLS | {"p", "li", "blockquote", "pre", "dd", "dt", "figcaption", "caption"}
_META_KEYS = {
    "dcterms.date": "date",
    "dc.date": "date",
    "date": "date",
    "article:published_time": "date",
    "dcterms.creator": "agency",
    "dc.publisher": "agency",
    "author": "agency",
    "keywords": "tags",
    "og:url": "source_url",
    "dc.language": "language",
}


def _dropped(tag: Tag) -> bool:
    return tag.name in _DROP or tag.get("role") in _DROP_ROLES


def _kept(root: Tag) -> Iterator[Tag]:
    """The tags under `root` in document order, without the dropped ones and their contents."""
    # An explicit stack, not recursion (a page may nest 50,000 deep), and no decompose():
    # a check of `tag.decomposed` on bs4 4.15 is a search of the tag's whole subtree.
    stack = [child for child in reversed(root.contents) if isinstance(child, Tag)]
    while stack:
        tag = stack.pop()
        if _dropped(tag):
            continue
        yield tag
        stack.extend(child for child in reversed(tag.contents) if isinstance(child, Tag))


def _first(tags: list[Tag], test) -> Tag | None:
    return next((tag for tag in tags if test(tag)), None)


def _meta(tags: list[Tag]) -> dict:
    meta: dict = {}
    for tag in tags:
        if tag.name != "meta":
            continue
        key = (tag.get("name") or tag.get("property") or "").strip().lower()
        value = (tag.get("content") or "").strip()
        if key in _META_KEYS and value:
            meta.setdefault(_META_KEYS[key], value)
    if "tags" in meta:
        meta["tags"] = [t.strip() for t in meta["tags"].split(",") if t.strip()]
    if "date" in meta:
        meta["date"] = meta["date"][:10]
    canonical = _first(
        tags, lambda t: t.name == "link" and "canonical" in t.get_attribute_list("rel")
    )
    if canonical and canonical.get("href"):
        meta.setdefault("source_url", canonical["href"])
    if "source_url" in meta and not is_web_address(meta["source_url"]):
        # a page's own relative or odd address is no source to link to: left out, not fatal
        del meta["source_url"]
    html = _first(tags, lambda t: t.name == "html")
    if html and html.get("lang"):
        meta.setdefault("language", html["lang"].split("-")[0].lower())
    title = _first(tags, lambda t: t.name == "title")
    if title and title.get_text(strip=True):
        meta["_html_title"] = clean_text(title.get_text(" "))
    return meta


def _main(soup: BeautifulSoup, kept: list[Tag]) -> Tag:
    return (
        _first(kept, lambda t: t.name == "main")
        or _first(kept, lambda t: t.get("role") == "main")
        or _first(kept, lambda t: t.name == "article")
        or _first(kept, lambda t: t.name == "body")
        or soup
    )


@dataclass
class _Open:
    heading: bool
    style: str = ""  # see ingest.readers.base.STYLES
    parts: list[str] = field(default_factory=list)
    cells: int = 0


_CELL = "\x1f"  # marks where a row's next cell starts; a control character, so never text


def _style(node: Tag) -> str:
    if node.name in _HEADINGS:
        return node.name
    if node.name == "li":
        return "ol" if node.parent is not None and node.parent.name == "ol" else "ul"
    return ""


def _walk(main: Tag) -> tuple[list[_Open], list[str]]:
    """Every text node read once, into its nearest block; and the text outside any block."""
    types = main.interesting_string_types or {NavigableString, CData}
    opened: list[_Open] = []
    loose: list[str] = []
    # One explicit walk, no recursion and no get_text() per block: on a page of unclosed,
    # nested <td>s or <h1>s every block holds all the text after it, so reading each
    # block's text (as before) is quadratic in the page.
    stack: list[tuple[PageElement, _Open | None, bool]] = [
        (child, None, False) for child in reversed(main.contents)
    ]
    while stack:
        node, block, in_item = stack.pop()
        if isinstance(node, NavigableString):
            if type(node) in types:
                (block.parts if block is not None else loose).append(node)
            continue
        if not isinstance(node, Tag) or _dropped(node):
            continue
        if node.name in _HEADINGS:  # headings are their own blocks, wherever they are
            block = _Open(heading=True, style=node.name)
            opened.append(block)
        elif node.name == "tr" and not in_item:  # a row is one block, its cells joined
            block = _Open(heading=False, style="tr")
            opened.append(block)
            in_item = True
        elif node.name in _CELLS and block is not None and block.style in ("tr", "th"):
            block.parts.append(_CELL)
            block.cells += 1
            # a header row: its cells are all <th>
            block.style = "th" if node.name == "th" and block.cells == 1 else block.style
            block.style = "tr" if node.name == "td" else block.style
        elif node.name in _BLOCKS and not in_item:  # a <p> in an <li> is read with its item
            block = _Open(heading=False, style=_style(node))
            opened.append(block)
            in_item = node.name not in _CELLS
        stack.extend((child, block, in_item) for child in reversed(node.contents))
    return opened, loose


def _text(block: _Open) -> str:
    if block.style not in ("tr", "th"):
        return " ".join(clean_text(" ".join(block.parts)).split())
    cells = (" ".join(clean_text(c).split()) for c in " ".join(block.parts).split(_CELL))
    return CELL_SEPARATOR.join(c for c in cells if c)


def read_html(data: bytes) -> ParsedFile:
    soup = BeautifulSoup(decode_text(data), "html.parser")
    meta = _meta(soup.find_all(True))  # the whole page's, as before anything is dropped
    opened, loose = _walk(_main(soup, list(_kept(soup))))
    blocks: list[Block] = []
    for block in opened:
        text = _text(block)
        if not text:
            continue
        blocks.append(Block(text, heading=block.heading, style=block.style))
        if block.heading:
            meta.setdefault("_first_heading", blocks[-1].text)
    if not blocks:  # pages made only of <div>s
        text = clean_text("\n".join(loose))
        blocks = [Block(line) for line in text.split("\n") if line.strip()]
    if not blocks:
        raise EmptyDocument("html_no_text")
    return ParsedFile("html", blocks, meta)

"""Crafted small files cost time linear in their size to read, and text beyond a limit is refused.

Timings compare the same hostile input at N and 10·N: a linear reader takes about 10× as long,
a quadratic one 100×; the bound of 20× leaves room for a loaded machine.
"""

from __future__ import annotations

import io
import time
import zipfile

import pytest

from cli.main import main
from ingest.pipeline import ingest
from ingest.readers import read_document
from kb.errors import InvalidMetadata
from kb.knowledge_base import KnowledgeBase

GROWTH = 20  # allowed time ratio for 10× the input


def _seconds(name: str, data: bytes) -> float:
    start = time.perf_counter()
    try:
        read_document(name, data, max_pages=100)
    except Exception:  # noqa: BLE001 - refusing a hostile file is as good as reading it
        pass
    return time.perf_counter() - start


def assert_linear(name: str, make, n: int) -> None:
    """Reading make(10·n) takes under GROWTH times as long as reading make(n)."""
    while (small := min(_seconds(name, make(n)) for _ in range(3))) < 0.02 and n < 1_000_000:
        n *= 2  # too quick to time well; past a megabyte, time and memory effects dominate
    large_data = make(10 * n)
    bound = GROWTH * max(small, 0.02)  # a quadratic reader still takes 100× at 10·N
    runs = []
    for _ in range(3):  # best of 3, but one run under the bound is enough
        runs.append(_seconds(name, large_data))
        if runs[-1] < bound or runs[-1] > 5 * bound:  # a pass, or far beyond noise
            break
    assert min(runs) < bound, (
        f"{name}: {small * 1000:.0f} ms at N={n}, {min(runs) * 1000:.0f} ms at 10·N "
        f"({min(runs) / small:.0f}×, allowed {GROWTH}×)"
    )


HTML = {
    "unclosed-nested-h1": (lambda n: "<html><body>" + "<h1>Rubrik om ärendet " * n, 300),
    "unclosed-nested-td": (lambda n: "<html><body><table><tr>" + "<td>cell med text " * n, 300),
    "unclosed-div-p-with-headings": (
        lambda n: "<html><body>" + "<div><p>stycke <h2>rubrik " * n,
        300,
    ),
}


@pytest.mark.parametrize("case", HTML)
def test_html_of_unclosed_nested_blocks_reads_in_linear_time(case):
    make, n = HTML[case]
    assert_linear("sida.html", lambda k: make(k).encode(), n)


MARKDOWN = {
    "open-brackets": (lambda n: "[" * n, 2000),
    "open-image-brackets": (lambda n: "![" * n, 1000),
    "links-without-close": (lambda n: "[a](" * n, 1000),
    "underscores-after-spaces": (lambda n: " _a" * n, 1000),
    "stars-after-spaces": (lambda n: " *a" * n, 1000),
    "heading-with-long-run-of-hashes": (lambda n: "# x" + "#" * n + "y", 1000),
    "line-of-spaces": (lambda n: "a\n" + " " * n + "\nb", 1000),
    "line-of-spaces-after-a-table-row": (lambda n: "| a |\n" + " " * n + "\nb", 1000),
}


@pytest.mark.parametrize("case", MARKDOWN)
def test_markdown_inline_markup_reads_in_linear_time(case):
    make, n = MARKDOWN[case]
    assert_linear("text.md", lambda k: make(k).encode(), n)


def test_one_megabyte_of_hostile_markdown_reads_in_seconds():
    part = 2**20 // 10
    runs = [
        "[" * part,
        "![" * (part // 2),
        "*" * part,
        "_a" * (part // 2),
        "**" * (part // 2),
        "`" * part,
        " _a" * (part // 3),
        " *a" * (part // 3),
        "[a](" * (part // 4),
        "ord" * (part // 3),
    ]
    data = "\n\n".join(runs).encode()
    assert len(data) > 2**20
    start = time.perf_counter()
    parsed = read_document("stor.md", data, max_pages=100)
    assert time.perf_counter() - start < 5
    assert parsed.blocks[-1].text == "ord" * (part // 3)


def test_markdown_front_matter_with_nested_aliases_is_refused():
    # Eight levels of eight aliases: under 500 bytes that stand for 67 million strings.
    lines = ['a0: &a0 ["xxxxxxxx", "xxxxxxxx", "xxxxxxxx", "xxxxxxxx"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 8)}]" for i in range(1, 9)]
    data = ("---\n" + "\n".join(lines) + "\ntitle: *a8\n---\n# Rubrik\n\nText.\n").encode()
    assert len(data) < 500
    with pytest.raises(InvalidMetadata, match="aliases"):
        read_document("alias.md", data, max_pages=100)


def _docx_of_text(chars: int) -> bytes:
    body = "<w:p><w:r><w:t>" + "a" * chars + "</w:t></w:r></w:p>"
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:body>{body}</w:body></w:document>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.'
            'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr("word/document.xml", xml)
    return buffer.getvalue()


GOOD = "# Tullverket\n\nTullverket införde ett nytt ärendestöd för beslag.\n"


def test_text_over_the_configured_limit_fails_the_file_while_the_run_goes_on(
    config, embedder, tmp_path
):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "stor.md").write_text("# Stor\n\n" + "Ett långt stycke om beslag. " * 200)
    (folder / "bra.md").write_text(GOOD, encoding="utf-8")
    kb = KnowledgeBase(config.with_(max_text_chars=1000), embedder=embedder)
    try:
        report = ingest(kb, [folder])
    finally:
        kb.close()
    assert [p.rsplit("/", 1)[-1] for p in report.added] == ["bra.md"]
    [(path, reason)] = report.failed
    assert path.endswith("stor.md")
    assert "too large after extraction" in reason and "1,000" in reason
    assert "KB_MAX_TEXT_CHARS" in reason


def test_docx_with_far_more_text_than_bytes_fails_too_large_after_extraction(kb, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "packad.docx").write_bytes(_docx_of_text(3_000_000))  # ~6 kB of zip
    (folder / "bra.md").write_text(GOOD, encoding="utf-8")
    report = ingest(kb, [folder])
    assert [p.rsplit("/", 1)[-1] for p in report.added] == ["bra.md"]
    [(path, reason)] = report.failed
    assert path.endswith("packad.docx")
    assert "too large after extraction" in reason and "per byte" in reason


def test_cli_reports_a_file_over_the_text_limit_as_failed(
    base_config, tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("KB_CACHE_DIR", str(base_config.cache_dir))
    monkeypatch.setenv("KB_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KB_MAX_TEXT_CHARS", "1000")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "stor.md").write_text("# Stor\n\n" + "Ett långt stycke om beslag. " * 200)
    (folder / "bra.md").write_text(GOOD, encoding="utf-8")
    code = main(["ingest", str(folder), "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert "added 1, updated 0, unchanged 0, failed 1" in out
    assert "stor.md: too large after extraction" in out
    assert "1,000 (KB_MAX_TEXT_CHARS)" in out

"""How the CLI prints: human text by default, stable JSON with --json."""

from __future__ import annotations

import argparse
import json
import sys
import textwrap


def add_json_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def emit_json(value) -> None:
    json.dump(value, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def table(rows: list[list[str]], headers: list[str]) -> str:
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in rows]
    return "\n".join(out)


def shorten(text: str, width: int) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" …")


def error(message: str, as_json: bool, code: str | None = None) -> None:
    if as_json:
        emit_json({"error": message, "code": code} if code else {"error": message})
    print(f"kb: error: {message}", file=sys.stderr)


def message(code: str | None, params: dict | None, english: str, language: str) -> str:
    """A kb/ or ingest/ message in `language` (the global --lang), by its code."""
    if language == "en" or not code:
        return english
    from web.i18n import cli_message  # the catalogs live with the web app

    return cli_message(code, params, english, language)

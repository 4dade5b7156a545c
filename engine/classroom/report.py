"""Reports a student hands in: the path, the answers, the ending, the history beside it, and a verification block.

The record (the block, and the Report rebuilt from it) is in record.py; each export format is one module
(report_md.py, report_html.py) registered in FORMATS below: a new format is one new module and one line here.
Rendering is pure and deterministic. The `report` command is here too.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from engine.classroom import report_html, report_md
from engine.classroom.record import (
    BLOCK_FORMAT,
    BLOCK_VERSION,
    Answer,
    Entry,
    Format,
    Lines,
    Report,
    ReportError,
    block_from_save,
    block_json,
    build,
    make_block,
    normalise,
    texts_entry,
    when,
)
from engine.classroom.report_html import HTML_CLOSE, HTML_OPEN, html_lines
from engine.classroom.report_md import MD_FENCE, markdown_lines

__all__ = [
    "BLOCK_FORMAT",
    "BLOCK_VERSION",
    "FORMATS",
    "HTML_CLOSE",
    "HTML_OPEN",
    "MD_FENCE",
    "Answer",
    "Entry",
    "Format",
    "Lines",
    "Report",
    "ReportError",
    "block_from_save",
    "block_json",
    "build",
    "extract_block",
    "html_lines",
    "make_block",
    "markdown_lines",
    "normalise",
    "render",
    "render_lines",
    "when",
]

FORMATS: dict[str, Format] = {f.name: f for f in (report_md.FORMAT, report_html.FORMAT)}
"""Every export format by name ('md' first: the default)."""
_READ_ORDER = ("html", "md")
"""The order extract_block looks for a block (an HTML page is recognised before a fence inside it)."""


def render_lines(r: Report, fmt: str) -> Lines:
    return FORMATS.get(fmt, report_md.FORMAT).render_lines(r)


def render(r: Report, fmt: str) -> str:
    """The report's text; its block gains a sealed digest of the story text each part shows ("texts"), so that
    `verify` can tell a story edited since from a report edited by hand."""
    if "texts" not in r.block:
        r = dataclasses.replace(
            r, block={**r.block, "texts": texts_entry(r.block, render_lines(r, fmt), fmt)}
        )
    return "\n".join(line for line, _ in render_lines(r, fmt)) + "\n"


def format_for_suffix(suffix: str) -> Format | None:
    """The format an output file's ending chooses ('' is the default, Markdown), or None."""
    if suffix == "":
        return report_md.FORMAT
    return next((f for f in FORMATS.values() if suffix in f.suffixes), None)


# --- reading a report back ----------------------------------------------------------------------


def extract_block(text: str) -> tuple[str, dict[str, Any]]:
    """The report's format ('md' or 'html') and its verification block; ReportError when there is none."""
    lines = normalise(text).split("\n")
    order = [*_READ_ORDER, *(n for n in FORMATS if n not in _READ_ORDER)]
    for fmt, opener, closer in ((n, FORMATS[n].block_open, FORMATS[n].block_close) for n in order):
        if opener not in lines:
            continue
        start = lines.index(opener) + 1
        try:
            end = lines.index(closer, start)
        except ValueError:
            raise ReportError("the verification block is not closed: the report was cut short") from None
        try:
            block = json.loads("\n".join(lines[start:end]))
        except (ValueError, RecursionError):  # ValueError: JSON errors, and integers too long to convert
            raise ReportError("the verification block is damaged (it is not valid JSON)") from None
        if not isinstance(block, dict):
            raise ReportError("the verification block is damaged")
        return fmt, block
    raise ReportError(
        "no verification block found: this is not a Dual Power report, or the block was removed"
    )

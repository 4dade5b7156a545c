"""`dualpower check`: the loader's diagnostics plus graph and state analysis, reported for authors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TextIO

from engine import loader
from engine.diagnostics import Diagnostic, sort_key, summary
from engine.model import Story


def analyse(story: Story) -> list[Diagnostic]:
    """Warnings that need the whole story: reachability, unused variables, ... (pure: no I/O)."""
    return []


def run(story_dir: Path, assignment: Path | None = None) -> list[Diagnostic]:
    story, diags = loader.load(story_dir)
    if story is not None:
        diags = diags + analyse(story)
    return sorted(diags, key=sort_key)


def report(diags: list[Diagnostic], fmt: str, strict: bool, out: TextIO) -> int:
    if fmt == "json":
        json.dump([d.to_dict() for d in diags], out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for d in diags:
            out.write(f"{d}\n")
        out.write(f"{summary(diags)}\n")
    failed = any(d.severity == "error" for d in diags) or (strict and bool(diags))
    return 1 if failed else 0

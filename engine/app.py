"""Shared edges of the command line: exit codes, the shipped story, loading a story with its messages,
printing diagnostics, writing an -o output file, choosing the saves folder.

A low module: the commands (engine/commands.py) and the front ends call it; it imports no front end, no
classroom module and no terminal library, so library code below it can never pull the command line in.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from engine.diagnostics import Diagnostic, summary
from engine.model import Story

if TYPE_CHECKING:
    from engine.saves import Saves

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def default_story_dir() -> Path:
    """The shipped story: story/ of the checkout when run from one, else the copy installed with the wheel."""
    here = Path(__file__).resolve().parent.parent / "story"
    if (here / "story.yaml").is_file():
        return here
    import importlib.util

    # The installed story is a data-only (namespace) package: take the folder of it that holds story.yaml.
    spec = importlib.util.find_spec("dualpower_story")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "story.yaml").is_file():
            return Path(folder)
    return here


def load_story(story_dir: Path | None) -> tuple[Story | None, list[Diagnostic]]:
    """Load a story folder (default: the shipped story), through the cache of unchanged stories."""
    from engine import cache

    return cache.load(story_dir or default_story_dir())


def hint_options(story: Path | None = None, saves: Path | None = None) -> str:
    """The --story/--saves the user gave, as they go into a suggested command (' --story DIR ...', or '')."""
    import shlex

    out = f" --story {shlex.quote(str(story))}" if story is not None else ""
    return out + (f" --saves {shlex.quote(str(saves))}" if saves is not None else "")


def print_errors(
    diags: list[Diagnostic], stream: TextIO | None = None, story_dir: Path | None = None
) -> None:
    """Why a story cannot be played: its first 50 errors and a summary (the check command suggested with the
    --story given, if one was)."""
    stream = stream or sys.stderr
    errs = [d for d in diags if d.severity == "error"]
    for d in errs[:50]:
        print(d, file=stream)
    if len(errs) > 50:
        print(f"... and {len(errs) - 50} more", file=stream)
    print(
        f"The story cannot be played: {summary(diags)}. Run 'dualpower check{hint_options(story_dir)}' for the full list.",
        file=stream,
    )


def load_or_complain(story_dir: Path | None) -> Story | None:
    """The story, or None after printing why it cannot be loaded."""
    story, diags = load_story(story_dir)
    if story is None:
        print_errors(diags, story_dir=story_dir)
    return story


def saves_folder(folder: Path | None) -> Saves:
    """The saves folder given on the command line, else $DUALPOWER_SAVES, else saves/."""
    from engine.saves import Saves, default_dir  # only the commands that play or report need saves

    return Saves(folder or default_dir())


def make_reloader(story_dir: Path | None) -> Callable[[], tuple[Story | None, str]]:
    """For Session.reload_story: re-read the story, giving (story, '') or (None, its first errors)."""

    def reload() -> tuple[Story | None, str]:
        story, diags = load_story(story_dir)
        if story is None:
            errs = [str(d) for d in diags if d.severity == "error"]
            return None, "\n".join(errs[:10])
        return story, ""

    return reload


def error(message: str) -> None:
    """One line on stderr, 'dualpower: message'."""
    print(f"dualpower: {message}", file=sys.stderr)


def emit_json(data: Any, stream: TextIO | None = None) -> None:
    json.dump(data, stream or sys.stdout, indent=2, ensure_ascii=False)
    (stream or sys.stdout).write("\n")


def write_output(text: str, out: Path | None) -> int:
    """Print, or write to a file named by -o (atomically, so a failed write leaves no half file). Returns the
    exit code: EXIT_FAIL, with a message, when the file cannot be written."""
    if out is None:
        sys.stdout.write(text)
        return EXIT_OK
    from engine.files import atomic_write

    try:
        atomic_write(out, text)
    except OSError as exc:
        error(f"cannot write {out}: {exc.strerror or exc}")
        return EXIT_FAIL
    return EXIT_OK

"""Problems found in a story: what, where (file:line:col), how bad, and a stable code for tools."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from engine.text import mask_control


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    line: int
    col: int
    severity: str
    """'error' or 'warning'."""
    code: str
    """A short stable name, e.g. 'unknown-key', 'unknown-target', 'unreachable'."""
    message: str

    def display_path(self) -> str:
        return display_path(self.path)

    def __str__(self) -> str:
        return f"{self.display_path()}:{self.line}:{self.col}: {self.severity}: {self.message} [{self.code}]"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.display_path(),
            "line": self.line,
            "col": self.col,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }


def display_path(path: str) -> str:
    """A path as an author would type it: relative to the current folder when below it (and never with a control
    character that a terminal would act on)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        rel = path
    shown = path if rel.startswith("..") else rel
    return mask_control(shown)


def sort_key(d: Diagnostic) -> tuple[int, str, int, int, int]:
    # story.yaml first: a mistake there (a variable's declaration, say) explains what follows it.
    return (
        0 if os.path.basename(d.path) == "story.yaml" else 1,
        d.path,
        d.line,
        d.col,
        0 if d.severity == "error" else 1,
    )


def suggest(name: str, known: Iterable[str]) -> str:
    """' (did you mean X?)' for the nearest known name, or ''."""
    import difflib  # here: only a mistake needs it, and every command imports this module

    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def summary(diags: list[Diagnostic]) -> str:
    n_err = sum(1 for d in diags if d.severity == "error")
    n_warn = len(diags) - n_err
    return f"{n_err} error{'s' if n_err != 1 else ''}, {n_warn} warning{'s' if n_warn != 1 else ''}"

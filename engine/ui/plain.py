"""Plain mode: the same game as plain lines on stdout and commands on stdin. No colour, no cursor tricks."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from engine.saves import AUTOSAVE
from engine.session import EndingView, Leave, Message, SceneView, Session, TableView, View
from engine.watch import Watcher

WIDTH = 78


class PlainUI:
    """The plain front end (engine.loop.FrontEnd): lines out, lines in."""

    leave_at_ending = True
    """A game ends with the ending a choice reaches; a game loaded at its ending stays open (undo, journal)."""

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        width: int = WIDTH,
        watcher: Watcher | None = None,
        options: str = "",
    ) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.width = width
        self.watcher = watcher
        """--watch: checked before each prompt and when a line has been typed."""
        self.options = options
        """The --story/--saves given, kept in the commands suggested to the player (' --story DIR')."""

    # --- output ---

    def write(self, text: str = "") -> None:
        self.stdout.write(text + "\n")

    def para(self, text: str, indent: str = "") -> None:
        for line in text.split("\n"):
            if line.startswith("  ") and not indent:
                self.write(line)  # an indented line is a command to copy: on its own line, never wrapped
                continue
            self.write(
                textwrap.fill(
                    line,
                    self.width,
                    initial_indent=indent,
                    subsequent_indent=indent,
                    # Names, paths and commands a student copies are never cut inside (at a hyphen or a slash).
                    break_on_hyphens=False,
                    break_long_words=False,
                )
                if line
                else ""
            )

    def show(self, views: Sequence[View]) -> None:
        for view in views:
            self.show_one(view)

    def show_one(self, view: View) -> None:
        if isinstance(view, SceneView):
            self.scene(view)
        elif isinstance(view, EndingView):
            self.scene(view.scene)
            self.write(f"*** {view.title} ***")
            self.write()
            self.para(view.epilogue)
            self.write()
            self.write(f"Endings found: {view.found}/{view.total}")
        elif isinstance(view, Message):
            if view.title:
                self.write(f"-- {view.title} --")
            prefix = {"error": "! ", "hint": "? "}.get(view.kind, "")
            self.para(prefix + view.text)
        elif isinstance(view, TableView):
            self.table(view)
        elif isinstance(view, Leave):
            pass
        self.stdout.flush()

    def scene(self, view: SceneView) -> None:
        if view.response:
            self.write()
            for p in view.response:
                self.para(p)
                self.write()
        else:
            self.write()
        self.write(f"== {view.title} ==")
        self.write(" · ".join(p for p in (view.date, view.place) if p))
        self.write()
        for p in view.paragraphs:
            self.para(p)
            self.write()
        extras = [w for w, on in (("note", view.has_note), ("documents", view.documents > 0)) if on]
        for o in view.options:
            line = f"{o.number}. {o.text}"
            if o.locked:
                line += f" (locked: needs {o.locked})"
            self.write(textwrap.fill(line, self.width, subsequent_indent="   "))
        if extras:
            self.write(f"(also: {', '.join(extras)})")

    def table(self, view: TableView) -> None:
        self.write(f"-- {view.title} --")
        if not view.rows:
            self.write("(none)")
        for row in view.rows:
            self.para("  ".join(cell for cell in row if cell))

    # --- input ---

    def ask(self, prompt: str = "> ") -> str | None:
        self.stdout.write(prompt)
        self.stdout.flush()
        try:
            line = self.stdin.readline()
        except (UnicodeDecodeError, OSError):
            return ""
        if line == "":
            self.write()
            return None
        return line.rstrip("\r\n")

    def reload_pending(self) -> bool:
        return self.watcher is not None and self.watcher.changed()

    def farewell(self, session: Session, reason: str) -> None:
        views = session.goodbye(reason)
        if views is not None:
            self.show(views)
        elif reason != "ending":
            self.write(
                f"Your game is saved as '{AUTOSAVE}'. To carry on: dualpower --load {AUTOSAVE}{self.options}"
            )

    def choose_role(self, roles: list[tuple[str, str, str, str]]) -> str | None:
        """Ask which role to play; roles are (key, name, title, blurb). None at end of input."""
        self.write("Choose your role:")
        for i, (_key, name, title, blurb) in enumerate(roles, 1):
            self.para(f"{i}. {name}: {title}")
            self.para(blurb, indent="   ")
        while True:
            answer = self.ask("> ")
            if answer is None:
                return None
            answer = answer.strip().lower()
            if answer in ("quit", "q"):
                return None
            for i, (key, name, _t, _b) in enumerate(roles, 1):
                if answer in (str(i), key, name.lower()):
                    return key
            self.write(f"? Type a number from 1 to {len(roles)}, or 'quit'.")

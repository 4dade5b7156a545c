"""Plain mode: the same game as plain lines on stdout and commands on stdin. No colour, no cursor tricks.

Written for screen readers and pipes: nothing is printed that a speech synthesiser would read out as noise
(no '== Title ==', '***', '?' or '…' decoration) unless `decorate` is asked for (--decorate). When stdin is a
terminal, lines are read with readline: the arrow keys edit the line and bring back earlier ones.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from typing import TextIO

from engine.saves import AUTOSAVE
from engine.session import (
    AnswerView,
    ChoicesView,
    EndingView,
    Leave,
    Message,
    OptionView,
    SceneView,
    Session,
    TableView,
    View,
)
from engine.watch import Watcher

WIDTH = 78
BAR = "■□"
"""The characters of a value's bar in `stats` (engine.session.scale)."""
ENDING_HINT = "Press Enter to leave. 'undo' takes back your last choice; 'journal' shows your path."


def _isatty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def _readline() -> bool:
    """Turn on readline for input() where Python has it (not on every platform)."""
    try:
        import readline  # noqa: F401  (importing it is what makes input() edit lines)
    except ImportError:
        return False
    return True


class PlainUI:
    """The plain front end (engine.loop.FrontEnd): lines out, lines in."""

    leave_at_ending = False
    """At an ending the prompt stays, as in the terminal: 'undo' and 'journal' work, Enter leaves."""

    def __init__(
        self,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        width: int = WIDTH,
        watcher: Watcher | None = None,
        decorate: bool = False,
        options: str = "",
    ) -> None:
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.width = width
        self.watcher = watcher
        """--watch: checked before each prompt and when a line has been typed."""
        self.decorate = decorate
        """Mark titles with '== ==', '-- --' and '***', hints with '?' (--decorate); off for screen readers."""
        self.readline = _readline() if self.stdin is sys.stdin and _isatty(self.stdin) else False
        self.options = options
        """The --story/--saves given, kept in the commands suggested to the player (' --story DIR')."""

    def heading(self, text: str, marks: str = "--") -> None:
        self.write(f"{marks} {text} {marks}" if self.decorate else text)

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
            self.write(f"*** {view.title} ***" if self.decorate else f"The end: {view.title}")
            self.write()
            self.para(view.epilogue)
            self.write()
            self.write(f"Endings found: {view.found}/{view.total}")
            self.write()
            self.para(ENDING_HINT)
        elif isinstance(view, Message):
            if view.title:
                self.heading(view.title)
            marks = {"error": "! ", "hint": "? "} if self.decorate else {"error": "Error: "}
            self.para(marks.get(view.kind, "") + view.text)
        elif isinstance(view, TableView):
            self.table(view)
        elif isinstance(view, ChoicesView):
            self.write()
            self.para(f"Your choices, {view.bearings}:")
            self.choices(view.options)
        elif isinstance(view, AnswerView):
            self.write()
            self.para(f"You chose: {view.choice}")
            if view.response:
                self.write()
                self.para(view.response)
            if view.changes:
                self.para(f"Changed: {', '.join(view.changes)}.")
        elif isinstance(view, Leave):
            pass
        self.stdout.flush()

    def scene(self, view: SceneView) -> None:
        self.write()
        self.heading(view.title, "==")
        self.write(" · ".join(p for p in (view.date, view.place) if p))
        self.write()
        for p in view.paragraphs:
            self.para(p)
            self.write()
        extras = [w for w, on in (("note", view.has_note), ("documents", view.documents > 0)) if on]
        self.choices(view.options)
        if extras:
            self.write(f"(also: {', '.join(extras)})")

    def choices(self, options: Sequence[OptionView]) -> None:
        for o in options:
            line = f"{o.number}. {o.text}"
            if o.locked:
                line += f" (locked: {o.locked})"
            self.write(textwrap.fill(line, self.width, subsequent_indent="   "))

    def table(self, view: TableView) -> None:
        self.heading(view.title)
        if not view.rows:
            self.write("(none)")
        for row in view.rows:
            cells = [cell if self.decorate else cell.removesuffix("…") for cell in row if self.spoken(cell)]
            self.para("  ".join(cells))

    def spoken(self, cell: str) -> bool:
        """Whether a table cell is read out: not empty, and not a bar of squares (the `stats` scale, which a
        screen reader would spell square by square) unless decoration is asked for; the word beside it says it."""
        return bool(cell) and (self.decorate or not set(cell) <= set(BAR))

    # --- input ---

    def ask(self, prompt: str = "> ") -> str | None:
        if self.readline:
            try:
                return input(prompt)  # readline: line editing, and the up arrow brings back earlier lines
            except (EOFError, KeyboardInterrupt):
                self.write()
                return None
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

    def ask_continue(self, where: str) -> bool | None:
        """'Continue your game (Worker · 24 Feb 1917 · The Street)?': True to continue, False for a new
        game, None at end of input."""
        self.para(f"You have a game in progress: {where}.")
        while True:
            answer = self.ask("Continue it? (yes or no) ")
            if answer is None:
                return None
            word = answer.strip().lower()
            if word in ("y", "yes", "c", "continue", ""):
                return True
            if word in ("n", "no", "new"):
                return False
            self.write("Type yes to continue, or no for a new game.")

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
            self.write(f"{'? ' if self.decorate else ''}Type a number from 1 to {len(roles)}, or 'quit'.")

"""The terminal interface: rich draws the story, prompt_toolkit reads the keyboard.

Every rule of the game lives in `Session`; this module only shows its views, reads lines and runs the screens
around a game (title screen, role menu, saved games). It takes its input, output and console as arguments so
that tests can drive it with `create_pipe_input()`, `DummyOutput()` and a Console writing to a StringIO.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from prompt_toolkit import PromptSession
from prompt_toolkit.application import Application, get_app
from prompt_toolkit.completion import Completer, DynamicCompleter, NestedCompleter, WordCompleter
from prompt_toolkit.formatted_text import StyleAndTextTuples
from prompt_toolkit.history import InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.keys import Keys
from prompt_toolkit.layout import Layout, Window
from prompt_toolkit.layout.controls import FormattedTextControl
from prompt_toolkit.layout.dimension import Dimension
from prompt_toolkit.output import Output
from prompt_toolkit.shortcuts import CompleteStyle
from prompt_toolkit.styles import Style
from rich.console import Console, RenderableType

from engine import loop, watch
from engine.model import Story
from engine.saves import AUTOSAVE, SaveInfo, Saves
from engine.session import Leave, Message, Session, StartError, View, endings_view, help_view
from engine.ui import render
from engine.ui.render import MenuItem

# Only attributes and greys: prompt_toolkit drops colours by itself under NO_COLOR, and nothing here needs them.
STYLE = Style.from_dict(
    {
        "prompt": "bold",
        "picker.message": "bold",
        "picker.selected": "bold reverse",
        "picker.detail": "#888888",
        "picker.help": "italic #888888",
        "toolbar.role": "bold",
        "toolbar.value": "bold",
    }
)
ENDING_HINT = (
    "Press Enter for the title screen. 'undo' takes back your last choice; 'journal' shows your path."
)

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
PAGE_MARGIN = 6
"""Rows a screenful of output leaves free: the prompt and its status bar (up to five lines) or '— more —'."""

BACK = ""
"""What a menu returns for Esc: go back one screen. (Ctrl-C and Ctrl-D raise, as they do at the prompt.)"""


class Terminal:
    """The screens of one run of `dualpower` in a terminal; during a game, the play loop's front end
    (engine.loop.FrontEnd)."""

    leave_at_ending = False
    """At an ending the prompt stays for undo and journal; Enter goes back to the title screen."""

    def __init__(
        self,
        story: Story,
        saves: Saves,
        *,
        console: Console | None = None,
        input: Input | None = None,
        output: Output | None = None,
        reload_story: Callable[[], tuple[Story | None, str]] | None = None,
        seed: int = 0,
        watch_root: Path | None = None,
        options: str = "",
    ) -> None:
        self.story = story
        self.options = options
        """The --story/--saves given, kept in the commands suggested (' --story DIR')."""
        self.saves = saves
        # Created the ordinary way so rich follows NO_COLOR, TERM and the terminal's size by itself.
        self.console = console or Console(highlight=False, emoji=False)
        self.input = input
        self.output = output
        self.reload_story = reload_story
        self.seed = seed
        self.session: Session | None = None
        self.left = ""
        """Why the last game was left (engine.loop.FrontEnd.farewell's reason)."""
        # --watch: a background thread polls the story folder; a change ends the waiting prompt (with
        # RELOAD) so the game reloads at once, and is checked again before any typed line is handled.
        self.watcher = watch.Watcher(watch_root) if watch_root is not None else None
        self.changed = threading.Event()

    @functools.cached_property
    def prompt(self) -> PromptSession[str]:
        """One prompt for the whole run, so the history of typed commands outlives a single game. Made at its
        first use, after the title screen is drawn: building it (key bindings, layout) costs the first screen
        time a player would wait for."""
        return PromptSession(
            history=CommandHistory(),
            completer=DynamicCompleter(self._completer),
            complete_while_typing=False,
            complete_style=CompleteStyle.MULTI_COLUMN,
            reserve_space_for_menu=4,
            bottom_toolbar=self._toolbar,
            style=STYLE,
            key_bindings=_no_mouse(),
            input=self.input,
            output=self.output,
        )

    # --- the whole run ---

    def main(self, role: str | None = None, load: str | None = None) -> int:
        """Play from the title screen (or straight into a role or a save) until the player leaves."""
        try:
            session: Session | None = None
            if load:
                session = self._load(load)
                if session is None:
                    return 1
            elif role:
                try:
                    session = self._new(role)
                except StartError as exc:
                    print(f"dualpower: {exc}", file=sys.stderr)
                    return 2
                self.print(render.content_notes(self.story))
            while True:
                if session is None:
                    session = self.title()
                    if session is None:
                        return 0
                if not self.play(session):
                    return 0
                session = None
        except (KeyboardInterrupt, EOFError):
            # Ctrl-C or Ctrl-D in a menu, or Ctrl-C while something was being drawn: save and leave quietly.
            if self.session is not None:
                self.session.autosave()
            return 0

    # --- output ---

    def print(self, renderable: RenderableType | None) -> None:
        if renderable is not None:
            self.console.print(renderable)

    def show(self, views: Sequence[View]) -> None:
        """Print the views; in a real terminal, output taller than the screen pages (see `page`)."""
        if not self.console.is_terminal:
            self._show(views)
            return
        with self.console.capture() as captured:
            self._show(views)
        self.page(captured.get())

    def page(self, text: str) -> None:
        """Write `text` (rendered, with its colour codes) a screenful at a time: '— more —' waits for Enter
        between screens, so a long scene or the glossary is read from its top, and the last screen ends
        with the choices above the prompt and its status bar. q or Esc skips the rest."""
        lines = text.split("\n")
        tail = 0
        while lines and not _ANSI.sub("", lines[-1]).strip():  # blank lines at the end: air, not a page
            lines.pop()
            tail += 1
        lines += [""] * max(0, tail - 1)
        size = max(4, self.console.size.height - PAGE_MARGIN)
        out = self.console.file
        start = 0
        while True:
            end = start + size
            if end < len(lines):  # end the page at a paragraph's end when one is near
                blank = [
                    n for n in range(end - 1, max(start, end - 6), -1) if not _ANSI.sub("", lines[n]).strip()
                ]
                end = blank[0] + 1 if blank else end
            chunk = lines[start:end]
            start = end
            out.write("".join(line + "\n" for line in chunk))
            out.flush()
            if start >= len(lines):
                return
            if not more(input=self.input, output=self.output):
                out.write(f"  (skipped {len(lines) - start} lines: 'look' shows the scene again)\n")
                out.flush()
                return

    def _show(self, views: Sequence[View]) -> None:
        story = self.session.story if self.session is not None else self.story
        long = False
        for n, item in enumerate(views):
            if isinstance(item, Leave):
                continue
            line = isinstance(item, Message) and item.kind != "text" and not item.title
            if n or not line:
                self.console.print()  # air between things, but a one-line answer sits under its command
            self.print(render.view(item, story, ENDING_HINT))
            long = not line
        if long:
            self.console.print()

    # --- a game ---

    def play(self, session: Session) -> bool:
        """Play one game. True: back to the title screen (after an ending); False: leave."""
        self.session = session
        stop_watching = self._watch() if self.watcher is not None else None
        try:
            loop.play(session, self)
        finally:
            if stop_watching is not None:
                stop_watching()
            self.story = session.story  # keep a `reload` for the games that follow
        return self.left == "ending"

    def _watch(self) -> Callable[[], None]:
        def on_change() -> None:  # in the watcher's thread
            self.changed.set()
            app, loop = self.prompt.app, self.prompt.app.loop

            def end_prompt() -> None:  # in the prompt's own loop; it may have ended in the meantime
                if app.is_running and app.future is not None and not app.future.done():
                    app.exit(result=RELOAD)

            if app.is_running and loop is not None:
                with contextlib.suppress(RuntimeError):  # the loop closed as the prompt ended
                    loop.call_soon_threadsafe(end_prompt)

        assert self.watcher is not None
        return watch.watch_in_background(self.watcher, on_change)

    def reload_pending(self) -> bool:
        if self.watcher is not None and self.watcher.changed():
            self.changed.set()
        if self.changed.is_set():
            self.changed.clear()
            return True
        return False

    def farewell(self, session: Session, reason: str) -> None:
        self.left = reason
        views = session.goodbye(reason)
        if views is not None:
            self.show(views)
        elif reason != "ending":
            self.print(render.farewell(AUTOSAVE, self.options))

    def ask(self, prompt: str = "> ") -> str | None:
        """One typed line; None when the player pressed Ctrl-C or Ctrl-D; loop.RELOAD when --watch ended it."""
        try:
            return self.prompt.prompt([("class:prompt", prompt)])
        except (KeyboardInterrupt, EOFError):
            return None

    def _toolbar(self) -> StyleAndTextTuples:
        if self.session is None:
            return []
        width = get_app().output.get_size().columns
        return render.toolbar_fragments(  # type: ignore[return-value]
            self.session.toolbar(), width, self.session.bearings()
        )

    def _completer(self) -> Completer:
        """Commands, then each command's own words: slot names after save/load, terms after glossary."""
        words = self.session.arguments() if self.session is not None else {}
        tree: dict[str, Any] = {
            cmd: WordCompleter(args, ignore_case=True, sentence=True) if args else None
            for cmd, args in words.items()
        }
        return NestedCompleter.from_nested_dict(tree)

    def _new(self, role: str) -> Session:
        """A new game; StartError when it cannot start."""
        return Session.new(self.story, role, self.saves, seed=self.seed, reload_story=self.reload_story)

    def _load(self, slot: str) -> Session | None:
        try:
            return Session.resume(self.story, slot, self.saves, reload_story=self.reload_story)
        except StartError as exc:
            print(f"dualpower: {exc}", file=sys.stderr)
            return None

    # --- the title screen ---

    def title(self) -> Session | None:
        """The title screen, until the player starts or resumes a game (a Session) or quits (None)."""
        self.session = None
        self.console.print()
        self.print(render.title_screen(self.story))
        default = 1 if self.saves.exists(AUTOSAVE) else 0  # Continue, when there is a game to continue
        while True:
            items = self._title_items()
            pick = self.menu(items, default=default, back=False)
            # Come back to the same item after Help or Endings, as menus in games do.
            default = next((n for n, item in enumerate(items) if item.value == pick), 0)
            if pick == "quit":
                return None
            if pick == "new":
                session = self._choose_role()
                if session is not None:
                    return session
            elif pick == "continue":
                if self.saves.exists(AUTOSAVE):
                    session = self._resume(AUTOSAVE)
                    if session is not None:
                        return session
                else:
                    self.show([Message("There is no game to continue yet: choose New game.", "hint")])
            elif pick == "load":
                session = self._choose_save()
                if session is not None:
                    return session
            elif pick == "endings":
                self.show([endings_view(self.story, self.saves)])
            elif pick == "help":
                self.show([_HOW_TO_PLAY, help_view()])

    def _title_items(self) -> list[MenuItem]:
        infos = self.saves.slots()
        auto = next((i for i in infos if i.slot == AUTOSAVE), None)
        found = len(self.saves.endings_found(self.story))
        return [
            MenuItem("new", "New game"),
            MenuItem("continue", "Continue", self._describe(auto) if auto else "no game yet"),
            MenuItem("load", "Load a saved game", f"{len(infos)} saved" if infos else "none yet"),
            MenuItem("endings", "Endings found", f"{found}/{len(self.story.endings)}"),
            MenuItem("help", "Help"),
            MenuItem("quit", "Quit"),
        ]

    def _describe(self, info: SaveInfo) -> str:
        """'Baker · 24 Feb 1917 · The Street': where a save stands, for the menus."""
        role = self.story.roles.get(info.role)
        parts = [role.name if role else info.role, render.short_iso(info.date), info.scene_title]
        scene = self.story.scenes.get(info.scene)
        if scene is not None and scene.ending is not None:
            parts.append("(ended)")
        return " · ".join(p for p in parts if p)

    def _choose_role(self) -> Session | None:
        self.console.print()
        self.print(render.content_notes(self.story))
        items = [
            MenuItem(key, f"{r.name}: {r.title}", " ".join(r.blurb.split()))
            for key, r in self.story.roles.items()
        ]
        pick = self.menu(items, message="Choose your role", long=True)
        if pick == BACK:
            return None
        try:
            return self._new(pick)
        except StartError as exc:
            self.show([Message(str(exc), "error")])
            return None

    def _choose_save(self) -> Session | None:
        infos = self.saves.slots()
        if not infos:
            self.show([Message("There are no saved games yet.", "hint")])
            return None
        items = [
            MenuItem(i.slot, i.slot, f"{self._describe(i)} · saved {i.saved_at.replace('T', ' ')[:16]}")
            for i in infos
        ]
        pick = self.menu(items, message="Load which game?")
        if pick == BACK:
            return None
        return self._resume(pick)

    def _resume(self, slot: str) -> Session | None:
        try:
            session = Session.resume(self.story, slot, self.saves, reload_story=self.reload_story)
        except StartError as exc:
            self.show([Message(str(exc), "error")])
            return None
        self.show([Message(f"Loaded '{slot}'.")])
        return session

    # --- menus ---

    def menu(
        self,
        items: Sequence[MenuItem],
        message: str = "",
        long: bool = False,
        default: int = 0,
        back: bool = True,
    ) -> str:
        """Let the player pick an item with the arrow keys and Enter, or its number.

        Returns the item's value, or BACK for Esc (when `back`); Ctrl-C and Ctrl-D raise KeyboardInterrupt
        and EOFError, as at the prompt.
        """
        return menu(
            items,
            message=message,
            long=long,
            default=default,
            back=back,
            input=self.input,
            output=self.output,
        )


_HOW_TO_PLAY = Message(
    "Each scene ends with numbered choices: type a number and press Enter. Words are commands: "
    "Tab completes them and the up arrow brings back what you typed. Your game is saved after every "
    "choice (Continue on the title screen picks it up); 'save' keeps a copy under a name of its own.",
    "text",
    "How to play",
)


def menu(
    items: Sequence[MenuItem],
    *,
    message: str = "",
    long: bool = False,
    default: int = 0,
    back: bool = True,
    input: Input | None = None,
    output: Output | None = None,
) -> str:
    """A small in-line menu (not full screen, so the story above stays in view). See Terminal.menu."""
    if not items:
        return BACK
    selected = [min(max(default, 0), len(items) - 1)]
    typed = [""]

    def text() -> StyleAndTextTuples:
        width = get_app().output.get_size().columns
        return render.menu_fragments(  # type: ignore[return-value]
            items, selected[0], width, long=long, message=message, back=back
        )

    kb = _no_mouse()

    def move(step: int) -> None:
        selected[0] = (selected[0] + step) % len(items)
        typed[0] = ""

    @kb.add("up")
    @kb.add("k")
    @kb.add("s-tab")
    def _up(event: KeyPressEvent) -> None:
        move(-1)

    @kb.add("down")
    @kb.add("j")
    @kb.add("tab")
    def _down(event: KeyPressEvent) -> None:
        move(1)

    @kb.add("home")
    def _home(event: KeyPressEvent) -> None:
        selected[0] = 0

    @kb.add("end")
    def _end(event: KeyPressEvent) -> None:
        selected[0] = len(items) - 1

    @kb.add("enter")
    def _accept(event: KeyPressEvent) -> None:
        event.app.exit(result=items[selected[0]].value)

    def digit(event: KeyPressEvent) -> None:
        # Digits build a number: it is taken at once when no longer number could follow (1-9 of up to
        # 9 items always), otherwise it is selected and Enter (or the next digit) settles it.
        buf = typed[0] + event.data
        if not 1 <= int(buf) <= len(items):
            buf = event.data
        if not 1 <= int(buf) <= len(items):
            typed[0] = ""
            return
        typed[0] = buf
        selected[0] = int(buf) - 1
        if int(buf) * 10 > len(items):
            event.app.exit(result=items[selected[0]].value)

    for d in "0123456789":
        kb.add(d)(digit)

    @kb.add("escape", eager=True)
    def _back(event: KeyPressEvent) -> None:
        if back:
            event.app.exit(result=BACK)

    @kb.add("c-c")
    def _interrupt(event: KeyPressEvent) -> None:
        event.app.exit(exception=KeyboardInterrupt())

    @kb.add("c-d")
    def _eof(event: KeyPressEvent) -> None:
        event.app.exit(exception=EOFError())

    def height() -> Dimension:
        return Dimension(max=max(3, get_app().output.get_size().rows - 1))

    control = FormattedTextControl(text, focusable=True, show_cursor=False)
    app: Application[str] = Application(
        layout=Layout(Window(control, height=height, wrap_lines=True, always_hide_cursor=True)),
        key_bindings=kb,
        style=STYLE,
        full_screen=False,
        erase_when_done=True,
        input=input,
        output=output,
    )
    return app.run()


def more(*, input: Input | None = None, output: Output | None = None) -> bool:
    """'— more —' between two screens of output: True for Enter or Space (go on), False for q or Esc."""
    kb = _no_mouse()

    @kb.add("enter")
    @kb.add(" ")
    @kb.add("pagedown")
    @kb.add("down")
    def _on(event: KeyPressEvent) -> None:
        event.app.exit(result=True)

    @kb.add("q")
    @kb.add("escape", eager=True)
    def _stop(event: KeyPressEvent) -> None:
        event.app.exit(result=False)

    @kb.add("c-c")
    def _interrupt(event: KeyPressEvent) -> None:
        event.app.exit(exception=KeyboardInterrupt())

    @kb.add("c-d")
    def _eof(event: KeyPressEvent) -> None:
        event.app.exit(exception=EOFError())

    control = FormattedTextControl(
        [("class:picker.help", f"{' ' * render.INDENT}— more — (Enter: next page · q: skip)")],
        show_cursor=False,
    )
    app: Application[bool] = Application(
        layout=Layout(Window(control, height=1, always_hide_cursor=True)),
        key_bindings=kb,
        style=STYLE,
        full_screen=False,
        erase_when_done=True,
        input=input,
        output=output,
    )
    return app.run()


RELOAD = loop.RELOAD
"""What the prompt returns when --watch ended it because a story file changed (no typed line can hold NUL)."""


class CommandHistory(InMemoryHistory):
    """The up arrow's history: commands only. A choice's number is not kept, since the same number means
    another choice in the next scene (a stale '2' is one Enter away from a choice not meant)."""

    def append_string(self, string: str) -> None:
        if not string.strip().lstrip("+-").isdecimal():
            super().append_string(string)


def _no_mouse() -> KeyBindings:
    """Key bindings that swallow mouse events. The game does not use the mouse, and prompt_toolkit takes some
    pasted escape sequences (ESC [ 3 1 m, a colour code) for malformed mouse reports and crashes on them."""
    kb = KeyBindings()

    @kb.add(Keys.Vt100MouseEvent)
    def _ignore(event: KeyPressEvent) -> None:
        pass

    return kb


def run(
    story: Story,
    saves: Saves,
    *,
    role: str | None = None,
    load: str | None = None,
    seed: int = 0,
    reload_story: Callable[[], tuple[Story | None, str]] | None = None,
    watch_root: Path | None = None,
    options: str = "",
) -> int:
    """`dualpower` in a terminal (the play command calls this when stdin and stdout are terminals)."""
    term = Terminal(
        story, saves, reload_story=reload_story, seed=seed, watch_root=watch_root, options=options
    )
    return term.main(role=role, load=load)

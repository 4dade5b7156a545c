"""A game being played: typed lines in, things to show out. Every front end plays through it.

A Session holds the story, the game state and the saves folder, and answers each line the player types with a
list of views (a scene, a message, a table, an ending). It never prints and never reads the keyboard: the
front ends do that (engine/loop.py runs one over a front end; a web server may call `handle` per request), so
all of them play the same game with the same commands.

`Session.new` and `Session.resume` are the one way to start a game; what stops one is a `StartError`, whose
message each front end shows its own way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import runtime
from engine.model import Scene, Story
from engine.runtime import GameError
from engine.saves import AUTOSAVE, RESERVED, SLOT_RE, SaveError, Saves, fitting
from engine.state import GameState, Step
from engine.text import CONTROL_RE, blocks, clean, first_sentence, one_line

COMMANDS = {
    "save": "save [slot]        save the game (a name is made up when you give none)",
    "load": "load [slot]        load a saved game; with no slot, list the saves",
    "undo": "undo [n]           take back the last choice (or the last n)",
    "journal": "journal            the path so far: date, scene, the choice you made",
    "history": "history [n]        the full text of the last scenes (3, or n)",
    "stats": "stats              where you stand",
    "note": "note               the historical note for this scene",
    "glossary": "glossary [term]    words of 1917 explained",
    "documents": "documents [n]      the primary sources for this scene",
    "endings": "endings            the endings you have found",
    "look": "look               show the scene again",
    "help": "help               this list",
    "quit": "quit               save and leave (Ctrl-D works too)",
}
AUTHOR_COMMANDS = {
    "reload": "reload             re-read the story files, keeping your place",
}
"""Commands for people writing the story; `help` lists them apart, after the players' commands."""
MAX_INPUT = 2000


class StartError(Exception):
    """A game that cannot start (an unknown role, a missing, damaged or foreign save); the message says what
    and what to do. Front ends show it their own way (the command line as 'dualpower: ...', exit 1).
    `details` are lines to show before it (an assignment file's diagnostics, for instance)."""

    def __init__(self, message: str, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.details = details or []


def unknown_role(story: Story, role: str) -> str:
    """The one wording of an unknown role, wherever it is given."""
    return f"unknown role {role!r}; the story's roles are: {', '.join(story.roles)}"


class PathMismatch(GameError):
    """A recorded path that no longer fits the story (an author changed a scene's choices)."""


def replay(story: Story, state: GameState, history: list[Step]) -> GameState:
    """Play `history` again from `state`'s start, checking each step's choice by the text the player read.

    A choice found at its recorded place with the same text is taken; one moved to another place in the same
    scene (an author swapped two choices) is found by its text. Raise PathMismatch naming the step, the scene
    and the text expected when a step fits nowhere, or is not open at that point (a once-only choice already
    taken, a condition no longer met)."""
    new = runtime.new_game(story, state.role, state.start or None, state.initial, state.seed)
    for n, step in enumerate(history, 1):
        scene = story.scenes[new.scene]
        where = f"step {n}, in scene {new.scene!r}"
        if step.scene != new.scene:
            raise PathMismatch(
                f"{where}: the path now reaches this scene, but the record says {step.scene!r}"
            )
        shown = [CONTROL_RE.sub("", runtime.interpolate(story, new, c.text)) for c in scene.choices]
        if 0 <= step.choice < len(shown) and shown[step.choice] == step.text:
            index = step.choice
        elif step.text in shown:
            index = shown.index(step.text)
        else:
            raise PathMismatch(f"{where}: the story has no choice {step.text!r} there any more")
        choice = scene.choices[index]
        if not runtime.is_open(story, new, choice):
            raise PathMismatch(f"{where}: the choice {step.text!r} is not open at that point any more")
        runtime.take(story, new, choice)
    return new


# --- views --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OptionView:
    number: int
    text: str
    locked: str | None
    """None when the choice is open; otherwise why it is locked, in words (`runtime.locked_reason`)."""


@dataclass(frozen=True, slots=True)
class SceneView:
    scene_id: str
    title: str
    date: str
    place: str
    paragraphs: tuple[str, ...]
    options: tuple[OptionView, ...]
    has_note: bool
    documents: int
    response: tuple[str, ...] = ()
    """The answer to the choice just made (its `response:`), for front ends that show no AnswerView (the web
    pages, story tests); plain mode and the terminal show it from the AnswerView before the scene."""


@dataclass(frozen=True, slots=True)
class EndingView:
    scene: SceneView
    title: str
    epilogue: str
    found: int
    total: int


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    kind: str = "info"
    """'info', 'hint', 'error' or 'text' (a longer passage: a note, a document)."""
    title: str = ""


@dataclass(frozen=True, slots=True)
class TableView:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note_last: bool = False
    """The last cell of each row is a sentence about it (`stats`' describe:): a narrow screen shows it on its
    own line under the row rather than squeezed into a column."""


@dataclass(frozen=True, slots=True)
class Leave:
    reason: str = "quit"


@dataclass(frozen=True, slots=True)
class ChoicesView:
    """The scene's choices again, after a command's output (help, stats, glossary ...), so the player is
    never left at a bare prompt. `bearings` says where: 'Dawn · 23 Feb 1917 · The corner bakery'."""

    bearings: str
    options: tuple[OptionView, ...]


@dataclass(frozen=True, slots=True)
class AnswerView:
    """A choice answered: the chosen text echoed, the story's response, what changed."""

    choice: str
    response: str = ""
    """The choice's response as the player read it (its paragraphs separated by blank lines), '' when none."""
    changes: tuple[str, ...] = ()
    """'Trust in the Soviet +1', 'Danger -1', 'Arrested: yes': the shown values this choice changed."""


View = SceneView | EndingView | Message | TableView | Leave | ChoicesView | AnswerView

ASIDES = frozenset(
    {"help", "stats", "note", "glossary", "documents", "journal", "endings", "save", "load", "history"}
)
"""Commands that leave the scene where it is: their output is followed by the choices (ChoicesView)."""


def changes(story: Story, before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    """What a step changed among the values the player sees: 'Danger +1', 'Arrested: yes'."""
    out = []
    for var in story.variables.values():
        old, new = before.get(var.name), after.get(var.name)
        if not var.show or old == new:
            continue
        if isinstance(new, bool) or not isinstance(new, int) or not isinstance(old, int):
            shown = ("yes" if new else "no") if isinstance(new, bool) else str(new)
            out.append(f"{var.label}: {shown}")
        else:
            out.append(f"{var.label} {new - old:+d}")
    return tuple(out)


@dataclass
class Session:
    story: Story
    state: GameState
    saves: Saves
    reload_story: Callable[[], tuple[Story | None, str]] | None = None
    """Re-reads the story: (new story, '') or (None, what went wrong)."""
    allow_undo: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    """Saved beside the game state (an assignment's answers, for instance)."""
    ended: bool = False
    autosave_checked: bool = False
    """Whether this game has made sure the autosave it overwrites holds no other unfinished game."""
    last_glossary: list[str] = field(default_factory=list)
    loaded: dict[str, Any] = field(default_factory=dict)
    """The whole save a resumed game came from (its assignment record, for instance); empty for a new game."""

    # --- starting a game ---

    @classmethod
    def new(cls, story: Story, role: str, saves: Saves, *, seed: int = 0, **options: Any) -> Session:
        """A new game as `role`; StartError when the story has no such role or its start is broken.
        `options` are the session's other fields (reload_story, allow_undo, extra, ...; a subclass's too)."""
        if role not in story.roles:
            raise StartError(unknown_role(story, role))
        try:
            state = runtime.new_game(story, role, seed=seed)
        except GameError as exc:
            raise StartError(f"the game cannot start: {exc}") from None
        return cls(story, state, saves, **options)

    @classmethod
    def resume(cls, story: Story, slot: str, saves: Saves, **options: Any) -> Session:
        """The game saved in `slot` (a slot name, or a save file's path given on the command line);
        StartError when it is missing, damaged, another story's or names a role the story no longer has.
        What the save holds beside the game state is in `session.extra` (the save's whole data)."""
        try:
            state, data = saves.load(slot, story)
        except SaveError as exc:
            raise StartError(str(exc)) from None
        session = cls(story, state, saves, **options)
        session.loaded = data
        return session

    # --- views ---

    def scene_view(self, response: bool = False) -> SceneView:
        """The current scene; with `response`, led by the answer to the choice just made."""
        story, state = self.story, self.state
        scene = story.scenes[state.scene]
        opts = tuple(
            OptionView(
                o.number,
                runtime.interpolate(story, state, o.choice.text),
                None if o.open else runtime.locked_reason(story, o.choice),
            )
            for o in ([] if scene.ending else runtime.options(story, state))
        )
        return SceneView(
            scene.id,
            scene.title,
            runtime.format_date(scene.date, weekday=True, calendar=story.calendar),
            scene.place,
            tuple(runtime.paragraphs(story, state, scene)),
            opts,
            bool(scene.note),
            len(scene.documents),
            tuple(runtime.response(state)) if response else (),
        )

    def current(self, response: bool = False) -> list[View]:
        """What to show for where the game is now: the scene, or the ending (with `response`, led by the answer
        to the choice just made)."""
        scene = self.story.scenes[self.state.scene]
        if scene.ending is None:
            return [self.scene_view(response)]
        return [self._ending(scene, response)]

    def _ending(self, scene: Scene, response: bool = False) -> EndingView:
        assert scene.ending is not None
        try:
            found = self.saves.add_ending(self.story, scene.id)
        except SaveError:
            found = self.saves.endings_found(self.story) | {scene.id}
        self.ended = True
        return EndingView(
            self.scene_view(response),
            scene.ending.title,
            runtime.interpolate(self.story, self.state, scene.ending.epilogue),
            len(found),
            len(self.story.endings),
        )

    def toolbar(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the status line: role, date, and the variables marked `show`."""
        story, state = self.story, self.state
        scene = story.scenes[state.scene]
        role = story.roles.get(state.role)
        items = [(role.name if role else state.role, runtime.short_date(scene.date, story.calendar))]
        for var in story.variables.values():
            if var.show:
                value = state.vars.get(var.name)
                items.append(
                    (var.label, ("yes" if value else "no") if isinstance(value, bool) else str(value))
                )
        return items

    def bearings(self) -> str:
        """Where and when the player is, in one line: 'Dawn · 23 Feb 1917 · The corner bakery' (the
        terminal keeps it in view in its status bar)."""
        scene = self.story.scenes[self.state.scene]
        return " · ".join(
            p for p in (scene.title, runtime.short_date(scene.date, self.story.calendar), scene.place) if p
        )

    # --- input ---

    def handle(self, line: str) -> list[View]:
        """Answer one typed line. Never raises for anything typed."""
        if len(line) > MAX_INPUT:
            return [Message("That line is too long. Type a choice's number, or 'help'.", "hint")]
        text = unicodedata.normalize("NFKC", line).strip()
        if not text:
            return [Message(self._prompt_hint(), "hint")]
        if _is_number(text):
            return self.pick(text)
        word, _, arg = text.partition(" ")
        word, arg = word.lower(), arg.strip()
        handler: Callable[[str], list[View]] | None = getattr(self, f"cmd_{word}", None)
        if word not in COMMANDS and word not in AUTHOR_COMMANDS or handler is None:
            number = self.choice_by_words(text)
            if number is not None:
                return self.pick(str(number))
            close = [c for c in COMMANDS if c.startswith(word[:3])] if len(word) >= 2 else []
            hint = f" Did you mean '{close[0]}'?" if close else ""
            return [
                Message(f"I don't know '{clean(word, 30)}'.{hint} Type a choice's number, or 'help'.", "hint")
            ]
        try:
            views = handler(arg)
        except (GameError, SaveError) as exc:
            return [Message(str(exc), "error")]
        if word in ASIDES and not (word == "load" and arg):
            views = [*views, *self.reminder()]
        return views

    def reminder(self) -> list[View]:
        """The choices again (after a command's output), or nothing at an ending or a scene without any."""
        if self.ended or self.story.scenes[self.state.scene].ending is not None:
            return []
        options = self.scene_view().options
        return [ChoicesView(self.bearings(), options)] if options else []

    def choice_by_words(self, text: str) -> int | None:
        """The number of the one open choice whose text holds every word typed ('go with olga'), if exactly
        one does; None otherwise (nothing typed of two words or more matches, or several do)."""
        words = re.findall(r"\w+", text.lower())
        if len(words) < 2 or self.ended:
            return None
        hits = [
            o.number
            for o in self.scene_view().options
            if not o.locked and all(w in re.findall(r"\w+", o.text.lower()) for w in words)
        ]
        return hits[0] if len(hits) == 1 else None

    def prompt(self) -> str:
        """What the prompt says before the player types."""
        return "> "

    def goodbye(self, reason: str) -> list[View] | None:
        """What to show when the game is left for `reason` (see engine.loop.FrontEnd.farewell); None: the
        front end's usual farewell (the game is in the autosave)."""
        return None

    def _prompt_hint(self) -> str:
        if self.ended:
            return "The story has ended here. Type 'quit' to leave, 'undo' to go back, or 'journal'."
        n = len(runtime.options(self.story, self.state))
        return f"Type a number from 1 to {n} to choose, or 'help' for commands." if n else "Type 'help'."

    def pick(self, text: str) -> list[View]:
        if self.ended:
            return [
                Message(
                    "The story has ended here: 'undo' goes back, 'journal' shows your path, 'quit' leaves.",
                    "hint",
                )
            ]
        digits = text.lstrip("+")
        if len(digits) > 6 or text.startswith("-"):
            n = len(runtime.options(self.story, self.state))
            return [Message(f"There is no choice {clean(text, 24)}: pick 1 to {n}.", "hint")]
        before = dict(self.state.vars)
        try:
            option = runtime.choose(self.story, self.state, int(digits))
        except GameError as exc:
            msg = str(exc)
            msg = msg[:1].upper() + msg[1:]
            return [Message(msg if msg.endswith((".", "!", "?")) else msg + ".", "hint")]
        text = self.state.history[-1].text if self.state.history else option.choice.text
        said = self.state.history[-1].response if self.state.history else ""
        out: list[View] = [AnswerView(text, said, changes(self.story, before, self.state.vars))]
        out.extend(self.autosave())
        out.extend(self.current(response=True))
        return out

    def autosave(self) -> list[View]:
        out = self._keep_other_game()
        try:
            self.saves.save(AUTOSAVE, self.story, self.state, self.extra)
        except SaveError as exc:
            return [*out, Message(f"Autosave failed: {exc}", "error")]
        return out

    def _keep_other_game(self) -> list[View]:
        """Before this game first overwrites the autosave: if the autosave holds another, unfinished game (a new
        game was started, or another save loaded), keep it under a slot of its own, so no progress is lost."""
        if self.autosave_checked:
            return []
        self.autosave_checked = True
        try:
            old, _data = self.saves.load(AUTOSAVE, self.story)
        except SaveError:
            return []  # none, damaged or another story's: nothing of this story's to keep
        if self.story.scenes[old.scene].ending is not None:
            return []
        mine = [(s.scene, s.choice) for s in self.state.history]
        theirs = [(s.scene, s.choice) for s in old.history]
        # The same game carried on (our path extends the saved one), or taken back (the saved path extends
        # ours: an undo, whose given-up branch the player chose to leave, is not forked into a slot).
        same_game = (
            old.role == self.state.role
            and old.start == self.state.start
            and (mine[: len(theirs)] == theirs or theirs[: len(mine)] == mine)
        )
        if same_game:
            return []
        scene = self.story.scenes[old.scene]
        slot = self.saves.fresh_slot(f"{old.role}-{scene.date.day}{scene.date:%b}".lower())
        try:
            self.saves.save(slot, self.story, old)
        except SaveError:
            return []
        return [Message(f"Your other unfinished game was kept as '{slot}' (load {slot}).")]

    # --- commands (cmd_<word>(arg) -> views) ---

    def cmd_help(self, arg: str) -> list[View]:
        return [help_view()]

    def cmd_look(self, arg: str) -> list[View]:
        scene = self.story.scenes[self.state.scene]
        if scene.ending is not None:
            return [
                EndingView(
                    self.scene_view(),
                    scene.ending.title,
                    scene.ending.epilogue,
                    len(self.saves.endings_found(self.story)),
                    len(self.story.endings),
                )
            ]
        return [self.scene_view()]

    def cmd_save(self, arg: str) -> list[View]:
        scene = self.story.scenes[self.state.scene]
        slot = arg or self.saves.fresh_slot(f"{self.state.role}-{scene.date.day}{scene.date:%b}".lower())
        self.saves.save(slot, self.story, self.state, self.extra)
        return [Message(f"Saved as '{slot}'. Load it with: load {slot}")]

    def cmd_load(self, arg: str) -> list[View]:
        if not arg:
            infos = self.saves.slots()
            if not infos:
                return [Message("There are no saves yet. Type 'save' to make one.", "hint")]
            rows = tuple(
                (i.slot, i.role, _iso_to_short(i.date), i.scene_title, i.saved_at.replace("T", " ")[:16])
                for i in infos
            )
            return [
                TableView("Saved games (type: load NAME)", ("slot", "role", "date", "scene", "saved"), rows)
            ]
        state, data = self.saves.load(self.slot_name(arg), self.story)
        self.state = state
        self.ended = False
        self.autosave_checked = False
        extra = {k: v for k, v in data.items() if k in self.extra}
        self.extra.update(extra)
        return [Message(f"Loaded '{clean(arg, 70)}'."), *self.current()]

    def slot_name(self, arg: str) -> str:
        """`arg` if it names a slot in the saves folder; SaveError for a path or anything else (a typed line
        never reads a file outside the saves folder)."""
        if not SLOT_RE.match(arg) or arg.lower() in RESERVED:
            raise SaveError(
                f"'{clean(arg, 70)}' is not a slot name: type 'load' for the list of saves, then 'load NAME'"
            )
        return arg

    def cmd_undo(self, arg: str) -> list[View]:
        if not self.allow_undo:
            return [Message("Undo is not allowed in this assignment: your choices stand.", "error")]
        steps = 1
        if arg:
            if not arg.isdecimal() or len(arg) > 6:
                return [Message("Type 'undo' or 'undo N' with N a number of steps.", "hint")]
            steps = int(arg)
        if steps < 1:
            raise GameError("undo takes a number of steps, 1 or more")
        if not self.state.history:
            raise GameError("nothing to undo: this is where the game began")
        taken = min(steps, len(self.state.history))
        keep = self.state.history[:-taken]
        first = self.state.history[-taken].text  # the earliest choice taken back: where the player is again
        try:
            self.state = replay(self.story, self.state, keep)
        except PathMismatch as exc:
            return [
                Message(f"Cannot undo: the story has changed since this path was played ({exc}).", "error")
            ]
        self.ended = False
        if taken == 1:
            said = f"Taken back: '{first}'."
        else:
            all_of = " (all there were)" if taken < steps else ""
            said = f"Taken back {taken} steps{all_of}, to before '{first}'."
        # The autosave follows the undo, so Continue resumes here, not on the path given up.
        return [Message(said), *self.autosave(), self.scene_view()]

    def cmd_journal(self, arg: str) -> list[View]:
        changed = self.step_changes()
        rows = tuple(
            (
                runtime.short_date(s.date, self.story.calendar),
                s.title,
                "(you are here)" if text is None else f"{text} ({one_line(said)})" if said else text,
                " · ".join(changed[n]) if n < len(changed) else "",
            )
            for n, (s, text, said) in enumerate(runtime.journal_steps(self.story, self.state))
        )
        return [TableView("Journal", ("date", "scene", "your choice", "what changed"), rows)]

    def step_changes(self) -> list[tuple[str, ...]]:
        """What each step of the path changed (as `changes` says it), by playing the path again; empty when
        the path no longer fits the story (after a reload)."""
        story, state = self.story, self.state
        out: list[tuple[str, ...]] = []
        try:
            new = runtime.new_game(story, state.role, state.start or None, state.initial, state.seed)
            for step in state.history:
                before = dict(new.vars)
                runtime.take(story, new, story.scenes[new.scene].choices[step.choice])
                out.append(changes(story, before, new.vars))
        except (GameError, IndexError, KeyError):
            return []
        return out

    def cmd_stats(self, arg: str) -> list[View]:
        rows = []
        for var in self.story.variables.values():
            if var.show:
                rows.append(
                    (var.label, *scale(var.min, var.max, self.state.vars.get(var.name)), var.describe)
                )
        role = self.story.roles[self.state.role]
        return [TableView(f"{role.name}: {role.title}", ("", "", "", "", ""), tuple(rows), note_last=True)]

    def cmd_history(self, arg: str) -> list[View]:
        """The backlog: the full text of the last scenes as they were read, each with the choice made."""
        if arg and (not arg.isdecimal() or len(arg) > 4 or int(arg) < 1):
            return [Message("Type 'history' or 'history N' with N a number of scenes.", "hint")]
        count = int(arg) if arg else 3
        story, state = self.story, self.state
        read: list[tuple[Scene, list[str], str | None]] = []
        try:
            new = runtime.new_game(story, state.role, state.start or None, state.initial, state.seed)
            for step in state.history:
                scene = story.scenes[new.scene]
                read.append((scene, runtime.paragraphs(story, new, scene), step.text))
                runtime.take(story, new, scene.choices[step.choice])
        except (GameError, IndexError, KeyError):
            return [Message("The backlog cannot be rebuilt: the story has changed since this path.", "error")]
        scene = story.scenes[new.scene]
        read.append((scene, runtime.paragraphs(story, new, scene), None))
        out: list[View] = []
        for scene, paragraphs, chose in read[-count:]:
            when = " · ".join(
                p for p in (runtime.short_date(scene.date, self.story.calendar), scene.place) if p
            )
            text = "\n\n".join([when, *paragraphs, f"You chose: {chose}" if chose else "(you are here)"])
            out.append(Message(text, "text", scene.title))
        return out

    def cmd_note(self, arg: str) -> list[View]:
        scene = self.story.scenes[self.state.scene]
        if not scene.note:
            return [Message("This scene has no historical note.", "hint")]
        return [Message(scene.note, "text", f"Note: {scene.title}")]

    def cmd_glossary(self, arg: str) -> list[View]:
        terms = self.story.glossary
        if not terms:
            return [Message("This story has no glossary.", "hint")]
        if not arg:
            rows = tuple(
                (t.term, first_sentence(t.text, 110)) for t in sorted(terms, key=lambda t: t.term.lower())
            )
            return [TableView("Glossary (type: glossary TERM)", ("term", ""), rows)]
        want = " ".join(arg.split()).lower()
        for t in terms:
            if want == t.term.lower() or want in (a.lower() for a in t.aliases):
                return [Message(t.text, "text", t.term)]
        close = [t.term for t in terms if want in t.term.lower()]
        if len(close) == 1:
            return self.cmd_glossary(close[0])
        hint = f" Try: {', '.join(close[:5])}." if close else " Type 'glossary' for the list."
        return [Message(f"No glossary entry for '{clean(arg, 40)}'.{hint}", "hint")]

    def cmd_documents(self, arg: str) -> list[View]:
        scene = self.story.scenes[self.state.scene]
        docs = [self.story.documents[d] for d in scene.documents if d in self.story.documents]
        if not docs:
            return [Message("No documents go with this scene.", "hint")]
        if not arg:
            if len(docs) == 1:
                arg = "1"
            else:
                rows = tuple((str(i), d.title, d.attribution) for i, d in enumerate(docs, 1))
                return [TableView("Documents (type: documents N)", ("", "title", "source"), rows)]
        if arg.isdecimal() and 1 <= int(arg) <= len(docs):
            d = docs[int(arg) - 1]
            return [Message(f"{reflow(d.text)}\n\n— {' '.join(d.attribution.split())}", "text", d.title)]
        return [Message(f"Type 'documents' and a number from 1 to {len(docs)}.", "hint")]

    def cmd_endings(self, arg: str) -> list[View]:
        return [endings_view(self.story, self.saves)]

    def cmd_reload(self, arg: str) -> list[View]:
        if self.reload_story is None:
            return [Message("Reload is not available here.", "hint")]
        story, problem = self.reload_story()
        if story is None:
            return [Message(f"The story has errors, so the old version stays loaded:\n{problem}", "error")]
        if self.state.role not in story.roles:
            return [
                Message(
                    f"The reloaded story has no role {self.state.role!r} any more; the old version stays "
                    "loaded.",
                    "error",
                )
            ]
        notes: list[View] = []
        try:
            state = replay(story, self.state, self.state.history)
            if state.scene != self.state.scene:
                # Every step still fits, but the last one leads elsewhere now: the player's place moved.
                last = self.state.history[-1].text if self.state.history else ""
                why = (
                    f"your last choice, {last!r}, now leads to {state.scene!r}"
                    if last
                    else f"the role now starts at {state.scene!r}"
                )
                notes.append(
                    Message(
                        f"Your place could not be kept: {why}, not {self.state.scene!r}; you are there now.",
                        "hint",
                    )
                )
        except GameError as exc:
            if self.state.scene not in story.scenes:
                return [
                    Message(
                        f"Reloaded story no longer has the scene {self.state.scene!r}; "
                        "the old version stays loaded.",
                        "error",
                    )
                ]
            state = self.state  # the path changed: keep where we are and the variables as they stand
            state.vars = {n: fitting(v, state.vars.get(n), v.start) for n, v in story.variables.items()}
            notes.append(
                Message(
                    f"Your path no longer fits the story at {exc}: you stay in this scene with your "
                    "variables as they stand (the path before could not be replayed), but undo may not lead "
                    "back along the old path.",
                    "hint",
                )
            )
        self.story, self.state = story, state
        return [Message("Story reloaded."), *notes, *self.current()]

    def cmd_quit(self, arg: str) -> list[View]:
        return [*self.autosave(), Leave()]

    def arguments(self) -> dict[str, list[str]]:
        """For completion: every command, with the words it takes (slot names, glossary terms, numbers)."""
        slots = self.saves.slot_names()  # on every Tab: names only, no save is read
        glossary = self.story.glossary
        terms = sorted({t.term for t in glossary} | {a for t in glossary for a in t.aliases})
        documents = len(self.story.scenes[self.state.scene].documents)
        words: dict[str, list[str]] = {name: [] for name in [*COMMANDS, *AUTHOR_COMMANDS]}
        numbers = [str(n) for n in range(1, documents + 1)]
        words.update(save=slots, load=slots, glossary=terms, documents=numbers)
        return words


def help_view() -> TableView:
    """The list of commands (the `help` command, and Help on the title screen); the authors' last."""
    rows = [tuple(part.strip() for part in text.split("  ", 1)) for text in COMMANDS.values()]
    rows += [("For authors:", "")]
    rows += [tuple(part.strip() for part in text.split("  ", 1)) for text in AUTHOR_COMMANDS.values()]
    return TableView(
        "Commands (type a choice's number, or a few of its words, to choose)",
        ("command", "what it does"),
        tuple(rows),
    )


LEVELS = ("very low", "low", "middling", "high", "very high")


def scale(low: int | None, high: int | None, value: Any) -> tuple[str, str, str]:
    """A value on its scale: ('3', '■■■□□□□□□□', 'low') for 3 of 0-10; yes/no and text as they are."""
    if isinstance(value, bool):
        return ("yes" if value else "no", "", "")
    if not isinstance(value, int) or low is None or high is None or high <= low:
        return (str(value), "", "")
    share = (value - low) / (high - low)
    filled = round(share * 10)
    bar = "■" * filled + "□" * (10 - filled)
    return (str(value), bar, LEVELS[min(len(LEVELS) - 1, int(share * len(LEVELS)))])


def endings_view(story: Story, saves: Saves) -> TableView:
    """The endings found across all playthroughs, per role: how many of how many, and the names of those
    found (the others stay secret, unnamed). For `endings`, and the title screen."""
    found = saves.endings_found(story)
    counts: dict[str, list[int]] = {}
    names: dict[str, list[str]] = {}
    for s in story.endings:
        role = story.role_of(s.id) or ""
        role_name = story.roles[role].name if role else "Any role"
        assert s.ending is not None
        counts.setdefault(role_name, [0, 0])[1] += 1
        names.setdefault(role_name, [])
        if s.id in found:
            counts[role_name][0] += 1
            names[role_name].append(s.ending.title)
    rows = tuple(
        (role, f"{n} of {total}", ", ".join(names[role]) or "none yet") for role, (n, total) in counts.items()
    )
    return TableView(f"Endings found: {len(found)}/{len(story.endings)}", ("role", "found", "which"), rows)


def _is_number(text: str) -> bool:
    body = text[1:] if text[:1] in "+-" else text
    return body.isdecimal() and body != ""


def _iso_to_short(iso: str) -> str:
    import datetime as _dt

    try:
        return runtime.short_date(_dt.date.fromisoformat(iso))
    except ValueError:
        return iso


_LIST_ITEM = re.compile(r"\s*(?:[-*•]|\d+[.)])\s")


def reflow(text: str) -> str:
    """A document's text as paragraphs and list items: the line breaks of its YAML block are joined, except
    before a blank line or a list item ('- ', '1. '), so the front end can wrap it to any width."""
    out: list[str] = []
    for block in blocks(text):
        lines: list[str] = []
        for raw in block.splitlines():
            if lines and not _LIST_ITEM.match(raw):
                lines[-1] += " " + raw.strip()
            else:
                lines.append(raw.strip())
        out.append("\n".join(lines))
    return "\n\n".join(out)

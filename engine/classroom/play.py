"""An assignment: the game with a teacher's questions, saved so it can be resumed (`play --assignment FILE`).

The assignment's record (student, answers, the file's hash) lives in Session.extra["assignment"], so every save
carries it. Questions are asked by the session itself: while one is pending, the next line typed is its answer;
the game runs through the one play loop (engine/loop.py) like any other. `start` finds or makes the session;
the play command (engine/commands.py) shows it on a front end.
"""

from __future__ import annotations

import getpass
import hashlib
import platform
import re
import shlex
import time
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from engine import runtime
from engine.classroom import assignment as asg_mod
from engine.classroom.assignment import (
    KEY,
    Assignment,
    Question,
    RecordError,
    check_record,
    new_record,
    now_iso,
    seal_answers,
    seal_record,
)
from engine.classroom.record import when
from engine.model import Story
from engine.runtime import GameError
from engine.saves import RESERVED, SLOT_RE, SaveError, Saves, user_dir
from engine.session import Leave, Message, SceneView, Session, StartError, View
from engine.state import GameState
from engine.text import clean

MAX_ANSWER = 4000
MAX_NAME = 80


def name_key(name: str) -> str:
    """A name as it is matched: accents dropped, case and spacing ignored ('Ana  Kovač' -> 'ana kovac')."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


def slot_for(assignment: Assignment, student: str) -> str:
    """A readable slot per assignment and student, e.g. 'july-days-anna-petrova'. Names that differ only in
    accents, case or spacing get the same slot (the game then asks whether the save found there is theirs)."""

    def ascii_slug(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()

    key = name_key(student)
    name = ascii_slug(key)
    if not name or not key.isascii():
        # Names in other scripts lose letters in the slug: a short hash keeps Анна's save apart from Иван's.
        name = "-".join(p for p in (name, hashlib.sha256(key.encode("utf-8")).hexdigest()[:6]) if p)
    slug = f"{ascii_slug(assignment.name) or 'assignment'}-{name}"[:60].strip("-")
    return slug if slug.lower() not in RESERVED else f"{slug}-work"


def device() -> str:
    """A short fingerprint of this computer and account, kept in the record: a game resumed from another one
    (a shared saves folder, two students of one name) is only carried on when the student says it is theirs."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    return hashlib.sha256(f"{user}@{platform.node()}".encode()).hexdigest()[:12]


@dataclass
class AssignmentSession(Session):
    """A Session that asks the assignment's questions and stops at its end (an ending or `until`)."""

    assignment: Assignment | None = None
    slot: str = "assignment"
    saves_option: str = ""
    """' --saves DIR' when the saves folder was given, so the report command we suggest finds the save."""
    done: bool = False
    unconfirmed: str | None = None
    """A very short or numeric answer typed to the pending question, waiting for the student to keep it."""
    _since: float | None = None
    """When the time on the current scene was last counted (time.monotonic)."""
    save_problem: str | None = None
    """Why the last save failed (None: the last save was written), so no message claims a save that failed."""

    @property
    def record(self) -> dict[str, Any]:
        return self.extra[KEY]  # type: ignore[no-any-return]

    # --- where the assignment stands ---

    def finished(self) -> bool:
        assert self.assignment is not None
        scene = self.story.scenes[self.state.scene]
        return scene.ending is not None or self.state.scene == self.assignment.until

    def pending(self) -> Question | None:
        """The next question to ask here, if any: this scene's, then (at the end) the end questions."""
        assert self.assignment is not None
        answered = {(a.get("at"), a.get("ask")) for a in self.record["answers"]}
        for q in self.assignment.questions:
            if (q.at, q.ask) in answered:
                continue
            if q.at == self.state.scene or (q.at is None and self.finished()):
                return q
        return None

    def prompt_views(self) -> list[View]:
        """What follows the scene: a question, or the end of the assignment."""
        assert self.assignment is not None
        q = self.pending()
        if q is not None:
            return [
                Message(
                    f"{q.ask}\n(Type your answer on one line, then press Enter. To look again first, type "
                    "note, documents or glossary.)",
                    "text",
                    f"Question {q.number} of {len(self.assignment.questions)}",
                )
            ]
        if self.finished():
            return self._complete()
        return []

    def _complete(self) -> list[View]:
        self.done = True
        if "completed" not in self.record:
            self.record["completed"] = now_iso()
        failed = self.autosave()
        if self.save_problem is not None:
            return [*failed, self._not_saved("The assignment is complete, but"), Leave("done")]
        return [
            Message(self.done_message()),
            Leave("done"),
        ]

    def _not_saved(self, lead: str) -> Message:
        kept = (
            "the last save that worked is kept"
            if self.saves.exists(self.slot)
            else "nothing of this game was saved"
        )
        return Message(
            f"{lead} your work could NOT be saved: {self.save_problem}. Of this game, {kept}. Tell your "
            "teacher before you close this window.",
            "error",
        )

    def prompt(self) -> str:
        return "Your answer> " if self.pending() is not None else "> "

    def goodbye(self, reason: str) -> list[View] | None:
        if self.done:
            return []
        if self.save_problem is not None:
            return [self._not_saved("Stopped, but")]
        return [
            Message(
                f"Stopped. Your work is saved as '{self.slot}'. To carry on, run the same command "
                f"again, or:\n  dualpower play --load {self.slot}{self.saves_option}"
            )
        ]

    def done_message(self) -> str:
        """What the student reads when the assignment is complete (a front end may say it its own way)."""
        return (
            f"The assignment is complete, and saved as '{self.slot}'. Make your report with:\n"
            f"  {self.report_hint()}"
        )

    def report_hint(self) -> str:
        return f"dualpower report {self.slot}{self.saves_option} -o {self.slot}.html"

    # --- Session overrides ---

    def current(self, response: bool = False) -> list[View]:
        views = super().current(response)
        if self.pending() is not None:
            # Not over while end questions wait: front ends treat an ended session's empty line as "leave".
            self.ended = False
        if (
            self.assignment is not None
            and self.state.scene == self.assignment.until
            and views
            and isinstance(views[0], SceneView)
        ):
            views = [replace(views[0], options=()), Message("The assignment stops at this scene.")]
        return [*views, *self.prompt_views()]

    # --- evidence of reading: what was opened, and the time on each scene ---

    def reading(self) -> dict[str, Any]:
        return self.record.setdefault("reading", {"opened": [], "seconds": []})  # type: ignore[no-any-return]

    def _tick(self) -> None:
        """Add the time since the last count to the current scene's (a pause over 10 minutes counts as 10)."""
        now = time.monotonic()
        if self._since is not None:
            seconds = self.reading()["seconds"]
            step = len(self.state.history)
            seconds.extend([0] * (step + 1 - len(seconds)))
            seconds[step] += int(min(now - self._since, 600))
        self._since = now

    def _opened(self, kind: str, what: str, views: list[View]) -> list[View]:
        if any(isinstance(v, Message) and v.kind == "text" for v in views):
            entry = [len(self.state.history), kind, what]
            if entry not in self.reading()["opened"]:
                self.reading()["opened"].append(entry)
        return views

    def cmd_note(self, arg: str) -> list[View]:
        return self._opened("note", self.state.scene, super().cmd_note(arg))

    def cmd_documents(self, arg: str) -> list[View]:
        views = super().cmd_documents(arg)
        title = next((v.title for v in views if isinstance(v, Message) and v.kind == "text"), "")
        return self._opened("document", title, views)

    def cmd_glossary(self, arg: str) -> list[View]:
        views = super().cmd_glossary(arg)
        title = next((v.title for v in views if isinstance(v, Message) and v.kind == "text"), "")
        return self._opened("glossary", title, views)

    def autosave(self) -> list[View]:
        from engine.classroom.report import make_block

        self._tick()
        # Seal the whole record as it stands, so a report made from this save can show it was not edited.
        self.record["seal"] = seal_record(make_block(self.story, self.state, self.record, ""))
        try:
            self.saves.save(self.slot, self.story, self.state, self.extra)
        except SaveError as exc:
            self.save_problem = exc.reason
            return [Message(f"Saving failed: {exc}", "error")]
        self.save_problem = None
        return []

    def handle(self, line: str) -> list[View]:
        word, _, arg = " ".join(line.split()).partition(" ")
        if word.lower() == "answer" and (arg == "" or arg.isdecimal()):
            return self.cmd_answer(arg)
        q = self.pending()
        if q is None:
            return super().handle(line)
        if self.unconfirmed is not None:
            kept, self.unconfirmed = self.unconfirmed, None
            if " ".join(line.split()).lower() in ("yes", "y"):
                return self.answer(kept, confirmed=True)
        if _is_command(line):
            # Questions ask students to compare with the sources: let them read the note or a document again
            # before answering; `quit` leaves (the question waits for the next lesson). Anything else typed,
            # one word or many, is the answer.
            views = super().handle(line)
            if any(isinstance(v, Leave) for v in views):
                return views
            return [*views, Message(f"Now type your answer to question {q.number}.", "hint")]
        return self.answer(line)

    def cmd_save(self, arg: str) -> list[View]:
        if not self.allow_undo:
            return [
                Message(
                    f"Your work is saved by itself after every step, as '{self.slot}'; other saves are "
                    "not allowed in this assignment.",
                    "hint",
                )
            ]
        return super().cmd_save(arg)

    def answer(self, line: str, confirmed: bool = False) -> list[View]:
        q = self.pending()
        assert q is not None
        if len(line) > MAX_ANSWER:
            return [
                Message(
                    f"That answer is too long ({len(line)} characters; at most {MAX_ANSWER}): "
                    "shorten it and type it again.",
                    "hint",
                )
            ]
        text = " ".join(clean(unicodedata.normalize("NFC", line), MAX_ANSWER).split())
        if not text:
            return [Message("Type your answer to the question, then press Enter.", "hint")]
        if not confirmed and _too_short(text):
            # A reflexive '1' (a choice's number) or a word typed by mistake must not stand as the answer.
            self.unconfirmed = text
            return [
                Message(
                    f"Your answer to question {q.number} would be just '{text}'. To keep it, type yes; "
                    "otherwise type your answer again.",
                    "hint",
                )
            ]
        answer = {"at": q.at, "ask": q.ask, "answer": text, "step": len(self.state.history)}
        path = [[s.scene, s.choice] for s in self.state.history]
        answer["seal"] = seal_answers(self.record["student"], [*self.record["answers"], answer], path)[-1]
        self.record["answers"].append(answer)
        saved = self.autosave()
        follow = self.prompt_views()
        if self.save_problem is not None:
            said = "Answer kept for now, but NOT saved (see above)."
        elif self.done:  # the last answer: the assignment is complete, there is no next choice to wait for
            said = "Answer saved."
        else:
            said = "Answer saved. (To change it, type answer before your next choice.)"
        if not follow:
            # Remind the player of the choices, which scrolled away above the question.
            follow = [replace(self.scene_view(), paragraphs=())]
        return [*saved, Message(said), *follow]

    def cmd_answer(self, arg: str) -> list[View]:
        """`answer [N]`: take back an answer given since the last choice (the last one, or question N's), so
        that its question is asked again and the next line typed is the new answer."""
        assert self.assignment is not None
        steps = len(self.state.history)
        answers = self.record["answers"]
        numbers = {(q.at, q.ask): q.number for q in self.assignment.questions}
        here = [i for i, a in enumerate(answers) if a["step"] == steps]
        if arg:
            here = [i for i in here if numbers.get((answers[i]["at"], answers[i]["ask"])) == int(arg)]
        if not here:
            which = f"question {arg}" if arg else "a question"
            return [
                Message(
                    f"There is no answer to {which} to change here: an answer can be changed only before the "
                    "next choice.",
                    "hint",
                )
            ]
        old = answers.pop(here[-1])
        path = [[s.scene, s.choice] for s in self.state.history]
        for a, seal in zip(answers, seal_answers(self.record["student"], answers, path), strict=True):
            a["seal"] = seal
        self.unconfirmed = None
        return [
            *self.autosave(),
            Message(
                f"Your answer was: {old['answer']}\nType your new answer (one line, then Enter).", "hint"
            ),
            *self.prompt_views(),
        ]

    def pick(self, text: str) -> list[View]:
        if self.finished():
            return [Message("The assignment stops here: there is nothing more to choose.", "hint")]
        self._tick()  # the time so far belongs to the scene being left
        return super().pick(text)

    def cmd_look(self, arg: str) -> list[View]:
        return self.current()

    def cmd_undo(self, arg: str) -> list[View]:
        before = len(self.state.history)
        views = super().cmd_undo(arg)
        steps = len(self.state.history)
        if steps < before:
            # Answers given further along the abandoned path no longer belong to the game.
            kept = [a for a in self.record["answers"] if a["step"] <= steps]
            if len(kept) < len(self.record["answers"]):
                self.record["answers"][:] = kept
                views.append(Message("Your answers given after that point were taken back too."))
            views.extend(self.autosave())
            views.extend(self.prompt_views())
        return views

    def cmd_load(self, arg: str) -> list[View]:
        if not arg:
            # The saves folder is the class's: its list would show the other students' names.
            return [
                Message(
                    f"Your work is saved as '{self.slot}'. The list of saves is not shown in an assignment "
                    "(the folder holds your classmates' saves too).",
                    "hint",
                )
            ]
        if not self.allow_undo:
            return [
                Message(
                    "Loading another save is not allowed in this assignment: your choices stand.", "error"
                )
            ]
        state, data = self.saves.load(self.slot_name(arg), self.story)
        try:
            record = check_record(data.get(KEY))
        except RecordError:
            return [Message(f"'{clean(arg, 70)}' is not a save of this assignment.", "error")]
        if record["sha256"] != self.record["sha256"] or record["student"] != self.record["student"]:
            return [Message(f"'{clean(arg, 70)}' is a save of another assignment or student.", "error")]
        self.state = state
        self.ended = False
        self.extra[KEY] = record
        return [Message(f"Loaded '{clean(arg, 70)}'."), *self.current()]


SHORT_ANSWER = 6
"""Answers shorter than this many characters (or only a number) are confirmed before they are kept."""


def _too_short(text: str) -> bool:
    return len(text) < SHORT_ANSWER or text.replace(".", "").replace(",", "").isdecimal()


LOOKUPS = ("note", "documents", "glossary", "journal", "stats")
"""Commands that only show something; typed alone (or `documents N`, `glossary TERM`) while a question waits."""


def _is_command(line: str) -> bool:
    """A line that is a command even while a question waits: a look-up, `help`, `undo [N]` or `quit`."""
    word, _, arg = " ".join(line.split()).partition(" ")
    word = word.lower()
    if word in ("help", "quit"):
        return arg == ""
    if word == "undo":
        return arg == "" or arg.isdecimal()
    if word not in LOOKUPS:
        return False
    if word == "documents":
        return arg == "" or arg.isdecimal()
    if word == "glossary":
        return len(arg.split()) <= 3
    return arg == ""


# --- starting an assignment ------------------------------------------------------------------


class Lines(Protocol):
    """Where `start` writes what comes before the game (the intro, a welcome back) and asks the student's name."""

    def write(self, text: str = "") -> None: ...

    def para(self, text: str, indent: str = "") -> None: ...

    def ask(self, prompt: str) -> str | None: ...


def holds_assignment(saves: Saves, slot: str | None) -> bool:
    """Whether `slot` names a readable save with an assignment record (so `--load` alone resumes it)."""
    if not slot:
        return False
    try:
        return isinstance(saves.read(slot).get(KEY), dict)
    except SaveError:
        return False


def _ask_name(ui: Lines) -> str | None:
    ui.write("Your name, as your teacher should see it on your report:")
    while True:
        line = ui.ask("Name> ")
        if line is None:
            return None
        name = " ".join(clean(line, MAX_NAME).split())
        if name:
            return name
        ui.write("? Type your name, then press Enter.")


def start(
    story: Story,
    saves: Saves,
    ui: Lines,
    *,
    assignment_file: Path | None = None,
    load: str | None = None,
    student: str | None = None,
    seed: int = 0,
    saves_option: str = "",
    wait: bool = False,
    session_type: type[AssignmentSession] = AssignmentSession,
) -> AssignmentSession:
    """The assignment session to play: resumed from `load` (or the student's own slot), else new. Writes the
    intro or a welcome back on `ui`; raises StartError (with the assignment's diagnostics in `details`).
    `session_type`: an AssignmentSession subclass with a front end's own words (the SSH listener's)."""
    shared = saves
    saves, saves_option = _writable_saves(saves, ui, saves_option)
    student_arg = " ".join(clean(student, MAX_NAME).split()) if student else None
    record: dict[str, Any] | None = None
    state: GameState | None = None
    slot: str | None = None
    if load:
        try:
            state, data = saves.load(load, story)
            record = check_record(data.get(KEY)) if KEY in data else None
        except SaveError as exc:
            raise StartError(str(exc)) from None
        except RecordError as exc:
            raise StartError(f"the save {load!r} cannot be resumed: {exc}") from None
        if record is None:
            raise StartError(f"the save {load!r} holds no assignment; play it without --assignment")
        if student_arg and student_arg != record["student"]:
            raise StartError(f"the save {load!r} belongs to {record['student']!r}, not {student_arg!r}")
        slot = load if SLOT_RE.match(load) else None

    path = assignment_file
    if path is None:
        assert record is not None
        path = asg_mod.find(record["file"], record["sha256"], story.root)
        if path is None:
            raise StartError(
                f"cannot find the assignment file {record['file']!r} this save was played with; "
                "give it with --assignment FILE"
            )
    assignment, diags = asg_mod.load(path, story)
    if assignment is None:
        raise StartError(
            "the assignment has mistakes (above); ask your teacher to run: dualpower check --assignment FILE",
            [str(d) for d in diags if d.severity == "error"],
        )
    if record is not None and record["sha256"] != assignment.sha256:
        raise StartError(
            f"the assignment file {path} has changed since this game was started, so its answers would no "
            "longer match its questions; use the original file, or start again"
        )

    ui.write(story.title)
    ui.write(f"Assignment: {assignment.title}")
    ui.write()
    if record is None:
        name = student_arg or _ask_name(ui)
        if name is None:
            raise StartError("no name given, so the assignment was not started (give it with --student NAME)")
        slot = slot_for(assignment, name)
        resumed = _find_game(saves, slot, story, assignment, name, ui)
        if resumed is None and shared is not saves and not saves.exists(slot):
            # A game begun in the class folder while it could still be written: carried on in the own folder.
            resumed = _find_game(shared, slot, story, assignment, name, ui)
        if resumed is not None:
            slot, state, record = resumed
        else:
            if saves.exists(slot) and _resume_slot(saves, slot, story, assignment, name) is not None:
                slot = saves.fresh_slot(slot)  # the game there is someone else's
            elif saves.exists(slot):
                # Another version of the assignment, or a damaged file: keep it, and start in a new slot.
                old, slot = slot, saves.fresh_slot(slot)
                ui.para(
                    f"The save '{old}' cannot be continued with this assignment file (it was made with another "
                    f"version of it, or it is damaged), so it is kept as it is and you start again as '{slot}'."
                )
                ui.write()
            try:
                state = runtime.new_game(
                    story, assignment.role, start=assignment.start, initial=assignment.initial, seed=seed
                )
            except GameError as exc:
                raise StartError(f"the assignment cannot start: {exc}") from None
            record = new_record(assignment, name)
            record["device"] = device()
            _intro(ui, story, assignment, slot, name, saves.folder)
            if wait:
                # So the task stays on screen until the student has read it (the game's text would push it away).
                ui.ask("Press Enter to begin. ")
                ui.write()
    assert state is not None and record is not None
    if slot is None:
        slot = slot_for(assignment, record["student"])
    if state.history or record["answers"]:
        n = len(state.history)
        ui.para(
            f"Welcome back, {record['student']}. Carrying on where you stopped: {n} choice{'s' if n != 1 else ''}"
            f" made, {len(record['answers'])} of {len(assignment.questions)} questions answered."
        )
        ui.write()
    session = session_type(
        story,
        state,
        saves,
        allow_undo=assignment.allow_undo,
        extra={KEY: record},
        assignment=assignment,
        slot=slot,
        saves_option=saves_option,
    )
    session._since = time.monotonic()
    return session


def _writable_saves(saves: Saves, ui: Lines, saves_option: str) -> tuple[Saves, str]:
    """The saves folder to play in: `saves` when a save can be written there, else the student's own data
    folder (saying so, before the intro); StartError when neither can be written."""
    problem = saves.unwritable()
    if problem is None:
        return saves, saves_option
    own = Saves(user_dir(), list_names=saves.list_names)
    same = own.folder.absolute() == saves.folder.absolute()
    other = None if same else own.unwritable()
    if same or other is not None:
        raise StartError(
            f"your work could not be saved: {problem}"
            + (f", nor in your own folder: {other}" if other else "")
            + "; ask your teacher for a folder you can write to, and give it with --saves DIR"
        )
    ui.para(
        f"Your work cannot be saved in {saves.folder}: {problem}. It is saved in your own folder instead: "
        f"{own.folder}. Next lesson, run the same command: your game is found there."
    )
    ui.write()
    return own, f" --saves {shlex.quote(str(own.folder))}"


def _find_game(
    saves: Saves, slot: str, story: Story, assignment: Assignment, student: str, ui: Lines
) -> tuple[str, GameState, dict[str, Any]] | None:
    """The student's own game of this assignment, in `slot` or its numbered siblings ('-2', '-3', ...). A game
    started under this very name on this computer and account is carried on; one started elsewhere, or under a
    name spelled differently, only when the student says it is theirs."""
    here = device()
    for cand in [slot, *(f"{slot}-{n}" for n in range(2, 100))]:
        if not saves.exists(cand):
            if cand != slot:
                return None
            continue
        found = _resume_slot(saves, cand, story, assignment, student)
        if found is None:
            continue
        state, record = found
        if record["student"] == student and record.get("device") == here:
            return cand, state, record
        n = len(state.history)
        ui.para(
            f"A game of this assignment by {record['student']}, started on {when(record['started'])} "
            f"({n} choice{'s' if n != 1 else ''} made), is in this saves folder. Is it yours?"
        )
        while True:
            reply = ui.ask("yes or no> ")
            if reply is None:
                raise StartError("no answer given, so the assignment was not started")
            word = reply.strip().lower()
            if word in ("y", "yes"):
                record["device"] = here
                return cand, state, record
            if word in ("n", "no"):
                ui.write()
                break
            ui.write("? Type yes or no, then press Enter.")
    return None


def _resume_slot(
    saves: Saves, slot: str, story: Story, assignment: Assignment, student: str
) -> tuple[GameState, dict[str, Any]] | None:
    """The same student's unfinished save of the same assignment, when there is one: next lesson goes on."""
    if not saves.exists(slot):
        return None
    try:
        state, data = saves.load(slot, story)
        record = check_record(data.get(KEY))
    except (SaveError, RecordError):
        return None
    if record["sha256"] != assignment.sha256 or name_key(record["student"]) != name_key(student):
        return None
    return state, record


def _intro(
    ui: Lines, story: Story, assignment: Assignment, slot: str, student: str, saves_folder: Path
) -> None:
    role = story.roles[assignment.role]
    ui.para(f"Student: {student}")
    ui.para(f"You play: {role.name}, {role.title}" if role.title else f"You play: {role.name}")
    ui.write()
    if assignment.intro:
        ui.para(assignment.intro.strip())
        ui.write()
    lines = [
        f"There are {len(assignment.questions)} questions; each is asked when you reach its scene, or at "
        "the end. The next line you type after a question is your answer (to read the note, a document or "
        "the glossary again first, type note, documents or glossary; to stop and answer next lesson, quit)."
    ]
    if not assignment.allow_undo:
        lines.append("Undo is not allowed in this assignment: think before you choose.")
    lines.append(
        f"Your work is saved after every step as '{slot}' (in {saves_folder}). To stop, type 'quit' (or press Ctrl-D); "
        "next lesson, run the same command again to carry on."
    )
    for line in lines:
        ui.para(line)
    ui.write()

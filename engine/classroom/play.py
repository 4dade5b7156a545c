"""An assignment: the game with a teacher's questions, saved so it can be resumed (`play --assignment FILE`).

The assignment's record (student, answers, the file's hash) lives in Session.extra["assignment"], so every save
carries it. Questions are asked by the session itself: while one is pending, the next line typed is its answer;
the game runs through the one play loop (engine/loop.py) like any other. `start` finds or makes the session;
the play command (engine/commands.py) shows it on a front end.
"""

from __future__ import annotations

import hashlib
import re
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
from engine.model import Story
from engine.runtime import GameError
from engine.saves import RESERVED, SLOT_RE, SaveError, Saves
from engine.session import Leave, Message, SceneView, Session, StartError, View
from engine.state import GameState
from engine.text import clean

MAX_ANSWER = 4000
MAX_NAME = 80


def slot_for(assignment: Assignment, student: str) -> str:
    """A readable slot per assignment and student, e.g. 'july-days-anna-petrova'."""

    def ascii_slug(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()

    name = ascii_slug(student)
    if not name or not student.isascii():
        # Names in other scripts lose letters in the slug: a short hash keeps Анна's save apart from Иван's.
        name = "-".join(p for p in (name, hashlib.sha256(student.encode("utf-8")).hexdigest()[:6]) if p)
    slug = f"{ascii_slug(assignment.name) or 'assignment'}-{name}"[:64].strip("-")
    return slug if slug.lower() not in RESERVED else f"{slug}-work"


@dataclass
class AssignmentSession(Session):
    """A Session that asks the assignment's questions and stops at its end (an ending or `until`)."""

    assignment: Assignment | None = None
    slot: str = "assignment"
    saves_option: str = ""
    """' --saves DIR' when the saves folder was given, so the report command we suggest finds the save."""
    done: bool = False

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
        return [
            *self.autosave(),
            Message(
                f"The assignment is complete, and saved as '{self.slot}'. Make your report with:\n"
                f"  {self.report_hint()}"
            ),
            Leave("done"),
        ]

    def prompt(self) -> str:
        return "Your answer> " if self.pending() is not None else "> "

    def goodbye(self, reason: str) -> list[View] | None:
        if self.done:
            return []
        return [
            Message(
                f"Stopped. Your work is saved as '{self.slot}'. To carry on, run the same command "
                f"again, or: dualpower play --load {self.slot}{self.saves_option}"
            )
        ]

    def report_hint(self) -> str:
        return f"dualpower report {self.slot}{self.saves_option} -o report.html"

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

    def autosave(self) -> list[View]:
        from engine.classroom.report import make_block

        # Seal the whole record as it stands, so a report made from this save can show it was not edited.
        self.record["seal"] = seal_record(make_block(self.story, self.state, self.record, ""))
        try:
            self.saves.save(self.slot, self.story, self.state, self.extra)
        except SaveError as exc:
            return [Message(f"Saving failed: {exc}", "error")]
        return []

    def handle(self, line: str) -> list[View]:
        q = self.pending()
        if q is None:
            return super().handle(line)
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

    def answer(self, line: str) -> list[View]:
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
        answer = {"at": q.at, "ask": q.ask, "answer": text, "step": len(self.state.history)}
        path = [[s.scene, s.choice] for s in self.state.history]
        answer["seal"] = seal_answers(self.record["student"], [*self.record["answers"], answer], path)[-1]
        self.record["answers"].append(answer)
        out: list[View] = [*self.autosave(), Message("Answer saved.")]
        follow = self.prompt_views()
        if not follow:
            # Remind the player of the choices, which scrolled away above the question.
            follow = [replace(self.scene_view(), paragraphs=())]
        return [*out, *follow]

    def pick(self, text: str) -> list[View]:
        if self.finished():
            return [Message("The assignment stops here: there is nothing more to choose.", "hint")]
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
            return super().cmd_load(arg)
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
) -> AssignmentSession:
    """The assignment session to play: resumed from `load` (or the student's own slot), else new. Writes the
    intro or a welcome back on `ui`; raises StartError (with the assignment's diagnostics in `details`)."""
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
        resumed = _resume_slot(saves, slot, story, assignment, name)
        if resumed is not None:
            state, record = resumed
        else:
            if saves.exists(slot):
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
            _intro(ui, story, assignment, slot, name)
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
    return AssignmentSession(
        story,
        state,
        saves,
        allow_undo=assignment.allow_undo,
        extra={KEY: record},
        assignment=assignment,
        slot=slot,
        saves_option=saves_option,
    )


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
    if record["sha256"] != assignment.sha256 or record["student"] != student:
        return None
    return state, record


def _intro(ui: Lines, story: Story, assignment: Assignment, slot: str, student: str) -> None:
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
        f"Your work is saved after every step as '{slot}'. To stop, type 'quit' (or press Ctrl-D); "
        "next lesson, run the same command again to carry on."
    )
    for line in lines:
        ui.para(line)
    ui.write()

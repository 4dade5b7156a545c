"""One lesson on the server: the story, the assignment, every student's session, and their saves in the store.

No HTTP here: engine/server/app.py turns requests into calls of this class and its views into HTML. Each
student plays an AssignmentSession (the very rules `dualpower play --assignment` uses); its saves go into the
class store's row for that student (through StoreSaves) instead of a file, committed before `play` returns.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import runtime
from engine.classroom import report as report_mod
from engine.classroom.assignment import KEY, Assignment, RecordError, check_record, new_record
from engine.classroom.play import MAX_NAME, AssignmentSession, slot_for
from engine.classroom.store import ImportOutcome
from engine.classroom.summary import summarise
from engine.classroom.summary_render import cell, to_html
from engine.model import Scene, Story
from engine.saves import SaveError, Saves, state_from_save
from engine.server.live import Live, StudentRow
from engine.session import Leave, Message, View
from engine.text import clean

MAX_STUDENTS = 200
"""Students per class: past this, joining is refused (a class is not a school; see docs/teaching.md)."""

WEB_COMMANDS = ("journal", "note", "glossary", "documents", "stats", "look", "help", "undo")
"""What a student may type (or click) in the browser, besides choice numbers and answers."""


class JoinError(Exception):
    """Why a student cannot join (the message is shown on the join page); status is the HTTP status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class StoreSaves(Saves):
    """A Saves whose one slot is the student's row in the class store: nothing is written to any folder."""

    def __init__(self, live: Live, student_id: int | None, slot: str, data: dict[str, Any]) -> None:
        super().__init__(Path("/nonexistent-dualpower-web-saves"))
        self.live, self.student_id, self.slot, self.data = live, student_id, slot, data
        self.endings: dict[str, list[str]] = {}

    def write_json(self, name: str, data: Any) -> Path:
        if name == "endings.json":
            self.endings = data
        elif name == f"{self.slot}.json":
            if self.student_id is not None:  # (None: the first save, which makes the student's row)
                self.live.put_save(self.student_id, data, finished="completed" in data.get(KEY, {}))
            self.data = json.loads(json.dumps(data))
        else:
            raise SaveError("in the browser your work is saved by itself after every step")
        return Path(name)

    def read(self, slot_or_path: str | Path) -> dict[str, Any]:
        if slot_or_path == self.slot:
            return self.data
        raise SaveError("in the browser there are no other saves to load")

    def exists(self, slot: str) -> bool:
        return slot == self.slot

    def slot_names(self) -> list[str]:
        return [self.slot]

    def slots(self) -> list[Any]:
        return []

    def endings_found(self, story: Story) -> set[str]:
        return set(self.endings.get(story.id, []))


@dataclass(frozen=True, slots=True)
class Where:
    """Where a student stands, for the dashboard."""

    chapter: str
    date: str
    scene: str
    choices: tuple[str, ...]
    """The text of each choice made so far, in order."""
    answers: tuple[tuple[str, str], ...]
    """(question, answer) pairs."""
    finished: bool
    ending: str


def chapter_of(scene: Scene) -> str:
    """'4. May June' from the scene file 'scenes/soldier/04-may-june.yaml' (one chapter per scene file)."""
    stem = Path(scene.file).stem
    number, _, words = stem.partition("-")
    if number.isdecimal() and words:
        return f"{int(number)}. {words.replace('-', ' ').title()}"
    return stem.replace("-", " ").title()


def clean_name(typed: str) -> str:
    """A typed name as it is kept: normalised, no control characters, spaces collapsed, at most MAX_NAME."""
    return " ".join(clean(unicodedata.normalize("NFC", typed), MAX_NAME).split())


class Classroom:
    def __init__(self, story: Story, assignment: Assignment, live: Live) -> None:
        self.story, self.assignment, self.live = story, assignment, live
        self.sessions: dict[int, AssignmentSession] = {}
        self.imported: set[int] = set()
        """Students whose finished playthrough has gone into the class store in this run."""

    @property
    def key(self) -> str:
        return self.assignment.sha256

    # --- students ---

    def join(self, typed_name: str) -> StudentRow:
        name = clean_name(typed_name)
        if not name:
            raise JoinError("Type your name, as your teacher should see it on your report.", 400)
        if self.live.by_name(self.key, name) is not None:
            raise JoinError(
                f"A student called {name} has already joined this class. If that is you, open your resume "
                "link (your teacher can see it on the dashboard); otherwise add a surname or an initial.",
                409,
            )
        if self.live.count(self.key) >= MAX_STUDENTS:
            raise JoinError(f"This class is full ({MAX_STUDENTS} students): ask your teacher.", 403)
        state = runtime.new_game(
            self.story,
            self.assignment.role,
            start=self.assignment.start,
            initial=self.assignment.initial,
            seed=0,
        )
        slot = slot_for(self.assignment, name)
        record = new_record(self.assignment, name)
        # The session seals and shapes its first save as it would any other; the row is then made with it, in
        # one transaction, and the session's later saves update that row.
        session = self._session(None, slot, {}, state, record)
        session.autosave()
        saves = session.saves
        assert isinstance(saves, StoreSaves)
        row = self.live.add_student(self.key, name, saves.data)
        saves.student_id = row.id
        self.sessions[row.id] = session
        return row

    def student(self, student_id: int) -> StudentRow | None:
        return self.live.student(self.key, student_id)

    def session(self, row: StudentRow) -> AssignmentSession:
        """The student's live session, rebuilt from the store after a restart."""
        session = self.sessions.get(row.id)
        if session is None:
            try:
                state = state_from_save(row.save, self.story, f"the class store's game of {row.name}")
                record = check_record(row.save.get(KEY))
            except (SaveError, RecordError) as exc:
                raise SaveError(f"{row.name}'s game cannot be resumed: {exc}") from None
            session = self._session(row.id, slot_for(self.assignment, row.name), row.save, state, record)
        return session

    def _session(
        self, student_id: int | None, slot: str, data: dict[str, Any], state: Any, record: dict[str, Any]
    ) -> AssignmentSession:
        session = AssignmentSession(
            self.story,
            state,
            StoreSaves(self.live, student_id, slot, data),
            allow_undo=self.assignment.allow_undo,
            extra={KEY: record},
            assignment=self.assignment,
            slot=slot,
        )
        session.autosave_checked = True
        session.done = session.finished() and session.pending() is None
        if student_id is not None:
            self.sessions[student_id] = session
        return session

    # --- playing ---

    def current(self, row: StudentRow) -> list[View]:
        return self.session(row).current()

    def play(self, row: StudentRow, line: str) -> list[View]:
        """One line from the student's form: a choice number, a command word, or an answer."""
        session = self.session(row)
        text = " ".join(line.split())
        word = text.partition(" ")[0].lower()
        if (
            session.pending() is None
            and not _is_number(text)
            and word not in WEB_COMMANDS
            and text  # an empty line gets the session's own hint
        ):
            return [
                Message(
                    "In the browser, click a choice or one of the buttons below the scene "
                    "(your work is saved by itself after every step).",
                    "hint",
                )
            ]
        q = session.pending()
        if q is not None and word == "glossary" and self._term(text.partition(" ")[2]):
            # A term's button in the glossary list, clicked while a question waits: a long term ("Committee
            # for the Salvation of ...") would otherwise be taken for the answer.
            views = [
                *session.cmd_glossary(text.partition(" ")[2]),
                Message(f"Now type your answer to question {q.number}.", "hint"),
            ]
        else:
            views = session.handle(line)
        if session.done and row.id not in self.imported:
            self.import_finished(row)
        return [v for v in views if not _about_the_terminal(v)]

    def import_finished(self, row: StudentRow) -> ImportOutcome:
        """Put the student's finished playthrough into the class store, as `dualpower class import` would put
        the report: verified by replay, then stored (a repeat changes nothing)."""
        _name, text = self.report(row, "md")
        outcome = self.live.store.import_report(text, self.story, Path(self.assignment.path))
        self.imported.add(row.id)
        if outcome.refused:  # never expected: the report was just made from the game itself
            print(f"dualpower serve: {row.name}'s report was not stored: {outcome.message}", file=sys.stderr)
        return outcome

    def summary_html(self) -> str:
        """The class summary page of the class store (issue 15) for this assignment's finished playthroughs."""
        try:
            summaries = summarise(self.live.store, self.assignment.title)
        except LookupError:
            summaries = []
        return to_html(summaries)

    def _term(self, typed: str) -> bool:
        want = " ".join(typed.split()).lower()
        return any(
            want == t.term.lower() or want in (a.lower() for a in t.aliases) for t in self.story.glossary
        )

    # --- results ---

    def report(self, row: StudentRow, fmt: str) -> tuple[str, str]:
        """(file name, text) of the student's report: exactly what `dualpower report` makes of the save."""
        data = self.session(row).saves.data  # type: ignore[attr-defined]
        block = report_mod.block_from_save(data, self.story, f"the class store's game of {row.name}")
        built = report_mod.build(block, self.story)
        ext = "html" if fmt == "html" else "md"
        return f"{slot_for(self.assignment, row.name)}.{ext}", report_mod.render(built, fmt)

    def where(self, row: StudentRow) -> Where:
        session = self.session(row)
        scene = self.story.scenes[session.state.scene]
        record = session.record
        return Where(
            chapter_of(scene),
            runtime.short_date(scene.date),
            scene.title,
            tuple(s.text for s in session.state.history),
            tuple((a["ask"], a["answer"]) for a in record["answers"]),
            "completed" in record,
            scene.ending.title if scene.ending else "",
        )

    def csv_text(self) -> str:
        """One row per student: name, chapter, date, scene, choices, finished, ending, one column per question."""
        questions = self.assignment.questions
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(
            ["student", "chapter", "date", "scene", "choices", "finished", "ending"]
            + [f"Q{q.number}: {q.ask}" for q in questions]
        )
        for row in self.live.students(self.key):
            where = self.where(row)
            given = dict(where.answers)
            w.writerow(
                [
                    cell(x)
                    for x in [row.name, where.chapter, where.date, where.scene, str(len(where.choices))]
                    + ["yes" if where.finished else "no", where.ending]
                    + [given.get(q.ask, "") for q in questions]
                ]
            )
        return out.getvalue()

    def reports_zip(self) -> bytes:
        """Every student's report (HTML, as `dualpower report -o NAME.html` writes it) in one zip file."""
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            used: set[str] = set()
            for row in self.live.students(self.key):
                name, text = self.report(row, "html")
                stem, n = name.removesuffix(".html"), 1
                while name in used:  # 'Anna' and 'anna' have the same file name
                    n += 1
                    name = f"{stem}-{n}.html"
                used.add(name)
                z.writestr(name, text)
        return buf.getvalue()


_NUMBER = re.compile(r"\+?\d{1,6}")


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text))


def _about_the_terminal(view: View) -> bool:
    """Messages that tell a terminal player what to type next (the report command, quitting): the page says it."""
    if isinstance(view, Leave):
        return True
    return isinstance(view, Message) and "dualpower report" in view.text

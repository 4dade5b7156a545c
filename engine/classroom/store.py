"""The class store: one SQLite file holding a class's verified playthroughs, for the summary and the server.

One file (default `class.db`), standard-library sqlite3. The file says what it is (PRAGMA application_id) so a
foreign SQLite file is refused rather than changed; its schema is versioned (PRAGMA user_version) and migrated
forward by `ClassStore.migrations`, a list a later module may extend (entry i takes the schema from version i to
i + 1). Writes go through `transaction()` (BEGIN IMMEDIATE ... COMMIT, WAL journal, a busy timeout), so a killed
process leaves the store as it was before the transaction and two commands at once wait for each other.

The API, for `dualpower class` and the classroom server:

    store = ClassStore.open(path, create=False)       # StoreError: missing, foreign, newer, damaged
    outcome = store.import_report(text, story, assignment_file=None)   # verify, then store: ImportOutcome
    store.put_playthrough(playthrough_from_report(report, text))      # store a Report built elsewhere
    store.students(); store.remove(name); store.get_setting(k); store.set_setting(k, v)

Nothing here prints or imports a terminal or network library.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import sqlite3
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from engine.classroom import DEFAULT_FILE as DEFAULT_FILE
from engine.model import Story

if TYPE_CHECKING:
    from engine.classroom.record import Report

# The report modules (replay, renderers) are imported by the functions that use them, so registering the
# `class` command's options (DEFAULT_FILE) costs every other command nothing.

APPLICATION_ID = 0x44505331
"""'DPS1': marks a SQLite file as a Dual Power class store."""
BUSY_TIMEOUT_MS = 15_000
FREE_PLAY = "free-play"
"""The assignment id of reports made outside an assignment."""

SCHEMA_1 = """
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE students (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_key TEXT NOT NULL UNIQUE,
    added TEXT NOT NULL
);
CREATE TABLE assignments (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    file TEXT NOT NULL,
    sha256 TEXT NOT NULL UNIQUE,
    until TEXT
);
CREATE TABLE questions (
    assignment TEXT NOT NULL REFERENCES assignments(id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    at TEXT,
    ask TEXT NOT NULL,
    PRIMARY KEY (assignment, number)
);
CREATE TABLE playthroughs (
    id INTEGER PRIMARY KEY,
    student INTEGER NOT NULL REFERENCES students(id) ON DELETE CASCADE,
    assignment TEXT NOT NULL REFERENCES assignments(id),
    role TEXT NOT NULL,
    role_name TEXT NOT NULL,
    story_id TEXT NOT NULL,
    story_version INTEGER NOT NULL,
    started TEXT NOT NULL,
    saved TEXT NOT NULL,
    finish TEXT NOT NULL CHECK (finish IN ('ending', 'until', 'unfinished')),
    last_scene TEXT NOT NULL,
    last_title TEXT NOT NULL,
    ending_id TEXT,
    ending_title TEXT,
    block_sha256 TEXT NOT NULL,
    report_sha256 TEXT NOT NULL,
    report_format TEXT NOT NULL,
    report TEXT NOT NULL,
    imported TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now')),
    UNIQUE (student, assignment)
);
CREATE TABLE steps (
    playthrough INTEGER NOT NULL REFERENCES playthroughs(id) ON DELETE CASCADE,
    n INTEGER NOT NULL,
    scene_id TEXT NOT NULL,
    scene_title TEXT NOT NULL,
    chapter TEXT NOT NULL,
    date TEXT NOT NULL,
    choice_index INTEGER,
    choice_text TEXT,
    historical INTEGER,
    historical_text TEXT,
    historical_sentence TEXT,
    PRIMARY KEY (playthrough, n)
);
CREATE TABLE options (
    story_id TEXT NOT NULL,
    scene_id TEXT NOT NULL,
    idx INTEGER NOT NULL,
    text TEXT NOT NULL,
    historical TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (story_id, scene_id, idx)
);
CREATE TABLE answers (
    playthrough INTEGER NOT NULL REFERENCES playthroughs(id) ON DELETE CASCADE,
    question INTEGER,
    at TEXT,
    ask TEXT NOT NULL,
    answer TEXT NOT NULL,
    step INTEGER NOT NULL,
    PRIMARY KEY (playthrough, step, ask)
);
CREATE INDEX steps_scene ON steps (scene_id);
"""


class StoreError(Exception):
    """The store cannot be opened or written; the message says why and what to do."""


def name_key(name: str) -> str:
    """A student's name as a key: case, accents and spacing set aside ('Ana  Kovač' and 'ana kovac' match)."""
    decomposed = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


# --- what is stored -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StepRow:
    n: int
    scene_id: str
    scene_title: str
    chapter: str
    date: str
    choice_index: int | None
    choice_text: str | None
    historical: bool | None
    """Whether the choice made is the scene's `historical:` option (None: no choice, or none marked)."""
    historical_text: str | None
    historical_sentence: str | None


@dataclass(frozen=True, slots=True)
class AnswerRow:
    question: int | None
    at: str | None
    ask: str
    answer: str
    step: int


@dataclass(frozen=True, slots=True)
class Playthrough:
    """One student's verified playthrough of one assignment, ready to store (see playthrough_from_report)."""

    student: str
    assignment_id: str
    assignment_title: str
    assignment_file: str
    assignment_sha256: str
    until: str | None
    questions: tuple[tuple[int, str | None, str], ...]
    """(number, at, ask) of every question of the assignment."""
    role: str
    role_name: str
    story_id: str
    story_version: int
    started: str
    saved: str
    finish: str
    """'ending', 'until' or 'unfinished'."""
    last_scene: str
    last_title: str
    ending_id: str | None
    ending_title: str | None
    block_sha256: str
    report_sha256: str
    report_format: str
    report: str
    steps: tuple[StepRow, ...]
    answers: tuple[AnswerRow, ...]
    options: tuple[tuple[str, int, str, str], ...]
    """(scene id, index, text, historical sentence) of every option of the scenes where a choice was made."""
    reading: str = ""
    """What the student opened and how long the path took, in one sentence (record.reading_summary)."""


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    status: str
    """'imported', 'replaced', 'same' (already stored), 'older' (a newer one is stored) or 'refused'."""
    student: str
    message: str

    @property
    def refused(self) -> bool:
        return self.status == "refused"


@dataclass(frozen=True, slots=True)
class StudentStatus:
    name: str
    assignment_id: str
    assignment_title: str
    role_name: str
    finish: str
    last_title: str
    ending_title: str | None
    steps: int
    answers: int
    questions: int
    saved: str


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _assignment_id(file: str) -> str:
    stem = Path(file.replace("\\", "/")).stem
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in stem) or "assignment"


def playthrough_from_report(report: Report, text: str, fmt: str) -> Playthrough:
    from engine.classroom.record import history_beside, reading_summary

    """The rows of a report built (and so replayed) by engine.classroom.report.build."""
    block = report.block
    asg = block.get("assignment")
    story = report.story
    if asg is not None:
        aid, atitle, afile, asha = _assignment_id(asg["file"]), asg["title"], asg["file"], asg["sha256"]
        until = asg.get("until")
        questions = tuple((i, q.get("at"), q["ask"]) for i, q in enumerate(asg["questions"], 1))
    else:
        aid, atitle, afile, asha, until, questions = FREE_PLAY, report.title, "", "", None, ()
    steps: list[StepRow] = []
    options: dict[tuple[str, int], tuple[str, int, str, str]] = {}
    for e in report.entries:
        mark = e.historical
        steps.append(
            StepRow(
                e.number,
                e.scene.id,
                e.scene.title,
                Path(e.scene.source.path).stem,
                e.scene.date.isoformat(),
                e.choice_index,
                e.choice,
                e.matched_history,
                mark.text if mark is not None and history_beside(e) is not None else None,
                mark.historical if mark is not None and history_beside(e) is not None else None,
            )
        )
        if e.choice_index is not None:
            for c in e.scene.choices:
                options[(e.scene.id, c.index)] = (e.scene.id, c.index, c.text, c.historical)
    answers = [
        AnswerRow(a.number, a.at, a.ask, a.answer, a.step)
        for a in [*(a for e in report.entries for a in e.answers), *report.end_answers]
    ]
    last = report.last
    role = story.roles[block["role"]]
    canonical = json.dumps(block, sort_keys=True, ensure_ascii=False)
    return Playthrough(
        student=report.student,
        assignment_id=aid,
        assignment_title=atitle,
        assignment_file=afile,
        assignment_sha256=asha,
        until=until,
        questions=questions,
        role=block["role"],
        role_name=role.name,
        story_id=story.id,
        story_version=int(block["story"]["version"]),
        started=report.started,
        saved=report.saved,
        finish=report.finish,
        last_scene=last.id,
        last_title=last.title,
        ending_id=last.id if last.ending is not None else None,
        ending_title=last.ending.title if last.ending is not None else None,
        block_sha256=_sha(canonical),
        report_sha256=_sha(text),
        report_format=fmt,
        report=text,
        steps=tuple(steps),
        answers=tuple(answers),
        options=tuple(options.values()),
        reading=reading_summary(report),
    )


# --- the store ------------------------------------------------------------------------------------


def _schema_1(db: sqlite3.Connection) -> None:
    for statement in SCHEMA_1.split(";"):
        if statement.strip():
            db.execute(statement)


SCHEMA_2 = """
CREATE TABLE web_students (
    id INTEGER PRIMARY KEY,
    assignment TEXT NOT NULL,
    name TEXT NOT NULL,
    resume TEXT NOT NULL UNIQUE,
    joined TEXT NOT NULL,
    updated TEXT NOT NULL,
    finished INTEGER NOT NULL DEFAULT 0,
    save TEXT NOT NULL,
    UNIQUE (assignment, name)
)
"""
"""The classroom server's games in progress (engine/server/live.py): each student's save JSON, kept so a
restarted server resumes every student where they were. `assignment` is the assignment file's SHA-256."""


def _schema_2(db: sqlite3.Connection) -> None:
    db.execute(SCHEMA_2)


def _schema_3(db: sqlite3.Connection) -> None:
    """What each student read: one sentence from the report's sealed record of reading (notes, documents and
    glossary entries opened, minutes on the path), '' for reports made before reading was recorded."""
    db.execute("ALTER TABLE playthroughs ADD COLUMN reading TEXT NOT NULL DEFAULT ''")


@dataclass
class ClassStore:
    """An open class store. Use `ClassStore.open`; close with `close()` or as a context manager."""

    path: Path
    db: sqlite3.Connection = field(repr=False)

    migrations: ClassVar[list[Callable[[sqlite3.Connection], None]]] = [_schema_1, _schema_2, _schema_3]
    """Forward migrations: migrations[i] takes the schema from user_version i to i + 1, inside a transaction."""

    @classmethod
    def open(cls, path: str | Path, create: bool = False) -> ClassStore:
        """Open the store at `path`, making it when `create` (else a missing file is a StoreError, and is not
        made). A file that is not a Dual Power class store is refused, untouched."""
        path = Path(path)
        if not path.exists() and not create:
            raise StoreError(
                f"no class store at {path}: import reports first with 'dualpower class import REPORT... "
                f"--db {path}' (or give the right file with --db FILE)"
            )
        if path.is_dir():
            raise StoreError(f"{path} is a folder, not a class store: give a file with --db FILE")
        if path.exists() and not create and path.stat().st_size == 0:
            raise StoreError(f"{path} is an empty file, not a class store")
        mode = "rwc" if create else "rw"
        try:
            db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode={mode}", uri=True, isolation_level=None, timeout=30
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open the class store {path}: {exc}") from None
        try:
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # One statement, so one snapshot: another command may be making this store at the same moment.
            app, version, tables = db.execute(
                "SELECT (SELECT application_id FROM pragma_application_id), "
                "(SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master)"
            ).fetchone()
        except sqlite3.DatabaseError:
            db.close()
            raise StoreError(
                f"{path} is not a class store (not an SQLite file): give the class store with --db FILE"
            ) from None
        if app != APPLICATION_ID and (app != 0 or version != 0 or tables != 0):
            db.close()
            raise StoreError(
                f"{path} is an SQLite file of another program, not a Dual Power class store: it was left "
                "untouched; give the class store with --db FILE"
            )
        store = cls(path, db)
        try:
            _wal(db)
            db.execute("PRAGMA foreign_keys = ON")
            store._migrate(version)
        except sqlite3.DatabaseError as exc:
            db.close()
            raise StoreError(f"the class store {path} cannot be used: {exc}") from None
        except StoreError:
            db.close()
            raise
        return store

    def _migrate(self, version: int) -> None:
        if version > len(self.migrations):
            raise StoreError(
                f"the class store {self.path} was made by a newer Dual Power (schema {version}): update "
                "Dual Power to use it"
            )
        if version == len(self.migrations):
            return
        with self.transaction() as db:
            # Read again inside the lock: another process may have migrated meanwhile.
            version = db.execute("PRAGMA user_version").fetchone()[0]
            for step in self.migrations[version:]:
                step(db)
            db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            db.execute(f"PRAGMA user_version = {len(self.migrations)}")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> ClassStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: all of it is stored, or (on an exception or a killed process) none of it."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # settings ------------------------------------------------------------------------------------

    def get_setting(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute(
                "INSERT INTO settings (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    # importing -----------------------------------------------------------------------------------

    def import_report(self, text: str, story: Story, assignment_file: Path | None = None) -> ImportOutcome:
        """Verify a report's text (as `dualpower verify` does) and store it when valid; never raises for a bad
        report: the outcome says what happened, naming the student."""
        from engine.classroom.record import ReportError, build
        from engine.classroom.report import extract_block
        from engine.classroom.verify import verify_text

        student = _student_of(text)
        verdict = verify_text(text, story, assignment_file)
        if not verdict.valid:
            reason = verdict.headline.removeprefix("INVALID: ")
            return ImportOutcome("refused", student, reason)
        try:
            fmt, block = extract_block(text)
            if block.get("assignment") is None or not str(block.get("student", "")).strip():
                return ImportOutcome(
                    "refused",
                    student,
                    "a report of free play (not of an assignment, no student's name): only assignment "
                    "reports go into the class store",
                )
            report = build(block, story, strict=True)
        except ReportError as exc:  # pragma: no cover - verify_text has just replayed it
            return ImportOutcome("refused", student, str(exc))
        return self.put_playthrough(playthrough_from_report(report, text, fmt))

    def put_playthrough(self, p: Playthrough) -> ImportOutcome:
        """Store a playthrough in one transaction, replacing an older one of the same student and assignment."""
        key = name_key(p.student)
        with self.transaction() as db:
            old = db.execute(
                "SELECT p.id, p.block_sha256, p.report_sha256, p.saved, "
                "(SELECT count(*) FROM steps t WHERE t.playthrough = p.id) "
                "+ (SELECT count(*) FROM answers a WHERE a.playthrough = p.id) FROM playthroughs p "
                "JOIN students s ON s.id = p.student WHERE s.name_key = ? AND p.assignment = ?",
                (key, p.assignment_id),
            ).fetchone()
            if old is not None and (p.report_sha256 == old[2] or p.block_sha256 == old[1]):
                return ImportOutcome("same", p.student, "the same playthrough again: nothing new")
            if old is not None and _progress(p.saved, len(p.steps) + len(p.answers)) < _progress(
                old[3], old[4]
            ):
                return ImportOutcome(
                    "older",
                    p.student,
                    f"older than the playthrough already stored (saved {old[3]}): the stored one is kept",
                )
            self._put_assignment(db, p)
            student = self._put_student(db, p.student, key, p.saved)
            if old is not None:
                db.execute("DELETE FROM playthroughs WHERE id = ?", (old[0],))
            cur = db.execute(
                "INSERT INTO playthroughs (student, assignment, role, role_name, story_id, story_version, "
                "started, saved, finish, last_scene, last_title, ending_id, ending_title, block_sha256, "
                "report_sha256, report_format, report, reading) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    student,
                    p.assignment_id,
                    p.role,
                    p.role_name,
                    p.story_id,
                    p.story_version,
                    p.started,
                    p.saved,
                    p.finish,
                    p.last_scene,
                    p.last_title,
                    p.ending_id,
                    p.ending_title,
                    p.block_sha256,
                    p.report_sha256,
                    p.report_format,
                    p.report,
                    p.reading,
                ),
            )
            pid = cur.lastrowid
            self._put_steps(db, pid, p)
            db.executemany(
                "INSERT OR REPLACE INTO answers (playthrough, question, at, ask, answer, step) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(pid, a.question, a.at, a.ask, a.answer, a.step) for a in p.answers],
            )
            db.executemany(
                "INSERT INTO options (story_id, scene_id, idx, text, historical) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (story_id, scene_id, idx) DO UPDATE SET text = excluded.text, historical = excluded.historical",
                [(p.story_id, *o) for o in p.options],
            )
        if old is not None:
            return ImportOutcome(
                "replaced", p.student, "a newer playthrough: it replaces the one stored before"
            )
        return ImportOutcome("imported", p.student, "imported")

    def _put_steps(self, db: sqlite3.Connection, pid: int | None, p: Playthrough) -> None:
        db.executemany(
            "INSERT INTO steps (playthrough, n, scene_id, scene_title, chapter, date, choice_index, "
            "choice_text, historical, historical_text, historical_sentence) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    pid,
                    s.n,
                    s.scene_id,
                    s.scene_title,
                    s.chapter,
                    s.date,
                    s.choice_index,
                    s.choice_text,
                    None if s.historical is None else int(s.historical),
                    s.historical_text,
                    s.historical_sentence,
                )
                for s in p.steps
            ],
        )

    @staticmethod
    def _put_assignment(db: sqlite3.Connection, p: Playthrough) -> None:
        row = db.execute("SELECT sha256 FROM assignments WHERE id = ?", (p.assignment_id,)).fetchone()
        if row is not None and row[0] != p.assignment_sha256:
            raise StoreError(
                f"the store already holds another assignment with the id {p.assignment_id!r} (a file of the "
                "same name with other contents): use a separate store (--db FILE) for it"
            )
        if row is None:
            db.execute(
                "INSERT INTO assignments (id, title, file, sha256, until) VALUES (?, ?, ?, ?, ?)",
                (p.assignment_id, p.assignment_title, p.assignment_file, p.assignment_sha256, p.until),
            )
            db.executemany(
                "INSERT INTO questions (assignment, number, at, ask) VALUES (?, ?, ?, ?)",
                [(p.assignment_id, n, at, ask) for n, at, ask in p.questions],
            )

    @staticmethod
    def _put_student(db: sqlite3.Connection, name: str, key: str, when: str) -> int:
        row = db.execute("SELECT id FROM students WHERE name_key = ?", (key,)).fetchone()
        if row is not None:
            db.execute("UPDATE students SET name = ? WHERE id = ?", (name, row[0]))
            return int(row[0])
        cur = db.execute("INSERT INTO students (name, name_key, added) VALUES (?, ?, ?)", (name, key, when))
        return int(cur.lastrowid or 0)

    # reading -------------------------------------------------------------------------------------

    def students(self) -> list[StudentStatus]:
        """Every stored playthrough, by student name then assignment."""
        rows = self.db.execute(
            "SELECT s.name, a.id, a.title, p.role_name, p.finish, p.last_title, p.ending_title, "
            "(SELECT count(*) FROM steps t WHERE t.playthrough = p.id AND t.choice_index IS NOT NULL), "
            "(SELECT count(*) FROM answers x WHERE x.playthrough = p.id), "
            "(SELECT count(*) FROM questions q WHERE q.assignment = a.id), p.saved "
            "FROM playthroughs p JOIN students s ON s.id = p.student JOIN assignments a ON a.id = p.assignment "
            "ORDER BY s.name_key, a.id"
        ).fetchall()
        return [StudentStatus(*r) for r in rows]

    def find_student(self, name: str) -> str | None:
        """The stored spelling of a student's name (matched without case, accents or spacing), or None."""
        key = name_key(name)
        row = self.db.execute("SELECT name FROM students WHERE name_key = ?", (key,)).fetchone()
        if row:
            return str(row[0])
        # A student who joined the classroom server but has no finished playthrough yet.
        return next(
            (str(r[0]) for r in self.db.execute("SELECT name FROM web_students") if name_key(r[0]) == key),
            None,
        )

    def remove(self, name: str) -> tuple[int, int]:
        """Remove a student, all their playthroughs and any game of theirs the classroom server keeps: how many
        playthroughs and how many server games were removed ((0, 0): no such student)."""
        key = name_key(name)
        with self.transaction() as db:
            live = [r[0] for r in db.execute("SELECT id, name FROM web_students") if name_key(r[1]) == key]
            db.executemany("DELETE FROM web_students WHERE id = ?", [(i,) for i in live])
            row = db.execute("SELECT id FROM students WHERE name_key = ?", (key,)).fetchone()
            if row is None:
                return 0, len(live)
            n = db.execute("SELECT count(*) FROM playthroughs WHERE student = ?", (row[0],)).fetchone()[0]
            db.execute("DELETE FROM students WHERE id = ?", (row[0],))
            return int(n), len(live)

    def assignments(self) -> list[tuple[str, str]]:
        """(id, title) of the assignments that have playthroughs."""
        return [
            (r[0], r[1])
            for r in self.db.execute(
                "SELECT id, title FROM assignments a WHERE EXISTS "
                "(SELECT 1 FROM playthroughs p WHERE p.assignment = a.id) ORDER BY id"
            )
        ]

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query, addressable by column name (for engine.classroom.summary)."""
        cur = self.db.cursor()
        cur.row_factory = sqlite3.Row
        return cur.execute(sql, params).fetchall()


def _wal(db: sqlite3.Connection) -> None:
    """Switch a store to write-ahead logging. Changing the journal mode needs a moment with no other writer,
    and SQLite does not wait for it as it waits for a lock (busy_timeout): two commands opening a new store at
    once would otherwise see "database is locked". Retry for as long as the busy timeout allows."""
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _progress(saved: str, done: int) -> tuple[float, int]:
    """How far along a playthrough is, to tell the newer of two: when it was saved (a time stamp to the
    second, any time zone), then how many steps and answers it holds (two saves in one second)."""
    try:
        when = _dt.datetime.fromisoformat(saved)
        if when.tzinfo is None:
            when = when.astimezone()
        stamp = when.timestamp()
    except ValueError:
        stamp = 0.0
    return stamp, done


def _student_of(text: str) -> str:
    """The student a report names, for messages about a report that does not verify."""
    from engine.classroom.record import ReportError
    from engine.classroom.report import extract_block

    try:
        _fmt, block = extract_block(text)
    except ReportError:
        return "(unknown student)"
    name = block.get("student")
    return " ".join(name.split()) if isinstance(name, str) and name.strip() else "(no name)"

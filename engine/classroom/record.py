"""A report's record: the verification block (made from a save, checked, read back) and the Report built from it
by replaying the path against the story, with what every format says about it (dates, result, role, documents).

A report is always built from its verification block (role, start, starting values, the path as scene and choice
pairs, the answers), so `dualpower verify` can rebuild the very same text and compare. The formats that render
a Report are one module each (report_md.py, report_html.py), registered in report.py.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import html
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import runtime
from engine.classroom.assignment import KEY, SEAL_SALT, RecordError, answer_shape_ok, check_record
from engine.model import Choice, Scene, Story
from engine.runtime import GameError
from engine.saves import SaveError, state_from_save
from engine.state import GameState, Step
from engine.text import CONTROL_RE, one_line

BLOCK_FORMAT = "dualpower-report"
BLOCK_VERSION = 1

Lines = list[tuple[str, str]]
"""A rendered report: (line, label) pairs; the label says what the line shows, for verify's messages."""


class ReportError(Exception):
    """A save or verification block that cannot make a report; the message says why."""


@dataclass(frozen=True, slots=True)
class Answer:
    number: int | None
    """The question's number in the assignment (None when the question is not in its list)."""
    at: str | None
    ask: str
    answer: str
    step: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One scene on the path, with the choice made there (None for the last one)."""

    number: int
    scene: Scene
    choice: str | None
    answers: tuple[Answer, ...]
    seen_at: int | None
    """The entry where this scene (and so its note) was already shown, for scenes passed through twice."""
    choice_index: int | None = None
    """The index of the choice made in the scene's list of choices (None for the last one)."""
    response: str = ""
    """The choice's response as the player read it (paragraphs separated by blank lines), '' when none."""

    @property
    def historical(self) -> Choice | None:
        """The scene's option marked `historical:` (what most real people did), if it has one."""
        if self.choice_index is not None and self.scene.choices[self.choice_index].historical:
            return self.scene.choices[self.choice_index]
        return next((c for c in self.scene.choices if c.historical), None)

    @property
    def matched_history(self) -> bool | None:
        """Whether the choice made is the historical one (None: no choice here, or none is marked)."""
        mark = self.historical
        if self.choice_index is None or mark is None:
            return None
        return mark.index == self.choice_index


@dataclass(frozen=True, slots=True)
class Report:
    story: Story
    block: dict[str, Any]
    title: str
    student: str
    started: str
    saved: str
    entries: tuple[Entry, ...]
    end_answers: tuple[Answer, ...]
    unreached: tuple[tuple[int, str | None, str], ...]
    """Questions not answered on this path: (number, at, ask)."""
    finish: str
    """'ending', 'until' (the assignment's stopping scene) or 'unfinished'."""
    problems: tuple[str, ...] = ()
    """Where the block does not fit its own path (an answer at the wrong step, ...); only when not strict."""

    @property
    def last(self) -> Scene:
        return self.entries[-1].scene

    @property
    def has_assignment(self) -> bool:
        return self.block.get("assignment") is not None

    @property
    def n_questions(self) -> int:
        a = self.block.get("assignment")
        return len(a["questions"]) if a else 0


# --- building ---------------------------------------------------------------------------------


def block_from_save(data: dict[str, Any], story: Story, where: str) -> dict[str, Any]:
    """The verification block for a save file's game (raises ReportError when the save is not usable)."""
    try:
        state = state_from_save(data, story, where)
    except SaveError as exc:
        raise ReportError(str(exc)) from None
    record: dict[str, Any] | None = None
    if data.get(KEY) is not None:
        try:
            record = check_record(data[KEY])
        except RecordError as exc:
            raise ReportError(f"{where}: {exc}") from None
    saved_at = data.get("saved_at")
    saved = saved_at if isinstance(saved_at, str) else ""
    return make_block(story, state, record, saved)


def make_block(story: Story, state: GameState, record: dict[str, Any] | None, saved: str) -> dict[str, Any]:
    assignment = None
    if record is not None:
        assignment = {
            "title": record["title"],
            "file": record["file"],
            "sha256": record["sha256"],
            "questions": [{"at": q.get("at"), "ask": q["ask"]} for q in record.get("questions", [])],
            "until": record.get("until"),
        }
    return {
        "format": BLOCK_FORMAT,
        "format_version": BLOCK_VERSION,
        "story": {"id": story.id, "title": story.title, "version": story.version},
        "assignment": assignment,
        "student": record["student"] if record else "",
        "started": record["started"] if record else "",
        "saved": saved,
        "role": state.role,
        "start": state.start,
        "initial": dict(state.initial),
        "seed": state.seed,
        "path": [[s.scene, s.choice] for s in state.history],
        "end": state.scene,
        "answers": [
            {"at": a["at"], "ask": a["ask"], "answer": a["answer"], "step": a["step"], "seal": a.get("seal")}
            for a in (record["answers"] if record else [])
        ],
        "seal": record.get("seal") if record else None,
        **({"reading": record["reading"]} if record and isinstance(record.get("reading"), dict) else {}),
    }


def _need(block: dict[str, Any], key: str, kind: type | tuple[type, ...]) -> Any:
    value = block.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ReportError(f"the verification block's {key!r} is missing or has the wrong type")
    return value


def _check_block(block: Any) -> dict[str, Any]:
    if not isinstance(block, dict) or block.get("format") != BLOCK_FORMAT:
        raise ReportError("the verification block is not a Dual Power report's")
    version = block.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version > BLOCK_VERSION:
        raise ReportError("the verification block was written by a newer Dual Power: update to verify it")
    story = _need(block, "story", dict)
    if not isinstance(story.get("id"), str):
        raise ReportError("the verification block does not name its story")
    if not isinstance(story.get("version"), int) or isinstance(story.get("version"), bool):
        raise ReportError("the verification block's story version is not a number")
    for key in ("student", "started", "saved", "role", "start", "end"):
        if CONTROL_RE.search(_need(block, key, str)):
            raise ReportError(f"the verification block's {key} holds control characters")
    _need(block, "seed", int)
    initial = _need(block, "initial", dict)
    if not all(isinstance(v, (int, str, bool)) for v in initial.values()):
        raise ReportError("the verification block's starting values have the wrong shape")
    for pair in _need(block, "path", list):
        if not (
            isinstance(pair, list)
            and len(pair) == 2
            and isinstance(pair[0], str)
            and isinstance(pair[1], int)
            and not isinstance(pair[1], bool)
        ):
            raise ReportError("the verification block's path has the wrong shape")
    if not all(answer_shape_ok(a) for a in _need(block, "answers", list)):
        raise ReportError("an answer in the verification block has the wrong shape")
    if "reading" in block and not _reading_shape(block["reading"]):
        raise ReportError("the verification block's record of reading has the wrong shape")
    asg = block.get("assignment")
    if asg is not None and not _assignment_shape(asg):
        raise ReportError("the verification block's assignment has the wrong shape")
    return block


def _reading_shape(r: Any) -> bool:
    return (
        isinstance(r, dict)
        and isinstance(r.get("opened"), list)
        and all(
            isinstance(o, list)
            and len(o) == 3
            and isinstance(o[0], int)
            and not isinstance(o[0], bool)
            and o[1] in ("note", "document", "glossary")
            and isinstance(o[2], str)
            and CONTROL_RE.search(o[2]) is None
            for o in r["opened"]
        )
        and isinstance(r.get("seconds"), list)
        and all(isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in r["seconds"])
    )


def reading_line(r: Report, e: Entry) -> str:
    """'2 min 10 s on this scene; opened: the note, the document “Order No. 1”' ('' without a record)."""
    rec = r.block.get("reading")
    if not isinstance(rec, dict):
        return ""
    i = e.number - 1
    secs = rec["seconds"][i] if i < len(rec["seconds"]) else 0
    opened = []
    for step, kind, what in rec["opened"]:
        if step == i:
            opened.append(
                "the note"
                if kind == "note"
                else f"the document “{what}”"
                if kind == "document"
                else f"the glossary entry “{what}”"
            )
    spent = f"{secs // 60} min {secs % 60} s" if secs >= 60 else f"{secs} s"
    return f"{spent} on this scene; opened: {', '.join(opened) if opened else 'nothing'}"


def reading_summary(r: Report) -> str:
    rec = r.block.get("reading")
    if not isinstance(rec, dict):
        return ""
    kinds = [k for _s, k, _w in rec["opened"]]
    total = sum(rec["seconds"])

    def n(kind: str, word: str) -> str:
        c = kinds.count(kind)
        return f"{c} {word}{'s' if c != 1 else ''}"

    return (
        f"opened {n('note', 'note')}, {n('document', 'document')} and {n('glossary', 'glossary entry')}".replace(
            "entrys", "entries"
        )
        + f"; {total // 60} minutes on the path in all"
    )


def _assignment_shape(asg: Any) -> bool:
    return (
        isinstance(asg, dict)
        and all(isinstance(asg.get(k), str) for k in ("title", "file", "sha256"))
        and re.fullmatch(r"[0-9a-f]{64}", asg["sha256"]) is not None
        and isinstance(asg.get("questions"), list)
        and all(
            isinstance(q, dict)
            and isinstance(q.get("ask"), str)
            and (q.get("at") is None or isinstance(q.get("at"), str))
            for q in asg["questions"]
        )
        and (asg.get("until") is None or isinstance(asg.get("until"), str))
    )


def build(block: Any, story: Story, strict: bool = True) -> Report:
    """Replay the block's path against the story and assemble the report; ReportError at the first misfit.

    Not strict, only a path that does not replay is an error; the block's other misfits are kept in
    `problems`, so that verify can first name the line of the report that differs, which reads better.
    """
    block = _check_block(block)
    if block["story"]["id"] != story.id:
        raise ReportError(
            f"the report is for the story {block['story']['id']!r}, not {story.id!r}: "
            "give the right one with --story DIR"
        )
    if block["role"] not in story.roles:
        raise ReportError(f"the role {block['role']!r} is not in this story")
    history = [Step(scene, index, "") for scene, index in block["path"]]
    try:
        state = runtime.replay(story, block["role"], block["start"], block["initial"], history, block["seed"])
    except GameError as exc:
        raise ReportError(f"the recorded path does not replay: {exc}") from None
    except (KeyError, TypeError):
        raise ReportError("the recorded starting values do not fit this story") from None
    problems: list[str] = []

    def misfit(message: str) -> None:
        if strict:
            raise ReportError(message)
        problems.append(message)

    if state.scene != block["end"]:
        misfit(
            f"the ending: the block says the path ends at {block['end']!r}, but it leads to {state.scene!r}"
        )
    asg = block["assignment"]
    questions: list[tuple[str | None, str]] = (
        [(q.get("at"), q["ask"]) for q in asg["questions"]] if asg else []
    )
    until = asg.get("until") if asg else None
    scenes = [s.scene for s in state.history] + [state.scene]
    last = story.scenes[state.scene]
    finish = "ending" if last.ending is not None else "until" if state.scene == until else "unfinished"
    answers: list[Answer] = []
    seen: set[tuple[str | None, str]] = set()
    for n, a in enumerate(block["answers"], 1):
        key = (a.get("at"), a["ask"])
        number = questions.index(key) + 1 if key in questions else None
        what = f"the answer to question {number}" if number else f"answer {n}"
        step = a["step"]
        if asg is not None and number is None:
            misfit(f"{what}: its question {a['ask']!r} is not one of the assignment's")
        elif key in seen:
            misfit(f"{what}: the question is answered twice")
        elif not 0 <= step < len(scenes):
            misfit(f"{what} is recorded at step {step}, but the path has {len(scenes) - 1} choices")
        elif a.get("at") is not None and scenes[step] != a["at"]:
            misfit(
                f"{what} is recorded at {a['at']!r}, but after {step} choices the path is at {scenes[step]!r}"
            )
        elif a.get("at") is None and (step != len(scenes) - 1 or finish == "unfinished"):
            misfit(f"{what} is an end question, but it is recorded before the end")
        seen.add(key)
        answers.append(Answer(number, a.get("at"), a["ask"], a["answer"], step))
    entries: list[Entry] = []
    first_seen: dict[str, int] = {}
    for i, sid in enumerate(scenes):
        choice = state.history[i].text if i < len(state.history) else None
        entries.append(
            Entry(
                i + 1,
                story.scenes[sid],
                choice,
                tuple(a for a in answers if a.at is not None and a.step == i),
                first_seen.get(sid),
                state.history[i].choice if i < len(state.history) else None,
                state.history[i].response if i < len(state.history) else "",
            )
        )
        first_seen.setdefault(sid, i + 1)
    unreached = tuple((i, at, ask) for i, (at, ask) in enumerate(questions, 1) if (at, ask) not in seen)
    title = asg["title"] if asg else f"{story.title}: a playthrough"
    return Report(
        story,
        block,
        title,
        block["student"],
        block["started"],
        block["saved"],
        tuple(entries),
        tuple(a for a in answers if a.at is None),
        unreached,
        finish,
        tuple(problems),
    )


# --- what every format says -----------------------------------------------------------------


def when(iso: str) -> str:
    """'26 November 2026, 07:03' from an ISO time stamp (the stamp itself when it is not one)."""
    try:
        t = _dt.datetime.fromisoformat(iso)
    except ValueError:
        return one_line(iso) or "unknown"
    return f"{t.day} {t:%B %Y, %H:%M}"


def played(r: Report) -> str:
    if r.started and r.saved:
        return f"started {when(r.started)}; last saved {when(r.saved)}"
    return f"saved {when(r.saved)}" if r.saved else "unknown"


def file_name(r: Report) -> str:
    a = r.block["assignment"]
    return Path(a["file"].replace("\\", "/")).name if a else ""


def result(r: Report) -> str:
    steps = len(r.entries) - 1
    choices = f"{steps} choice{'s' if steps != 1 else ''}"
    if r.finish == "ending":
        assert r.last.ending is not None
        text = f"the ending “{r.last.ending.title}” after {choices}"
    elif r.finish == "until":
        text = f"reached the end of the assignment ({r.last.title}) after {choices}"
    else:
        text = f"not finished: stopped at “{r.last.title}” after {choices}"
    if r.has_assignment:
        answered = len(r.end_answers) + sum(len(e.answers) for e in r.entries)
        text += f"; {answered} of {r.n_questions} questions answered"
    return text


def history_beside(e: Entry) -> str | None:
    """What most real people did, for the line beside the student's choice (None when nothing is marked)."""
    mark = e.historical
    if e.choice is None or mark is None:
        return None
    if e.matched_history:
        return f"the same as you. {mark.historical}"
    return f"“{mark.text}”. {mark.historical}"


def when_where(scene: Scene, calendar: str = "julian") -> str:
    return " · ".join(
        p for p in (runtime.format_date(scene.date, calendar=calendar), one_line(scene.place)) if p
    )


def role_label(r: Report) -> str:
    role = r.story.roles[r.block["role"]]
    return f"{role.name} ({role.title})" if role.title else role.name


def documents_met(r: Report) -> list[tuple[str, str]]:
    """(title and date, attribution) of the documents of the scenes on the path, each once."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for e in r.entries:
        for did in e.scene.documents:
            doc = r.story.documents.get(did)
            if doc is None or did in seen:
                continue
            seen.add(did)
            shown = runtime.format_date(doc.date, calendar=r.story.calendar) if doc.date else ""
            title = doc.title + (f" ({shown})" if shown else "")
            out.append((title, doc.attribution))
    return out


def block_json(block: dict[str, Any]) -> str:
    """The block as JSON, one key a line and one path step or answer a line: short lines a person can read."""
    items = []
    for key, value in block.items():
        if isinstance(value, list) and value:
            inner = ",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in value)
            items.append(f" {json.dumps(key)}: [\n{inner}\n ]")
        else:
            items.append(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}")
    return "{\n" + ",\n".join(items) + "\n}"


def scene_title(story: Story, at: str | None) -> str:
    if at is None:
        return "at the end"
    s = story.scenes.get(at)
    return f"at {s.title}" if s else f"at {at}"


@dataclass(frozen=True, slots=True)
class Format:
    """One export format: how it renders a Report, and how its verification block is marked for reading back."""

    name: str
    suffixes: tuple[str, ...]
    """Output file endings that choose this format."""
    render_lines: Callable[[Report], Lines]
    block_open: str
    """The line just before the block's JSON."""
    block_close: str
    """The line just after it."""


def normalise(text: str) -> str:
    """Line endings and a byte-order mark an editor or mail program may add, and trailing spaces, set aside."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n")


# --- the story text a report shows, sealed so a story edit can be told from a report edit ---------------

_TAGS = re.compile(r"<[^>]*>")
_MD_ESCAPE = re.compile(r"\\(.)")
_STEP_LABEL = re.compile(r"(step \d+): (the scene|the date and place|the choice|the note)\Z")
_END_LABELS = ("the ending", "the epilogue", "the result")


def unit_of(label: str) -> str | None:
    """The part of the report a line of story text belongs to ('step 3', 'end', 'docs', 'unreached'), or None
    for a line that is not the story's text (an answer, the name, the layout, the block)."""
    m = _STEP_LABEL.match(label)
    if m:
        return m.group(1)
    if label in _END_LABELS:
        return "end"
    if label == "the documents":
        return "docs"
    if label.endswith(", not reached"):
        return "unreached"
    return None


def words(line: str, fmt: str) -> list[str]:
    """A report line's words as a reader sees them: HTML tags and entities, or Markdown escapes, undone."""
    text = html.unescape(_TAGS.sub(" ", line)) if fmt == "html" else _MD_ESCAPE.sub(r"\1", line)
    return text.split()


def digest(unit: str, lines: list[str], fmt: str) -> str:
    body = "\n".join(" ".join(words(line, fmt)) for line in lines if words(line, fmt))
    return hashlib.sha256(SEAL_SALT + b"text\0" + f"{unit}\0{body}".encode()).hexdigest()[:24]


def unit_lines(lines: Lines) -> dict[str, list[str]]:
    """The lines of story text of each part of a rendered report, in order."""
    out: dict[str, list[str]] = {}
    for line, label in lines:
        unit = unit_of(label)
        if unit is not None:
            out.setdefault(unit, []).append(line)
    return out


def seal_texts(block: dict[str, Any], fmt: str, units: dict[str, str]) -> str:
    body = json.dumps([block.get("seal"), block.get("path"), fmt, units], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(SEAL_SALT + b"texts\0" + body.encode("utf-8")).hexdigest()


def texts_entry(block: dict[str, Any], lines: Lines, fmt: str) -> dict[str, Any]:
    """The block's "texts": a digest of the story text each part of the report shows, and their seal."""
    units = {u: digest(u, ls, fmt) for u, ls in unit_lines(lines).items()}
    return {"format": fmt, "units": units, "seal": seal_texts(block, fmt, units)}


def texts_ok(block: dict[str, Any], fmt: str) -> bool | None:
    """None: the block has no "texts" (a report from before they were recorded); else whether they are sealed
    as made for this block and this format."""
    t = block.get("texts")
    if t is None:
        return None
    return (
        isinstance(t, dict)
        and t.get("format") == fmt
        and isinstance(t.get("units"), dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in t["units"].items())
        and t.get("seal") == seal_texts(block, fmt, t["units"])
    )

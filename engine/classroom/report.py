"""Reports a student hands in: the path, the answers, the ending, the history beside it, and a verification block.

A report is always built from its verification block (role, start, starting values, the path as scene and choice
pairs, the answers) by replaying the path against the story, so `dualpower verify` can rebuild the very same
text and compare. Rendering is pure and deterministic: Markdown, or one self-contained HTML page. Every line
carries a label ("step 3: the choice", "the answer to question 2"), so a difference can be named precisely.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import runtime
from engine.classroom.assignment import KEY, RecordError, answer_shape_ok, check_record
from engine.model import Scene, Story
from engine.runtime import GameError
from engine.saves import SaveError, state_from_save
from engine.state import GameState, Step
from engine.text import CONTROL_RE, clean_paragraphs, md, one_line
from engine.text import html as h

BLOCK_FORMAT = "dualpower-report"
BLOCK_VERSION = 1
MD_FENCE = "```dualpower-verification"
HTML_OPEN = '<script type="application/json" id="dualpower-verification">'
HTML_CLOSE = "</script>"

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
    saved = data.get("saved_at") if isinstance(data.get("saved_at"), str) else ""
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
    asg = block.get("assignment")
    if asg is not None and not _assignment_shape(asg):
        raise ReportError("the verification block's assignment has the wrong shape")
    return block


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


# --- text helpers -----------------------------------------------------------------------------


def when(iso: str) -> str:
    """'26 November 2026, 07:03' from an ISO time stamp (the stamp itself when it is not one)."""
    try:
        t = _dt.datetime.fromisoformat(iso)
    except ValueError:
        return one_line(iso) or "unknown"
    return f"{t.day} {t:%B %Y, %H:%M}"


def _played(r: Report) -> str:
    if r.started and r.saved:
        return f"started {when(r.started)}; last saved {when(r.saved)}"
    return f"saved {when(r.saved)}" if r.saved else "unknown"


def _file_name(r: Report) -> str:
    a = r.block["assignment"]
    return Path(a["file"].replace("\\", "/")).name if a else ""


def _result(r: Report) -> str:
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


def _when_where(scene: Scene) -> str:
    return " · ".join(p for p in (runtime.format_date(scene.date), one_line(scene.place)) if p)


def _role(r: Report) -> str:
    role = r.story.roles[r.block["role"]]
    return f"{role.name} ({role.title})" if role.title else role.name


def _documents(r: Report) -> list[tuple[str, str]]:
    """(title and date, attribution) of the documents of the scenes on the path, each once."""
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for e in r.entries:
        for did in e.scene.documents:
            doc = r.story.documents.get(did)
            if doc is None or did in seen:
                continue
            seen.add(did)
            title = doc.title + (f" ({runtime.format_date(doc.date)})" if doc.date else "")
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


# --- Markdown -----------------------------------------------------------------------------------


def markdown_lines(r: Report) -> Lines:
    out: Lines = []

    def add(line: str, label: str) -> None:
        out.append((line, label))

    def gap() -> None:
        out.append(("", "the report's layout"))

    add(f"# {md(r.title)}", "the title")
    gap()
    if r.has_assignment:
        add(f"- **Student:** {md(r.student) or '(no name)'}", "the student's name")
    add(f"- **Role:** {md(_role(r))}", "the role")
    add(f"- **Played:** {md(_played(r))}", "the date played")
    story = r.block["story"]
    add(f"- **Story:** {md(r.story.title)}, version {md(str(story.get('version')))}", "the story")
    if r.has_assignment:
        add(
            f"- **Assignment file:** {md(_file_name(r))} (sha256 {md(r.block['assignment']['sha256'][:16])})",
            "the assignment file",
        )
    add(f"- **Result:** {md(_result(r))}", "the result")
    gap()
    add("## The path", "the report's layout")
    for e in r.entries:
        label = f"step {e.number}"
        gap()
        add(f"### {e.number}. {md(e.scene.title)}", f"{label}: the scene")
        gap()
        add(f"*{md(_when_where(e.scene))}*", f"{label}: the date and place")
        if e.choice is not None:
            gap()
            add(f"**Your choice:** {md(e.choice)}", f"{label}: the choice")
        for a in e.answers:
            _md_answer(add, gap, a)
        if e.scene.note:
            gap()
            if e.seen_at is not None:
                add(f"> **What really happened:** see step {e.seen_at}.", f"{label}: the note")
            else:
                for i, p in enumerate(clean_paragraphs(e.scene.note)):
                    if i:
                        add(">", f"{label}: the note")
                    add(
                        f"> **What really happened:** {md(p)}" if i == 0 else f"> {md(p)}",
                        f"{label}: the note",
                    )
    gap()
    if r.finish == "ending":
        assert r.last.ending is not None
        add(f"## Ending: {md(r.last.ending.title)}", "the ending")
        for p in clean_paragraphs(r.last.ending.epilogue):
            gap()
            add(md(p), "the epilogue")
    elif r.finish == "until":
        add(f"## The assignment stopped at: {md(r.last.title)}", "the ending")
    else:
        add(f"## Not finished: stopped at {md(r.last.title)}", "the ending")
    if r.end_answers:
        gap()
        add("## Questions at the end", "the report's layout")
        for a in r.end_answers:
            _md_answer(add, gap, a)
    if r.unreached:
        gap()
        add("## Questions not reached on this path", "the report's layout")
        gap()
        for n, at, ask in r.unreached:
            where = _scene_title(r.story, at)
            add(f"- **Question {n}** ({md(where)}): {md(ask)}", f"question {n}")
    docs = _documents(r)
    if docs:
        gap()
        add("## Documents on this path", "the report's layout")
        gap()
        for title, source in docs:
            add(f"- **{md(title)}**: {md(source)}", "the documents")
    gap()
    add("## Verification", "the report's layout")
    gap()
    add(
        "Teachers: `dualpower verify` this file to check that it is exactly what this playthrough produces.",
        "the report's layout",
    )
    gap()
    add(MD_FENCE, "the verification block")
    # Backticks are escaped so no answer can close the fence early.
    for line in block_json(r.block).replace("`", "\\u0060").split("\n"):
        add(line, "the verification block")
    add("```", "the verification block")
    return out


def _md_answer(add: Any, gap: Any, a: Answer) -> None:
    name = f"question {a.number}" if a.number else "a question"
    gap()
    add(f"**Question {a.number}:** {md(a.ask)}" if a.number else f"**Question:** {md(a.ask)}", name)
    gap()
    add(f"**Answer:** {md(a.answer) or '(empty)'}", f"the answer to {name}")


def _scene_title(story: Story, at: str | None) -> str:
    if at is None:
        return "at the end"
    s = story.scenes.get(at)
    return f"at {s.title}" if s else f"at {at}"


# --- HTML ---------------------------------------------------------------------------------------

# No fixed page size: the same page prints on A4 (210 mm) and Letter (216 mm); 15 mm margins leave 180 mm.
CSS = """\
:root { --ink: #1b1b1b; --muted: #555; --rule: #d4d0c8; --note: #f5f1e8; --accent: #7a2020; --qa: #2b5d8a; }
* { box-sizing: border-box; }
p, dd, li, h3, pre { overflow-wrap: anywhere; }
body { font-family: Georgia, "Times New Roman", serif; color: var(--ink); line-height: 1.45; max-width: 52rem;
  margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin: 0 0 .6rem; }
h2 { font-size: 1.25rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.05rem; margin: 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
.step { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.2rem; border-top: 1px solid var(--rule);
  padding: .6rem 0; break-inside: avoid; page-break-inside: avoid; }
.when { color: var(--muted); font-style: italic; margin: .1rem 0 .4rem; }
.choice { margin: .3rem 0; }
.qa { border-left: 3px solid var(--qa); padding-left: .6rem; margin: .5rem 0; }
.qa p { margin: .2rem 0; }
aside.history { font-size: .92rem; background: var(--note); border-left: 3px solid var(--accent);
  padding: .4rem .7rem; }
aside.history h4 { margin: 0 0 .2rem; font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; }
aside.history p { margin: .2rem 0; }
.epilogue { font-style: italic; }
.verification { color: var(--muted); font-size: .85rem; }
@page { margin: 15mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  aside.history { background: none; border-left: 2px solid #888; }
  .step, .qa { break-inside: avoid; page-break-inside: avoid; }
}
@media (max-width: 40rem) { .step { grid-template-columns: 1fr; } }"""


def html_lines(r: Report) -> Lines:
    out: Lines = []

    def add(line: str, label: str = "the report's layout") -> None:
        out.append((line, label))

    add("<!DOCTYPE html>")
    add('<html lang="en">')
    add("<head>")
    add('<meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>{h(r.title)}{' · ' + h(r.student) if r.student else ''}</title>", "the title")
    add("<style>")
    for line in CSS.split("\n"):
        add(line)
    add("</style>")
    add("</head>")
    add("<body>")
    add("<header>")
    add(f"<h1>{h(r.title)}</h1>", "the title")
    add('<dl class="meta">')
    if r.has_assignment:
        add(f"<dt>Student</dt><dd>{h(r.student) or '(no name)'}</dd>", "the student's name")
    add(f"<dt>Role</dt><dd>{h(_role(r))}</dd>", "the role")
    add(f"<dt>Played</dt><dd>{h(_played(r))}</dd>", "the date played")
    add(
        f"<dt>Story</dt><dd>{h(r.story.title)}, version {h(str(r.block['story'].get('version')))}</dd>",
        "the story",
    )
    if r.has_assignment:
        add(
            f"<dt>Assignment file</dt><dd>{h(_file_name(r))} (sha256 {h(r.block['assignment']['sha256'][:16])})"
            "</dd>",
            "the assignment file",
        )
    add(f"<dt>Result</dt><dd>{h(_result(r))}</dd>", "the result")
    add("</dl>")
    add("</header>")
    add("<main>")
    add("<h2>The path, and what really happened</h2>")
    for e in r.entries:
        label = f"step {e.number}"
        add('<section class="step">')
        add('<div class="path">')
        add(f"<h3>{e.number}. {h(e.scene.title)}</h3>", f"{label}: the scene")
        add(f'<p class="when">{h(_when_where(e.scene))}</p>', f"{label}: the date and place")
        if e.choice is not None:
            add(f'<p class="choice"><b>Your choice:</b> {h(e.choice)}</p>', f"{label}: the choice")
        for a in e.answers:
            _html_answer(add, a)
        add("</div>")
        if e.scene.note:
            add('<aside class="history">')
            add("<h4>What really happened</h4>")
            if e.seen_at is not None:
                add(f"<p>See step {e.seen_at}.</p>", f"{label}: the note")
            else:
                for p in clean_paragraphs(e.scene.note):
                    add(f"<p>{h(p)}</p>", f"{label}: the note")
            add("</aside>")
        add("</section>")
    add('<section class="ending">')
    if r.finish == "ending":
        assert r.last.ending is not None
        add(f"<h2>Ending: {h(r.last.ending.title)}</h2>", "the ending")
        for p in clean_paragraphs(r.last.ending.epilogue):
            add(f'<p class="epilogue">{h(p)}</p>', "the epilogue")
    elif r.finish == "until":
        add(f"<h2>The assignment stopped at: {h(r.last.title)}</h2>", "the ending")
    else:
        add(f"<h2>Not finished: stopped at {h(r.last.title)}</h2>", "the ending")
    add("</section>")
    if r.end_answers:
        add('<section class="end-questions">')
        add("<h2>Questions at the end</h2>")
        for a in r.end_answers:
            _html_answer(add, a)
        add("</section>")
    if r.unreached:
        add('<section class="unreached">')
        add("<h2>Questions not reached on this path</h2>")
        add("<ul>")
        for n, at, ask in r.unreached:
            add(f"<li><b>Question {n}</b> ({h(_scene_title(r.story, at))}): {h(ask)}</li>", f"question {n}")
        add("</ul>")
        add("</section>")
    docs = _documents(r)
    if docs:
        add('<section class="documents">')
        add("<h2>Documents on this path</h2>")
        add("<ul>")
        for title, source in docs:
            add(f"<li><b>{h(title)}</b>: {h(source)}</li>", "the documents")
        add("</ul>")
        add("</section>")
    add('<section class="verification">')
    add("<h2>Verification</h2>")
    add(
        "<p>This file holds the data to check it: teachers, run <code>dualpower verify</code> on this file "
        "(not on a printout or a copy saved from the browser).</p>"
    )
    add(HTML_OPEN, "the verification block")
    # Inside <script>, '<', '>' and '&' are written as JSON escapes so no answer can end the element.
    safe = block_json(r.block).replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    for line in safe.split("\n"):
        add(line, "the verification block")
    add(HTML_CLOSE, "the verification block")
    add("</section>")
    add("</main>")
    add("</body>")
    add("</html>")
    return out


def _html_answer(add: Any, a: Answer) -> None:
    name = f"question {a.number}" if a.number else "a question"
    add('<div class="qa">')
    add(
        f"<p><b>Question {a.number}:</b> {h(a.ask)}</p>"
        if a.number
        else f"<p><b>Question:</b> {h(a.ask)}</p>",
        name,
    )
    add(f"<p><b>Answer:</b> {h(a.answer) or '(empty)'}</p>", f"the answer to {name}")
    add("</div>")


def render_lines(r: Report, fmt: str) -> Lines:
    return html_lines(r) if fmt == "html" else markdown_lines(r)


def render(r: Report, fmt: str) -> str:
    return "\n".join(line for line, _ in render_lines(r, fmt)) + "\n"


# --- reading a report back ----------------------------------------------------------------------


def extract_block(text: str) -> tuple[str, dict[str, Any]]:
    """The report's format ('md' or 'html') and its verification block; ReportError when there is none."""
    lines = normalise(text).split("\n")
    for fmt, opener, closer in (("html", HTML_OPEN, HTML_CLOSE), ("md", MD_FENCE, "```")):
        if opener not in lines:
            continue
        start = lines.index(opener) + 1
        try:
            end = lines.index(closer, start)
        except ValueError:
            raise ReportError("the verification block is not closed: the report was cut short") from None
        try:
            block = json.loads("\n".join(lines[start:end]))
        except (ValueError, RecursionError):  # ValueError: JSON errors, and integers too long to convert
            raise ReportError("the verification block is damaged (it is not valid JSON)") from None
        if not isinstance(block, dict):
            raise ReportError("the verification block is damaged")
        return fmt, block
    raise ReportError(
        "no verification block found: this is not a Dual Power report, or the block was removed"
    )


def normalise(text: str) -> str:
    """Line endings and a byte-order mark an editor or mail program may add, and trailing spaces, set aside."""
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    return "\n".join(line.rstrip() for line in text.split("\n")).rstrip("\n")


# --- the command ------------------------------------------------------------------------------


def cmd_report(args: Any) -> int:
    import sys

    from engine.cli import EXIT_FAIL, EXIT_OK, EXIT_USAGE, load_story, print_errors, saves_for, write_output

    suffix = args.output.suffix.lower() if args.output else ""
    if args.format is None and suffix not in ("", ".md", ".markdown", ".txt", ".html", ".htm"):
        print(
            f"dualpower: cannot write a {suffix} report: use -o report.html (one page that prints well, also "
            "to PDF from a browser) or -o report.md",
            file=sys.stderr,
        )
        return EXIT_USAGE
    fmt = args.format or ("html" if suffix in (".html", ".htm") else "md")
    story, diags = load_story(args.story)
    if story is None:
        print_errors(diags)
        return EXIT_FAIL
    saves = saves_for(args)
    try:
        data = saves.read(args.save)
        report = build(block_from_save(data, story, args.save), story)
    except (SaveError, ReportError) as exc:
        print(f"dualpower: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if write_output(render(report, fmt), args.output) != EXIT_OK:
        return EXIT_FAIL
    if args.output is not None:
        print(
            f"Report written to {args.output}. Hand in this file as it is: your teacher checks it with "
            f"'dualpower verify {args.output.name}'.",
            file=sys.stderr,
        )
    return EXIT_OK

"""Assignment files: a teacher's YAML that fixes the role, the start, the questions. Read and checked here.

Reading composes the YAML with the public node layer, engine/yamlnodes.py (so every problem says file:line:col as
story errors do); nothing here prints. The checks against a story (roles, scenes, variables) run only when a
story is given, so `dualpower check` can still report an assignment's own mistakes when the story is broken.
Also here: the record a save keeps of an assignment being played (student, answers, the file's hash).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from engine import graph
from engine.diagnostics import Diagnostic, sort_key, suggest
from engine.model import Source, Story
from engine.yamlnodes import YamlFile, compose, read_text

MAX_BYTES = 1024 * 1024
"""An assignment is a page of YAML; anything bigger is a mistake (a wrong file given)."""

KEYS = {
    "title": True,
    "role": True,
    "start": False,
    "set": False,
    "intro": False,
    "questions": False,
    "allow_undo": False,
    "until": False,
    "objectives": False,
}
QUESTION_KEYS = {"at": False, "ask": True, "model_answer": False, "rubric": False}
FOLDER = "assignments"
"""Where a story keeps its shipped assignments (story/assignments/*.yaml)."""


@dataclass(frozen=True, slots=True)
class Question:
    at: str | None
    """The scene where it is asked; None for a question asked at the end."""
    ask: str
    number: int
    """1-based position in the assignment, as shown to students and in reports."""
    source: Source
    model_answer: str = ""
    """For the teacher's guide only: what a good answer says (students never see it)."""
    rubric: tuple[str, ...] = ()
    """For the teacher's guide only: levels of an answer, lowest first, each a sentence."""


@dataclass(frozen=True, slots=True)
class Assignment:
    title: str
    role: str
    start: str | None
    """The scene to begin in; None for the role's own start."""
    initial: dict[str, Any]
    """Starting values (`set:`)."""
    intro: str
    questions: tuple[Question, ...]
    allow_undo: bool
    until: str | None
    """The assignment ends when this scene is reached (or at any ending)."""
    path: str
    sha256: str
    """Hash of the file's bytes: a report names the exact assignment it was played under."""
    source: Source
    objectives: tuple[str, ...] = ()
    """What students should learn, one sentence each (for the teacher's guide; students never see them)."""

    @property
    def name(self) -> str:
        """The file's name without folder or suffix (used in slot names)."""
        return Path(self.path).stem

    def questions_at(self, scene_id: str | None) -> list[Question]:
        return [q for q in self.questions if q.at == scene_id]


def read(path: Path, diags: list[Diagnostic]) -> tuple[bytes, yaml.Node | None] | None:
    """The file's bytes and composed YAML, or None (with a diagnostic) when it cannot be read."""
    size = path.stat().st_size if path.is_file() else 0
    read = read_text(
        path,
        diags,
        MAX_BYTES,
        f"file is {size} bytes; an assignment is at most {MAX_BYTES} bytes: is this the right file?",
    )
    if read is None:
        return None
    data, text = read
    before = len(diags)
    node = compose(text, str(path), diags)
    for i in range(before, len(diags)):
        if diags[i].code == "yaml-syntax":
            diags[i] = _explain_syntax(text, diags[i])
    return data, node


def _explain_syntax(text: str, d: Diagnostic) -> Diagnostic:
    """A YAML syntax error said the way a teacher can act on it: a tab is called a tab, an unclosed quote is
    shown where it opened."""
    for n, line in enumerate(text.split("\n")[: d.line], 1):
        if "\t" in line:
            return Diagnostic(
                d.path,
                n,
                line.index("\t") + 1,
                "error",
                "tab",
                "a tab character: YAML does not allow tabs here; replace it with spaces (indent with spaces, "
                "as the lines around it)",
            )
    if "quoted scalar" in d.message:
        try:
            yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as exc:
            mark = exc.context_mark
            if mark is not None:
                quote = text.split("\n")[mark.line][mark.column : mark.column + 1] or '"'
                return Diagnostic(
                    d.path,
                    mark.line + 1,
                    mark.column + 1,
                    "error",
                    "yaml-syntax",
                    f"this quote ({quote}) is never closed: add the closing {quote} at the end of the value",
                )
    return d


def load(path: str | Path, story: Story | None) -> tuple[Assignment | None, list[Diagnostic]]:
    """Read and check an assignment file. Returns it (None when there are errors) and every diagnostic."""
    path = Path(path)
    diags: list[Diagnostic] = []
    got = read(path, diags)
    if got is None:
        return None, diags
    data, node = got
    f = YamlFile(str(path), diags)
    if node is None:
        if not diags:
            f.error(None, "the file is empty: an assignment needs at least a title and a role", "empty")
        return None, diags
    asg = _build(f, node, hashlib.sha256(data).hexdigest(), story)
    diags.sort(key=sort_key)
    if asg is None or any(d.severity == "error" for d in diags):
        return None, diags
    return asg, diags


def _build(f: YamlFile, node: yaml.Node, sha: str, story: Story | None) -> Assignment | None:
    e = f.mapping(node, "assignment", KEYS)
    if e is None:
        return None
    title = f.string(e["title"][1], "title") if "title" in e else None
    role = f.string(e["role"][1], "role") if "role" in e else None
    start = f.string(e["start"][1], "start") if "start" in e else None
    until = f.string(e["until"][1], "until") if "until" in e else None
    intro = (f.string(e["intro"][1], "intro", empty_ok=True) if "intro" in e else "") or ""
    allow_undo = True
    if "allow_undo" in e:
        allow_undo = bool(f.boolean(e["allow_undo"][1], "allow_undo"))
    questions = _questions(f, e["questions"][1]) if "questions" in e else []
    qlist = e["questions"][1] if "questions" in e else None
    if not (isinstance(qlist, yaml.SequenceNode) and qlist.value) and not questions:
        f.warning(
            e["questions"][0] if "questions" in e else node,
            "this assignment has no questions: students will only play",
            "no-questions",
        )
    objectives = tuple(_sentences(f, e["objectives"][1], "objectives")) if "objectives" in e else ()
    initial: dict[str, Any] = {}
    if story is not None:
        if role is not None and role not in story.roles:
            f.error(
                e["role"][1],
                f"unknown role {role!r}{suggest(role, story.roles)}; the story's roles are "
                f"{', '.join(story.roles)}",
                "unknown-role",
            )
        for key, value in (("start", start), ("until", until)):
            if value is not None and value not in story.scenes:
                f.error(
                    e[key][1],
                    f"{key}: unknown scene {value!r}{suggest_scene(value, story)}",
                    "unknown-target",
                )
        for q, qnode in questions:
            if q.at is not None and q.at not in story.scenes:
                f.error(
                    qnode,
                    f"question {q.number}: at: unknown scene {q.at!r}{suggest_scene(q.at, story)}",
                    "unknown-target",
                )
        if "set" in e:
            initial = _initial(f, e["set"][1], story)
        if role in story.roles and (start is None or start in story.scenes):
            # Also when there are errors elsewhere: a teacher sees every problem in one pass.
            _reach_warnings(
                f,
                e,
                story,
                role,
                start,
                until,
                [(q, n) for q, n in questions if q.at in story.scenes or q.at is None],
            )
    elif "set" in e:
        f.mapping(e["set"][1], "set", _Names())
    if title is None or role is None:
        return None
    return Assignment(
        title=title,
        role=role,
        start=start,
        initial=initial,
        intro=intro,
        questions=tuple(q for q, _ in questions),
        allow_undo=allow_undo,
        until=until,
        path=f.path,
        sha256=sha,
        source=f.src(node),
        objectives=objectives,
    )


def _sentences(f: YamlFile, node: yaml.Node, what: str, least: int = 1) -> list[str]:
    """A list of one-line texts (objectives, rubric levels); errors name the item."""
    items = f.sequence(node, what)
    if items is None:
        return []
    out = []
    for i, item in enumerate(items, 1):
        text = f.string(item, f"{what}, item {i}")
        if text is not None:
            out.append(" ".join(text.split()))
    if len(items) < least:
        f.error(node, f"{what} needs at least {least} levels, lowest first", "too-few")
    return out


def suggest_scene(value: str, story: Story) -> str:
    """' (did you mean ID, “Title”?)': a scene of the same role and month first ('worker.jul.'), by its title's
    words ('worker.jul.meeting' -> “The General Meeting”) or a close id; else a close id anywhere; or ''."""

    def words(text: str) -> set[str]:
        return set(re.findall(r"[a-z]{3,}", text.lower()))

    import difflib  # here: only a mistake needs it

    prefix, _, last = value.rpartition(".")
    same = [i for i in story.scenes if prefix and i.startswith(prefix + ".")]
    wanted = words(last)
    by_title = [i for i in same if wanted & words(story.scenes[i].title)]
    close = difflib.get_close_matches(value, same, n=1, cutoff=0.6) or difflib.get_close_matches(
        value, list(story.scenes), n=1, cutoff=0.6
    )
    pick = by_title[0] if by_title else close[0] if close else None
    return f" (did you mean {pick}, “{story.scenes[pick].title}”?)" if pick else ""


def _questions(f: YamlFile, node: yaml.Node) -> list[tuple[Question, yaml.Node]]:
    out: list[tuple[Question, yaml.Node]] = []
    seen: dict[tuple[str | None, str], int] = {}
    for n, qnode in enumerate(f.sequence(node, "questions") or [], 1):
        # Numbered by place in the file, so a question with a mistake does not renumber those after it.
        q = f.mapping(qnode, f"question {n}", QUESTION_KEYS)
        if q is None or "ask" not in q:
            continue
        ask = f.string(q["ask"][1], f"question {n}: ask")
        at = f.string(q["at"][1], f"question {n}: at") if "at" in q else None
        if ask is None or ("at" in q and at is None):
            continue
        ask = " ".join(ask.split())  # asked on one line, answered on one line
        key = (at, ask)
        if key in seen:
            # Answers are matched to questions by where and what they ask, so twins could not be told apart.
            f.error(
                qnode,
                f"question {n} repeats question {seen[key]} (same scene, same words): remove one",
                "duplicate-question",
            )
            continue
        seen[key] = n
        model = ""
        if "model_answer" in q:
            model = " ".join((f.string(q["model_answer"][1], f"question {n}: model_answer") or "").split())
        rubric = tuple(_sentences(f, q["rubric"][1], f"question {n}: rubric", 2)) if "rubric" in q else ()
        # Mistakes about where a question is asked point at its `at:` value.
        out.append((Question(at, ask, n, f.src(qnode), model, rubric), q["at"][1] if "at" in q else qnode))
    return out


def _initial(f: YamlFile, node: yaml.Node, story: Story) -> dict[str, Any]:
    entries = f.mapping(node, "set", _Names())
    out: dict[str, Any] = {}
    for name, (knode, vnode) in (entries or {}).items():
        var = story.variables.get(name)
        if var is None:
            f.error(
                knode,
                f"set: unknown variable {name!r}{suggest(name, story.variables)}; the story declares "
                "its variables in story.yaml",
                "undeclared",
            )
            continue
        value: Any
        if var.type == "int":
            value = f.integer(vnode, f"set: {name}")
            if value is not None and (
                (var.min is not None and value < var.min) or (var.max is not None and value > var.max)
            ):
                lo = "-inf" if var.min is None else var.min
                hi = "inf" if var.max is None else var.max
                f.error(vnode, f"set: {name} = {value} is outside its bounds {lo}..{hi}", "out-of-bounds")
                continue
        elif var.type == "bool":
            value = f.boolean(vnode, f"set: {name}")
        else:
            value = f.string(vnode, f"set: {name}", empty_ok=True)
        if value is not None:
            out[name] = value
    return out


def reachable(story: Story, start: str, until: str | None = None) -> set[str]:
    """Scenes a player could reach from `start` by some choices (conditions ignored), not going past `until`."""
    seen = {start}
    todo = deque([start])
    returns: dict[str, list[str]] | None = None
    while todo:
        sid = todo.popleft()
        if sid == until:
            continue
        scene = story.scenes.get(sid)
        for c in scene.choices if scene else ():
            if "return" in c.targets and returns is None:
                returns = graph.returns_by_scene(story)
            for target in graph.next_scenes(story, c, (returns or {}).get(sid, ())):
                if target not in seen:
                    seen.add(target)
                    todo.append(target)
    return seen


def _reach_warnings(
    f: YamlFile,
    e: dict[str, tuple[Any, Any]],
    story: Story,
    role: str,
    start: str | None,
    until: str | None,
    questions: list[tuple[Question, yaml.Node]],
) -> None:
    first = start or story.roles[role].start
    owner = story.role_of(first)
    if start is not None and owner is not None and owner != role:
        f.warning(
            e["start"][1],
            f"start: {first!r} is a {owner} scene, but the assignment's role is {role}",
            "wrong-role",
        )
    seen = reachable(story, first, until)
    if until is not None and until in story.scenes and until not in seen:
        f.error(
            e["until"][1],
            f"until: {until!r} cannot be reached from {first!r}, so the assignment would never stop there: "
            "choose a scene on the way from the start, or remove until",
            "unreachable",
        )
    for q, qnode in questions:
        if q.at is not None and q.at not in seen:
            f.warning(
                qnode,
                f"question {q.number} will never be asked: {q.at!r} cannot be reached from "
                f"{first!r}" + (f" before {until!r}" if until else ""),
                "unreachable",
            )


class _Names(dict):  # type: ignore[type-arg]
    """A key table accepting every key (the keys of `set:` are variable names, checked separately)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> bool:
        return False


# --- for `dualpower check` ---------------------------------------------------------------------


def check_file(path: str | Path, story: Story | None) -> list[Diagnostic]:
    """Every diagnostic for one assignment file (checked against `story` when it loaded)."""
    return load(path, story)[1]


def files(story_dir: str | Path) -> list[Path]:
    """The assignment files a story folder ships: assignments/*.yaml (not hidden ones), sorted."""
    folder = Path(story_dir) / FOLDER
    try:
        return sorted(p for p in folder.glob("*.yaml") if not p.name.startswith(".") and p.is_file())
    except OSError:
        return []


def check_folder(story_dir: str | Path, story: Story | None) -> list[Diagnostic]:
    """Diagnostics for every assignment under `story_dir/assignments/` (none when the folder is absent)."""
    out: list[Diagnostic] = []
    for path in files(story_dir):
        out.extend(check_file(path, story))
    return out


def find(name_or_path: str, sha256: str | None, story_dir: str | Path) -> Path | None:
    """An assignment file by its recorded path, else by its name under the story's assignments folder, else
    (given `sha256`) any file there with the same hash. With `sha256`, only a file with exactly those bytes is
    returned; without, the first file found by path or name."""
    candidates: list[Path] = []
    if name_or_path:
        candidates.append(Path(name_or_path))
        candidates.append(Path(story_dir) / FOLDER / Path(name_or_path.replace("\\", "/")).name)
    if sha256 is not None:
        candidates.extend(files(story_dir))
    for p in candidates:
        try:
            if not p.is_file() or p.stat().st_size > MAX_BYTES:
                continue
            if sha256 is None or hashlib.sha256(p.read_bytes()).hexdigest() == sha256:
                return p
        except OSError:
            continue
    return None


# --- the record a save keeps of an assignment being played ------------------------------------

KEY = "assignment"
"""The key of the assignment record in a save file (and in Session.extra)."""


class RecordError(Exception):
    """A save's assignment record has the wrong shape or does not belong to this assignment."""


def now_iso() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def new_record(assignment: Assignment, student: str) -> dict[str, Any]:
    return {
        "file": str(Path(assignment.path).resolve()),
        "title": assignment.title,
        "student": student,
        "started": now_iso(),
        "answers": [],
        "sha256": assignment.sha256,
        # Kept too so a report can list unreached questions and the stopping scene without the file.
        "questions": [{"at": q.at, "ask": q.ask} for q in assignment.questions],
        "until": assignment.until,
    }


def check_record(record: Any) -> dict[str, Any]:
    """The record from a save, checked field by field; RecordError says what is wrong."""
    if not isinstance(record, dict):
        raise RecordError("its assignment record is not a JSON object")
    for key in ("file", "title", "student", "started", "sha256"):
        if not isinstance(record.get(key), str):
            raise RecordError(f"its assignment record has no {key!r}")
    answers = record.get("answers")
    if not isinstance(answers, list):
        raise RecordError("its assignment record has no list of answers")
    if not all(answer_shape_ok(a) for a in answers):
        raise RecordError("an answer in its assignment record has the wrong shape")
    questions = record.get("questions", [])
    if not isinstance(questions, list) or not all(
        isinstance(q, dict)
        and isinstance(q.get("ask"), str)
        and (q.get("at") is None or isinstance(q["at"], str))
        for q in questions
    ):
        raise RecordError("the questions in its assignment record have the wrong shape")
    if record.get("until") is not None and not isinstance(record.get("until"), str):
        raise RecordError("its assignment record's 'until' has the wrong type")
    return record


SEAL_SALT = b"dualpower-answer-seal-v1"


def seal_answers(student: str, answers: list[dict[str, Any]], path: list[list[Any]]) -> list[str]:
    """A chained hash for each answer: over the student's name, the answer, its question and the path up to it.

    Each seal covers the previous one, so editing any answer, the name, or the path before the last answer in a
    save or a report breaks every seal from there on. It makes edits evident, not impossible: someone who
    re-runs this function on edited data can reseal it (docs/teaching.md says so).
    """
    seals: list[str] = []
    prev = ""
    for a in answers:
        step = a["step"] if isinstance(a.get("step"), int) else 0
        body = json.dumps(
            [prev, student, a.get("at"), a.get("ask"), a.get("answer"), step, path[:step]],
            ensure_ascii=False,
            separators=(",", ":"),
        )
        prev = hashlib.sha256(SEAL_SALT + body.encode("utf-8")).hexdigest()
        seals.append(prev)
    return seals


def seals_hold(student: str, answers: list[dict[str, Any]], path: list[list[Any]]) -> int | None:
    """The number (1-based) of the first answer whose seal does not match, or None when all hold."""
    for n, (a, want) in enumerate(zip(answers, seal_answers(student, answers, path), strict=True), 1):
        if a.get("seal") != want:
            return n
    return None


def answer_shape_ok(a: Any) -> bool:
    """An answer as saves and reports record it: {at, ask, answer, step[, seal]}."""
    return (
        isinstance(a, dict)
        and isinstance(a.get("ask"), str)
        and isinstance(a.get("answer"), str)
        and (a.get("at") is None or isinstance(a.get("at"), str))
        and isinstance(a.get("step"), int)
        and not isinstance(a.get("step"), bool)
        and a["step"] >= 0
        and (a.get("seal") is None or isinstance(a.get("seal"), str))
    )


def seal_record(block: dict[str, Any]) -> str:
    """A seal over a whole assignment record as a report's block holds it: the student, when it started, the
    assignment's hash, the role, start, starting values, the whole path, the end and every answer (with its own
    seal). Made at every save during play, checked by `verify`, so a consistent edit of any of them shows."""
    raw = block.get("assignment")
    asg: dict[str, Any] = raw if isinstance(raw, dict) else {}
    body = json.dumps(
        [
            block.get("student"),
            block.get("started"),
            asg.get("sha256"),
            block.get("role"),
            block.get("start"),
            block.get("initial"),
            block.get("path"),
            block.get("end"),
            block.get("answers"),
            *([block["reading"]] if "reading" in block else []),
        ],
        ensure_ascii=False,
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(SEAL_SALT + b"record" + body.encode("utf-8")).hexdigest()

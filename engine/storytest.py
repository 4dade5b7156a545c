"""Story tests: the cases in a story folder's tests/*.yaml, read and played through the real game.

A test file holds `tests:`, a list of cases; each names a role, the choice numbers to type (as the player sees
them on screen) and what must hold afterwards:

    tests:
      - name: a message pays
        role: operator
        choices: [1, 2]
        expect: {scene: tel.desk, vars: {coins: 3}, visited: [tel.start], text: "words shown"}

`expect` may hold `scene`, `ending` (the id of an ending scene the game must end at), `vars`, `visited` (scene
ids the path must have passed through) and `text` (words the last screen must show: a string or a list).
Reading a file reports each mistake at file:line:col; `run` plays each case through a Session (the same
commands the player types), so a case sees exactly what a player would. Pure: no printing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine import runtime
from engine.diagnostics import Diagnostic, suggest
from engine.files import SUFFIXES
from engine.model import Source, Story
from engine.saves import Saves
from engine.session import EndingView, Message, SceneView, Session, StartError, View
from engine.yamlnodes import AnyKeys, YamlFile, key_table, read_yaml

FILE_KEYS = key_table({"tests": True})
CASE_KEYS = key_table({"name": True, "role": True, "choices": False, "expect": True})
EXPECT_KEYS = key_table({"scene": False, "ending": False, "vars": False, "visited": False, "text": False})
MAX_CHOICES = 10_000


@dataclass(slots=True)
class Case:
    name: str
    role: str
    choices: list[int]
    source: Source
    scene: str | None = None
    ending: str | None = None
    vars: dict[str, Any] = field(default_factory=dict)
    visited: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Failure:
    case: Case
    step: int
    """The step where it went wrong: 1 for the first choice, len(choices) + 1 for the expectations after."""
    message: str

    def __str__(self) -> str:
        s = self.case.source
        return f"{s.path}:{s.line}: {self.case.name}: {self.message}"


def test_files(root: Path) -> list[Path]:
    """The story's test files: tests/*.yaml and tests/*.yml, in sorted order (hidden files skipped)."""
    folder = root / "tests"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.name.endswith(SUFFIXES) and not p.name.startswith("."))


def load(root: Path, story: Story) -> tuple[list[Case], list[Diagnostic]]:
    """Every case of the story's test files, and each mistake in them at file:line:col."""
    cases: list[Case] = []
    diags: list[Diagnostic] = []
    inside = root.resolve()
    for path in test_files(root):
        try:
            outside = not path.resolve(strict=True).is_relative_to(inside)
        except (OSError, RuntimeError):
            outside = True
        if outside:
            diags.append(
                Diagnostic(
                    str(path),
                    1,
                    1,
                    "error",
                    "symlink",
                    "a link that leads outside the story folder; copy the file in",
                )
            )
            continue
        node = read_yaml(path, diags)
        if node is None:
            continue
        cases.extend(read_file(YamlFile(str(path), diags), node, story))
    return cases, diags


def read_file(f: YamlFile, node: yaml.Node, story: Story) -> list[Case]:
    top = f.mapping(node, "a test file", FILE_KEYS)
    if not top or "tests" not in top:
        return []
    out: list[Case] = []
    names: dict[str, int] = {}
    for item in f.sequence(top["tests"][1], "tests") or []:
        case = _case(f, item, story)
        if case is None:
            continue
        if case.name in names:
            f.error(
                item, f"test {case.name!r}: another test has this name (line {names[case.name]})", "duplicate"
            )
            continue
        names[case.name] = case.source.line
        out.append(case)
    return out


def _case(f: YamlFile, node: yaml.Node, story: Story) -> Case | None:
    e = f.mapping(node, "a test", CASE_KEYS)
    if e is None or not {"name", "role", "expect"} <= e.keys():
        return None
    before = len(f.diags)
    name = f.string(e["name"][1], "a test's name")
    role = f.string(e["role"][1], "role")
    what = f"test {name!r}"
    if role is not None and role not in story.roles:
        f.error(
            e["role"][1],
            f"{what}: unknown role {role!r}{suggest(role, story.roles)}; the roles are {', '.join(story.roles)}",
            "unknown-role",
        )
    choices: list[int] = []
    if "choices" in e:
        for c in f.sequence(e["choices"][1], f"{what}: choices") or []:
            n = f.integer(c, f"{what}: a choice (its number on screen)")
            if n is not None and n < 1:
                f.error(c, f"{what}: choice numbers start at 1, not {n}", "bad-choice")
            elif n is not None:
                choices.append(n)
        if len(choices) > MAX_CHOICES:
            f.error(e["choices"][1], f"{what}: more than {MAX_CHOICES} choices", "too-long")
    case = Case(name or "", role or "", choices, f.src(node))
    _expect(f, e["expect"][1], story, case, what)
    return case if name is not None and role is not None and len(f.diags) == before else None


def _expect(f: YamlFile, node: yaml.Node, story: Story, case: Case, what: str) -> None:
    x = f.mapping(node, f"{what}: expect", EXPECT_KEYS)
    if x is None:
        return
    if not x:
        f.error(node, f"{what}: expect says nothing; give scene, ending, vars, visited or text", "empty")
    for key in ("scene", "ending"):
        if key in x:
            sid = _scene(f, x[key][1], story, f"{what}: expect {key}")
            if key == "ending" and sid is not None and story.scenes[sid].ending is None:
                f.error(x[key][1], f"{what}: {sid!r} is a scene, not an ending: use 'scene:'", "not-ending")
            setattr(case, key, sid)
    if "visited" in x:
        for item in f.sequence(x["visited"][1], f"{what}: expect visited") or []:
            sid = _scene(f, item, story, f"{what}: expect visited")
            if sid is not None:
                case.visited.append(sid)
    if "vars" in x:
        entries = f.mapping(x["vars"][1], f"{what}: expect vars", AnyKeys())
        for name, (knode, vnode) in (entries or {}).items():
            var = story.variables.get(name)
            if var is None:
                f.error(
                    knode,
                    f"{what}: unknown variable {name!r}{suggest(name, story.variables)}; variables are "
                    "declared in story.yaml",
                    "unknown-variable",
                )
                continue
            label = f"{what}: {name} (a {var.type})"
            value: Any = (
                f.integer(vnode, label)
                if var.type == "int"
                else f.boolean(vnode, label)
                if var.type == "bool"
                else f.string(vnode, label, empty_ok=True)
            )
            if value is not None:
                case.vars[name] = value
    if "text" in x:
        tnode = x["text"][1]
        items = f.sequence(tnode, f"{what}: expect text") if isinstance(tnode, yaml.SequenceNode) else [tnode]
        for item in items or []:
            t = f.string(item, f"{what}: expect text")
            if t is not None:
                case.text.append(" ".join(t.split()))


def _scene(f: YamlFile, node: yaml.Node, story: Story, what: str) -> str | None:
    sid = f.string(node, what)
    if sid is not None and sid not in story.scenes:
        f.error(node, f"{what}: unknown scene {sid!r}{suggest(sid, story.scenes)}", "unknown-scene")
        return None
    return sid


# --- running ------------------------------------------------------------------------------------


class _Trial(Session):
    """A session that plays without writing an autosave (a test never touches the player's saves)."""

    def autosave(self) -> list[View]:
        return []


def run(story: Story, case: Case, saves: Saves) -> Failure | None:
    """Play the case through a Session, typing each choice's number; the first thing that goes wrong, or None."""
    try:
        session = _Trial.new(story, case.role, saves)
    except StartError as exc:
        return Failure(case, 0, f"the game cannot start: {exc}")
    shown: list[View] = session.current()
    for step, number in enumerate(case.choices, 1):
        here = session.state.scene
        if story.scenes[here].ending is not None:
            return Failure(
                case,
                step,
                f"step {step} (choice {number}): the story has already ended at {here!r}, "
                f"after {step - 1} choice{'s' * (step != 2)}",
            )
        views = session.handle(str(number))
        problems = [v.text for v in views if isinstance(v, Message) and v.kind in ("hint", "error")]
        if session.state.scene == here and len(session.state.history) < step:
            why = problems[0] if problems else "the choice was not taken"
            return Failure(
                case,
                step,
                f"step {step} (choice {number}) in scene {here!r}: {why}; shown: {_menu(story, session)}",
            )
        shown = views
    return _check(story, case, session, shown)


def _menu(story: Story, session: Session) -> str:
    opts = runtime.options(story, session.state)
    if not opts:
        return "no choices"
    return ", ".join(
        f"{o.number} {runtime.interpolate(story, session.state, o.choice.text)!r}"
        + ("" if o.open else " (locked)")
        for o in opts
    )


def _check(story: Story, case: Case, session: Session, shown: list[View]) -> Failure | None:
    state = session.state
    step = len(case.choices) + 1
    at = f"after {len(case.choices)} choice{'s' * (len(case.choices) != 1)}"
    if case.scene is not None and state.scene != case.scene:
        return Failure(case, step, f"{at}: expected scene {case.scene!r}, but the game is at {state.scene!r}")
    if case.ending is not None and state.scene != case.ending:
        where = "the ending" if story.scenes[state.scene].ending is not None else "scene"
        return Failure(
            case,
            step,
            f"{at}: expected the ending {case.ending!r}, but the game is at {where} {state.scene!r}",
        )
    for name, want in case.vars.items():
        got = state.vars.get(name)
        if got != want:
            return Failure(case, step, f"{at}: expected {name} = {_show(want)}, but it is {_show(got)}")
    for sid in case.visited:
        if sid not in state.visits:
            return Failure(case, step, f"{at}: expected the path to pass {sid!r}, but it never did")
    if case.text:
        screen = " ".join(" ".join(t.split()) for t in _texts(shown))
        for want in case.text:
            if want not in screen:
                return Failure(
                    case, step, f"{at}: expected the screen to show {want!r}; it shows: {_cut(screen)}"
                )
    return None


def _texts(views: list[View]) -> list[str]:
    out: list[str] = []
    for v in views:
        if isinstance(v, EndingView):
            out.extend(_scene_texts(v.scene))
            out.extend([v.title, v.epilogue])
        elif isinstance(v, SceneView):
            out.extend(_scene_texts(v))
        elif isinstance(v, Message):
            out.append(v.text)
    return out


def _scene_texts(v: SceneView) -> list[str]:
    return [*v.response, v.title, *v.paragraphs, *(o.text for o in v.options)]


def _show(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else repr(value)


def _cut(text: str, limit: int = 160) -> str:
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")

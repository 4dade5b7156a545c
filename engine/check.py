"""`dualpower check`: the loader's diagnostics plus graph and state analysis, reported for authors."""

from __future__ import annotations

import datetime as _dt
import json
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TextIO

from engine import expr, graph, loader
from engine.diagnostics import Diagnostic, sort_key, summary
from engine.model import RETURN, Choice, Condition, Role, Scene, Source, Story, Variable


class Step(NamedTuple):
    """What the whole-story analyses need of a choice (a tuple: a large story has tens of thousands)."""

    pos: int
    """As Choice.index."""
    path: str
    line: int
    col: int
    goto: str
    call: str
    chance: tuple[str, ...]
    """Each chance outcome's goto."""
    targets: tuple[str, ...]
    """As Choice.targets."""

    @property
    def source(self) -> Source:
        return Source(self.path, self.line, self.col)


class Shape(NamedTuple):
    """What the whole-story analyses need of a scene: no text, only where it leads and what it reads and
    changes. The check cache (engine/checkcache.py) keeps one per scene of every unchanged file."""

    id: str
    source: Source
    date: _dt.date
    ending: str | None
    """The ending's title, or None."""
    choices: tuple[Step, ...]
    reads: frozenset[str]
    changes: frozenset[str]


@dataclass(frozen=True, slots=True)
class Outline:
    """A story as the whole-story analyses see it (a graph.Graph)."""

    scenes: Mapping[str, Shape]
    roles: Mapping[str, Role]


def analyse(story: Story) -> list[Diagnostic]:
    """Warnings that need the whole story: reachability, variables, impossible conditions, time, duplicates,
    empty text. Pure: no I/O."""
    shapes, local = _scene_judge(story.variables, story.roles)(list(story.scenes.values()))
    return local + whole(Outline({sh.id: sh for sh in shapes}, story.roles), story.variables)


class Judge:
    """The analyses of one scene alone (empty text, impossible conditions, duplicate choices): they depend on
    nothing but the scene and the story's variables and roles, so the check cache keeps their results per file."""

    def __init__(self, variables: Mapping[str, Variable], roles: Mapping[str, Role]) -> None:
        self.variables = variables
        self.env = _bounds_env(variables)
        self.roles = set(roles)
        self.truths: dict[str, bool | None] = {}  # the same condition text is often written many times

    def never(self, cond: Condition) -> bool:
        truth = self.truths.get(cond.text, 0)
        if truth == 0:
            truth = self.truths[cond.text] = _truth(cond.node, self.env, self.roles)
        return truth is False

    def local(self, scene: Scene) -> list[Diagnostic]:
        out: list[Diagnostic] = []
        _scene_text(scene, out)
        for p in scene.paragraphs:
            if p.cond is not None and self.never(p.cond):
                _warn(
                    out,
                    p.cond.source,
                    "impossible-condition",
                    f"scene {scene.id}: this paragraph is never shown: its condition "
                    f"`{expr.unparse(p.cond.node)}` is always false{_bounds_note(self.variables, p.cond.node)}",
                )
        seen: dict[str, Choice] = {}
        for c in scene.choices:
            if c.cond is not None and self.never(c.cond):
                _warn(
                    out,
                    c.cond.source,
                    "impossible-condition",
                    f"scene {scene.id}: choice {c.index + 1} can never be taken: its condition "
                    f"`{expr.unparse(c.cond.node)}` is always false{_bounds_note(self.variables, c.cond.node)}",
                )
            key = " ".join(c.text.split())
            first = seen.get(key)
            if first is not None and key and not _exclusive(first, c, self.env, self.roles):
                _warn(
                    out,
                    c.source,
                    "duplicate-choice",
                    f"scene {scene.id}: choice {c.index + 1} has the same text as choice {first.index + 1} "
                    f"({_short(key)}): a player cannot tell them apart",
                )
            seen.setdefault(key, c)
        return out


def shape(scene: Scene, names: dict[str, frozenset[str]]) -> Shape:
    """A scene's Shape; `names` remembers the variables each condition text reads."""
    reads: set[str] = set()
    changes = {e.var for e in scene.on_enter}
    texts = [p.text for p in scene.paragraphs]
    conds = [p.cond for p in scene.paragraphs]
    effects = list(scene.on_enter)
    if scene.ending is not None:
        texts.append(scene.ending.epilogue)
    for c in scene.choices:
        changes.update(e.var for e in c.effects)
        texts.append(c.text)
        conds.append(c.cond)
        effects.extend(c.effects)
        paras = [*c.response, *(p for o in c.chance for p in o.response)]
        for o in c.chance:
            changes.update(e.var for e in o.effects)
            effects.extend(o.effects)
        texts.extend(p.text for p in paras)
        conds.extend(p.cond for p in paras)
    conds.extend(e.compute for e in effects)
    for cond in conds:
        if cond is not None:
            got = names.get(cond.text)
            if got is None:
                got = names[cond.text] = frozenset(expr.names(cond.node))
            reads |= got
    for text in texts:
        if "{" in text:
            reads |= expr.text_reads(text).names
    steps = tuple(
        Step(
            c.index,
            c.source.path,
            c.source.line,
            c.source.col,
            c.goto,
            c.call,
            tuple(o.goto for o in c.chance),
            c.targets,
        )
        for c in scene.choices
    )
    return Shape(
        scene.id,
        scene.source,
        scene.date,
        scene.ending.title if scene.ending is not None else None,
        steps,
        frozenset(reads),
        frozenset(changes),
    )


def whole(outline: Outline, variables: Mapping[str, Variable]) -> list[Diagnostic]:
    """The analyses that need every scene, made from their Shapes: reachability, variables never used or never
    changed, call and return, choices that go back in time."""
    out: list[Diagnostic] = []
    _reachability(outline, out)
    _variables(outline, variables, out)
    _calls(outline, out)
    # Each goto's date looked up in a compact table: on a large story, chasing targets is what costs.
    dates = {sid: sc.date for sid, sc in outline.scenes.items()}
    get = dates.get
    for scene in outline.scenes.values():
        day = scene.date
        for c in scene.choices:
            for t in c.targets:  # a loop, not a list per choice: most choices go forward
                d = get(t)
                if d is not None and d < day:
                    break
            else:
                continue
            when = min(d for t in c.targets if (d := get(t)) is not None and d < day)
            _warn(
                out,
                c.source,
                "time-backwards",
                f"scene {scene.id} ({scene.date.isoformat()}): choice {c.pos + 1} goes back in time to "
                f"{next(t for t in c.targets if dates.get(t) == when)} ({when.isoformat()}); fix one of the "
                "dates or the goto",
            )
    return out


def _warn(out: list[Diagnostic], src: Source, code: str, message: str) -> None:
    out.append(Diagnostic(src.path, src.line, src.col, "warning", code, message))


def _short(text: str, limit: int = 50) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _reachability(story: Outline, out: list[Diagnostic]) -> None:
    reached = graph.reachable(story, graph.role_starts(story))
    if len(reached) == len(story.scenes):
        return
    into: dict[str, set[str]] = {}
    for sid, targets in graph.successors(story).items():
        for target in targets:
            into.setdefault(target, set()).add(sid)
    for scene in story.scenes.values():
        if scene.id in reached:
            continue
        sources = sorted(into.get(scene.id, ()))
        why = (
            f"only unreachable scenes lead here ({', '.join(sources[:3])}{', ...' if len(sources) > 3 else ''})"
            if sources
            else "no choice leads here"
        )
        if scene.ending is not None:
            _warn(
                out,
                scene.source,
                "unreachable-ending",
                f"ending {scene.id} ({scene.ending!r}) cannot be reached from any role's start: {why}",
            )
        else:
            _warn(
                out,
                scene.source,
                "unreachable",
                f"scene {scene.id} cannot be reached from any role's start: {why}; add a goto to it "
                "or remove it",
            )


def _variables(story: Outline, variables: Mapping[str, Variable], out: list[Diagnostic]) -> None:
    read: set[str] = set()
    changed: set[str] = set()
    for scene in story.scenes.values():
        read |= scene.reads
        changed |= scene.changes
    for var in variables.values():
        # A variable shown in the toolbar is read by the player, even when no condition reads it.
        if var.name not in read and not var.show:
            _warn(
                out,
                var.source,
                "unused-variable",
                f"variable {var.name} is never used: no condition or {{placeholder}} reads it "
                "(and it is not shown); use it or remove it",
            )
        elif var.name not in changed:
            _warn(
                out,
                var.source,
                "unchanged-variable",
                f"variable {var.name} never changes: no set: or add: touches it, so it is always "
                f"{_value(var.start)}",
            )


def _has_calls(story: Outline) -> bool:
    for s in story.scenes.values():
        for c in s.choices:
            if c.call or c.goto == RETURN or (c.chance and RETURN in c.targets):
                return True
    return False


def _calls(story: Outline, out: list[Diagnostic]) -> None:
    """Call and return: a `goto: return` that can be reached with no call in progress, and a call whose scene
    can never come to a `goto: return`, each with the way there (conditions ignored)."""
    if not _has_calls(story):
        return

    def walk(start: str) -> dict[str, str | None]:
        parent: dict[str, str | None] = {start: None}
        todo = deque([start])
        while todo:
            sid = todo.popleft()
            for c in story.scenes[sid].choices:
                for t in graph.within_call(c):  # one level of calls: a call goes on at its goto
                    if t in story.scenes and t not in parent:
                        parent[t] = sid
                        todo.append(t)
        return parent

    def way(parent: dict[str, str | None], sid: str) -> str:
        path = [sid]
        while (up := parent[path[-1]]) is not None:
            path.append(up)
        return " -> ".join(reversed(path))

    def returns(sid: str) -> list[Step]:
        return [c for c in story.scenes[sid].choices if not c.call and RETURN in c.targets]

    reported: set[tuple[str, int]] = set()
    for key, role in story.roles.items():
        if role.start not in story.scenes:
            continue
        parent = walk(role.start)
        for sid in parent:
            for c in returns(sid):
                if (sid, c.pos) in reported:
                    continue
                reported.add((sid, c.pos))
                out.append(
                    Diagnostic(
                        c.source.path,
                        c.source.line,
                        c.source.col,
                        "error",
                        "return-without-call",
                        f"scene {sid}: choice {c.pos + 1} has goto: return, but the {key} role can reach it "
                        f"with no call in progress: {way(parent, sid)}; use call: on the way, or a goto to a "
                        "scene",
                    )
                )
    for s in story.scenes.values():
        for c in s.choices:
            if not c.call or c.call not in story.scenes:
                continue
            parent = walk(c.call)
            if not any(returns(sid) for sid in parent):
                out.append(
                    Diagnostic(
                        c.source.path,
                        c.source.line,
                        c.source.col,
                        "error",
                        "call-never-returns",
                        f"scene {s.id}: choice {c.pos + 1} calls {c.call}, but no goto: return can be reached "
                        f"from there (it leads to {_short(', '.join(sorted(parent)), 120)}), so play never "
                        f"comes back to {c.goto}; add a choice with goto: return",
                    )
                )


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, str) else str(value)


def _scene_text(scene: Scene, out: list[Diagnostic]) -> None:
    if not scene.paragraphs:
        _warn(out, scene.source, "empty-text", f"scene {scene.id} has no text: write what the player reads")
    elif all(p.cond is not None for p in scene.paragraphs):
        _warn(
            out,
            scene.source,
            "empty-text",
            f"scene {scene.id}: every paragraph has an if:, so the player may see no text at all; "
            "add one paragraph without a condition",
        )
    for c in scene.choices:
        if not c.text.strip():
            _warn(out, c.source, "empty-text", f"scene {scene.id}: choice {c.index + 1} has empty text")


def _exclusive(a: Choice, b: Choice, env: _Env, roles: set[str]) -> bool:
    """True when two choices can never be shown together (so sharing a text is fine)."""
    if a.cond is None or b.cond is None:
        return False
    na, nb = expr.strip_cols(a.cond.node), expr.strip_cols(b.cond.node)
    if na == expr.Unary("not", nb) or nb == expr.Unary("not", na):
        return True
    return _truth(expr.Binary("and", a.cond.node, b.cond.node), env, roles) is False


# --- deciding conditions from the variables' bounds ---------------------------------------------
# Each int (and bool, as 0/1) expression gets an interval [lo, hi], None meaning unbounded; a condition is
# decided True or False when the intervals settle it, None otherwise. `and` narrows the intervals by its
# left side before judging its right, so `bread > 3 and bread < 2` is found impossible too.

_Interval = tuple[int | None, int | None]
_Env = dict[str, _Interval]
_FLIP = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def _bounds_env(variables: Mapping[str, Variable]) -> _Env:
    env: _Env = {}
    for v in variables.values():
        if v.type == "int":
            env[v.name] = (v.min, v.max)
        elif v.type == "bool":
            env[v.name] = (0, 1)
    return env


def _interval(node: expr.Node, env: _Env) -> _Interval:
    if isinstance(node, (expr.Num, expr.Bool)):
        return (int(node.value), int(node.value))
    if isinstance(node, expr.Name):
        return env.get(node.name, (None, None))
    if isinstance(node, expr.Call) and node.func in expr.NUMBER_FUNCTIONS:
        return (None, None)  # min()/max(): not worked out
    if isinstance(node, expr.Call):
        return (0, 1) if node.func == "visited" else (0, None)
    if isinstance(node, expr.Unary) and node.op == "-":
        lo, hi = _interval(node.operand, env)
        return (None if hi is None else -hi, None if lo is None else -lo)
    if isinstance(node, expr.Binary) and node.op in ("+", "-", "*"):
        a, b = _interval(node.left, env), _interval(node.right, env)
        if node.op == "+":
            return (_add(a[0], b[0]), _add(a[1], b[1]))
        if node.op == "-":
            return (_add(a[0], None if b[1] is None else -b[1]), _add(a[1], None if b[0] is None else -b[0]))
        if None in a or None in b:
            return (None, None)
        corners = [x * y for x in a for y in b]  # type: ignore[operator]
        return (min(corners), max(corners))
    return (None, None)


def _add(x: int | None, y: int | None) -> int | None:
    return None if x is None or y is None else x + y


def _lt(x: int | None, y: int | None) -> bool:
    """x < y for bounds known on both sides (unknown is never less)."""
    return x is not None and y is not None and x < y


def _truth(node: expr.Node, env: _Env, roles: set[str]) -> bool | None:
    if isinstance(node, expr.Bool):
        return node.value
    if isinstance(node, expr.Name):
        lo, hi = env.get(node.name, (None, None))
        return True if lo == 1 else False if hi == 0 else None
    if isinstance(node, expr.Unary) and node.op == "not":
        inner = _truth(node.operand, env, roles)
        return None if inner is None else not inner
    if not isinstance(node, expr.Binary):
        return None
    if node.op == "and":
        left = _truth(node.left, env, roles)
        narrowed = _narrow(node.left, env)
        if left is False or narrowed is None:
            return False
        right = _truth(node.right, narrowed, roles)
        if right is False:
            return False
        return True if left and right else None
    if node.op == "or":
        left, right = _truth(node.left, env, roles), _truth(node.right, env, roles)
        if left or right:
            return True
        return False if left is False and right is False else None
    if node.op not in _FLIP:
        return None
    strings = _string_truth(node, roles)
    if strings is not None:
        return strings
    (a, b), (c, d) = _interval(node.left, env), _interval(node.right, env)
    op = node.op
    if op in (">", ">="):
        (a, b), (c, d), op = (c, d), (a, b), _FLIP[op]
    if op == "<":
        return True if _lt(b, c) else False if not _lt(a, d) and a is not None and d is not None else None
    if op == "<=":
        return True if not _lt(c, b) and b is not None and c is not None else False if _lt(d, a) else None
    equal = a is not None and a == b == c == d
    apart = _lt(b, c) or _lt(d, a)
    result = True if equal else False if apart else None
    return result if op == "==" or result is None else not result


def _string_truth(node: expr.Binary, roles: set[str]) -> bool | None:
    """`role == 'kadet'` with no such role is never true; two string constants compare as they are."""
    left, right = node.left, node.right
    if isinstance(left, expr.Str) and not isinstance(right, expr.Str):
        left, right = right, left
    if not isinstance(right, expr.Str) or node.op not in ("==", "!="):
        return None
    if isinstance(left, expr.Str):
        same = left.value == right.value
    elif isinstance(left, expr.Name) and left.name == "role" and right.value not in roles:
        same = False
    else:
        return None
    return same if node.op == "==" else not same


def _narrow(node: expr.Node, env: _Env) -> _Env | None:
    """The bounds once `node` is known true (None: it cannot be); only simple comparisons narrow."""
    if isinstance(node, expr.Binary) and node.op == "and":
        first = _narrow(node.left, env)
        return None if first is None else _narrow(node.right, first)
    if isinstance(node, expr.Name) and node.name in env:
        return _clip(env, node.name, 1, 1)
    if (
        isinstance(node, expr.Unary)
        and node.op == "not"
        and isinstance(node.operand, expr.Name)
        and node.operand.name in env
    ):
        return _clip(env, node.operand.name, 0, 0)
    if not isinstance(node, expr.Binary) or node.op not in _FLIP:
        return env
    op, var, other = node.op, node.left, node.right
    if not (isinstance(var, expr.Name) and var.name in env):
        op, var, other = _FLIP[op], node.right, node.left
        if not (isinstance(var, expr.Name) and var.name in env):
            return env
    c, d = _interval(other, env)
    if op == ">":
        return _clip(env, var.name, None if c is None else c + 1, None)
    if op == ">=":
        return _clip(env, var.name, c, None)
    if op == "<":
        return _clip(env, var.name, None, None if d is None else d - 1)
    if op == "<=":
        return _clip(env, var.name, None, d)
    if op == "==":
        return _clip(env, var.name, c, d)
    lo, hi = env[var.name]
    if c is not None and c == d and c in (lo, hi):
        return _clip(env, var.name, c + 1 if c == lo else None, c - 1 if c == hi else None)
    return env


def _clip(env: _Env, name: str, lo: int | None, hi: int | None) -> _Env | None:
    old_lo, old_hi = env[name]
    new_lo = old_lo if lo is None else lo if old_lo is None else max(old_lo, lo)
    new_hi = old_hi if hi is None else hi if old_hi is None else min(old_hi, hi)
    if _lt(new_hi, new_lo):
        return None
    return {**env, name: (new_lo, new_hi)}


def _bounds_note(variables: Mapping[str, Variable], node: expr.Node) -> str:
    """' (bread is 0..10)': the bounds that decide it, for the author to check."""
    parts = []
    for name in sorted(expr.names(node)):
        var = variables.get(name)
        if var is not None and var.type == "int" and (var.min is not None or var.max is not None):
            lo = "-inf" if var.min is None else var.min
            hi = "inf" if var.max is None else var.max
            parts.append(f"{name} is {lo}..{hi}")
    return f" ({', '.join(parts)})" if parts else ""


class Store(Protocol):
    """What a check cache answers (engine/checkcache.py's Store)."""

    def reuse(self, path: Path) -> loader.Part | None: ...
    def local_of(self, part: loader.Part) -> list[Diagnostic] | None: ...
    def shapes_of(self, part: loader.Part) -> list[Shape]: ...
    def keep(self, part: loader.Part, shapes: list[Shape], local: list[Diagnostic]) -> None: ...
    def whole_again(self, fresh: dict[str, list[Shape]]) -> list[Diagnostic] | None: ...
    def keep_whole(self, found: list[Diagnostic], shapes: dict[str, Shape]) -> None: ...
    def save(self) -> None: ...


def load_and_analyse(story_dir: Path, store: Store | None = None) -> tuple[Story | None, list[Diagnostic]]:
    """The story folder loaded, and its diagnostics with the analysis's (when it loads). With a check cache
    (engine/checkcache.py), unchanged files are neither read nor judged again; on a large story, a second
    process reads and judges half of the files (loader._read_in_child)."""
    story, diags, parts = loader.load_parts(
        story_dir, reuse=store.reuse if store is not None else None, analyse=JUDGING
    )
    if story is None:
        return None, diags
    judge = _part_judge(story.variables, story.roles)
    out = list(diags)
    fresh: dict[str, list[Shape]] = {}  # file -> the outlines of its scenes, for the files judged now
    kept: list[loader.Part] = []  # the files whose outlines are in the cache
    for part in parts:
        got = part.analysis  # judged by the process that read it
        if got is None and part.scenes is None and store is not None:
            local = store.local_of(part)  # unchanged since the last check
            if local is not None:
                out.extend(local)
                kept.append(part)
                continue
        if got is None:
            if part.scenes is None:  # a damaged cache entry: read the file again
                part.scenes = [story.scenes[sid] for sid, _ in part.ids]
            got = judge(part)
        if store is not None:
            store.keep(part, *got)
        fresh[part.path] = got[0]
        out.extend(got[1])
    # The whole-story analyses: the last check's, when no file's outlines changed but for where they stand in
    # their files (an edit to text); else made again from every scene's outline.
    found = store.whole_again(fresh) if store is not None else None
    if found is None:
        shapes = {sh.id: sh for part in kept if store is not None for sh in store.shapes_of(part)}
        shapes.update((sh.id, sh) for file_shapes in fresh.values() for sh in file_shapes)
        found = whole(Outline({sid: shapes[sid] for sid in story.scenes}, story.roles), story.variables)
        if store is not None:
            store.keep_whole(found, shapes)
    out.extend(found)
    if store is not None:
        store.save()
    return story, out


def shape_row(s: Shape) -> list[Any]:
    """A Shape as plain data (its file's path left out), for the check cache and the second process."""
    return [
        s.id,
        s.source.line,
        s.source.col,
        s.date.toordinal(),
        s.ending,
        sorted(s.reads),
        sorted(s.changes),
        [[c.pos, c.line, c.col, c.goto, c.call, list(c.chance), list(c.targets)] for c in s.choices],
    ]


def shape_from_row(path: str, row: list[Any]) -> Shape:
    # No conversions: the check cache's checksums, or our own child process, vouch for the types.
    sid, line, col, day, ending, reads, changes, steps = row
    return Shape(
        sid,
        Source(path, line, col),
        _dt.date.fromordinal(day),
        ending,
        tuple(
            Step(i, path, ln, cl, goto, call, tuple(chance), tuple(targets))
            for i, ln, cl, goto, call, chance, targets in steps
        ),
        frozenset(reads),
        frozenset(changes),
    )


class _Judging:
    """The one-scene analyses as a loader.Analysis: made, packed and unpacked for a second process."""

    def judge(
        self, variables: Mapping[str, Variable], roles: Mapping[str, Role]
    ) -> Callable[[loader.Part], tuple[list[Shape], list[Diagnostic]]]:
        return _part_judge(variables, roles)

    def pack(self, result: tuple[list[Shape], list[Diagnostic]]) -> Any:
        shapes, local = result
        return [shape_row(sh) for sh in shapes], [loader.diag_row(d, "") for d in local]

    def unpack(self, path: str, plain: Any) -> tuple[list[Shape], list[Diagnostic]]:
        shapes, local = plain
        return [shape_from_row(path, row) for row in shapes], [loader.diag_from_row(path, d) for d in local]


JUDGING = _Judging()


def _scene_judge(
    variables: Mapping[str, Variable], roles: Mapping[str, Role]
) -> Callable[[list[Scene]], tuple[list[Shape], list[Diagnostic]]]:
    """The one-scene analyses of some scenes, and their Shapes."""
    judge = Judge(variables, roles)
    names: dict[str, frozenset[str]] = {}

    def run(scenes: list[Scene]) -> tuple[list[Shape], list[Diagnostic]]:
        return [shape(sc, names) for sc in scenes], [d for sc in scenes for d in judge.local(sc)]

    return run


def _part_judge(
    variables: Mapping[str, Variable], roles: Mapping[str, Role]
) -> Callable[[loader.Part], tuple[list[Shape], list[Diagnostic]]]:
    """The same for a file's scenes (what JUDGING.judge gives the loader)."""
    run = _scene_judge(variables, roles)
    return lambda part: run(part.scenes or [])


def run(story_dir: Path) -> list[Diagnostic]:
    """The story's diagnostics and analysis, sorted. (`dualpower check` adds the assignments' own: see
    engine.commands.cmd_check.)"""
    return sorted(load_and_analyse(story_dir)[1], key=sort_key)


def report(diags: list[Diagnostic], fmt: str, strict: bool, out: TextIO) -> int:
    if fmt == "json":
        json.dump([d.to_dict() for d in diags], out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        for d in diags:
            out.write(f"{d}\n")
        out.write(f"{summary(diags)}\n")
    failed = any(d.severity == "error" for d in diags) or (strict and bool(diags))
    return 1 if failed else 0

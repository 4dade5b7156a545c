"""Automated playthroughs: random runs (reproducible by seed) and an exhaustive walk over distinct game states.

Both find stuck states (a scene that is not an ending, with no open choice) and loops that never reach an
ending, each with the path of choice texts that leads there. Pure: no I/O; `PlaytestResult.to_dict()` is the
JSON contract of `dualpower playtest --format json` and `format_text` its text report.

Play here follows engine.runtime exactly (new_game, then what runtime.take does) but on per-scene tables
prepared once, so a story of a few hundred scenes plays well over 250,000 choices a second. The exhaustive walk
merges states no later choice can tell apart (live variables and int value classes per scene: see _live_sets).
"""

from __future__ import annotations

import dataclasses
import heapq
import pickle
import random
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from engine import cores, graph, runtime
from engine.expr import Binary, Name, Num, Unary, calls, names, scene_named, text_reads
from engine.model import RETURN, Effect, Scene, Story
from engine.state import GameState, seed_rng
from engine.text import has_braces

RUNS = 100
FAR = 1 << 30
"""A focused walk's distance for a scene that leads to none of the scenes it looks at (taken last)."""
FOCUS_CAP = 100_000
"""States a focused walk (see _settle) visits per role at most: it bounds the time; what it found counts."""
WANDER = 0.2
"""How often a random run takes any open choice instead of the one taken least often so far. Always preferring
the least-taken choice covers every choice quickly, but in lockstep: two choices in different chapters can be
taken on alternate runs forever, so a path that needs both is never played. Wandering now and then breaks the
lockstep."""
STEP_CAP = 2000
"""A run that makes this many choices without an ending is reported as a loop."""
STATE_CAP = 1_000_000
"""The exhaustive walk stops (and says so) after this many distinct states per role."""
LOOP_TAIL = 50
"""The scenes of a capped run's last this-many steps are taken as its loop."""


# --- conditions, as the rules test them ----------------------------------------------------------


class _Counting(runtime.Rules):
    """The game's rule book, with each compiled choice condition wrapped to note whether it came out true or
    false (by the choice's key); nothing else differs, so runs play exactly as with runtime.rules(story). Once
    every condition of a scene has come out both ways, the scene's unwrapped plan takes its place, so counting
    costs nothing more there."""

    __slots__ = ("true", "false", "_raw", "_pending")

    def __init__(self, story: Story) -> None:
        super().__init__(story)
        self.true: set[str] = set()
        self.false: set[str] = set()
        self._raw: dict[str, runtime.Plan] = {}
        self._pending: dict[str, set[str]] = {}

    def _plan(self, s: Any) -> runtime.Plan:
        plan = runtime.rules(self.story).plan(s.id)  # the story's own rule book's plan, made once per process
        pending = {m.key for m in plan.moves if m.test is not None}
        if not pending:
            return plan
        self._raw[s.id], self._pending[s.id] = plan, pending
        moves = tuple(
            m if m.test is None else dataclasses.replace(m, test=self._noted(m.test, m.key, s.id))
            for m in plan.moves
        )
        return dataclasses.replace(plan, moves=moves)

    def _noted(self, test: Callable[[Any], Any], key: str, scene_id: str) -> Callable[[Any], Any]:
        true, false = self.true, self.false

        def settle() -> None:
            pending = self._pending[scene_id]
            pending.discard(key)
            if not pending:
                self._plans[scene_id] = self._raw[scene_id]

        def noted(state: Any) -> Any:
            got = test(state)
            if got:
                if key not in true:
                    true.add(key)
                    if key in false:
                        settle()
            elif key not in false:
                false.add(key)
                if key in true:
                    settle()
            return got

        return noted


def _paragraph_key(scene_id: str, n: int) -> str:
    return f"{scene_id}@{n}"


# --- what a run reads ----------------------------------------------------------------------------


_Table = tuple[int, tuple[tuple[Any, int, str], ...], tuple[tuple[Any, "_Deps", str], ...]]
"""A scene's words as _Words prepares them (see _Words.scenes)."""


class _Words:
    """Words read, per scene and per choice text, as runtime.paragraphs and runtime.interpolate would give them
    (reporting only; what is open and what a choice does come from runtime.Rules). Each scene is prepared once
    into a table: the words of its always-shown plain paragraphs (and epilogue) as one number, then only the
    paragraphs that depend on the state: a condition to test, and a count, or the text when a placeholder or
    inline markup must be filled in first (its count remembered by the values it reads: see _Deps). Until every
    condition of a scene has come out both ways, `scene` also notes how each came out; after, the scene's table
    is in `ready`, which _play counts from itself (the hot path: no call, nothing to note)."""

    __slots__ = ("story", "scenes", "ready", "choices", "book", "filled")

    def __init__(self, story: Story, book: _Counting, tables: dict[str, _Table] | None = None) -> None:
        self.story = story
        self.book = book
        """Where the paragraph conditions' outcomes are noted, beside the choices'."""
        self.scenes: dict[str, _Table] = {} if tables is None else tables
        """Scene id -> (fixed words, ((condition, words, key) of plain conditional paragraphs), ((condition or
        None, the text's _Deps, key) of paragraphs to fill in)). Only the story decides these, so the streams
        a process plays share them."""
        self.ready: dict[str, tuple[int, tuple[tuple[Any, int], ...], tuple[tuple[Any, _Deps], ...]]] = {}
        """Scene id -> its table without the keys, once nothing is left to note there: its words never depend
        on the state, or every condition in it has come out both ways."""
        self.choices: dict[str, int] = {}
        """Choice key -> words, or -1 when they depend on the state or on a chance outcome (see `choice`)."""
        self.filled: dict[tuple[Any, ...], int] = {}
        """(text, the values it reads) -> its words once filled in."""

    def _table(self, scene: Scene) -> _Table:
        fixed = runtime.words(scene.ending.epilogue) if scene.ending is not None else 0
        shown_if: list[tuple[Any, int, str]] = []
        filled: list[tuple[Any, _Deps, str]] = []
        for n, p in enumerate(scene.paragraphs):
            test = p.cond.test if p.cond is not None else None
            key = _paragraph_key(scene.id, n)
            if has_braces(p.text):
                filled.append((test, _Deps(p.text), key))
            elif test is None:
                fixed += runtime.words(p.text)
            else:
                shown_if.append((test, runtime.words(p.text), key))
        table = self.scenes[scene.id] = (fixed, tuple(shown_if), tuple(filled))
        return table

    def _settle(self, sid: str) -> None:
        fixed, shown_if, filled = self.scenes[sid]
        self.ready[sid] = (
            fixed,
            tuple((test, n) for test, n, _key in shown_if),
            tuple((test, deps) for test, deps, _key in filled),
        )

    def scene(self, state: GameState, plan: runtime.Plan) -> int:
        """The words of the scene shown now, each condition's outcome noted (by its key) for the report."""
        sid = plan.scene.id
        read, shown_if, filled = self.scenes.get(sid) or self._table(plan.scene)
        true, false = self.book.true, self.book.false
        varied = True
        for test, n, key in shown_if:
            if test(state):
                read += n
                true.add(key)
            else:
                false.add(key)
            varied = varied and key in true and key in false
        for test, deps, key in filled:
            if test is not None:
                holds = test(state)
                (true if holds else false).add(key)
                varied = varied and key in true and key in false
                if not holds:
                    continue
            read += self.fill(state, deps, sid)
        if varied:  # every paragraph condition here has come out both ways (or it has none): nothing to note
            self._settle(sid)
        return read

    def fill(self, state: GameState, deps: _Deps, scene_id: str) -> int:
        key = deps.key(state, scene_id)
        n = self.filled.get(key)
        if n is None:
            n = runtime.words(runtime.interpolate(self.story, state, deps.text, scene_id))
            if key[0] is not None:
                self.filled[key] = n
        return n

    def choice(self, move: runtime.Move) -> int:
        """The words of a choice the player reads when taking it (its text, then its response), when they never
        depend on the state and taking it needs no draw; else -1 (see `said` and `response`)."""
        key = move.key
        n = self.choices.get(key)
        if n is None:
            c = move.choice
            varies = has_braces(c.text) or any(p.cond is not None or has_braces(p.text) for p in c.response)
            n = self.choices[key] = (
                -1
                if varies or move.branches
                else runtime.words(c.text) + sum(runtime.words(p.text) for p in c.response)
            )
        return n

    def said(self, state: GameState, move: runtime.Move) -> int:
        """The words of a choice's text as shown before it is taken (as runtime.take fills it in)."""
        return runtime.words(runtime.interpolate(self.story, state, move.choice.text))

    def response(self, state: GameState, move: runtime.Move, branch: runtime.Branch | None, here: str) -> int:
        """The words of the response, as runtime.take shows it: after the choice's effects, with the chance
        outcome's own response."""
        said = [*move.choice.response, *(branch.outcome.response if branch else ())]
        return sum(runtime.words(t) for t in runtime.shown_paragraphs(self.story, state, said, here))


class _Deps:
    """What filling in a text reads: the variables its placeholders and inline conditions name, the scenes its
    conditions ask visits of, and (for `{seq}`/`{cycle}`) the visits of the scene it is in. Two states that agree
    on these fill it in alike, so its word count is remembered by them."""

    __slots__ = ("text", "names", "scenes", "counts")

    def __init__(self, text: str) -> None:
        reads = text_reads(text)
        self.text = text if reads.whole else ""  # "": never remembered (see key)
        self.names = tuple(sorted(reads.names))
        self.scenes = tuple(sorted(reads.scenes))
        self.counts = reads.counts

    def key(self, state: GameState, scene_id: str) -> tuple[Any, ...]:
        if not self.text:
            return (None,)
        get, visits = state.vars.get, state.visits.get
        return (
            self.text,
            state.role,
            *[get(n) for n in self.names],
            *[visits(s, 0) for s in self.scenes],
            visits(scene_id, 0) if self.counts else 0,
        )


# --- results ------------------------------------------------------------------------------------


@dataclass(slots=True)
class Trouble:
    """A stuck state, or a loop no ending can be reached from, and the way there."""

    kind: str
    """'stuck' or 'loop'."""
    role: str
    scene: str
    path: list[str]
    """The choice texts, as the player read them, from the role's start to `scene`."""
    loop: list[str] = field(default_factory=list)
    """For a loop: the scenes it goes round."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scene": self.scene, "role": self.role, "path": list(self.path)}
        if self.kind == "loop":
            out["loop"] = list(self.loop)
        return out


@dataclass(frozen=True, slots=True)
class Spot:
    """A place in the story files for the report: a choice never taken, or a condition that never varied."""

    where: str
    """'file:line', the file relative to the story folder."""
    scene: str
    text: str
    """The choice's text, or the condition as written."""


@dataclass(slots=True)
class Run:
    """One random run as played (kept when random_runs is asked to): the choices made, in order, as
    (scene, choice index), how it ended, the final game state and the words read."""

    role: str
    outcome: str
    """'ending', 'stuck' or 'loop' (the step cap was reached)."""
    path: list[tuple[str, int]]
    state: GameState
    words: int


@dataclass(slots=True)
class RoleResult:
    runs: int = 0
    words: list[int] = field(default_factory=list)
    """Words read on each run that reached an ending."""
    endings: dict[str, int] = field(default_factory=dict)
    scenes: list[str] = field(default_factory=list)
    """The scenes this role's gotos can reach."""
    reached: set[str] = field(default_factory=set)
    states: int = 0

    def word_summary(self) -> dict[str, int]:
        if not self.words:
            return {"min": 0, "median": 0, "max": 0}
        return {"min": min(self.words), "median": median(self.words), "max": max(self.words)}


def median(values: list[int]) -> int:
    """The median of whole numbers (>= 0), rounded down: statistics.median would cost the command a tenth of its
    start-up (it imports fractions and decimal)."""
    s = sorted(values)
    half = len(s) // 2
    return s[half] if len(s) % 2 else (s[half - 1] + s[half]) // 2


@dataclass(slots=True)
class PlaytestResult:
    mode: str
    """'random' or 'exhaustive'."""
    seed: int
    runs: int = 0
    steps: int = 0
    """Choices made (random) or followed (exhaustive)."""
    scenes: list[str] = field(default_factory=list)
    """The scenes in play (all, or those the chosen role can reach), in story order."""
    files: dict[str, list[str]] = field(default_factory=dict)
    """Scene file -> its scenes in play."""
    reached: set[str] = field(default_factory=set)
    endings: dict[str, int] = field(default_factory=dict)
    stuck: list[Trouble] = field(default_factory=list)
    loops: list[Trouble] = field(default_factory=list)
    roles: dict[str, RoleResult] = field(default_factory=dict)
    states: int = 0
    capped: list[str] = field(default_factory=list)
    """Roles whose exhaustive walk stopped at the state cap (their loop search was skipped)."""
    cap: int = 0
    """The exhaustive walk's state cap per role."""
    reduction: dict[str, Any] = field(default_factory=dict)
    """The exhaustive walk's state reduction: how much of the game state a walk state keeps (see _Walk.tracked)."""
    played: list[Run] = field(default_factory=list)
    """Every random run, when random_runs(keep_runs=True) was asked for them (not part of the JSON)."""
    where: dict[str, str] = field(default_factory=dict)
    """Scene id -> 'file:line' of each scene in play."""
    choices: int = 0
    """Choices in the scenes in play."""
    never_taken: list[Spot] = field(default_factory=list)
    """Choices in play that no run (or no step of the walk) took, in story order."""
    never_true: list[Spot] = field(default_factory=list)
    """Conditions tested at least once and never true."""
    never_false: list[Spot] = field(default_factory=list)
    """Conditions tested at least once and never false."""
    rare: list[Spot] = field(default_factory=list)
    """Conditions that came out one way in every random run, but that a focused walk found the other way too:
    they vary, on paths few players take (see _settle)."""

    @property
    def ok(self) -> bool:
        return not self.stuck and not self.loops

    @property
    def unreached(self) -> list[str]:
        return [s for s in self.scenes if s not in self.reached]

    def strict_ok(self) -> bool:
        """`playtest --strict`: no stuck state, no loop, and every scene and ending in play reached."""
        return self.ok and not self.unreached

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "runs": self.runs,
            "seed": self.seed,
            "steps": self.steps,
            "scenes": {
                "total": len(self.scenes),
                "reached": len(self.scenes) - len(self.unreached),
                "unreached": self.unreached,
            },
            "endings": dict(self.endings),
            "stuck": [t.to_dict() for t in self.stuck],
            "roles": {
                k: {"runs": r.runs, "words": r.word_summary(), "endings": dict(r.endings)}
                for k, r in self.roles.items()
            },
            "mode": self.mode,
            "loops": [t.to_dict() for t in self.loops],
            "unreached": [{"scene": sid, "where": self.where[sid]} for sid in self.unreached],
            "choices": {
                "total": self.choices,
                "taken": self.choices - len(self.never_taken),
                "never_taken": [
                    {"where": c.where, "scene": c.scene, "text": c.text} for c in self.never_taken
                ],
            },
            "conditions": {
                "never_true": [{"where": c.where, "if": c.text} for c in self.never_true],
                "never_false": [{"where": c.where, "if": c.text} for c in self.never_false],
                "rare": [{"where": c.where, "if": c.text} for c in self.rare],
            },
        }
        if self.mode == "exhaustive":
            out["states"] = self.states
            out["capped"] = list(self.capped)
            out["cap"] = self.cap
            out["reduction"] = dict(self.reduction)
            for k, r in self.roles.items():
                out["roles"][k]["states"] = r.states
        return out


def _frame(story: Story, roles: list[str], mode: str, seed: int) -> PlaytestResult:
    """An empty result: the scenes, files and endings in play for these roles, every count at zero."""
    # With every role, every scene is in play (check reports those no goto reaches); with one, its reach.
    keep = (
        None
        if len(roles) == len(story.roles)
        else graph.reachable(story, [story.roles[r].start for r in roles])
    )
    scenes = [s for s in story.scenes.values() if keep is None or s.id in keep]
    result = PlaytestResult(mode, seed, scenes=[s.id for s in scenes])
    for s in scenes:
        result.where[s.id] = _at(story, s.source)
        result.files.setdefault(s.file, []).append(s.id)
        if s.ending is not None:
            result.endings[s.id] = 0
    for r in roles:
        mine = graph.reachable(story, [story.roles[r].start])
        result.roles[r] = RoleResult(
            scenes=[s.id for s in scenes if s.id in mine],
            endings={s.id: 0 for s in scenes if s.id in mine and s.ending is not None},
        )
    return result


Pick = tuple[str, int, int | None]
"""A step of a path: the scene, the choice's index there, and the chance outcome taken (None for no draw)."""


def _texts(story: Story, role: str, path: list[Pick]) -> list[str]:
    """The choice texts of a path as the player read them (played again by the rule book, each chance outcome
    as the path took it)."""
    state = runtime.new_game(story, role)
    book = runtime.rules(story)
    out = []
    for _scene_id, index, branch in path:
        move = book.plan(state.scene).moves[index]
        out.append(runtime.interpolate(story, state, move.choice.text))
        book.advance(state, move, branch)
    return out


def _add_trouble(
    found: dict[tuple[str, str], tuple[Trouble, list[Pick]]],
    kind: str,
    role: str,
    scene: str,
    path: list[Pick],
    loop: list[str] | None = None,
) -> None:
    """Keep the shortest path per (kind, scene); texts are filled in later, once per kept trouble."""
    old = found.get((kind, scene))
    if old is None or len(path) < len(old[1]):
        found[(kind, scene)] = (Trouble(kind, role, scene, [], sorted(loop or [])), path)


def _at(story: Story, source: Any) -> str:
    return f"{graph.file_label(story, source.path)}:{source.line}"


def _finish(
    story: Story,
    result: PlaytestResult,
    found: dict[tuple[str, str], tuple[Trouble, list[Pick]]],
    true: set[str],
    false: set[str],
    taken: set[str] | dict[str, int],
    settled: frozenset[str] | set[str] = frozenset(),
) -> PlaytestResult:
    order = {sid: n for n, sid in enumerate(story.scenes)}
    for (kind, _scene), (trouble, path) in sorted(found.items(), key=lambda kv: (order[kv[0][1]], kv[0][0])):
        trouble.path = _texts(story, trouble.role, path)
        (result.stuck if kind == "stuck" else result.loops).append(trouble)
    for role in result.roles.values():
        result.reached |= role.reached
    result.reached &= set(result.scenes)
    for sid in result.scenes:
        sc = story.scenes[sid]
        conds = [(_paragraph_key(sid, n), p.cond) for n, p in enumerate(sc.paragraphs) if p.cond is not None]
        for c in sc.choices:
            key = f"{sid}#{c.index}"
            result.choices += 1
            if key not in taken:
                result.never_taken.append(Spot(_at(story, c.source), sid, c.text))
            if c.cond is not None:
                conds.append((key, c.cond))
        for key, cond in conds:
            if key not in true and key not in false:
                continue  # never tested: its scene was never reached (listed as such) or its choice used up
            spot = Spot(
                _at(story, cond.source if cond.source.path != "<story>" else sc.source), sid, cond.text
            )
            if key in settled:
                result.rare.append(spot)
            elif key not in true:
                result.never_true.append(spot)
            elif key not in false:
                result.never_false.append(spot)
    return result


def _roles(story: Story, role: str | None) -> list[str]:
    if role is not None and role not in story.roles:
        raise ValueError(f"unknown role {role!r}; the roles are {', '.join(story.roles)}")
    return [role] if role is not None else list(story.roles)


# --- random runs --------------------------------------------------------------------------------


def random_runs(
    story: Story,
    runs: int = RUNS,
    seed: int = 0,
    role: str | None = None,
    step_cap: int = STEP_CAP,
    keep_runs: bool = False,
    settle: bool = False,
) -> PlaytestResult:
    """`runs` playthroughs, round-robin over the roles (or only `role`). Each picks among the open choices one
    taken least often so far (across its stream's runs: see _streams), ties broken by a random.Random seeded by
    `seed`, the role and the stream: the same seed, the same result. Streams are played apart (their own counts
    and random draws), so on a machine with two cores a second process plays some of them, with the same result
    as one process. With `settle`, a condition the runs saw only one way is looked for the other way by a
    focused walk (_settle)."""
    roles = _roles(story, role)
    streams = _streams(roles, runs, seed)

    def play(group: list[_Stream]) -> list[_StreamRuns]:
        chance = any(c.chance for sc in story.scenes.values() for c in sc.choices)
        tables: dict[str, _Table] = {}
        return [_stream_runs(story, st, step_cap, keep_runs, chance, tables) for st in group]

    parts = _in_two(play, story, streams) if _in_parallel(streams, runs) else play(streams)
    result = _frame(story, roles, "random", seed)
    result.runs = runs
    found: dict[tuple[str, str], tuple[Trouble, list[Pick]]] = {}
    true: set[str] = set()
    false: set[str] = set()
    counts: dict[str, int] = {}
    played: list[tuple[int, Run]] = []
    for part in sorted(parts, key=lambda p: (roles.index(p.role), p.stream)):
        mine = result.roles[part.role]
        mine.runs += part.stats.runs
        mine.words.extend(part.stats.words)
        mine.reached |= part.stats.reached
        for sid, n in part.stats.endings.items():
            mine.endings[sid] = mine.endings.get(sid, 0) + n
            result.endings[sid] = result.endings.get(sid, 0) + n
        result.steps += part.steps
        for k, (trouble, path) in part.found.items():  # found by two streams: the shorter way, else the first
            if k not in found or len(path) < len(found[k][1]):
                found[k] = (trouble, path)
        true |= part.true
        false |= part.false
        for choice, taken in part.counts.items():
            counts[choice] = counts.get(choice, 0) + taken
        played.extend(part.played)
    result.played = [r for _n, r in sorted(played, key=lambda nr: nr[0])]
    settled = _settle(story, roles, true, false) if settle else set()
    return _finish(story, result, found, true, false, counts, settled)


def _settle(story: Story, roles: list[str], true: set[str], false: set[str]) -> set[str]:
    """The conditions the runs saw only one way that some path turns the other way: one exhaustive walk that
    also keeps what those paragraph conditions read (choice conditions are judged in every walk state anyway),
    run for each role that reaches one of them, noting how they come out in every state it visits. It takes the
    states nearest the scenes of those conditions first, and stops once every one of them has come out both
    ways (nothing more could be settled). Every state visited is one the game can reach, so an outcome seen is
    a real one even when the walk stops at FOCUS_CAP states (the cap only bounds the time; what it did not find
    stays listed as never true or never false). Adds the outcomes found to `true` and `false`; returns the keys
    settled."""
    one_way = true ^ false
    if not one_way:
        return set()
    walk = _Walk(story, focus=frozenset(k for k in one_way if "@" in k))
    toward = _distances(story, {_key_scene(k) for k in one_way})
    seen_true, seen_false = walk.book.true, walk.book.false
    left = sorted(one_way)

    def done() -> bool:  # each key is let go once, when it has come out both ways
        while left and left[-1] in seen_true and left[-1] in seen_false:
            left.pop()
        return not left

    for role in roles:
        reach = graph.reachable(story, [story.roles[role].start])
        if any(_key_scene(k) in reach for k in one_way) and not done():
            walk.run(role, FOCUS_CAP, _frame(story, [role], "exhaustive", 0), {}, toward, done)
    settled = {k for k in one_way if k in walk.book.true and k in walk.book.false}
    true |= settled
    false |= settled
    return settled


def _distances(story: Story, targets: set[str]) -> dict[str, int]:
    """Scene -> the fewest choices from it to one of `targets` (scenes that lead to none are left out)."""
    back: dict[str, list[str]] = {}
    for sid, nexts in graph.successors(story).items():
        for t in nexts:
            back.setdefault(t, []).append(sid)
    out = {t: 0 for t in targets if t in story.scenes}
    todo = deque(out)
    while todo:
        sid = todo.popleft()
        for p in back.get(sid, ()):
            if p not in out:
                out[p] = out[sid] + 1
                todo.append(p)
    return out


def _key_scene(key: str) -> str:
    """The scene of a condition's key ('scene#choice' or 'scene@paragraph')."""
    return key.split("#", 1)[0].split("@", 1)[0]


class _Stream(NamedTuple):
    """Runs of one role that share their choice counts and their random draws (see _streams)."""

    role: str
    number: int
    runs: range
    """The run numbers (their order in the report)."""
    seed: str
    """What the stream's random.Random is seeded with."""


def _streams(roles: list[str], runs: int, seed: int) -> list[_Stream]:
    """The runs, round-robin over the roles, as streams: one per role, or from PARALLEL_RUNS runs two per role
    (every other run of the role in each), so that two processes share the work evenly even with three roles.
    Which runs make a stream depends only on `runs`, never on the machine: one process or two, the same result."""
    per_role = 2 if runs >= PARALLEL_RUNS else 1
    out = []
    for i, key in enumerate(roles):
        mine = range(i, runs, len(roles))
        for n in range(per_role):
            out.append(
                _Stream(key, n, mine[n::per_role], f"{seed}/{key}" + (f"/{n}" if per_role > 1 else ""))
            )
    return out


@dataclass(slots=True)
class _StreamRuns:
    """One stream's runs, as a process sends them back."""

    role: str
    stats: RoleResult
    stream: int = 0
    steps: int = 0
    found: dict[tuple[str, str], tuple[Trouble, list[Pick]]] = field(default_factory=dict)
    """(kind, scene) -> the trouble and its shortest path (the first found of that length)."""
    true: set[str] = field(default_factory=set)
    false: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    played: list[tuple[int, Run]] = field(default_factory=list)


def _stream_runs(
    story: Story, stream: _Stream, step_cap: int, keep_runs: bool, chance: bool, tables: dict[str, _Table]
) -> _StreamRuns:
    key = stream.role
    book = _Counting(story)
    words = _Words(story, book, tables)
    part = _StreamRuns(key, RoleResult(), stream.number)
    stats = part.stats
    tallies: dict[str, list[int]] = {}
    rng = random.Random(stream.seed)
    start = runtime.new_game(story, key)
    for n in stream.runs:
        stats.runs += 1
        outcome, state, path, read = _play(story, book, words, start, tallies, rng, step_cap, chance)
        part.steps += len(path)
        stats.reached.update(state.visits)
        if keep_runs:
            part.played.append(
                (n, Run(key, outcome, [(sc, m.choice.index) for m, sc, _ in path], state, read))
            )
        if outcome == "ending":
            stats.words.append(read)
            stats.endings[state.scene] = stats.endings.get(state.scene, 0) + 1
            continue
        pairs = [(scene, c.choice.index, branch) for c, scene, branch in path]
        if outcome == "stuck":
            _add_trouble(part.found, "stuck", key, state.scene, pairs)
        else:
            steps, loop = _loop_entry([scene for _c, scene, _b in path] + [state.scene])
            where = path[steps][1] if steps < len(path) else state.scene
            _add_trouble(part.found, "loop", key, where, pairs[:steps], loop)
    part.true, part.false = book.true, book.false
    part.counts = {
        f"{sid}#{i}": taken for sid, tally in tallies.items() for i, taken in enumerate(tally) if taken
    }
    return part


PARALLEL_RUNS = 1000
"""From this many random runs (and two roles or more), each role's runs are two streams (_streams), and a second
process plays some of the streams."""


def _in_parallel(streams: list[_Stream], runs: int) -> bool:
    """Whether a second process would pay for itself (then each process works out its half: _halves)."""
    return runs >= PARALLEL_RUNS and len(streams) >= 2 and cores.second_core()


def _halves(story: Story, streams: list[_Stream]) -> list[list[_Stream]]:
    """The streams in two groups of about equal work (a stream's runs times the scenes its role can reach, as a
    measure). It depends only on the story and the streams, so both processes work it out alike."""
    reach = {
        key: len(graph.reachable(story, [story.roles[key].start])) for key in {st.role for st in streams}
    }
    groups: list[list[_Stream]] = [[], []]
    loads = [0, 0]
    for st in sorted(streams, key=lambda st: -len(st.runs) * reach[st.role]):
        i = 0 if loads[0] <= loads[1] else 1
        groups[i].append(st)
        loads[i] += len(st.runs) * reach[st.role]
    return groups


def _in_two(
    play: Callable[[list[_Stream]], list[_StreamRuns]], story: Story, streams: list[_Stream]
) -> list[_StreamRuns]:
    """The second half of the streams (_halves) played in a forked process, forked before anything else is
    done, while this one plays the first; both parts (the child's pickled back through a pipe: our own child,
    never a file). If the child fails, its group is played here."""
    child = cores.start(
        lambda: pickle.dumps(play(_halves(story, streams)[1]), protocol=pickle.HIGHEST_PROTOCOL)
    )
    first, second = _halves(story, streams)
    mine = play(first)
    data = child.result() if child is not None else None
    try:
        theirs = pickle.loads(data) if data else None  # noqa: S301 - our own child's
    except Exception:  # noqa: BLE001 - any damage: play that group here
        theirs = None
    return mine + (theirs if isinstance(theirs, list) else play(second))


def _loop_entry(seq: list[str]) -> tuple[int, list[str]]:
    """A capped run's scenes, one per step: how many steps it took to first enter the scenes it then kept
    going round, and those scenes."""
    tail = set(seq[-LOOP_TAIL:])
    steps = next(k for k, sid in enumerate(seq) if sid in tail)
    return steps, sorted(tail)


def _play(
    story: Story,
    book: runtime.Rules,
    words: _Words,
    start: GameState,
    tallies: dict[str, list[int]],
    rng: random.Random,
    step_cap: int,
    chance: bool = False,
) -> tuple[str, GameState, list[tuple[runtime.Move, str, int | None]], int]:
    """One run: ('ending' | 'stuck' | 'loop', final state, [(choice, scene it was taken in)], words read).
    It plays by the game's own rule book (runtime.Rules), without keeping a history (the path is kept here).
    `start` is runtime.new_game(story, role), made once per role: each run plays a copy of it."""
    state = start.copy()
    if chance:  # each run draws from its own random state
        state.rng = seed_rng(rng.getrandbits(32))
    path: list[tuple[runtime.Move, str, int | None]] = []
    read = 0
    open_moves, advance, tally_of = book.open_moves, book.advance, tallies.get
    random, randrange = rng.random, rng.randrange
    scene_words, ready, fill, choice_words = words.scene, words.ready.get, words.fill, words.choices.get
    plan = book.plan(state.scene)
    while True:
        table = ready(state.scene)
        if table is None:
            read += scene_words(state, plan)
        else:  # the scene's words from its ready table (nothing to note): the hot path
            read += table[0]
            for test, n in table[1]:
                if test(state):
                    read += n
            for test, deps in table[2]:
                if test is None or test(state):
                    read += fill(state, deps, state.scene)
        if plan.ending:
            return "ending", state, path, read
        if len(path) >= step_cap:
            return "loop", state, path, read
        moves = plan.moves if plan.always_open else open_moves(state, plan)
        if not moves:
            return "stuck", state, path, read
        tally = tally_of(state.scene)
        if tally is None:
            tally = tallies[state.scene] = [0] * len(plan.moves)
        if len(moves) == 1:
            pick = moves[0]
        elif random() < WANDER:  # now and then any open choice: see WANDER
            pick = moves[randrange(len(moves))]
        else:  # one taken least often so far; ties broken by rng (one draw only when there is a tie)
            taken = tally if moves is plan.moves else [tally[m.choice.index] for m in moves]
            least = min(taken)
            i = taken.index(least)
            ties = taken.count(least)
            if ties > 1:  # the j-th of the tied choices, in story order
                for _ in range(randrange(ties)):
                    i = taken.index(least, i + 1)
            pick = moves[i]
        tally[pick.choice.index] += 1
        key = pick.key
        known = choice_words(key)
        if known is None:
            known = words.choice(pick)
        if known >= 0 and pick.plain:  # the common case: words known, effects and a goto
            read += known
            path.append((pick, state.scene, None))
            plan = advance(state, pick)
        else:  # a draw, a call or a return, or words that depend on the state: take it in two halves
            here = state.scene
            read += words.said(state, pick) if known < 0 else known
            goto, branch = book.resolve(state, pick)  # a draw comes from the run's own random state
            if known < 0:
                read += words.response(state, pick, branch, here)
            path.append((pick, here, pick.branches.index(branch) if branch else None))
            plan = book.enter(state, goto)


# --- exhaustive walk ----------------------------------------------------------------------------


class _Unread(dict[str, Any]):
    """The walk's variables: only those live in the current scene (see _live_sets); any other is None (unknown):
    runtime.apply_changes leaves an add to it alone, and a set gives it its value again."""

    __slots__ = ()

    def __missing__(self, key: str) -> None:
        return None


class _Probe:
    """The walk's stand-in for a GameState (runtime.PlayState): what the rules read and change, no history."""

    __slots__ = ("role", "scene", "vars", "visits", "once_taken", "rng", "stack")

    def __init__(self, role: str) -> None:
        self.role = role
        self.scene = ""
        self.vars: dict[str, Any] = _Unread()
        self.visits: dict[str, int] = {}
        self.once_taken: set[str] = set()
        self.rng = 0
        """Never drawn from: the walk follows every chance outcome instead."""
        self.stack: list[str] = []


def exhaustive(
    story: Story, role: str | None = None, max_states: int = STATE_CAP, *, _reduce: bool = True
) -> PlaytestResult:
    """Breadth-first over distinct states. A state is the scene plus what can still matter from there on: the
    variables live there (ints only as the value class the comparisons ahead see), the once-only choices ahead
    already taken, and the visit counts that visited()/visits() ahead read. Finds every stuck state and every
    state from which no ending can be reached, each by a shortest path; stops at `max_states` per role and says
    so. `_reduce=False` (tests only) keeps every state whole, to check the reductions against.
    """
    roles = _roles(story, role)
    result = _frame(story, roles, "exhaustive", 0)
    result.cap = max_states
    walk = _Walk(story, _reduce)  # _reduce=False (tests only): a state keeps everything, to compare with
    result.reduction = walk.tracked()
    found: dict[tuple[str, str], tuple[Trouble, list[Pick]]] = {}
    for key in roles:
        walk.run(key, max_states, result, found)
    return _finish(story, result, found, walk.book.true, walk.book.false, walk.taken)


class _Walk:
    """The exhaustive walk's tables: for each scene, which variables, visit counts and once-only choices can
    still be read from there on, so states differing only in the rest are one state (each reduction below is
    sound: two merged states lead to the same scenes, endings, stuck states and loops).

    With `reduce=False` (for the tests that compare the two) a state keeps every variable exactly, every visit
    count some condition asks about (visited()-only ones as visited or not) and every once-only choice taken."""

    def __init__(self, story: Story, reduce: bool = True, focus: frozenset[str] = frozenset()) -> None:
        self.story = story
        self.book = _Counting(story)
        self.taken: set[str] = set()
        """The keys of the choices some step of the walk followed."""
        self.reduce = reduce
        self.focus: dict[str, list[tuple[str, Any]]] = {}
        """Scene -> (key, condition) of the paragraph conditions this walk keeps the reads of and notes (see
        _settle)."""
        for key in sorted(focus):
            sid, _, n = key.partition("@")
            if sid in story.scenes and n.isdigit() and int(n) < len(story.scenes[sid].paragraphs):
                cond = story.scenes[sid].paragraphs[int(n)].cond
                if cond is not None:
                    self.focus.setdefault(sid, []).append((key, cond))
        reads = {
            s.id: _scene_reads(story, s, [c for _k, c in self.focus.get(s.id, [])])
            for s in story.scenes.values()
        }
        self.counted: dict[str, bool] = {}
        """Scene ids visits() reads (True: the count matters) or only visited() (False: whether it is > 0)."""
        for _vars, visit_reads in reads.values():
            for target, counted in visit_reads.items():
                self.counted[target] = self.counted.get(target, False) or counted
        self.var_live: dict[str, tuple[tuple[str, Any], ...]] = {}
        """Scene -> the variables a state in it keeps, in a fixed order, each with its value -> class map (None:
        the value as it is). The others are None (unknown) or, for ints, `base`: any value will do there."""
        self.visit_live: dict[str, tuple[str, ...]] = {}
        """Scene -> the scenes whose visit count (or whether visited) a state in it keeps."""
        self.base: dict[str, Any] = {}
        if reduce:
            for name, var in story.variables.items():
                if var.type == "int":
                    self.base[name] = (
                        var.min if var.min is not None else var.max if var.max is not None else 0
                    )
            shared: dict[Any, Any] = {}  # scenes with one live set share one table
            for sid, (lv, vv) in _live_sets(story, reads).items():
                spec = tuple(sorted((n, cuts) for n, cuts in lv.items()))
                if spec not in shared:
                    shared[spec] = tuple((n, self._classes(n, cuts)) for n, cuts in spec)
                self.var_live[sid] = shared[spec]
                self.visit_live[sid] = shared.setdefault(tuple(sorted(vv)), tuple(sorted(vv)))
        else:
            every = tuple((n, None) for n in sorted(story.variables))
            asked = tuple(sorted(self.counted))  # visited()-only counts still kept as visited or not
            for sid in story.scenes:
                self.var_live[sid], self.visit_live[sid] = every, asked
        # A once-only choice taken in scene S matters again only if S can come round again: S and the current
        # scene share a strongly connected component (we came from S, so S reaches here; here reaches S only
        # within one). Taken once-only choices elsewhere are dropped from the state.
        self.component = graph.components(story)
        self.once_component = {
            f"{s.id}#{c.index}": self.component[s.id]
            for s in story.scenes.values()
            for c in s.choices
            if c.once
        }

    def _classes(self, name: str, cuts: frozenset[int] | None) -> Any:
        if cuts is EXACT:
            return None
        var = self.story.variables[name]
        classes = _Classes(cuts, var.min, var.max)
        return classes.table or classes

    def tracked(self) -> dict[str, Any]:
        """How much of the game state a walk state keeps, per scene: the variables (of all declared) and the
        visit counts (of all asked about), most and mean; for the report of the reduction."""
        n = max(len(self.var_live), 1)
        ints = {k: v for k, v in self.story.variables.items() if v.type == "int"}

        def size(name: str) -> int:  # the values an int can hold (its declared range, or one per cut)
            var = ints[name]
            return var.max - var.min + 1 if var.min is not None and var.max is not None else 0

        def kept(spec: tuple[tuple[str, Any], ...]) -> int:
            out = 0
            for name, classes in spec:
                if name in ints:
                    full = size(name)
                    many = len(set(classes.values())) if isinstance(classes, dict) else None
                    out += many if many is not None else full if classes is None else len(classes.cuts) + 1
            return out

        int_kept = [kept(spec) for spec in self.var_live.values()]
        return {
            "variables": len(self.story.variables),
            "variables_kept_max": max(map(len, self.var_live.values()), default=0),
            "variables_kept_mean": round(sum(map(len, self.var_live.values())) / n, 1),
            "int_values": sum(size(name) for name in ints),
            "int_values_kept_max": max(int_kept, default=0),
            "int_values_kept_mean": round(sum(int_kept) / n, 1),
            "visit_counts": len(self.counted),
            "visit_counts_kept_max": max(map(len, self.visit_live.values()), default=0),
        }

    def key(
        self,
        scene: str,
        values: dict[str, Any],
        visits: dict[str, int],
        once: frozenset[str],
        stack: tuple[str, ...] = (),
    ) -> Any:
        vals = tuple([values[n] if m is None else m[values[n]] for n, m in self.var_live[scene]])
        counted = self.counted
        vis = tuple(
            [visits.get(n, 0) if counted[n] else min(visits.get(n, 0), 1) for n in self.visit_live[scene]]
        )
        if once and self.reduce:
            comp = self.component[scene]
            once = frozenset([k for k in once if self.once_component[k] == comp])
        return (scene, vals, once, vis, stack)

    def run(
        self,
        role: str,
        max_states: int,
        result: PlaytestResult,
        found: dict[tuple[str, str], tuple[Trouble, list[Pick]]],
        toward: dict[str, int] | None = None,
        done: Callable[[], bool] | None = None,
    ) -> None:
        """Walk every state of a role, breadth first. A focused walk (_settle) gives `toward` (scene -> choices
        to the scenes it looks at) and `done`: it takes the states nearest those scenes first, and stops as soon
        as `done()` (it then reports nothing; what it noted in the book is what it is for)."""
        story, book, var_live, visit_live, base = (
            self.story,
            self.book,
            self.var_live,
            self.visit_live,
            self.base,
        )
        taken = self.taken
        stats = result.roles[role]
        start = runtime.new_game(story, role)
        first = self.key(start.scene, start.vars, start.visits, frozenset(start.once_taken))
        ids: dict[Any, int] = {first: 0}
        keys = [first]
        parent: list[tuple[int, int, int | None]] = [(-1, -1, None)]
        edges: list[list[int]] = [[]]
        endings: list[int] = []
        stuck: list[int] = []
        probe = _Probe(role)
        queue = deque([0])  # breadth first; or, focused, a heap of (choices to the scenes looked at, state)
        near: list[tuple[int, int]] = [(toward.get(first[0], FAR), 0)] if toward is not None else []
        capped = False
        while queue if toward is None else near:
            sid = queue.popleft() if toward is None else -heapq.heappop(near)[1]
            scene, vals, once, vis, stack = keys[sid]
            plan = book.plan(scene)
            if plan.ending and scene not in self.focus:
                endings.append(sid)
                continue
            here_vars = _Unread(base)
            here_vars.update(zip([n for n, _m in var_live[scene]], vals, strict=True))
            here_visits = dict(zip(visit_live[scene], vis, strict=True))
            probe.scene, probe.vars, probe.visits, probe.once_taken = scene, here_vars, here_visits, set(once)
            for key, cond in self.focus.get(scene, ()):  # what they read is kept here: as in the game
                (book.true if cond.test(probe) else book.false).add(key)
            if done is not None and done():
                return
            if plan.ending:
                endings.append(sid)
                continue
            opened = book.open_moves(probe, plan)
            if not opened:
                stuck.append(sid)
                continue
            steps = [(m, b) for m in opened for b in (range(len(m.branches)) if m.branches else (None,))]
            for move, branch in steps:
                # The game's own step on a copy of this state: once-only mark, effects, the chance outcome
                # (each in turn), the call stack, enter the target.
                probe.scene = scene
                probe.vars = _Unread(here_vars)
                probe.visits = dict(here_visits)
                probe.once_taken = set(once)
                probe.stack = list(stack)
                try:
                    book.advance(probe, move, branch)
                except runtime.GameError:  # a return with no call in progress: the player is stuck there
                    if sid not in stuck:
                        stuck.append(sid)
                    continue
                taken.add(move.key)
                nxt = self.key(
                    probe.scene, probe.vars, probe.visits, frozenset(probe.once_taken), tuple(probe.stack)
                )
                result.steps += 1
                nid = ids.get(nxt)
                if nid is None:
                    if len(keys) >= max_states:
                        capped = True
                        continue
                    nid = ids[nxt] = len(keys)
                    keys.append(nxt)
                    parent.append((sid, move.choice.index, branch))
                    edges.append([])
                    if toward is None:
                        queue.append(nid)
                    else:  # nearest first; among as near, the newest (deeper first)
                        heapq.heappush(near, (toward.get(nxt[0], FAR), -nid))
                edges[sid].append(nid)
        result.states += len(keys)
        stats.states = len(keys)
        stats.reached.update(k[0] for k in keys)
        for e in endings:
            scene = keys[e][0]
            stats.endings[scene] = stats.endings.get(scene, 0) + 1
            result.endings[scene] = result.endings.get(scene, 0) + 1

        def path_to(n: int) -> list[Pick]:
            out: list[Pick] = []
            while parent[n][0] >= 0:
                p, index, branch = parent[n]
                out.append((keys[p][0], index, branch))
                n = p
            return out[::-1]

        for s in stuck:
            _add_trouble(found, "stuck", role, keys[s][0], path_to(s))
        if capped:
            result.capped.append(role)
            return
        # States from which neither an ending nor a stuck state (reported already) can be reached are caught in a
        # loop; report where the player walks into one, once per scene.
        back: list[list[int]] = [[] for _ in keys]
        for a, outs in enumerate(edges):
            for b in outs:
                back[b].append(a)
        live = _backwards(endings + stuck, back)
        # Entered: the start, or a state some choice leads to from a state that can still end (any such choice,
        # not only the one the breadth-first walk found first, so merging states never hides an entry).
        for n in range(len(keys)):
            if n in live or (n != 0 and not any(p in live for p in back[n])):
                continue
            loop = _forwards(n, edges, live)
            _add_trouble(found, "loop", role, keys[n][0], path_to(n), sorted({keys[m][0] for m in loop}))


# --- what a walk state keeps: live variables and the value classes of ints -------------------------
#
# Per scene S (on arrival, after its on_enter), each variable is one of:
#   absent     dead: no read from S on can see its present value (every path overwrites it with `set:` first,
#              or never reads it), so states differing only there are one state;
#   EXACT      its value matters as it is (a bool or str, or an int read other than against a constant);
#   cuts       an int read only in comparisons with constants (`standing >= 4`): a frozenset of cut points c
#              such that values below c and from c up can act differently from S on. Values between two cuts
#              are one class: every comparison ahead gives them the same answer, because an `add:` moves (and
#              clamping holds) every value of a class alike, so a cut c after `add: k` is the cut c - k before
#              it, and cuts outside the declared range [min, max] divide nothing. A state keeps only the class
#              (as its least member), so states whose ints differ only within their classes are one state.
# Text does not decide where a game can go, so paragraph text and its conditions are not reads here: the walk's
# findings (scenes, endings, stuck states, loops) depend only on choice conditions and effects.

EXACT = None
CUT_LIMIT = 64
"""An int whose cuts at some scene would number more than this is kept exactly there (an unbounded counter in a
loop would otherwise add cuts forever)."""

_Live = dict[str, frozenset[int] | None]
_MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def _const(node: Any) -> int | None:
    if isinstance(node, Num):
        return node.value
    if isinstance(node, Unary) and node.op == "-" and isinstance(node.operand, Num):
        return -node.operand.value
    return None


def _cut(op: str, c: int) -> set[int]:
    """The cut points that `x op c` divides the ints at."""
    return {">=": {c}, "<": {c}, ">": {c + 1}, "<=": {c + 1}}.get(op, {c, c + 1})


def _in_range(story: Story, name: str, cuts: set[int]) -> frozenset[int]:
    """The cuts that divide the declared range [min, max] of an int (a cut c divides it when min < c <= max);
    every value an int holds is in its range (start values and sets are checked, adds are clamped)."""
    var = story.variables[name]
    lo = var.min if var.min is not None else -(10**18)
    hi = var.max if var.max is not None else 10**18
    return frozenset(c for c in cuts if lo < c <= hi)


def _condition_reads(story: Story, node: Any, live: _Live) -> None:
    """Add a condition's reads to `live`: an int against a constant gives cuts, any other read is EXACT."""
    if isinstance(node, Binary) and node.op in _MIRROR:
        left, right, op = node.left, node.right, node.op
        if isinstance(right, Name) and _const(left) is not None:
            left, right, op = right, left, _MIRROR[op]
        c = _const(right)
        var = story.variables.get(left.name) if isinstance(left, Name) else None
        if var is not None and c is not None and var.type == "int":
            cuts = _in_range(story, var.name, _cut(op, c))
            if cuts:  # none: the comparison gives one answer over the whole declared range
                _join_one(live, var.name, cuts)
            return
    if isinstance(node, Name):
        if node.name in story.variables:
            live[node.name] = EXACT
        return
    for child in (getattr(node, "left", None), getattr(node, "right", None), getattr(node, "operand", None)):
        if child is not None:
            _condition_reads(story, child, live)


def _join_one(live: _Live, var: str, cuts: frozenset[int] | None) -> None:
    if var not in live:
        live[var] = cuts
    elif live[var] is not EXACT:
        joined = EXACT if cuts is EXACT else live[var] | cuts  # type: ignore[operator]
        live[var] = EXACT if joined is not EXACT and len(joined) > CUT_LIMIT else joined


def _scene_reads(story: Story, scene: Scene, also: Sequence[Any] = ()) -> tuple[_Live, dict[str, bool]]:
    """What choosing in a scene reads: its choice conditions (variables, as cuts or EXACT) and the placeholders
    of its choice texts (EXACT); and the scenes visited()/visits() ask about (True when visits() counts). `also`:
    more conditions read there (a focused walk's paragraph conditions)."""
    live: _Live = {}  # joins are order-free: EXACT absorbs cuts
    conds = [*also, *(c.cond for c in scene.choices if c.cond is not None)]
    for cond in conds:
        _condition_reads(story, cond.node, live)
    nodes = [cond.node for cond in conds]
    for c in scene.choices:
        for name in text_reads(c.text).names:
            if name in story.variables:
                live[name] = EXACT
        # visits() in a computed value counts like one in a condition (its variables are read by _live_before)
        effects = [*c.effects, *(e for o in c.chance for e in o.effects)]
        nodes.extend(e.compute.node for e in effects if e.compute is not None)
    visit_reads: dict[str, bool] = {}
    for node in nodes:
        for call in calls(node):
            target = scene_named(call)
            if target is not None:
                visit_reads[target] = visit_reads.get(target, False) or call.func == "visits"
    return live, visit_reads


def _live_before(story: Story, effects: tuple[Effect, ...], after: _Live) -> _Live:
    """What is live before `effects` run, given what is live after them (backwards, last effect first): a
    `set:` overwrites its variable, so its old value is dead; an `add: k` reads its variable only to make the
    new value, so the old value is live exactly when the new one is, with each cut moved down by k (and cuts
    outside the declared range dropped: clamping keeps every value inside it)."""
    if not effects:
        return after
    live = dict(after)
    for e in reversed(effects):
        if e.var not in live:
            continue
        if (
            e.compute is not None
        ):  # a computed value: its inputs are read exactly, and an add keeps its variable
            if e.op == "set":
                del live[e.var]
            else:
                live[e.var] = EXACT
            for name in names(e.compute.node):
                if name in story.variables:
                    live[name] = EXACT
            continue
        if e.op == "set":
            del live[e.var]
        elif live[e.var] is not EXACT:
            moved = _in_range(story, e.var, {c - int(e.value) for c in live[e.var]})  # type: ignore[union-attr]
            if moved:
                live[e.var] = moved
            else:
                del live[e.var]
    return live


def _live_sets(
    story: Story, reads: dict[str, tuple[_Live, dict[str, bool]]]
) -> dict[str, tuple[_Live, frozenset[str]]]:
    """Per scene, what a state there keeps: the least fixed point of "what S reads, joined with what each choice
    of S needs before its effects and its target's on_enter", by a work list over the goto graph (loops
    included; cuts only grow, up to CUT_LIMIT, so it ends). A scene's visit count is kept at S if some scene
    reachable from S (S included) asks about it: visits only grow, nothing overwrites them."""
    scenes = story.scenes
    live = {sid: (dict(v), frozenset(w)) for sid, (v, w) in reads.items()}
    returns_of = graph.returns_by_scene(story)

    def moves(c: Any, sid: str) -> list[tuple[tuple[Effect, ...], str]]:
        """(the outcome's effects, the next scene) for each way a choice can go (a call: into its scene, and on
        at its goto after the return; a return: to where the calls that lead to this scene go on)."""
        returns = returns_of.get(sid, ())
        ways = [(o.effects, o.goto) for o in c.chance] if c.chance else [((), c.goto)]
        if c.call:
            ways.append(((), c.call))
        out: list[tuple[tuple[Effect, ...], str]] = []
        for effects, target in ways:
            out.extend((effects, t) for t in (returns if target == RETURN else [target]) if t in scenes)
        return out

    preds: dict[str, list[str]] = {sid: [] for sid in scenes}
    for s in scenes.values():
        for c in s.choices:
            for _e, target in moves(c, s.id):
                preds[target].append(s.id)
    todo = list(scenes)
    waiting = set(todo)
    while todo:
        sid = todo.pop()
        waiting.discard(sid)
        lv, vv = dict(live[sid][0]), set(live[sid][1])
        for c in scenes[sid].choices:
            for effects, target in moves(c, sid):
                after_v, after_w = live[target]
                need = _live_before(story, scenes[target].on_enter, after_v)
                need = _live_before(story, c.effects, _live_before(story, effects, need))
                for var, cuts in need.items():
                    _join_one(lv, var, cuts)
                vv |= after_w
        if lv != live[sid][0] or len(vv) != len(live[sid][1]):
            live[sid] = (lv, frozenset(vv))
            for p in preds[sid]:
                if p not in waiting:
                    waiting.add(p)
                    todo.append(p)
    return live


class _Classes:
    """An int's value -> the least member of its class (the greatest cut at or below it, else the least value
    of the declared range, else one below the first cut)."""

    __slots__ = ("cuts", "low", "table")

    def __init__(self, cuts: frozenset[int], lo: int | None, hi: int | None) -> None:
        self.cuts = sorted(cuts)
        self.low = lo if lo is not None else self.cuts[0] - 1
        self.table: dict[int, int] = {}
        if lo is not None and hi is not None and hi - lo <= 1000:
            self.table = {v: self[v] for v in range(lo, hi + 1)}

    def __getitem__(self, value: int) -> int:
        got = self.table.get(value)
        if got is not None:
            return got
        i = bisect_right(self.cuts, value)
        return self.cuts[i - 1] if i else self.low


def _backwards(seeds: list[int], back: list[list[int]]) -> set[int]:
    seen = set(seeds)
    todo = list(seeds)
    while todo:
        for m in back[todo.pop()]:
            if m not in seen:
                seen.add(m)
                todo.append(m)
    return seen


def _forwards(start: int, edges: list[list[int]], live: set[int], limit: int = 1000) -> set[int]:
    seen = {start}
    todo = [start]
    while todo and len(seen) < limit:
        for m in edges[todo.pop()]:
            if m not in seen and m not in live:
                seen.add(m)
                todo.append(m)
    return seen


# --- text report --------------------------------------------------------------------------------


def format_text(
    result: PlaytestResult, story: Story, file_label: Callable[[str], str] = str, strict: bool = False
) -> str:
    """The report `dualpower playtest` prints: totals, coverage per role and per file, what was never reached,
    taken or varied, then the troubles; with `strict`, a last line on the scenes never reached."""
    lines: list[str] = []
    total = len(result.scenes)
    reached = total - len(result.unreached)
    if result.mode == "random":
        lines.append(f"Playtest: {result.runs} random runs, seed {result.seed}, {result.steps} choices made")
    else:
        lines.append(
            f"Playtest: exhaustive, {result.states} distinct states, {result.steps} choices followed"
        )
        red = result.reduction
        if red:
            lines.append(
                f"  state reduction: a state keeps at most {red['variables_kept_max']} of {red['variables']} "
                f"variables (mean {red['variables_kept_mean']}), ints by value class: at most "
                f"{red['int_values_kept_max']} of {red['int_values']} int values (mean {red['int_values_kept_mean']})"
            )
        for role in result.capped:
            lines.append(
                f"  note: the walk for {role} stopped at the cap of {result.cap:,} states; "
                "loops were not searched for"
            )
    lines.append(f"Scenes reached: {reached}/{total} ({_pct(reached, total)})")
    taken = result.choices - len(result.never_taken)
    lines.append(f"Choices taken: {taken}/{result.choices} ({_pct(taken, result.choices)})")
    lines.append("")
    lines.append("By role:")
    for key, r in result.roles.items():
        mine = len(r.scenes)
        hit = len(r.reached & set(r.scenes))
        found = sum(1 for n in r.endings.values() if n)
        cover = f"scenes {hit}/{mine} ({_pct(hit, mine)}), endings {found}/{len(r.endings)}"
        if result.mode == "random":
            w = r.word_summary()
            lines.append(
                f"  {key:<10} {r.runs} runs, {cover}, words per run "
                f"{w['min']}/{w['median']}/{w['max']} (min/median/max)"
            )
        else:
            lines.append(f"  {key:<10} {cover}, {r.states} states")
    lines.append("")
    lines.append("By file:")
    width = max((len(file_label(f)) for f in result.files), default=0)
    for path, ids in result.files.items():
        hit = sum(1 for s in ids if s in result.reached)
        lines.append(f"  {file_label(path):<{width}}  {hit}/{len(ids)} scenes ({_pct(hit, len(ids))})")
    lines.append("")
    lines.append("Endings:")
    for sid, n in result.endings.items():
        lines.append(f"  {sid:<30} {n:>6}{'   never reached' if n == 0 else ''}")
    if result.unreached:
        lines.append("")
        lines.append(f"Scenes never reached ({len(result.unreached)}):")
        for sid in result.unreached:
            kind = " (ending)" if story.scenes[sid].ending is not None else ""
            lines.append(f"  {result.where[sid]}: {sid}{kind}")
    for title, spots, is_choice in (
        ("Choices never taken", result.never_taken, True),
        ("Conditions never true", result.never_true, False),
        ("Conditions never false", result.never_false, False),
        ("Rare: one way in every run, but a focused walk finds the other way too", result.rare, False),
    ):
        if spots:
            lines.append("")
            lines.append(f"{title} ({len(spots)}):")
            lines.extend(
                f'  {c.where}: {c.scene}: "{c.text}"' if is_choice else f"  {c.where}: if: {c.text}"
                for c in spots
            )
    for title, troubles in (
        ("Stuck states", result.stuck),
        ("Loops that never reach an ending", result.loops),
    ):
        if not troubles:
            continue
        lines.append("")
        lines.append(f"{title} ({len(troubles)}):")
        for t in troubles:
            s = story.scenes[t.scene]
            where = f"{file_label(s.source.path)}:{s.source.line}:{s.source.col}"
            what = "no open choice" if t.kind == "stuck" else f"goes round {', '.join(t.loop)}"
            lines.append(f"  {where}: {t.scene} ({t.role}): {what}")
            lines.append(f"    path: {_path(t.path)}")
    lines.append("")
    if result.ok and result.mode == "exhaustive" and result.capped:
        lines.append(
            f"No stuck states or endless loops found in the states visited, but the walk stopped at its cap "
            f"for {', '.join(result.capped)}: those roles were not checked completely (random runs, or a "
            "higher cap, reach further)."
        )
    elif result.ok:
        lines.append("No stuck states or endless loops found.")
    else:
        lines.append(
            f"{len(result.stuck)} stuck state{'s' * (len(result.stuck) != 1)}, "
            f"{len(result.loops)} loop{'s' * (len(result.loops) != 1)} found."
        )
    if strict and result.unreached:
        n = len(result.unreached)
        lines.append(
            f"Strict: {n} scene{'s' * (n != 1)} or ending{'s' * (n != 1)} never reached (listed above): "
            "reach them, or remove them."
        )
    return "\n".join(lines) + "\n"


def _pct(n: int, total: int) -> str:
    return f"{100 * n // total}%" if total else "-"


def _path(texts: list[str]) -> str:
    if not texts:
        return "(at the start)"
    return " > ".join(f'"{t}"' for t in texts)

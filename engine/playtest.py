"""Automated playthroughs: random runs (reproducible by seed) and an exhaustive walk over distinct game states.

Both find stuck states (a scene that is not an ending, with no open choice) and loops that never reach an
ending, each with the path of choice texts that leads there. Pure: no I/O; `PlaytestResult.to_dict()` is the
JSON contract of `dualpower playtest --format json` and `format_text` its text report.

Play here follows engine.runtime exactly (new_game, then what runtime.take does) but on per-scene tables
prepared once, so a story of a few hundred scenes plays well over 100,000 choices a second.
"""

from __future__ import annotations

import dataclasses
import random
import statistics
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import graph, runtime
from engine.expr import calls, names
from engine.model import Story
from engine.state import GameState

RUNS = 100
STEP_CAP = 2000
"""A run that makes this many choices without an ending is reported as a loop."""
STATE_CAP = 200_000
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
        plan = super()._plan(s)
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


class _Words:
    """Words read, per scene and per choice text: counted once where no placeholder or condition makes them
    depend on the state (reporting only; what is open and what a choice does come from runtime.Rules)."""

    __slots__ = ("story", "scenes", "choices", "book", "settled")

    def __init__(self, story: Story, book: _Counting) -> None:
        self.story = story
        self.book = book
        """Where the paragraph conditions' outcomes are noted, beside the choices'."""
        self.settled: set[str] = set()
        """Scenes whose paragraph conditions have all come out both ways."""
        self.scenes: dict[str, int] = {}
        self.choices: dict[str, int] = {}
        """Scene id / choice key -> words, or -1 when they depend on the state."""

    def scene(self, state: GameState, plan: runtime.Plan) -> int:
        sid = plan.scene.id
        n = self.scenes.get(sid, -1)
        if n >= 0:
            return n
        if sid not in self.scenes:
            s = plan.scene
            static = all(p.cond is None and "{" not in p.text for p in s.paragraphs)
            if static:
                n = sum(runtime.words(p.text) for p in s.paragraphs)
                n += runtime.words(s.ending.epilogue) if s.ending is not None else 0
                self.scenes[sid] = n
                return n
            self.scenes[sid] = -1
        if sid not in self.settled:
            true, false = self.book.true, self.book.false
            varied = True
            for n, p in enumerate(plan.scene.paragraphs):
                if p.cond is not None:
                    key = _paragraph_key(sid, n)
                    (true if p.cond.test(state) else false).add(key)
                    varied = varied and key in true and key in false
            if varied:  # every paragraph condition here has come out both ways: no need to look again
                self.settled.add(sid)
        read = sum(runtime.words(p) for p in runtime.paragraphs(self.story, state, plan.scene))
        if plan.scene.ending is not None:
            read += runtime.words(plan.scene.ending.epilogue)
        return read

    def choice(self, state: GameState, move: runtime.Move) -> int:
        n = self.choices.get(move.key, -1)
        if n >= 0:
            return n
        text, said = move.choice.text, move.choice.response  # the choice, and its response (read next)
        if move.key not in self.choices:
            static = "{" not in text and all(p.cond is None and "{" not in p.text for p in said)
            n = runtime.words(text) + sum(runtime.words(p.text) for p in said) if static else -1
            self.choices[move.key] = n
            if n >= 0:
                return n
        shown = runtime.shown_paragraphs(self.story, state, said) if said else []
        return runtime.words(runtime.interpolate(self.story, state, text)) + sum(map(runtime.words, shown))


# --- results ------------------------------------------------------------------------------------


Pick = tuple[str, int, int | None]
"""A step of a path: the scene, the choice's index there, and the chance outcome taken (None for no draw)."""


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
        return {"min": min(self.words), "median": int(statistics.median(self.words)), "max": max(self.words)}


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
            },
        }
        if self.mode == "exhaustive":
            out["states"] = self.states
            out["capped"] = list(self.capped)
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


def _texts(story: Story, role: str, path: list[tuple[str, int, int | None]]) -> list[str]:
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
    book: _Counting,
    taken: set[str] | dict[str, int],
) -> PlaytestResult:
    order = {sid: n for n, sid in enumerate(story.scenes)}
    for (kind, _scene), (trouble, path) in sorted(found.items(), key=lambda kv: (order[kv[0][1]], kv[0][0])):
        trouble.path = _texts(story, trouble.role, path)
        (result.stuck if kind == "stuck" else result.loops).append(trouble)
    for role in result.roles.values():
        result.reached |= role.reached
    result.reached &= set(result.scenes)
    true, false = book.true, book.false
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
            if key not in true:
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
) -> PlaytestResult:
    """`runs` playthroughs, round-robin over the roles (or only `role`). Each picks among the open choices one
    taken least often so far (across runs), ties broken by random.Random(seed): the same seed, the same result.
    """
    roles = _roles(story, role)
    result = _frame(story, roles, "random", seed)
    result.runs = runs
    book = _Counting(story)
    words = _Words(story, book)
    counts: dict[str, int] = {}
    rng = random.Random(seed)
    found: dict[tuple[str, str], tuple[Trouble, list[Pick]]] = {}
    for n in range(runs):
        key = roles[n % len(roles)]
        stats = result.roles[key]
        stats.runs += 1
        outcome, state, path, read = _play(story, book, words, key, counts, rng, step_cap)
        result.steps += len(path)
        stats.reached.update(state.visits)
        if keep_runs:
            result.played.append(Run(key, outcome, [(sc, m.choice.index) for m, sc, _ in path], state, read))
        if outcome == "ending":
            stats.words.append(read)
            stats.endings[state.scene] = stats.endings.get(state.scene, 0) + 1
            result.endings[state.scene] = result.endings.get(state.scene, 0) + 1
            continue
        pairs = [(scene, c.choice.index, branch) for c, scene, branch in path]
        if outcome == "stuck":
            _add_trouble(found, "stuck", key, state.scene, pairs)
        else:
            steps, loop = _loop_entry([scene for _c, scene, _b in path] + [state.scene])
            _add_trouble(
                found, "loop", key, path[steps][1] if steps < len(path) else state.scene, pairs[:steps], loop
            )
    return _finish(story, result, found, book, counts)


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
    role: str,
    counts: dict[str, int],
    rng: random.Random,
    step_cap: int,
) -> tuple[str, GameState, list[tuple[runtime.Move, str, int | None]], int]:
    """One run: ('ending' | 'stuck' | 'loop', final state, [(choice, scene it was taken in)], words read).
    It plays by the game's own rule book (runtime.Rules), without keeping a history (the path is kept here)."""
    state = runtime.new_game(story, role, seed=rng.getrandbits(32))  # its own chance draws
    path: list[tuple[runtime.Move, str, int | None]] = []
    read = 0
    open_moves, advance, resolve, enter = book.open_moves, book.advance, book.resolve, book.enter
    scene_words, choice_words = words.scenes, words.choices
    plan = book.plan(state.scene)
    while True:
        here = state.scene
        n = scene_words.get(here, -1)
        read += n if n >= 0 else words.scene(state, plan)
        if plan.ending:
            return "ending", state, path, read
        if len(path) >= step_cap:
            return "loop", state, path, read
        moves = open_moves(state, plan)
        if not moves:
            return "stuck", state, path, read
        if len(moves) == 1:
            pick = moves[0]
        else:
            least = min([counts.get(m.key, 0) for m in moves])
            ties = [m for m in moves if counts.get(m.key, 0) == least]
            pick = ties[0] if len(ties) == 1 else ties[rng.randrange(len(ties))]
        counts[pick.key] = counts.get(pick.key, 0) + 1
        n = choice_words.get(pick.key, -1)
        read += n if n >= 0 else words.choice(state, pick)
        if pick.branches:  # a chance choice: draw from the run's own random state, and note the outcome
            goto, branch = resolve(state, pick)
            path.append((pick, here, pick.branches.index(branch) if branch else None))
            plan = enter(state, goto)
        else:
            path.append((pick, here, None))
            plan = advance(state, pick)


# --- exhaustive walk ----------------------------------------------------------------------------


class _Unread(dict[str, Any]):
    """The walk's variables: only those some condition reads; an effect on any other finds None (unknown), which
    runtime.apply_changes leaves alone."""

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


def exhaustive(story: Story, role: str | None = None, max_states: int = STATE_CAP) -> PlaytestResult:
    """Breadth-first over distinct states. A state is the scene plus what can still matter from there on: the
    variables that conditions ahead read, the once-only choices ahead already taken, and the visit counts that
    visited()/visits() ahead read. Finds every stuck state and every state from which no ending can be reached,
    each by a shortest path; stops at `max_states` per role and says so.
    """
    roles = _roles(story, role)
    result = _frame(story, roles, "exhaustive", 0)
    result.cap = max_states
    walk = _Walk(story)
    found: dict[tuple[str, str], tuple[Trouble, list[Pick]]] = {}
    for key in roles:
        walk.run(key, max_states, result, found)
    return _finish(story, result, found, walk.book, walk.taken)


class _Walk:
    """The exhaustive walk's tables: for each scene, which variables, visit counts and once-only choices can
    still be read from there on (so states differing only in the rest are one state)."""

    def __init__(self, story: Story) -> None:
        self.story = story
        read: dict[str, set[str]] = {}
        visit_reads: dict[str, set[str]] = {}
        self.counted: dict[str, bool] = {}
        """Scene ids visits() reads (True: the count matters) or only visited() (False: whether it is > 0)."""
        for s in story.scenes.values():
            read[s.id], visit_reads[s.id] = set(), set()
            # A computed value reads its variables where the effect runs: before the scene's state is keyed.
            effects = [
                *s.on_enter,
                *(e for c in s.choices for e in (*c.effects, *(x for o in c.chance for x in o.effects))),
            ]
            nodes = [e.compute.node for e in effects if e.compute is not None]
            nodes += [c.cond.node for c in s.choices if c.cond is not None]
            for node in nodes:
                read[s.id] |= names(node) - {"role"}
                for call in calls(node):
                    target = getattr(call.args[0], "value", None) if call.args else None
                    if isinstance(target, str):
                        visit_reads[s.id].add(target)
                        self.counted[target] = self.counted.get(target, False) or call.func == "visits"
        all_read = set().union(*read.values())
        self.names = tuple(sorted(all_read))
        self.visit_names = tuple(sorted(self.counted))
        self.book = _Counting(story)
        self.taken: set[str] = set()
        """The keys of the choices some step of the walk followed."""
        # What is read ahead of a scene is what its strongly connected component and every component after it
        # read; components come numbered successors first, so one pass in that order fills them all.
        self.component = graph.components(story)
        succ = graph.successors(story)
        members: dict[int, list[str]] = {}
        for sid, comp in self.component.items():
            members.setdefault(comp, []).append(sid)
        live_vars: dict[int, frozenset[str]] = {}
        live_visits: dict[int, frozenset[str]] = {}
        for comp in range(len(members)):
            here_vars: set[str] = set()
            here_visits: set[str] = set()
            for sid in members[comp]:
                here_vars |= read[sid]
                here_visits |= visit_reads[sid]
                for after_id in succ[sid]:
                    after = self.component[after_id]
                    if after != comp:
                        here_vars |= live_vars[after]
                        here_visits |= live_visits[after]
            live_vars[comp], live_visits[comp] = frozenset(here_vars), frozenset(here_visits)
        masks: dict[Any, tuple[tuple[str, bool], ...]] = {}  # scenes with the same live set share one mask
        self.var_live: dict[str, tuple[tuple[str, bool], ...]] = {}
        self.visit_live: dict[str, tuple[tuple[str, bool], ...]] = {}
        for sid, comp in self.component.items():
            lv, vv = live_vars[comp], live_visits[comp]
            self.var_live[sid] = masks.setdefault(("v", lv), tuple((n, n in lv) for n in self.names))
            self.visit_live[sid] = masks.setdefault(("s", vv), tuple((n, n in vv) for n in self.visit_names))
        # A once-only choice taken in scene S matters again only if S can come round again: S and the current
        # scene share a component (we came from S, so S reaches here; here reaches S only within one).
        self.once_component = {
            f"{s.id}#{c.index}": self.component[s.id]
            for s in story.scenes.values()
            for c in s.choices
            if c.once
        }

    def key(
        self,
        scene: str,
        values: dict[str, Any],
        visits: dict[str, int],
        once: frozenset[str],
        stack: tuple[str, ...] = (),
    ) -> Any:
        vals = tuple([values[n] if live else None for n, live in self.var_live[scene]])
        vis = tuple(
            [
                (visits.get(n, 0) if self.counted[n] else min(visits.get(n, 0), 1)) if live else 0
                for n, live in self.visit_live[scene]
            ]
        )
        if once:
            comp = self.component[scene]
            once = frozenset([k for k in once if self.once_component[k] == comp])
        return (scene, vals, once, vis, stack)

    def run(
        self,
        role: str,
        max_states: int,
        result: PlaytestResult,
        found: dict[tuple[str, str], tuple[Trouble, list[Pick]]],
    ) -> None:
        story, book, var_names, visit_names = self.story, self.book, self.names, self.visit_names
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
        queue = deque([0])
        capped = False
        while queue:
            sid = queue.popleft()
            scene, vals, once, vis, stack = keys[sid]
            plan = book.plan(scene)
            if plan.ending:
                endings.append(sid)
                continue
            here_vars = _Unread(zip(var_names, vals, strict=True))
            here_visits = dict(zip(visit_names, vis, strict=True))
            probe.scene, probe.vars, probe.visits, probe.once_taken = scene, here_vars, here_visits, set(once)
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
                    queue.append(nid)
                edges[sid].append(nid)
        result.states += len(keys)
        stats.states = len(keys)
        stats.reached.update(k[0] for k in keys)
        for e in endings:
            scene = keys[e][0]
            stats.endings[scene] = stats.endings.get(scene, 0) + 1
            result.endings[scene] = result.endings.get(scene, 0) + 1

        def path_to(n: int) -> list[tuple[str, int, int | None]]:
            out: list[tuple[str, int, int | None]] = []
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
        for n in range(len(keys)):
            if n in live or (parent[n][0] >= 0 and parent[n][0] not in live):
                continue
            loop = _forwards(n, edges, live)
            _add_trouble(found, "loop", role, keys[n][0], path_to(n), sorted({keys[m][0] for m in loop}))


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

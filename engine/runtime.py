"""The rules of play: which choices are open, what a choice does, endings, undo. Pure: no printing, no files."""

from __future__ import annotations

import datetime as _dt
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from engine import expr
from engine.model import RETURN, Choice, Effect, Outcome, Paragraph, Scene, Story
from engine.state import GameState, Step, draw, seed_rng
from engine.text import fill, has_braces

MAX_STEPS = 100_000
"""A history longer than this is refused (no real playthrough comes near it)."""


class GameError(Exception):
    """A move the rules do not allow; the message is for the player."""


@dataclass(frozen=True, slots=True)
class Option:
    """A choice as the player sees it: its number on screen, and whether it can be taken now."""

    number: int
    choice: Choice
    open: bool


def start_values(story: Story, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    values = {name: var.start for name, var in story.variables.items()}
    for name, value in (overrides or {}).items():
        if name in story.variables:
            values[name] = clamp(story, name, value)
    return values


# --- the rule book: every scene in its prepared form --------------------------------------------------
#
# Play (choose/take/replay/undo) and playtest (random runs, the exhaustive walk) both go through `Rules`: which
# choices are open (`Rules.open_moves`) and what taking one does (`Rules.advance`). A new effect, choice flag or
# piece of game state is written here once: a new field on Change/Move/Plan, prepared in `Rules._plan`, acted on
# in `apply_changes` / `Rules.advance`; playtest follows without an edit of its own.


class PlayState(Protocol):
    """What the rules read and change: a GameState, or the exhaustive walk's lighter stand-in."""

    role: str
    scene: str
    vars: dict[str, Any]
    visits: dict[str, int]
    once_taken: set[str]
    rng: int
    stack: list[str]


@dataclass(frozen=True, slots=True)
class Change:
    """An effect prepared for play: the variable, add (or set), the value, and the variable's declared bounds
    (only int variables carry bounds, so only they are clamped)."""

    var: str
    add: bool
    value: Any
    lo: int | None
    hi: int | None
    effect: Effect
    compute: Callable[[Any], Any] | None = None
    """A computed value's compiled expression (read from the state when the change is made)."""


@dataclass(frozen=True, slots=True)
class Branch:
    """An outcome of a chance choice prepared for play."""

    weight: int
    changes: tuple[Change, ...]
    goto: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Move:
    """A choice prepared for play."""

    choice: Choice
    key: str
    """'scene#index': the once-only mark, and a stable name for the choice within one story."""
    test: Callable[[Any], Any] | None
    """The compiled condition, or None when the choice is always open."""
    once: bool
    changes: tuple[Change, ...]
    goto: str
    call: str = ""
    """A scene entered first; `goto` is pushed on the call stack, for its `goto: return`."""
    branches: tuple[Branch, ...] = ()
    """A chance choice's outcomes (one is drawn, or chosen by the exhaustive walk)."""
    total: int = 0
    """The sum of the branches' weights."""
    plain: bool = False
    """No chance, no call, no return: taking it is its effects and its goto (advance's short way)."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A scene prepared for play."""

    scene: Scene
    moves: tuple[Move, ...]
    on_enter: tuple[Change, ...]
    ending: bool
    always_open: bool = False
    """True when no choice has a condition or is once-only: every choice is open, always."""


def apply_changes(state: PlayState, changes: tuple[Change, ...]) -> None:
    """Apply prepared effects in order, clamping ints to their declared range. An add to a value of None (a
    variable whose value the exhaustive walk knows no later rule reads) leaves None; a set gives it a value (a
    computed one that reads such a None is None too: unknown)."""
    values = state.vars
    for ch in changes:
        if ch.compute is not None:
            try:
                value = ch.compute(state)
            except TypeError:  # only in the walk: it read a value the walk does not keep
                value = None
            if value is None or (ch.add and values[ch.var] is None):
                values[ch.var] = None
                continue
            v = values[ch.var] + value if ch.add else value
        elif ch.add:
            old = values[ch.var]
            if old is None:
                continue
            v = old + ch.value
        else:
            v = ch.value
        lo, hi = ch.lo, ch.hi
        if lo is not None and v < lo:
            v = lo
        elif hi is not None and v > hi:
            v = hi
        values[ch.var] = v


class Rules:
    """A story's rule book: each scene prepared once, when first needed (a large cached story stays lazy)."""

    __slots__ = ("_story", "_plans", "_inline")

    def __init__(self, story: Story) -> None:
        self._story = weakref.ref(story)
        self._plans: dict[str, Plan] = {}
        self._inline: dict[str, Callable[[Any], Any]] = {}

    @property
    def story(self) -> Story:
        story = self._story()
        if story is None:
            raise RuntimeError("the story of this rule book is gone")
        return story

    def plan(self, scene_id: str) -> Plan:
        found = self._plans.get(scene_id)
        if found is None:
            found = self._plans[scene_id] = self._plan(self.story.scenes[scene_id])
        return found

    def _changes(self, effects: tuple[Effect, ...]) -> tuple[Change, ...]:
        out = []
        for e in effects:
            var = self.story.variables[e.var]
            bounded = var.type == "int"
            out.append(
                Change(
                    e.var,
                    e.op == "add",
                    e.value,
                    var.min if bounded else None,
                    var.max if bounded else None,
                    e,
                    e.compute.test if e.compute is not None else None,
                )
            )
        return tuple(out)

    def _plan(self, s: Scene) -> Plan:
        moves = []
        for c in s.choices:
            branches = tuple(Branch(o.weight, self._changes(o.effects), o.goto, o) for o in c.chance)
            moves.append(
                Move(
                    c,
                    f"{s.id}#{c.index}",
                    c.cond.test if c.cond is not None else None,
                    c.once,
                    self._changes(c.effects),
                    c.goto,
                    c.call,
                    branches,
                    sum(b.weight for b in branches),
                    not branches and not c.call and c.goto != RETURN,
                )
            )
        always = all(m.test is None and not m.once for m in moves)
        return Plan(s, tuple(moves), self._changes(s.on_enter), s.ending is not None, always)

    def condition(self, text: str) -> Callable[[Any], Any]:
        """An inline `{if}` condition compiled (once per text; the loader has parsed and checked it)."""
        found = self._inline.get(text)
        if found is None:
            found = self._inline[text] = expr.compile_node(expr.parse(text))
        return found

    @staticmethod
    def is_open(state: PlayState, move: Move) -> bool:
        if move.once and move.key in state.once_taken:
            return False
        return move.test is None or bool(move.test(state))

    def open_moves(self, state: PlayState, plan: Plan | None = None) -> Sequence[Move]:
        """The choices that can be taken now in the current scene (or in `plan`), in story order."""
        here = plan or self.plan(state.scene)
        if here.always_open:
            return here.moves
        once = state.once_taken
        return [
            m for m in here.moves if (not m.once or m.key not in once) and (m.test is None or m.test(state))
        ]

    def enter(self, state: PlayState, scene_id: str) -> Plan:
        """Arrive in a scene: count the visit, run its on_enter effects; return the scene's plan."""
        state.scene = scene_id
        visits = state.visits
        visits[scene_id] = visits.get(scene_id, 0) + 1
        plan = self._plans.get(scene_id) or self.plan(scene_id)
        if plan.on_enter:
            apply_changes(state, plan.on_enter)
        return plan

    def resolve(self, state: PlayState, move: Move, branch: int | None = None) -> tuple[str, Branch | None]:
        """The first half of taking a choice: once-only mark, its effects, a chance outcome (drawn from the
        state's random state, or `branch` when the exhaustive walk says which), the call stack. Returns the
        scene to enter and the outcome. Raises GameError for a return with no call in progress."""
        if move.once:
            state.once_taken.add(move.key)
        if move.changes:
            apply_changes(state, move.changes)
        goto, picked = move.goto, None
        if move.branches:
            if branch is None:
                state.rng, n = draw(state.rng, move.total)
                for b in move.branches:
                    if n < b.weight:
                        picked = b
                        break
                    n -= b.weight
            else:
                picked = move.branches[branch]
            assert picked is not None
            if picked.changes:
                apply_changes(state, picked.changes)
            goto = picked.goto
        if move.call:
            state.stack.append(goto)
            goto = move.call
        elif goto == RETURN:
            if not state.stack:
                raise GameError(f"{move.key}: goto: return, but no call is in progress")
            goto = state.stack.pop()
        return goto, picked

    def advance(self, state: PlayState, move: Move, branch: int | None = None) -> Plan:
        """Take an open choice: resolve it, then enter its target (no history: see take). Returns the target's
        plan."""
        if not move.plain:
            goto, _ = self.resolve(state, move, branch)
            return self.enter(state, goto)
        if move.once:
            state.once_taken.add(move.key)
        if move.changes:
            apply_changes(state, move.changes)
        # What enter() does, written out: this is the hot path of every playtest.
        scene_id = state.scene = move.goto
        visits = state.visits
        visits[scene_id] = visits.get(scene_id, 0) + 1
        plan = self._plans.get(scene_id) or self.plan(scene_id)
        if plan.on_enter:
            apply_changes(state, plan.on_enter)
        return plan


def rules(story: Story) -> Rules:
    """The story's rule book, made on first use and kept while the story lives."""
    key = id(story)
    found = _BOOKS.get(key)
    if found is None or found._story() is not story:
        found = _BOOKS[key] = Rules(story)
        weakref.finalize(story, _BOOKS.pop, key, None)
    return found


_BOOKS: dict[int, Rules] = {}
"""id(story) -> its rule book (a frozen Story carries no cache of its own)."""


def new_game(
    story: Story, role: str, start: str | None = None, initial: Mapping[str, Any] | None = None, seed: int = 0
) -> GameState:
    """A fresh game for a role, entering its start scene (or `start`) and running that scene's on_enter."""
    if role not in story.roles:
        raise GameError(f"unknown role {role!r}; the roles are {', '.join(story.roles)}")
    first = start or story.roles[role].start
    if first not in story.scenes:
        raise GameError(f"unknown start scene {first!r}")
    state = GameState(
        role=role,
        scene=first,
        vars=start_values(story, initial),
        start=first,
        initial=dict(initial or {}),
        seed=seed,
        rng=seed_rng(seed),
    )
    rules(story).enter(state, first)
    return state


def scene(story: Story, state: GameState) -> Scene:
    return story.scenes[state.scene]


def apply(story: Story, state: GameState, effects: tuple[Effect, ...]) -> None:
    apply_changes(state, rules(story)._changes(effects))


def clamp(story: Story, name: str, value: Any) -> Any:
    """A value for a variable, held to its declared range when it is an int."""
    var = story.variables[name]
    if var.type != "int" or isinstance(value, bool) or not isinstance(value, int):
        return value
    if var.min is not None and value < var.min:
        return var.min
    if var.max is not None and value > var.max:
        return var.max
    return value


def is_open(story: Story, state: GameState, choice: Choice) -> bool:
    """Whether a choice of the current scene can be taken now."""
    return Rules.is_open(state, rules(story).plan(state.scene).moves[choice.index])


def options(story: Story, state: GameState) -> list[Option]:
    """The choices shown in the current scene, numbered from 1: the open ones and the shown-locked ones."""
    plan = rules(story).plan(state.scene)
    shown: list[Option] = []
    for m in plan.moves:
        if m.once and m.key in state.once_taken:
            continue
        ok = m.test is None or bool(m.test(state))
        if ok or m.choice.show_locked:
            shown.append(Option(len(shown) + 1, m.choice, ok))
    return shown


def open_choices(story: Story, state: GameState) -> list[Choice]:
    return [m.choice for m in rules(story).open_moves(state)]


def is_ending(story: Story, state: GameState) -> bool:
    return story.scenes[state.scene].ending is not None


def choose(story: Story, state: GameState, number: int) -> Option:
    """Take the choice shown as `number`; raise GameError (state untouched) when it cannot be taken."""
    if is_ending(story, state):
        raise GameError("this is an ending: there are no more choices")
    shown = options(story, state)
    if not shown:
        raise GameError("no choice is open here")
    if not 1 <= number <= len(shown):
        raise GameError(f"there is no choice {number}: pick 1 to {len(shown)}")
    option = shown[number - 1]
    if not option.open:
        reason = locked_reason(story, option.choice)
        raise GameError(f"choice {number} is locked: {reason if option.choice.locked else 'it ' + reason}")
    take(story, state, option.choice)
    return option


def take(story: Story, state: GameState, choice: Choice) -> None:
    """Apply a choice known to be open: effects, once-only bookkeeping, history, then enter the target."""
    if len(state.history) >= MAX_STEPS:
        raise GameError("this game is too long to go on")
    book = rules(story)
    move = book.plan(state.scene).moves[choice.index]
    here, shown = state.scene, interpolate(story, state, choice.text)
    returns = not move.call and RETURN in (move.goto, *(b.goto for b in move.branches))
    before = state.copy() if returns and not state.stack else None
    try:
        goto, branch = book.resolve(state, move)
    except GameError:
        if before is not None:  # a return with no call: leave the state as it was
            for name in GameState.__slots__:
                setattr(state, name, getattr(before, name))
        raise
    said = [*choice.response, *(branch.outcome.response if branch else ())]
    response = "\n\n".join(shown_paragraphs(story, state, said, here))
    state.history.append(Step(here, choice.index, shown, response))
    book.enter(state, goto)


def replay(
    story: Story, role: str, start: str, initial: Mapping[str, Any], history: list[Step], seed: int = 0
) -> GameState:
    """Play a recorded history again from its start; raise GameError at the first step that no longer fits."""
    state = new_game(story, role, start or None, initial, seed)
    for n, step in enumerate(history, 1):
        current = story.scenes[state.scene]
        if step.scene != state.scene:
            raise GameError(f"step {n}: the path is in {state.scene!r}, but the record says {step.scene!r}")
        if not 0 <= step.choice < len(current.choices):
            raise GameError(f"step {n}: scene {step.scene!r} has no choice {step.choice + 1} any more")
        choice = current.choices[step.choice]
        if not is_open(story, state, choice):
            raise GameError(f"step {n}: the choice {step.text!r} is not open at that point")
        take(story, state, choice)
    return state


def undo(story: Story, state: GameState, steps: int = 1) -> GameState:
    """The state `steps` choices ago (replayed from the start, so on_enter effects are exact)."""
    if steps < 1:
        raise GameError("undo takes a number of steps, 1 or more")
    if not state.history:
        raise GameError("nothing to undo: this is where the game began")
    steps = min(steps, len(state.history))
    return replay(story, state.role, state.start, state.initial, state.history[:-steps], state.seed)


def interpolate(story: Story, state: PlayState, text: str, scene_id: str | None = None) -> str:
    """Fill `{name}` with the variable's value (`{role}` with the role's name), choose inline `{if}`, `{seq}`
    and `{cycle}` (by the visits of `scene_id`, else the current scene); `{{`/`}}` are braces."""
    if not has_braces(text):
        return text  # the common case: nothing to fill

    def value(name: str) -> str | None:
        if name == "role":
            role = story.roles.get(state.role)
            return role.name if role else state.role
        got = state.vars.get(name)
        if got is None:
            return None
        if isinstance(got, bool):
            return "yes" if got else "no"
        return str(got)

    book = rules(story)
    return fill(
        text,
        value,
        lambda cond: bool(book.condition(cond)(state)),
        state.visits.get(scene_id or state.scene, 0),
    )


def shown_paragraphs(
    story: Story,
    state: PlayState,
    paras: tuple[Paragraph, ...] | list[Paragraph],
    scene_id: str | None = None,
) -> list[str]:
    """Paragraphs as the player reads them now: conditional ones chosen, markup and variables filled in, those
    left empty dropped."""
    out = []
    for p in paras:
        if p.cond is None or p.cond.test(state):
            text = interpolate(story, state, p.text, scene_id)
            if text:
                out.append(text)
    return out


def paragraphs(story: Story, state: GameState, current: Scene | None = None) -> list[str]:
    """The scene's text as the player reads it now: conditional paragraphs chosen, variables filled in."""
    current = current or story.scenes[state.scene]
    return shown_paragraphs(story, state, current.paragraphs, current.id)


def response(state: GameState) -> list[str]:
    """The paragraphs answering the choice just made (empty when it had none, or at the start)."""
    if not state.history or not state.history[-1].response:
        return []
    return state.history[-1].response.split("\n\n")


def locked_reason(story: Story, choice: Choice) -> str:
    """Why a locked choice is locked, for a player: the story's own `locked:` words ("You know nobody on the
    committee."), else its condition in words ("needs Trust in the Soviet at least 2")."""
    if choice.locked:
        return choice.locked
    if choice.cond is None:
        return "needs nothing"

    def label(name: str) -> str:
        var = story.variables.get(name)
        return var.label if var else name

    def title(scene_id: str) -> str:
        s = story.scenes.get(scene_id)
        return s.title if s else scene_id

    return "needs " + expr.explain(choice.cond.node, label, title)


def new_style(date: _dt.date) -> _dt.date:
    """The Gregorian (New Style) twin of a Julian (Old Style) date in 1900-2099: 13 days later."""
    return date + _dt.timedelta(days=13)


CALENDARS = ("julian", "gregorian", "none")
"""How a story's dates are read: Old Style with its New Style twin, as written, or no dates at all."""


def format_date(date: _dt.date, weekday: bool = False, calendar: str = "julian") -> str:
    """'23 February 1917 · 8 March N.S.' (the weekday, when asked for, is the same in both calendars); for a
    Gregorian story the date alone ('Thursday 8 March 1917'); for a story with no calendar, ''."""
    if calendar == "none":
        return ""
    if calendar == "gregorian":
        return f"{date:%A} {date.day} {date:%B %Y}" if weekday else f"{date.day} {date:%B %Y}"
    ns = new_style(date)
    os_text = f"{date.day} {date:%B %Y}"
    if weekday:
        os_text = f"{ns:%A} {os_text}"
    return f"{os_text} · {ns.day} {ns:%B} N.S."


def short_date(date: _dt.date, calendar: str = "julian") -> str:
    return "" if calendar == "none" else f"{date.day} {date:%b %Y}"


def journal(story: Story, state: GameState) -> list[tuple[Scene, str | None]]:
    """The path so far: each scene passed through with the choice made there (None for the current one)."""
    return [(s, text) for s, text, _ in journal_steps(story, state)]


def journal_steps(story: Story, state: GameState) -> list[tuple[Scene, str | None, str]]:
    """The path so far: each scene, the choice made there (None for the current one) and its response."""
    out: list[tuple[Scene, str | None, str]] = []
    for step in state.history:
        s = story.scenes.get(step.scene)
        if s is not None:
            out.append((s, step.text, step.response))
    out.append((story.scenes[state.scene], None, ""))
    return out


def words(text: str) -> int:
    return len(text.split())

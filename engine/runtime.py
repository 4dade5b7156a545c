"""The rules of play: which choices are open, what a choice does, endings, undo. Pure: no printing, no files."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine import expr
from engine.model import Choice, Effect, Scene, Story
from engine.state import GameState, Step
from engine.text import fill

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
            values[name] = _clamp(story, name, value)
    return values


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
    )
    _enter(story, state, first)
    return state


def scene(story: Story, state: GameState) -> Scene:
    return story.scenes[state.scene]


def _enter(story: Story, state: GameState, scene_id: str) -> None:
    state.scene = scene_id
    state.visits[scene_id] = state.visits.get(scene_id, 0) + 1
    apply(story, state, story.scenes[scene_id].on_enter)


def apply(story: Story, state: GameState, effects: tuple[Effect, ...]) -> None:
    for eff in effects:
        if eff.op == "set":
            state.vars[eff.var] = _clamp(story, eff.var, eff.value)
        else:
            state.vars[eff.var] = _clamp(story, eff.var, state.vars[eff.var] + eff.value)


def _clamp(story: Story, name: str, value: Any) -> Any:
    var = story.variables[name]
    if var.type != "int" or isinstance(value, bool) or not isinstance(value, int):
        return value
    if var.min is not None and value < var.min:
        return var.min
    if var.max is not None and value > var.max:
        return var.max
    return value


def is_open(state: GameState, choice: Choice, scene_id: str) -> bool:
    if choice.once and f"{scene_id}#{choice.index}" in state.once_taken:
        return False
    return choice.cond is None or bool(choice.cond.test(state))


def options(story: Story, state: GameState) -> list[Option]:
    """The choices shown in the current scene, numbered from 1: the open ones and the shown-locked ones."""
    current = story.scenes[state.scene]
    shown: list[Option] = []
    for choice in current.choices:
        if choice.once and f"{current.id}#{choice.index}" in state.once_taken:
            continue
        ok = choice.cond is None or bool(choice.cond.test(state))
        if ok or choice.show_locked:
            shown.append(Option(len(shown) + 1, choice, ok))
    return shown


def open_choices(story: Story, state: GameState) -> list[Choice]:
    current = story.scenes[state.scene]
    return [c for c in current.choices if is_open(state, c, current.id)]


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
        raise GameError(f"choice {number} is locked: it needs {locked_reason(story, option.choice)}")
    take(story, state, option.choice)
    return option


def take(story: Story, state: GameState, choice: Choice) -> None:
    """Apply a choice known to be open: effects, once-only bookkeeping, history, then enter the target."""
    if len(state.history) >= MAX_STEPS:
        raise GameError("this game is too long to go on")
    current = state.scene
    state.history.append(Step(current, choice.index, interpolate(story, state, choice.text)))
    if choice.once:
        state.once_taken.add(f"{current}#{choice.index}")
    apply(story, state, choice.effects)
    _enter(story, state, choice.goto)


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
        if not is_open(state, choice, current.id):
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


def interpolate(story: Story, state: GameState, text: str) -> str:
    """Fill `{name}` with the variable's value (`{role}` with the role's name); `{{`/`}}` are braces."""

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

    return fill(text, value)


def paragraphs(story: Story, state: GameState, current: Scene | None = None) -> list[str]:
    """The scene's text as the player reads it now: conditional paragraphs chosen, variables filled in."""
    current = current or story.scenes[state.scene]
    return [
        interpolate(story, state, p.text) for p in current.paragraphs if p.cond is None or p.cond.test(state)
    ]


def locked_reason(story: Story, choice: Choice) -> str:
    """A locked choice's condition in words a player understands."""
    if choice.cond is None:
        return "nothing"

    def label(name: str) -> str:
        var = story.variables.get(name)
        return var.label if var else name

    def title(scene_id: str) -> str:
        s = story.scenes.get(scene_id)
        return s.title if s else scene_id

    return expr.explain(choice.cond.node, label, title)


def new_style(date: _dt.date) -> _dt.date:
    """The Gregorian (New Style) twin of a Julian (Old Style) date in 1900-2099: 13 days later."""
    return date + _dt.timedelta(days=13)


def format_date(date: _dt.date, weekday: bool = False) -> str:
    """'23 February 1917 · 8 March N.S.' (the weekday, when asked for, is the same in both calendars)."""
    ns = new_style(date)
    os_text = f"{date.day} {date:%B %Y}"
    if weekday:
        os_text = f"{ns:%A} {os_text}"
    return f"{os_text} · {ns.day} {ns:%B} N.S."


def short_date(date: _dt.date) -> str:
    return f"{date.day} {date:%b %Y}"


def journal(story: Story, state: GameState) -> list[tuple[Scene, str | None]]:
    """The path so far: each scene passed through with the choice made there (None for the current one)."""
    out: list[tuple[Scene, str | None]] = []
    for step in state.history:
        s = story.scenes.get(step.scene)
        if s is not None:
            out.append((s, step.text))
    out.append((story.scenes[state.scene], None))
    return out


def words(text: str) -> int:
    return len(text.split())

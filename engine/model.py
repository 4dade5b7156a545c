"""The story as immutable data: every node remembers where in which file it was written."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, dataclass_transform

if TYPE_CHECKING:
    from engine.expr import Compiled, Node

_T = TypeVar("_T")


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def value(cls: type[_T]) -> type[_T]:
    """A story node: a slotted dataclass, equal and hashed by its fields, and immutable as far as the type
    checker is concerned (`mypy --strict`, `make typecheck`, reports any assignment to a field).

    Not frozen at run time: a frozen dataclass sets each field through object.__setattr__, and a large story
    makes hundreds of thousands of nodes (every one with a Source); that cost about a seventh of a cold
    `check` (benchmarks/RESULTS.md, goal 19.4). Nothing in the engine assigns to a node after it is made."""
    return dataclass(slots=True, unsafe_hash=True)(cls)


@value
class Source:
    """A position in a story file (1-based line and column)."""

    path: str
    line: int
    col: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}"


NOWHERE = Source("<story>", 1, 1)


@value
class Condition:
    """A parsed, type-checked and compiled condition."""

    text: str
    """The condition as the author wrote it."""
    node: Node = field(compare=False, repr=False)
    """Its syntax tree (compared through `text`)."""
    test: Compiled = field(compare=False, repr=False)
    """The compiled evaluator: test(state) -> bool (not compared: two compilations of one text are equal)."""
    source: Source = field(default=NOWHERE)


@value
class Variable:
    name: str
    type: str
    """'int', 'bool' or 'str'."""
    start: int | bool | str
    min: int | None
    max: int | None
    label: str
    """What the player reads (defaults to the name)."""
    show: bool
    """Shown in the toolbar and by `stats`."""
    source: Source
    describe: str = ""
    """`describe:` what the value means in the story, shown by `stats` ("" if not given)."""


@value
class Role:
    key: str
    name: str
    title: str
    blurb: str
    start: str
    source: Source


@value
class Effect:
    op: str
    """'set' or 'add'."""
    var: str
    value: int | bool | str
    source: Source
    compute: Condition | None = None
    """A computed value (`set: {x: {expr: "..."}}`): its compiled expression, evaluated when the effect runs
    (then `value` is unused)."""


@value
class Paragraph:
    text: str
    cond: Condition | None
    source: Source


RETURN = "return"
"""The goto target that ends a call: play continues at the calling choice's goto."""


@value
class Outcome:
    """One outcome of a choice's `chance:` draw."""

    weight: int
    goto: str
    effects: tuple[Effect, ...]
    response: tuple[Paragraph, ...]
    source: Source


@value
class Choice:
    text: str
    goto: str
    """The next scene ('' for a chance choice, whose outcomes say; RETURN to end a call)."""
    cond: Condition | None
    effects: tuple[Effect, ...]
    once: bool
    show_locked: bool
    index: int
    """Position in its scene's list of choices (0-based)."""
    source: Source
    historical: str = ""
    """`historical:` one sentence of evidence that most real people in the player's place did this ("" if not)."""
    response: tuple[Paragraph, ...] = ()
    """Shown right after the choice is taken, before the next scene's text."""
    call: str = ""
    """A scene played first (`call:`); its `goto: return` comes back to `goto`."""
    chance: tuple[Outcome, ...] = ()
    """Weighted outcomes drawn from the game's random state instead of one goto."""
    locked: str = ""
    """`locked:` why the choice is locked, in the story's words ("" to say its condition in words)."""

    @property
    def targets(self) -> tuple[str, ...]:
        """The scenes this choice can lead to (a call's scene, then where its return goes on; RETURN as written)."""
        if self.chance:
            return tuple(dict.fromkeys(o.goto for o in self.chance))
        return (self.call, self.goto) if self.call else (self.goto,)


@value
class Ending:
    title: str
    epilogue: str
    source: Source


@value
class Scene:
    id: str
    title: str
    date: _dt.date
    """Old Style (Julian) date."""
    place: str
    paragraphs: tuple[Paragraph, ...]
    note: str
    documents: tuple[str, ...]
    on_enter: tuple[Effect, ...]
    choices: tuple[Choice, ...]
    ending: Ending | None
    source: Source

    @property
    def file(self) -> str:
        return self.source.path


@value
class Term:
    term: str
    aliases: tuple[str, ...]
    text: str
    source: Source


@value
class Document:
    id: str
    title: str
    date: _dt.date | None
    attribution: str
    text: str
    source: Source


@dataclass(frozen=True, slots=True, weakref_slot=True)  # one per load: frozen at run time too
class Story:
    id: str
    title: str
    version: int
    premise: str
    content_notes: tuple[str, ...]
    roles: dict[str, Role]
    variables: dict[str, Variable]
    scenes: Mapping[str, Scene]
    """Scene id -> scene, in story order (a lazy mapping when the story comes from the cache)."""
    glossary: tuple[Term, ...] = ()
    documents: dict[str, Document] = field(default_factory=dict)
    root: Path = Path(".")
    files: tuple[str, ...] = ()
    calendar: str = "julian"
    """'julian' (dates are Old Style, shown with their New Style twin), 'gregorian' or 'none' (no dates shown)."""

    @property
    def endings(self) -> list[Scene]:
        ids = getattr(
            self.scenes, "ending_ids", None
        )  # a cached story knows them without parsing every scene
        if ids is not None:
            return [self.scenes[i] for i in ids]
        return [s for s in self.scenes.values() if s.ending is not None]

    def role_of(self, scene_id: str) -> str | None:
        """The role a scene belongs to by naming convention (`worker.feb.queue` -> `worker`)."""
        head = scene_id.split(".", 1)[0]
        return head if head in self.roles else None

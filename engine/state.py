"""GameState: the one mutable object of a game, saved whole."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MASK64 = (1 << 64) - 1


def seed_rng(seed: int) -> int:
    """The random state a game with this seed starts from (a 64-bit integer)."""
    return _mix((seed * 0x9E3779B97F4A7C15) & MASK64) or 1


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def draw(rng: int, bound: int) -> tuple[int, int]:
    """One step of SplitMix64 from random state `rng`: (the next state, a number in 0..bound-1). Pure integer
    arithmetic, so the same state draws the same on every machine and after every save and replay."""
    rng = (rng + 0x9E3779B97F4A7C15) & MASK64
    return rng, _mix(rng) % bound


class StateError(Exception):
    """A state dictionary (from a save file) has the wrong shape."""


@dataclass(frozen=True, slots=True)
class Step:
    """One choice made: in which scene, which choice (by index and by its text as the player read it)."""

    scene: str
    choice: int
    text: str
    response: str = ""
    """The choice's response as the player read it (paragraphs joined by blank lines), '' when it has none."""

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scene": self.scene, "choice": self.choice, "text": self.text}
        if self.response:
            out["response"] = self.response
        return out


@dataclass(slots=True)
class GameState:
    role: str
    scene: str
    vars: dict[str, Any]
    visits: dict[str, int] = field(default_factory=dict)
    history: list[Step] = field(default_factory=list)
    once_taken: set[str] = field(default_factory=set)
    """'scene#index' for every once-only choice already taken."""
    start: str = ""
    """The scene this game began in (the role's start, or an assignment's)."""
    initial: dict[str, Any] = field(default_factory=dict)
    """Starting values that differ from the story's (an assignment's `set:`), so the game can be replayed."""
    seed: int = 0
    rng: int = 0
    """The random state chance draws come from (a 64-bit integer, set from the seed by runtime.new_game)."""
    stack: list[str] = field(default_factory=list)
    """Where each call in progress returns to (the calling choice's goto), innermost last."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "role": self.role,
            "scene": self.scene,
            "vars": dict(self.vars),
            "visits": dict(self.visits),
            "history": [s.to_dict() for s in self.history],
            "once_taken": sorted(self.once_taken),
            "start": self.start,
            "initial": dict(self.initial),
            "seed": self.seed,
            "rng": self.rng,
            "stack": list(self.stack),
        }

    @classmethod
    def from_dict(cls, data: Any) -> GameState:
        """Rebuild a state, checking every field's shape; raise StateError saying what is wrong."""
        if not isinstance(data, dict):
            raise StateError("the game state is not a JSON object")

        def need(key: str, kind: type | tuple[type, ...]) -> Any:
            if key not in data:
                raise StateError(f"the game state has no {key!r}")
            value = data[key]
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise StateError(f"the game state's {key!r} has the wrong type")
            return value

        values = need("vars", dict)
        for k, v in values.items():
            if not isinstance(k, str) or not isinstance(v, (int, str, bool)):
                raise StateError(f"variable {k!r} has a value of the wrong type")
        visits = need("visits", dict)
        for k, v in visits.items():
            if not isinstance(k, str) or not isinstance(v, int) or isinstance(v, bool) or v < 0:
                raise StateError("the visit counts have the wrong shape")
        history: list[Step] = []
        for item in need("history", list):
            if not (
                isinstance(item, dict)
                and isinstance(item.get("scene"), str)
                and isinstance(item.get("choice"), int)
                and not isinstance(item.get("choice"), bool)
                and isinstance(item.get("text"), str)
                and isinstance(item.get("response", ""), str)
            ):
                raise StateError("the history has the wrong shape")
            history.append(Step(item["scene"], item["choice"], item["text"], item.get("response", "")))
        once = data.get("once_taken", [])
        if not isinstance(once, list) or not all(isinstance(x, str) for x in once):
            raise StateError("once_taken has the wrong shape")
        initial = data.get("initial", {})
        if not isinstance(initial, dict):
            raise StateError("initial has the wrong shape")
        seed = data.get("seed", 0)
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise StateError("seed has the wrong type")
        rng = data.get("rng", None)  # saves before format 2 have no random state and no call stack
        if rng is None:
            rng = seed_rng(seed)
        if not isinstance(rng, int) or isinstance(rng, bool) or not 0 <= rng < 2**64:
            raise StateError("rng has the wrong type")
        stack = data.get("stack", [])
        if not isinstance(stack, list) or not all(isinstance(x, str) for x in stack):
            raise StateError("the call stack has the wrong shape")
        scene = need("scene", str)
        return cls(
            role=need("role", str),
            scene=scene,
            vars=dict(values),
            visits=dict(visits),
            history=history,
            once_taken=set(once),
            start=data.get("start", "") if isinstance(data.get("start"), str) else "",
            initial=dict(initial),
            seed=seed,
            rng=rng,
            stack=list(stack),
        )

    def copy(self) -> GameState:
        return GameState(
            self.role,
            self.scene,
            dict(self.vars),
            dict(self.visits),
            list(self.history),
            set(self.once_taken),
            self.start,
            dict(self.initial),
            self.seed,
            self.rng,
            list(self.stack),
        )

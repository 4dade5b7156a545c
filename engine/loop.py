"""The one play loop: show the session's views, ask for a line, handle it, until the game is left.

Every front end (plain mode, the terminal, an assignment in either, and with --watch) runs through `play`.
A front end implements `FrontEnd` and nothing else: a web or SSH front end of the coming classroom server
is one more implementation of it. A server that answers one request at a time need not run this loop at
all: it calls `session.current()` once and `session.handle(line)` per request, and does what `play` does at
the edges (autosave when the player goes away, `session.goodbye(reason)` when the game is left).

The loop is written once, as a generator (`_steps`) that yields each prompt and is sent the line typed;
`play` drives it for a front end whose `ask` blocks, `play_async` for one whose `ask` is a coroutine (the
SSH listener, where many students share one event loop).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator, Sequence
from typing import Protocol, TypeVar

from engine.session import EndingView, Leave, Session, View

RELOAD = "\x00reload"
"""What `FrontEnd.ask` may return when it stopped waiting because a story file changed (a typed line cannot
hold NUL): the loop reloads and asks again."""
_T = TypeVar("_T")


class FrontEnd(Protocol):
    """What the play loop needs of a front end; implement these to add one (see docs/architecture.md).

    The loop calls them from one thread, in this order: show (what to show now), then repeatedly
    reload_pending, ask, reload_pending, show; farewell once at the end. (An async front end implements
    AsyncFrontEnd and is driven by `play_async`.)"""

    leave_at_ending: bool
    """True: the game is left as soon as a choice reaches an ending (plain mode). False: the prompt stays
    (for undo and journal) and an empty line leaves it (the terminal goes back to its title screen)."""

    def show(self, views: Sequence[View]) -> None:
        """Show the views, in order."""

    def ask(self, prompt: str) -> str | None:
        """One typed line (without its newline); None at end of input (Ctrl-D, a closed pipe, Ctrl-C)."""

    def reload_pending(self) -> bool:
        """Whether the story should be reloaded now (--watch saw a change); asked before and after `ask`."""

    def farewell(self, session: Session, reason: str) -> None:
        """The game is left: reason 'quit' (typed), 'eof' (end of input), 'ending' (an ending reached, or
        an empty line at one) or 'done' (the session finished, e.g. an assignment). Show
        `session.goodbye(reason)`, or the front end's usual words when that is None."""


class AsyncFrontEnd(FrontEnd, Protocol):
    """A front end for `play_async`: `ask_async` instead of `ask`, and `run`, which runs each step of the loop
    between two prompts (handling a line, saving, showing what follows) where the front end wants it (in
    place, or in a worker thread)."""

    async def ask_async(self, prompt: str) -> str | None:
        """As `FrontEnd.ask`, awaited."""

    def run(self, step: Callable[[], _T]) -> Awaitable[_T]:
        """Run `step()` (it does not block on the player) and give its result."""


def play(session: Session, frontend: FrontEnd) -> int:
    """Play `session` on `frontend` until the player leaves. Returns the exit code (0: leaving is no error;
    what was played is saved)."""
    steps = _steps(session, frontend)
    prompt, code = _advance(steps, None)
    while code is None:
        prompt, code = _advance(steps, frontend.ask(prompt))
    return code


async def play_async(session: Session, frontend: AsyncFrontEnd) -> int:
    """`play` for a front end whose `ask` is a coroutine: the same loop, driven by awaiting each line."""
    steps = _steps(session, frontend)
    prompt, code = await frontend.run(lambda: _advance(steps, None))
    while code is None:
        line = await frontend.ask_async(prompt)
        prompt, code = await frontend.run(lambda: _advance(steps, line))  # noqa: B023 (awaited at once)
    return code


def _advance(steps: Generator[str, str | None, int], line: str | None) -> tuple[str, int | None]:
    """Send the loop a line (None to start it): (the next prompt, None), or ('', the exit code) at its end."""
    try:
        return steps.send(line), None
    except StopIteration as stop:
        return "", stop.value


def _steps(session: Session, frontend: FrontEnd) -> Generator[str, str | None, int]:
    """The loop itself: yields the prompt whenever it needs a line, and is sent the line (None at the end of
    input); returns the exit code."""
    views = session.current()
    frontend.show(views)
    while True:
        left = next((v for v in views if isinstance(v, Leave)), None)
        if left is not None:
            frontend.farewell(session, left.reason)
            return 0
        if frontend.reload_pending():
            frontend.show(session.cmd_reload(""))
        line = yield session.prompt()
        # A file saved while the prompt waited: reload before the line is handled, so it meets the new story.
        if frontend.reload_pending():
            frontend.show(session.cmd_reload(""))
        if line == RELOAD:
            views = []
            continue
        if line is None:
            frontend.show(session.autosave())
            frontend.farewell(session, "eof")
            return 0
        if session.ended and not line.strip() and not frontend.leave_at_ending:
            frontend.farewell(session, "ending")
            return 0
        views = session.handle(line)
        frontend.show(views)
        # (An assignment's session is not `ended` while its end questions wait.)
        if frontend.leave_at_ending and session.ended and any(isinstance(v, EndingView) for v in views):
            frontend.farewell(session, "ending")
            return 0

"""The one play loop: a front end that implements only `loop.FrontEnd` plays a whole game."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from engine import app, loop
from engine.saves import AUTOSAVE, Saves
from engine.session import EndingView, Message, SceneView, Session, View
from tests.conftest import MINI


class Scripted:
    """A front end of a few lines: typed lines from a list, views kept (as a web page would render them)."""

    leave_at_ending = False

    def __init__(self, lines: list[str], reload_before: int | None = None) -> None:
        self.lines = lines
        self.shown: list[View] = []
        self.asked = 0
        self.reload_before = reload_before
        self.left: list[str] = []

    def show(self, views: Sequence[View]) -> None:
        self.shown.extend(views)

    def ask(self, prompt: str) -> str | None:
        self.asked += 1
        return self.lines.pop(0) if self.lines else None

    def reload_pending(self) -> bool:
        return self.reload_before is not None and self.asked == self.reload_before

    def farewell(self, session: Session, reason: str) -> None:
        self.left.append(reason)


def new_session(tmp_path: Path) -> Session:
    story, _ = app.load_story(MINI)
    assert story is not None
    return Session.new(story, "baker", Saves(tmp_path / "saves"), reload_story=app.make_reloader(MINI))


def test_a_front_end_of_its_own_plays_to_an_ending_and_leaves_on_an_empty_line(tmp_path: Path) -> None:
    fe = Scripted(["2", "2", ""])
    assert loop.play(new_session(tmp_path), fe) == 0
    assert isinstance(fe.shown[0], SceneView) and fe.shown[0].title == "Dawn"
    assert any(isinstance(v, EndingView) and v.title == "Home Again" for v in fe.shown)
    assert fe.left == ["ending"]


def test_end_of_input_autosaves_and_says_farewell_once(tmp_path: Path) -> None:
    fe = Scripted(["2"])
    session = new_session(tmp_path)
    assert loop.play(session, fe) == 0
    assert fe.left == ["eof"]
    assert Saves(tmp_path / "saves").load(AUTOSAVE, session.story)[0].scene == "baker.street"


def test_a_pending_reload_is_shown_before_the_next_line(tmp_path: Path) -> None:
    fe = Scripted(["2", "quit"], reload_before=1)
    loop.play(new_session(tmp_path), fe)
    assert [v.text for v in fe.shown if isinstance(v, Message)][:1] == ["Story reloaded."]
    assert fe.left == ["quit"]


class AsyncScripted(Scripted):
    """The same front end with an awaited ask, and its steps run in a worker thread (which `run` allows)."""

    async def ask_async(self, prompt: str) -> str | None:
        return self.ask(prompt)

    def run(self, step):  # type: ignore[no-untyped-def]
        import asyncio

        return asyncio.to_thread(step)


def test_the_async_driver_plays_the_same_game_as_the_sync_one(tmp_path: Path) -> None:
    import asyncio

    lines = ["2", "journal", "2", ""]
    sync, async_ = Scripted(list(lines)), AsyncScripted(list(lines))
    assert loop.play(new_session(tmp_path / "a"), sync) == 0
    assert asyncio.run(loop.play_async(new_session(tmp_path / "b"), async_)) == 0
    assert async_.shown == sync.shown and async_.left == sync.left == ["ending"]
    assert any(isinstance(v, EndingView) for v in async_.shown)

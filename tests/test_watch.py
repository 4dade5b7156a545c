"""Live reload: the watcher notices story file changes; a reload keeps the game; `play --watch` reloads itself."""

from __future__ import annotations

import os
import shutil
import sys
import threading
from pathlib import Path

import pytest

from engine import app, cli, runtime, watch
from engine.saves import Saves
from engine.session import Message, SceneView, Session

MINI = Path(__file__).parent / "data" / "mini"


def copy_mini(tmp_path: Path) -> Path:
    root = tmp_path / "story"
    shutil.copytree(MINI, root)
    return root


def touch(path: Path, text: str) -> None:
    """Rewrite a file and move its mtime on, so the change shows even on coarse-clock file systems."""
    st = path.stat() if path.exists() else None
    path.write_text(text, encoding="utf-8")
    if st is not None:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def test_watcher_sees_edits_new_and_removed_files(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    w = watch.Watcher(root)
    assert not w.changed()
    baker = root / "scenes" / "baker.yaml"
    touch(baker, baker.read_text(encoding="utf-8").replace("The street is full.", "The street is empty."))
    assert w.changed()
    assert not w.changed()  # reported once
    (root / "scenes" / "new.yaml").write_text("scenes: []\n", encoding="utf-8")
    assert w.changed()
    (root / "scenes" / "new.yaml").unlink()
    assert w.changed()
    (root / "notes.txt").write_text("not a story file", encoding="utf-8")
    (root / ".hidden.yaml").write_text("x: 1", encoding="utf-8")
    assert not w.changed()


def make_session(root: Path, tmp_path: Path) -> Session:
    story, _ = app.load_story(root)
    assert story is not None
    state = runtime.new_game(story, "baker")
    return Session(story, state, Saves(tmp_path / "saves"), reload_story=app.make_reloader(root))


def test_reload_keeps_the_game_and_shows_the_new_text(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    session = make_session(root, tmp_path)
    session.handle("2")  # Take heart: to the street, courage 1
    w = watch.Watcher(root)
    assert watch.reload_if_changed(w, session) == []
    baker = root / "scenes" / "baker.yaml"
    touch(baker, baker.read_text(encoding="utf-8").replace("The street is full.", "The street is empty."))
    views = watch.reload_if_changed(w, session)
    assert isinstance(views[0], Message) and views[0].text == "Story reloaded."
    scene = views[1]
    assert isinstance(scene, SceneView) and scene.paragraphs[0] == "The street is empty."
    assert session.state.scene == "baker.street"
    assert session.state.vars["courage"] == 1 and len(session.state.history) == 1


def test_reload_with_errors_keeps_the_old_story(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    session = make_session(root, tmp_path)
    session.handle("2")
    before = session.state.to_dict()
    w = watch.Watcher(root)
    baker = root / "scenes" / "baker.yaml"
    touch(baker, baker.read_text(encoding="utf-8").replace("goto: baker.end.home", "goto: baker.end.hmoe"))
    views = watch.reload_if_changed(w, session)
    assert len(views) == 1 and isinstance(views[0], Message) and views[0].kind == "error"
    assert "old version stays loaded" in views[0].text and "baker.end.hmoe" in views[0].text
    assert session.state.to_dict() == before
    assert session.handle("2")  # the game goes on: Go home
    assert session.state.scene == "baker.end.home"


class EditingInput:
    """Stdin for plain mode that edits the story just before the player's second line (as an author would)."""

    def __init__(self, lines: list[str], baker: Path) -> None:
        self.lines = lines
        self.baker = baker
        self.calls = 0

    def readline(self) -> str:
        self.calls += 1
        if self.calls == 2:
            touch(
                self.baker,
                self.baker.read_text(encoding="utf-8").replace(
                    "Somebody is singing.", "Somebody is shouting."
                ),
            )
        return self.lines.pop(0) if self.lines else ""

    def isatty(self) -> bool:
        return False


def test_play_watch_reloads_in_plain_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_mini(tmp_path)
    monkeypatch.setattr(
        sys, "stdin", EditingInput(["2\n", "look\n", "quit\n"], root / "scenes" / "baker.yaml")
    )
    code = cli.main(
        [
            "play",
            "--plain",
            "--watch",
            "--story",
            str(root),
            "--role",
            "baker",
            "--saves",
            str(tmp_path / "saves"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    first, _, rest = out.partition("Somebody is singing.")
    assert rest, "the street was shown before the edit"
    assert "Story reloaded." in rest and "Somebody is shouting." in rest


def test_watch_in_background_calls_back(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    seen = threading.Event()
    stop = watch.watch_in_background(root, seen.set, interval=0.01)
    try:
        touch(root / "story.yaml", (root / "story.yaml").read_text(encoding="utf-8") + "\n")
        assert seen.wait(30), "no change reported"
    finally:
        stop()

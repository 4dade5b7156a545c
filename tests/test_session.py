"""Starting, loading, undoing and reloading a game through the Session, as a player would notice them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from engine import app, watch
from engine.saves import Saves
from engine.session import EndingView, Message, SceneView, Session, StartError
from tests.conftest import MINI


def copy_mini(tmp_path: Path) -> Path:
    root = tmp_path / "story"
    shutil.copytree(MINI, root)
    return root


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    st = path.stat()
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


def swap_dawn_choices(root: Path) -> None:
    """The author swaps 'Sell a loaf.' and 'Take heart.' (with their effects and targets) at Dawn."""
    baker = root / "scenes" / "baker.yaml"
    text = baker.read_text(encoding="utf-8")
    sell = "      - text: Sell a loaf.\n        once: true\n        add: {bread: -1}\n        set: {sold: true}\n        goto: baker.dawn\n"
    heart = "      - text: Take heart.\n        add: {courage: 1}\n        goto: baker.street\n"
    assert sell + heart in text
    edit(baker, sell + heart, heart + sell)


def new_session(root: Path, tmp_path: Path, role: str = "baker") -> Session:
    story, _ = app.load_story(root)
    assert story is not None
    return Session.new(story, role, Saves(tmp_path / "saves"), reload_story=app.make_reloader(root))


def pick(session: Session, text: str) -> list:
    """Choose the option showing `text`, by the number the player would type."""
    view = session.scene_view()
    number = next(o.number for o in view.options if o.text == text)
    return session.handle(str(number))


def texts(views: list) -> str:
    return "\n".join(v.text for v in views if isinstance(v, Message))


def test_reload_after_swapping_two_choices_keeps_the_players_path(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    session = new_session(root, tmp_path)
    pick(session, "Take heart.")
    assert session.state.scene == "baker.street"
    swap_dawn_choices(root)
    views = session.handle("reload")
    assert "Story reloaded." in texts(views)
    # Not put on the other path (back at Dawn having sold a loaf): still in the street, with the courage taken.
    assert session.state.scene == "baker.street"
    assert session.state.vars["courage"] == 1 and session.state.vars["sold"] is False


def test_a_once_only_choice_taken_does_not_come_back_after_a_reload_that_moved_it(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    session = new_session(root, tmp_path)
    pick(session, "Sell a loaf.")
    pick(session, "Take heart.")
    pick(session, "Go back to the bakery.")
    swap_dawn_choices(root)
    session.handle("reload")
    view = session.current()[0]
    assert isinstance(view, SceneView) and view.scene_id == "baker.dawn"
    assert "Sell a loaf." not in [o.text for o in view.options]


def test_reload_says_where_the_path_no_longer_fits(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    session = new_session(root, tmp_path)
    pick(session, "Take heart.")
    edit(root / "scenes" / "baker.yaml", "text: Take heart.", "text: Take courage.")
    said = texts(session.handle("reload"))
    assert "Story reloaded." in said
    assert "step 1" in said and "'baker.dawn'" in said and "'Take heart.'" in said
    assert session.state.scene == "baker.street"  # the player stays where they were


def test_undo_after_loading_an_older_save_follows_the_path_played(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    session = new_session(root, tmp_path)
    pick(session, "Take heart.")
    pick(session, "Go back to the bakery.")
    session.handle("save before")
    swap_dawn_choices(root)
    later = new_session(root, tmp_path)
    later.handle("load before")
    assert later.state.scene == "baker.dawn"
    later.handle("undo")
    assert later.state.scene == "baker.street" and later.state.vars["courage"] == 1


@pytest.mark.parametrize("where", ["outside.json", "../outside.json", "{abs}"])
def test_the_in_game_load_takes_slot_names_only(tmp_path: Path, where: str) -> None:
    session = new_session(MINI, tmp_path)
    pick(session, "Take heart.")
    session.handle("save mine")
    # A real save, copied outside the saves folder: typing its path must not load it.
    outside = tmp_path / "outside.json"
    shutil.copy(tmp_path / "saves" / "mine.json", outside)
    fresh = new_session(MINI, tmp_path)
    arg = str(outside) if where == "{abs}" else where
    said = texts(fresh.handle(f"load {arg}"))
    assert "is not a slot name" in said
    assert fresh.state.scene == "baker.dawn" and not fresh.state.history


def test_watch_sees_an_edit_that_keeps_size_and_mtime(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    w = watch.Watcher(root)
    baker = root / "scenes" / "baker.yaml"
    st = baker.stat()
    text = baker.read_text(encoding="utf-8")
    baker.write_text(text.replace("The street is full.", "The street is busy."), encoding="utf-8")
    os.utime(baker, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert baker.stat().st_size == st.st_size and baker.stat().st_mtime_ns == st.st_mtime_ns
    assert w.changed()


def test_an_unknown_role_has_one_wording(tmp_path: Path) -> None:
    story, _ = app.load_story(MINI)
    assert story is not None
    with pytest.raises(StartError, match=r"unknown role 'pirate'; the story's roles are: baker, guard"):
        Session.new(story, "pirate", Saves(tmp_path / "saves"))


def test_a_save_of_another_story_does_not_resume(tmp_path: Path) -> None:
    other = copy_mini(tmp_path)
    edit(other / "story.yaml", "id: mini", "id: other")
    saves = Saves(tmp_path / "saves")
    first = new_session(other, tmp_path)
    first.handle("save theirs")
    story, _ = app.load_story(MINI)
    assert story is not None
    with pytest.raises(StartError, match="belongs to another story"):
        Session.resume(story, "theirs", saves)


def test_a_save_whose_role_left_the_story_does_not_resume_nor_reload(tmp_path: Path) -> None:
    root = copy_mini(tmp_path)
    session = new_session(root, tmp_path, role="guard")
    session.handle("save guarding")
    edit(root / "story.yaml", "  guard:\n    name: Guard", "  warden:\n    name: Guard")
    said = texts(session.handle("reload"))
    assert "no role 'guard' any more" in said and session.state.role == "guard"
    story, diags = app.load_story(root)
    assert story is not None, diags
    with pytest.raises(StartError, match="the role 'guard' is not in this story"):
        Session.resume(story, "guarding", Saves(tmp_path / "saves"))


def test_a_damaged_endings_file_does_not_stop_an_ending(tmp_path: Path) -> None:
    (tmp_path / "saves").mkdir()
    (tmp_path / "saves" / "endings.json").write_text("{not json", encoding="utf-8")
    session = new_session(MINI, tmp_path)
    pick(session, "Take heart.")
    views = pick(session, "Go home.")
    ending = next(v for v in views if isinstance(v, EndingView))
    assert ending.title == "Home Again" and ending.found == 1
    # And the command line says nothing alarming either (a subprocess: a traceback would show here).
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "engine",
            "play",
            "--plain",
            "--story",
            str(MINI),
            "--saves",
            str(tmp_path / "saves"),
            "--role",
            "baker",
        ],
        input="2\n2\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert r.returncode == 0 and "Traceback" not in r.stderr
    assert "Home Again" in r.stdout
    assert json.loads((tmp_path / "saves" / "endings.json").read_text("utf-8"))


def test_the_journal_keeps_what_each_choice_changed(tmp_path) -> None:
    from engine import loader, runtime
    from engine.saves import Saves
    from engine.session import AnswerView, Session, TableView
    from tests.conftest import MINI

    story = loader.load_or_raise(MINI)
    session = Session(story, runtime.new_game(story, "baker"), Saves(tmp_path))
    answer = session.handle("2")[0]
    assert answer == AnswerView("Take heart.", "", ("Courage +1",))
    journal = session.handle("journal")[0]
    assert isinstance(journal, TableView) and journal.columns[-1] == "what changed"
    assert journal.rows[0][2:] == ("Take heart.", "Courage +1")
    assert journal.rows[-1][2:] == ("(you are here)", "")


def _mini_session(tmp_path):
    from engine import loader, runtime
    from engine.saves import Saves
    from engine.session import Session
    from tests.conftest import MINI

    story = loader.load_or_raise(MINI)
    return Session(story, runtime.new_game(story, "baker"), Saves(tmp_path))


def test_history_shows_the_full_text_of_the_last_scenes(tmp_path) -> None:
    from engine.session import ChoicesView, Message

    session = _mini_session(tmp_path)
    session.handle("2")  # Take heart -> the Street
    *scenes, reminder = session.handle("history")
    assert isinstance(reminder, ChoicesView)
    assert [m.title for m in scenes] == ["Dawn", "The Street"]
    assert all(isinstance(m, Message) for m in scenes)
    assert "You have 3 loaves, Anna." in scenes[0].text and "You chose: Take heart." in scenes[0].text
    assert "Somebody is singing." in scenes[1].text and "(you are here)" in scenes[1].text
    assert [m.title for m in session.handle("history 1")[:-1]] == ["The Street"]
    assert session.handle("history x")[0].kind == "hint"


def test_stats_put_each_value_on_its_scale(tmp_path) -> None:
    session = _mini_session(tmp_path)
    stats = session.handle("stats")[0]
    bread = next(row for row in stats.rows if row[0] == "Bread")
    assert bread == ("Bread", "3", "■■■■■■□□□□", "high", "")  # 3 of 0-5; the mini story describes nothing


def test_a_few_words_of_a_choice_pick_it_and_errors_read_alike(tmp_path) -> None:
    from engine.session import AnswerView

    session = _mini_session(tmp_path)
    # (a loaf sold, and one baked again on coming back to the bakery: no change to show)
    assert session.handle("sell loaf")[0] == AnswerView("Sell a loaf.", "", ())
    assert "I don't know" in session.handle("march crowd")[0].text  # locked: not taken by its words
    assert session.handle("7")[0].text == "There is no choice 7: pick 1 to 2."
    assert session.handle("2")[0].text == "Choice 2 is locked: it needs Courage at least 2."

"""The terminal front end driven through prompt_toolkit's pipe input, with its screen drawn into a StringIO.

Every test sends all its keys up front and closes the pipe, so a flow that waits for more input ends with
EOF (which the game treats as Ctrl-D) instead of hanging the test run.
"""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import signal
from pathlib import Path

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from engine import loader, runtime
from engine.model import NOWHERE, Story, Term
from engine.saves import AUTOSAVE, Saves
from engine.session import Message, Session
from engine.ui import terminal
from engine.ui.render import MenuItem

MINI = Path(__file__).parent / "data" / "mini"
DOWN, UP, ENTER, CTRL_C, CTRL_D = "\x1b[B", "\x1b[A", "\r", "\x03", "\x04"


@pytest.fixture(scope="module")
def story() -> Story:
    loaded, diags = loader.load(MINI)
    assert loaded is not None, [str(d) for d in diags]
    return loaded


@pytest.fixture
def saves(tmp_path: Path) -> Saves:
    return Saves(tmp_path / "saves")


def play(story: Story, saves: Saves, keys: str, **main_args: str) -> tuple[int, str]:
    """Run the terminal UI on `keys`; returns the exit code and everything it printed."""
    console = Console(file=io.StringIO(), width=80, highlight=False)
    with create_pipe_input() as inp:
        inp.send_text(keys)
        inp.close()
        term = terminal.Terminal(story, saves, console=console, input=inp, output=DummyOutput())
        code = term.main(**main_args)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    return code, out


def autosaved_scene(saves: Saves) -> str:
    data = json.loads(saves.path(AUTOSAVE).read_text(encoding="utf-8"))
    return str(data["state"]["scene"])


def test_new_game_from_the_title_screen(story: Story, saves: Saves) -> None:
    code, out = play(story, saves, "1" + "1" + "2" + ENTER + "journal" + ENTER + CTRL_D)
    assert code == 0
    assert "Mini Story" in out and "A small story for the tests." in out
    # Content notes come before the role is chosen, and the game then opens on the role's first scene.
    assert out.index("Nothing frightening") < out.index("Dawn")
    assert "The Street" in out and "Somebody is singing." in out
    assert "Take heart." in out.split("Journal")[-1]
    assert autosaved_scene(saves) == "baker.street"
    assert "dualpower --load autosave" in out


def test_arrow_keys_and_enter_pick_menu_items(story: Story, saves: Saves) -> None:
    code, out = play(story, saves, DOWN + ENTER + UP + ENTER + DOWN + ENTER + CTRL_D)
    assert code == 0
    assert "There is no game to continue yet" in out  # Down + Enter on the title screen is Continue
    assert "The Gate" in out  # then New game, and Down + Enter in the role menu is the second role
    assert autosaved_scene(saves) == "guard.gate"


def test_continue_resumes_the_autosave(story: Story, saves: Saves) -> None:
    play(story, saves, "", role="baker")  # Ctrl-D at once: saved at the start
    first = Session(story, runtime.new_game(story, "baker"), saves)
    first.handle("2")  # moves to The Street and autosaves
    code, out = play(story, saves, "2" + "journal" + ENTER + "quit" + ENTER)
    assert code == 0
    assert "Loaded 'autosave'." in out
    assert "Take heart." in out.split("Journal")[-1]


def test_title_menu_shows_what_continue_would_resume(story: Story, saves: Saves) -> None:
    import re

    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.output.vt100 import Vt100_Output

    session = Session(story, runtime.new_game(story, "baker"), saves)
    session.handle("2")
    # The menu as drawn on a (dumb) terminal, escape codes dropped: what the player reads.
    screen = io.StringIO()
    output = Vt100_Output(screen, lambda: Size(rows=40, columns=120), term="dumb")
    with create_pipe_input() as inp:
        inp.send_text("6")  # Quit
        inp.close()
        term = terminal.Terminal(story, saves, console=Console(file=io.StringIO()), input=inp, output=output)
        assert term.main() == 0
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue())
    assert "Continue            Baker · 24 Feb 1917 · The Street" in shown
    assert "Endings found       0/3" in shown


def test_load_a_saved_game_from_the_title_screen(story: Story, saves: Saves) -> None:
    session = Session(story, runtime.new_game(story, "guard"), saves)
    session.handle("save mine")
    code, out = play(story, saves, "3" + ENTER + "look" + ENTER + CTRL_D)
    assert code == 0
    assert "Loaded 'mine'." in out and "You stand at the gate." in out


def test_ending_counts_endings_then_returns_to_the_title(story: Story, saves: Saves) -> None:
    code, out = play(story, saves, "2" + ENTER + "2" + ENTER + ENTER + "4" + "6", role="baker")
    assert code == 0
    assert "Home Again" in out and "You kept baking." in out
    assert "Endings found: 1/3" in out
    after = out.split("You kept baking.")[-1]
    assert "A small story for the tests." in after  # the title screen again
    # Endings found, per role: how many, and the found ones named (the others stay secret).
    assert re.search(r"Baker\s+1 of 2\s+Home Again", after) and "Marcher" not in after
    assert re.search(r"Guard\s+0 of 1\s+none yet", after)


def test_undo_after_an_ending_goes_back_into_the_story(story: Story, saves: Saves) -> None:
    code, out = play(
        story, saves, "2" + ENTER + "2" + ENTER + "undo" + ENTER + "1" + ENTER + CTRL_D, role="baker"
    )
    assert code == 0
    assert "Taken back: '" in out
    assert autosaved_scene(saves) == "baker.dawn"


@pytest.mark.parametrize("key", [CTRL_C, CTRL_D])
def test_ctrl_c_and_ctrl_d_autosave_and_leave(story: Story, saves: Saves, key: str) -> None:
    # 'undo' does not save by itself, so what the autosave holds shows that leaving saved the game.
    code, out = play(story, saves, "2" + ENTER + "undo" + ENTER + key, role="baker")
    assert code == 0
    assert autosaved_scene(saves) == "baker.dawn"
    assert "saved in the slot 'autosave'" in out


def test_ctrl_c_on_the_title_screen_leaves(story: Story, saves: Saves) -> None:
    code, _out = play(story, saves, CTRL_C)
    assert code == 0
    assert not saves.exists(AUTOSAVE)


def test_quit_command_saves_and_leaves(story: Story, saves: Saves) -> None:
    code, out = play(story, saves, "quit" + ENTER + "this is never read" + ENTER, role="guard")
    assert code == 0
    assert autosaved_scene(saves) == "guard.gate"
    assert "this is never read" not in out


def test_unknown_and_odd_input_gets_a_hint(story: Story, saves: Saves) -> None:
    keys = ["florb", "99", "3", "save ../../etc", "load nothing-here", "  ", "glossary", "\x1b[15~"]
    code, out = play(story, saves, ENTER.join(keys) + ENTER + CTRL_D, role="baker")
    assert code == 0
    assert "I don't know 'florb'" in out
    assert "There is no choice 99" in out
    assert "locked: it needs Courage at least 2" in out
    assert "is not a slot name" in out
    assert "there is no save 'nothing-here'" in out
    assert "Type a number from 1 to 3" in out
    assert autosaved_scene(saves) == "baker.dawn"


def test_escape_goes_back_from_the_role_menu(story: Story, saves: Saves) -> None:
    code, out = play(story, saves, "1" + "\x1b" + "6")
    assert code == 0
    assert out.count("A small story for the tests.") == 1  # back to the same title screen
    assert "Dawn" not in out and "The Gate" not in out


def test_typed_commands_are_remembered(story: Story, saves: Saves) -> None:
    # The Up arrow itself (like Tab) is pressed in the pty test: here all the keys arrive before the
    # prompt has loaded its history, so they would not show what a player sees.
    console = Console(file=io.StringIO(), width=80)
    with create_pipe_input() as inp:
        inp.send_text("stats" + ENTER + "2" + ENTER + "journal" + ENTER + CTRL_D)
        inp.close()
        term = terminal.Terminal(story, saves, console=console, input=inp, output=DummyOutput())
        assert term.main(role="baker") == 0
    # Commands are kept; a choice's number is not (in the next scene it would pick another choice).
    assert list(term.prompt.history.get_strings()) == ["stats", "journal"]


def test_continue_is_preselected_when_a_game_exists(story: Story, saves: Saves) -> None:
    play(story, saves, "2" + ENTER + CTRL_D, role="baker")  # a game in the autosave, at the Street
    code, out = play(story, saves, ENTER + "journal" + ENTER + CTRL_D)
    assert code == 0
    assert "Loaded 'autosave'." in out and "Take heart." in out.split("Journal")[-1]


def test_undo_names_what_it_took_back_and_the_autosave_follows(story: Story, saves: Saves) -> None:
    session = Session.new(story, "baker", saves)
    session.handle("2")  # Take heart -> the Street
    session.handle("1")  # back to the bakery
    said = session.handle("undo 5")[0]
    assert isinstance(said, Message)
    assert said.text == "Taken back 2 steps (all there were), to before 'Take heart.'."
    assert autosaved_scene(saves) == "baker.dawn"  # Continue resumes where the undo left the game
    session.handle("2")
    [one] = [v for v in session.handle("undo") if isinstance(v, Message)]
    assert one.text == "Taken back: 'Take heart.'."


def test_undo_on_a_loaded_game_keeps_no_duplicate_slot(story: Story, saves: Saves) -> None:
    session = Session.new(story, "baker", saves)
    session.handle("2")
    session.handle("save mine")
    session.handle("1")  # the autosave now holds the longer path
    loaded = Session.resume(story, "mine", saves)
    loaded.handle("undo")
    loaded.handle("1")  # Sell a loaf: a new path, from before the saved one
    assert sorted(saves.slot_names()) == ["autosave", "mine"]


def test_completion_offers_commands_and_slot_names(story: Story, saves: Saves) -> None:
    session = Session(story, runtime.new_game(story, "baker"), saves)
    session.handle("save first-try")
    term = terminal.Terminal(story, saves, console=Console(file=io.StringIO()), output=DummyOutput())
    term.session = session

    def complete(text: str) -> list[str]:
        # The prompt's own completer, as Tab asks it.
        assert term.prompt.completer is not None
        found = term.prompt.completer.get_completions(
            Document(text), CompleteEvent(completion_requested=True)
        )
        return [c.text for c in found]

    assert complete("jo") == ["journal"]
    assert set(complete("lo")) == {"load", "look"}
    assert "first-try" in complete("load ")
    assert complete("load fi") == ["first-try"]
    term.session = Session(
        dataclasses.replace(story, glossary=(Term("Petrograd Soviet", ("Soviet",), "A council.", NOWHERE),)),
        session.state,
        saves,
    )
    assert set(complete("glossary ")) == {"Petrograd Soviet", "Soviet"}
    assert complete("glossary pet") == ["Petrograd Soviet"]


def test_toolbar_shows_role_date_and_shown_variables(story: Story, saves: Saves) -> None:
    term = terminal.Terminal(story, saves, console=Console(file=io.StringIO()), output=DummyOutput())
    toolbar = term.prompt.bottom_toolbar  # what the prompt draws under the line being typed
    assert callable(toolbar) and toolbar() == []
    term.session = Session(story, runtime.new_game(story, "baker"), saves)
    text = "".join(t for _s, t in toolbar())
    assert text.splitlines() == [" Dawn · 23 Feb 1917 · The corner bakery", " Baker │ Bread 3 │ Courage 0"]


def test_help_and_endings_from_the_title_screen(story: Story, saves: Saves) -> None:
    code, out = play(story, saves, "5" + "4" + "6")
    assert code == 0
    assert "How to play" in out and "journal" in out and "Commands" in out
    assert "Endings found: 0/3" in out


def test_load_of_a_missing_slot_fails_with_a_message(
    story: Story, saves: Saves, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out = play(story, saves, "", load="nowhere")
    assert code == 1
    assert "there is no save 'nowhere'" in capsys.readouterr().err


def test_unknown_role_fails_with_a_message(
    story: Story, saves: Saves, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out = play(story, saves, "", role="sailor")
    assert code == 2
    assert "unknown role 'sailor'" in capsys.readouterr().err


def run_menu(keys: str, count: int) -> str:
    items = [MenuItem(str(n), f"Item {n}") for n in range(1, count + 1)]
    with create_pipe_input() as inp:
        inp.send_text(keys)
        inp.close()
        return terminal.menu(items, input=inp, output=DummyOutput())


def test_menu_numbers_past_nine() -> None:
    assert run_menu("5", 12) == "5"  # no item 50 or more: taken at once
    assert run_menu("12", 12) == "12"
    assert run_menu("1" + ENTER, 12) == "1"  # 1 could start 10-12: Enter settles it
    assert run_menu("9" + "3", 3) == "3"  # a number out of range is ignored
    with pytest.raises(EOFError):
        run_menu("0", 3)  # (and nothing is picked)
    assert run_menu(UP + ENTER, 3) == "3"  # the arrows wrap around


def test_watch_reloads_the_story_when_a_file_changes(tmp_path: Path, saves: Saves) -> None:
    folder = tmp_path / "story"
    shutil.copytree(MINI, folder)

    def reload() -> tuple[Story | None, str]:
        loaded, diags = loader.load(folder)
        return loaded, "\n".join(str(d) for d in diags)

    loaded, _diags = loader.load(folder)
    assert loaded is not None
    console = Console(file=io.StringIO(), width=80)
    with create_pipe_input() as inp:
        inp.send_text("look" + ENTER + CTRL_D)
        inp.close()
        term = terminal.Terminal(
            loaded,
            saves,
            console=console,
            input=inp,
            output=DummyOutput(),
            reload_story=reload,
            watch_root=folder,
        )
        scenes = folder / "scenes" / "baker.yaml"
        scenes.write_text(scenes.read_text().replace("Somebody is singing.", "Somebody is shouting."))
        assert term.main(role="baker") == 0
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert "Story reloaded." in out
    assert term.story.scenes["baker.street"].paragraphs[1].text == "Somebody is shouting."


def test_a_pasted_colour_code_is_not_a_crash(
    story: Story, saves: Saves, capsys: pytest.CaptureFixture[str]
) -> None:
    # ESC [ 3 1 m looks like a mouse report to prompt_toolkit, whose handler then fails ("Unhandled exception
    # in event loop"): the game swallows mouse events, at the prompt and in the menus.
    def hang(signum: int, frame: object) -> None:
        raise AssertionError("the prompt hung on a pasted escape sequence")

    old = signal.signal(signal.SIGALRM, hang)
    signal.alarm(30)  # before the fix, prompt_toolkit waited for "Press ENTER to continue" on closed input
    try:
        code, out = play(story, saves, "\x1b[31m" + "2" + ENTER + CTRL_D, role="baker")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    assert code == 0
    captured = capsys.readouterr()
    assert "Unhandled exception" not in captured.out + captured.err
    assert autosaved_scene(saves) == "baker.street"

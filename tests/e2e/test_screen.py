"""The player's screen, looked at: pyte renders a real pty at several sizes, colours included (issue 14).

Each test reads the screen as a player would: which text is there, and whether every cell that has text is
drawn in a colour different from its background.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.e2e.test_pty import ENTER, ROOT, TIMEOUT, Terminal

ESC = "\x1b"
SIZES = [(50, 20), (80, 24), (100, 30), (200, 50)]
STORY = ROOT / "story"


def invisible(game: Terminal) -> list[str]:
    """Cells whose text is drawn in its own background colour (as 'row,col: text fg/bg')."""
    bad = []
    for y in range(game.screen.lines):
        row = game.screen.buffer[y]
        for x in range(game.screen.columns):
            char = row[x]
            if not char.data.strip():
                continue
            fg, bg = (char.bg, char.fg) if char.reverse else (char.fg, char.bg)
            if fg == bg and not (fg == "default" and bg == "default"):
                bad.append(f"{y},{x}: {char.data!r} {fg}/{bg}")
    return bad


def settle(game: Terminal, quiet: float = 0.4) -> None:
    """Pump until the program has written nothing for `quiet` seconds (a menu is fully drawn)."""
    deadline = time.monotonic() + TIMEOUT
    last = time.monotonic()
    while time.monotonic() < deadline:
        before = game.text()
        game.pump(0.05)
        if game.text() != before:
            last = time.monotonic()
        elif time.monotonic() - last > quiet:
            return


def through_pages(game: Terminal) -> int:
    """Press Enter at each '— more —' until the prompt is back; how many pages were turned."""
    turned = 0
    settle(game)
    while "— more —" in game.text():
        game.send(ENTER)
        turned += 1
        settle(game)
    return turned


def look(game: Terminal, pattern: str, what: str) -> None:
    game.wait_for(pattern)
    settle(game)
    bad = invisible(game)
    assert not bad, f"{what}: text in its background colour at {bad[:5]}:\n{game.text()}"


@pytest.mark.parametrize(("columns", "rows"), SIZES)
def test_every_screen_is_readable_in_a_256_colour_terminal(tmp_path: Path, columns: int, rows: int) -> None:
    game = Terminal(tmp_path / "saves", columns=columns, rows=rows, term="xterm-256color")
    look(game, r"Quit", "title screen")
    game.send("1")  # New game
    look(game, r"You bake bread\.", "role menu")  # the selected role's description, at 50x20 too
    game.send("1")  # Baker
    look(game, r"Take heart\.|— more —", "scene")
    through_pages(game)
    game.send("save" + ENTER)
    game.wait_for(r"Saved as")
    through_pages(game)
    game.send("2" + ENTER)  # Take heart -> The Street
    game.wait_for(r"Go home\.|— more —")
    through_pages(game)
    game.send("2" + ENTER)  # Go home: an ending
    look(game, r"Endings found: 1/3|— more —", "ending")
    through_pages(game)
    look(game, r"Endings found: 1/3", "ending")
    game.send(ENTER)  # back to the title screen
    look(game, r"Continue\s+Baker", "title screen with a game to continue")
    game.send("3")  # Load a saved game
    look(game, r"Load which game\?", "load menu")
    game.send(ESC)
    game.wait_for(r"Quit")
    settle(game)
    game.send("6")
    assert game.finish() == 0


def _first_scene(role: str) -> tuple[str, list[str], list[str]]:
    """The shipped story's first scene for `role`: its title, its choices' texts, the shown values' labels."""
    from engine import loader, runtime
    from engine.saves import Saves
    from engine.session import Session

    story = loader.load_or_raise(STORY)
    session = Session(story, runtime.new_game(story, role), Saves(Path("/nonexistent")))
    view = session.scene_view()
    labels = [label for label, _ in session.toolbar()[1:]]
    return view.title, [o.text for o in view.options], labels


@pytest.mark.parametrize(("columns", "rows"), [(80, 24), (100, 30)])
def test_where_and_when_stay_in_view_with_the_choices(tmp_path: Path, columns: int, rows: int) -> None:
    title, options, labels = _first_scene("worker")
    game = Terminal(
        tmp_path / "saves", "--role", "worker", columns=columns, rows=rows, story=STORY, term="xterm-256color"
    )
    game.wait_for(r"— more —|Standing among")
    assert through_pages(game) >= 1 or columns > 80  # the long first scene pages at 80x24
    screen = game.text()
    lines = screen.splitlines()
    assert all(len(line) < columns for line in lines)
    # The status bar at the bottom: the scene's title and date, then every value the story shows.
    bar = "\n".join(lines[-4:])
    assert title in bar and "1917" in bar, screen
    assert all(label in bar for label in labels), screen
    # ... with the choices above the prompt.
    assert options[-1][:30] in " ".join(screen.split()), screen
    assert not invisible(game)
    # After any command's output the choices come back, with the status bar under them.
    for command in ("help", "stats", "note", "glossary", "journal"):
        game.send(command + ENTER)
        turned = through_pages(game)
        if command == "glossary":
            assert turned >= 2  # hundreds of lines read a screen at a time
        screen = game.text()
        assert options[-1][:30] in " ".join(screen.split()), f"after {command}:\n{screen}"
        assert title in "\n".join(screen.splitlines()[-4:]), f"after {command}:\n{screen}"
    # A choice is answered on screen: the chosen text, then what changed.
    game.send("2" + ENTER)
    game.wait_for("» " + re.escape(options[1][:20]))
    game.wait_for(r"\n  [A-Z][\w ]+ [+-]\d")  # 'Standing among your own +1', under the echo
    through_pages(game)
    game.send("quit" + ENTER)
    assert game.finish() == 0


def test_term_dumb_plays_in_plain_mode(tmp_path: Path) -> None:
    game = Terminal(tmp_path / "saves", "--role", "baker", term="dumb")
    game.wait_for(r"TERM=dumb cannot draw the game's screens: playing in plain mode")
    game.wait_for(r"1\. Sell a loaf\.")  # plain mode's numbered choices, no menus, no status bar
    game.send("quit" + ENTER)
    assert game.finish() == 0


def test_a_terminal_that_never_answers_the_cursor_request_gets_plain_mode(tmp_path: Path) -> None:
    game = Terminal(tmp_path / "saves", "--role", "baker", term="xterm-256color")
    game.screen.write_process_input = lambda data: None  # this terminal keeps its cursor position to itself
    game.wait_for(r"does not answer a cursor-position request: playing in plain mode")
    game.wait_for(r"1\. Sell a loaf\.")
    game.send("quit" + ENTER)
    assert game.finish() == 0


def test_plain_mode_in_a_terminal_edits_lines_and_remembers_them(tmp_path: Path) -> None:
    game = Terminal(tmp_path / "saves", "--plain", "--role", "baker")
    game.wait_for(r"1\. Sell a loaf\.")
    left = "\x1b[D"
    game.send("hlp" + left + left + "e" + ENTER)  # the cursor moves back into the line: 'help'
    game.wait_for(r"Commands \(type a choice.s number")
    count = game.text().count("this list")
    game.send("\x1b[A" + ENTER)  # the up arrow brings 'help' back
    deadline = time.monotonic() + TIMEOUT
    while game.text().count("this list") == count and time.monotonic() < deadline:
        game.pump()
    assert game.text().count("this list") > count
    game.send("quit" + ENTER)
    assert game.finish() == 0


def test_the_selected_roles_description_stays_in_view_at_50x20(tmp_path: Path) -> None:
    from engine import loader

    story = loader.load_or_raise(STORY)
    game = Terminal(tmp_path / "saves", columns=50, rows=20, story=STORY, term="xterm-256color")
    game.wait_for(r"Quit")
    settle(game)
    game.send("1")  # New game: the role menu
    game.wait_for(r"Choose your role|❯ 1")
    for n, role in enumerate(story.roles.values()):
        if n:
            game.send("\x1b[B")  # down to the next role
        settle(game)
        screen = " ".join(game.text().split())
        first, last = role.blurb.split()[:3], role.blurb.split()[-3:]
        assert " ".join(first) in screen and " ".join(last) in screen, f"{role.name}:\n{game.text()}"
        assert not invisible(game)
    game.send("\x03")
    assert game.finish() == 0

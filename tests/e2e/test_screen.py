"""The player's screen, looked at: pyte renders a real pty at several sizes, colours included (issue 14).

Each test reads the screen as a player would: which text is there, and whether every cell that has text is
drawn in a colour different from its background.
"""

from __future__ import annotations

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
    look(game, r"Take heart\.", "scene")
    game.send("save" + ENTER)
    game.wait_for(r"Saved as")
    game.send("2" + ENTER)  # Take heart -> The Street
    game.wait_for(r"Go home\.")
    game.send("2" + ENTER)  # Go home: an ending
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

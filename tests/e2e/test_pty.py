"""End to end in a real pseudo-terminal: pexpect runs `python -m engine`, pyte plays the terminal's screen.

The assertions read the screen as a player would see it (pyte keeps what a 100x35 xterm would show), and
pyte answers the cursor-position requests prompt_toolkit sends, as a real terminal does.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")
pyte = pytest.importorskip("pyte")

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini"
TIMEOUT = 20.0
ENTER, UP, TAB, CTRL_C = "\r", "\x1b[A", "\t", "\x03"


class _Screen(pyte.Screen):  # type: ignore[misc]
    """A pyte screen that sends its answers (cursor position reports) back to the program."""

    def __init__(self, columns: int, lines: int) -> None:
        super().__init__(columns, lines)
        self.replies: list[str] = []

    def write_process_input(self, data: str) -> None:
        self.replies.append(data)


class Terminal:
    """One run of the game in a pty of a fixed size."""

    def __init__(
        self,
        saves: Path,
        *args: str,
        columns: int = 100,
        rows: int = 35,
        story: Path = MINI,
        term: str = "xterm",
    ) -> None:
        env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "DUALPOWER_SAVES")}
        env.update(TERM=term, COLUMNS=str(columns), LINES=str(rows))
        self.screen = _Screen(columns, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.child = pexpect.spawn(
            sys.executable,
            ["-m", "engine", "--story", str(story), "--saves", str(saves), *args],
            cwd=str(ROOT),
            env=env,
            dimensions=(rows, columns),
            timeout=TIMEOUT,
        )

    def pump(self, wait: float = 0.05) -> bool:
        """Read what the program wrote so far into the screen; False once it has exited."""
        try:
            data = self.child.read_nonblocking(65536, timeout=wait)
        except pexpect.TIMEOUT:
            return True
        except pexpect.EOF:
            return False
        self.stream.feed(data)
        while self.screen.replies:
            self.child.send(self.screen.replies.pop(0))
        return True

    def text(self) -> str:
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait_for(self, pattern: str) -> re.Match[str]:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            alive = self.pump()
            found = re.search(pattern, self.text())
            if found:
                return found
            if not alive:
                break
        raise AssertionError(f"{pattern!r} never appeared on the screen:\n{self.text()}")

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self) -> int:
        """Wait for the program to end; its exit code."""
        deadline = time.monotonic() + TIMEOUT
        while self.pump() and time.monotonic() < deadline:
            pass
        self.child.close()
        assert "Traceback" not in self.text()
        return int(self.child.exitstatus if self.child.exitstatus is not None else -1)


@pytest.fixture
def saves(tmp_path: Path) -> Path:
    return tmp_path / "saves"


def test_play_save_quit_load_and_reach_an_ending(saves: Path) -> None:
    game = Terminal(saves)
    game.wait_for(r"Mini Story")
    game.wait_for(r"1  New game")
    game.send("1")  # New game
    game.wait_for(r"Nothing frightening")
    game.wait_for(r"Choose your role")
    game.send("1")  # Baker
    game.wait_for(r"You have 3 loaves, Anna\.")
    assert "locked: needs Courage at least 2" in game.text()
    # The status bar, on the bottom rows: where and when, then the values.
    game.wait_for(r"\n Dawn · 23 Feb 1917 · The corner bakery\n Baker │ Bread 3 │ Courage 0$")
    game.send("2" + ENTER)
    game.wait_for(r"Somebody is singing\.")
    game.send("jour" + TAB)  # Tab completes the command ...
    game.wait_for(r"> journal")
    game.send(ENTER)
    game.wait_for(r"Dawn\s+Take heart\.")
    game.send("save" + ENTER)
    saved = game.wait_for(r"Saved as '([\w-]+)'").group(1)
    game.send("quit" + ENTER)
    game.wait_for(r"saved in the slot 'autosave'")
    assert game.finish() == 0

    again = Terminal(saves)
    again.wait_for(r"Continue\s+Baker · 24 Feb 1917 · The Street")
    again.send("3")  # Load a saved game
    number = again.wait_for(rf"(\d+)  {re.escape(saved)}").group(1)
    again.send(number)
    again.wait_for(rf"Loaded '{saved}'")
    again.send("journal" + ENTER)
    again.wait_for(r"Dawn\s+Take heart\.")
    count = again.text().count("> journal")
    again.send(UP)  # ... and the up arrow brings back what was typed
    deadline = time.monotonic() + TIMEOUT
    while again.text().count("> journal") == count and time.monotonic() < deadline:
        again.pump()
    assert again.text().count("> journal") == count + 1
    again.send(ENTER)
    again.send("2" + ENTER)  # The Street -> Go home: an ending
    again.wait_for(r"Home Again")
    again.wait_for(r"Endings found: 1/3")
    again.send(ENTER)  # back to the title screen
    again.wait_for(r"4  Endings found\s+1/3")
    again.send("6")  # Quit
    assert again.finish() == 0


def test_ctrl_c_saves_and_restores_the_terminal_at_50_columns(saves: Path) -> None:
    game = Terminal(saves, "--role", "guard", columns=50, rows=24)
    game.wait_for(r"You stand at the gate\.")
    assert all(len(line) <= 50 for line in game.text().splitlines())
    game.send("florb" + ENTER)
    game.wait_for(r"I don't know 'florb'")
    game.send(CTRL_C)
    game.wait_for(r"saved in the slot")
    assert game.finish() == 0
    assert (saves / "autosave.json").is_file()
    # prompt_toolkit left raw mode and showed the cursor again before the program ended.
    assert not game.screen.cursor.hidden

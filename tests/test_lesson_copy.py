"""Copyable commands and names: on their own line, never wrapped, the report named after the student (item 6)."""

from __future__ import annotations

import io
import sys

from engine import cli
from tests.conftest import MINI
from tests.test_classroom_play import WHOLE_GAME, write_assignment


def run(monkeypatch, capsys, saves, lines, *args):
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{x}\n" for x in lines)))
    code = cli.main(["play", "--story", str(MINI), "--saves", str(saves), "--plain", *args])
    assert code == 0
    return capsys.readouterr().out.splitlines()


def test_commands_to_copy_stand_whole_on_their_own_lines(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    saves = tmp_path / "class-of-room-twelve-with-a-long-hyphenated-folder-name" / "saves-for-the-july-days"
    args = ("--assignment", str(asg), "--student", "Anna Petrova")
    lines = run(monkeypatch, capsys, saves, ["2", "quit"], *args)
    assert f"  dualpower play --load bakery-anna-petrova --story {MINI} --saves {saves}" in lines
    lines = run(monkeypatch, capsys, saves, WHOLE_GAME[1:], *args)
    assert (
        f"  dualpower report bakery-anna-petrova --story {MINI} --saves {saves} -o bakery-anna-petrova.html"
        in lines
    )
    # No line of the game's own text is cut inside a hyphenated name.
    assert not any(line.rstrip().endswith("-") and not line.endswith(" --") for line in lines)

"""`dualpower play --plain` as a subprocess: what a player reads, and what a script can rely on."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINI, SHIPPED


def play(*args: str, stdin: str, saves: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DUALPOWER_SAVES": str(saves), "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "engine", "play", "--plain", *args],
        input=stdin,
        text=True,
        capture_output=True,
        env=env,
        timeout=timeout,
    )


def test_play_to_an_ending(tmp_path: Path) -> None:
    r = play("--story", str(MINI), "--role", "baker", stdin="2\n2\n", saves=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "\nDawn\n" in out
    assert "Thursday 23 February 1917 · 8 March N.S. · The corner bakery" in out
    assert "1. Sell a loaf." in out
    assert "3. March with the crowd. (locked: needs Courage at least 2)" in out
    assert "The end: Home Again" in out and "You kept baking." in out
    assert "Endings found: 1/3" in out
    assert r.stderr == ""


def test_role_menu_and_commands(tmp_path: Path) -> None:
    r = play("--story", str(MINI), stdin="2\nnote\njournal\nhelp\nxyzzy\n1\n", saves=tmp_path)
    assert r.returncode == 0
    out = r.stdout
    assert "Choose your role:" in out and "1. Baker: A baker on the corner" in out and "2. Guard" in out
    assert "\nThe Gate\n" in out
    assert "This scene has no historical note." in out
    assert "Journal\n23 Feb 1917" in out
    assert "undo [n]  take back the last choice" in out  # help lists commands with their arguments
    assert "This story includes:" in out and "Nothing frightening" in out  # content notes before the roles
    assert out.index("Nothing frightening") < out.index("Choose your role:")
    assert "I don't know 'xyzzy'" in out
    assert "The end: Duty Done" in out


def test_end_of_input_autosaves_and_load_resumes(tmp_path: Path) -> None:
    r = play("--story", str(MINI), "--role", "baker", stdin="2\n", saves=tmp_path)
    assert r.returncode == 0
    data = json.loads((tmp_path / "autosave.json").read_text())
    assert data["state"]["scene"] == "baker.street"
    r = play("--story", str(MINI), "--load", "autosave", stdin="journal\n", saves=tmp_path)
    assert r.returncode == 0
    assert "\nThe Street\n" in r.stdout
    assert "Take heart." in r.stdout  # the journal holds the choice made before


def test_save_undo_and_load_by_name(tmp_path: Path) -> None:
    r = play(
        "--story", str(MINI), "--role", "baker", stdin="1\nsave mine\nundo\nload mine\nload\n", saves=tmp_path
    )
    assert "Saved as 'mine'" in r.stdout
    assert "Taken back: '" in r.stdout
    assert "Loaded 'mine'." in r.stdout
    assert "mine  baker  23 Feb 1917  Dawn" in r.stdout


def test_bad_input_never_crashes(tmp_path: Path) -> None:
    junk = [
        "",
        "   ",
        "0",
        "-1",
        "99999999999999999999",
        "1" * 5000,
        "\x1b[31m",
        "\u202e1",
        "٣",
        "１",
        "save ../evil",
        "load /etc/passwd",
        "load nope",
        "glossary",
        "undo x",
        "documents",
        "endings",
        "stats",
        "reload",
    ]
    r = play("--story", str(MINI), "--role", "baker", stdin="\n".join(junk) + "\n", saves=tmp_path)
    assert r.returncode == 0
    assert "Traceback" not in r.stdout + r.stderr
    assert "\x1b" not in r.stdout
    assert not (tmp_path.parent / "evil.json").exists()
    assert "is not a slot name" in r.stdout


def test_broken_story_exits_1_with_file_and_line(tmp_path: Path, write_story) -> None:
    root = write_story({"scenes/a.yaml": "scenes:\n  - id: a.start\n    title: X\n"})
    r = play("--story", str(root), "--role", "hero", stdin="", saves=tmp_path)
    assert r.returncode == 1
    assert "a.yaml:2:5: error:" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_role(tmp_path: Path) -> None:
    r = play("--story", str(MINI), "--role", "pirate", stdin="", saves=tmp_path)
    assert r.returncode == 2 and "unknown role 'pirate'" in r.stderr


def test_corrupt_autosave_is_reported_not_crashed(tmp_path: Path) -> None:
    (tmp_path / "autosave.json").write_text("{broken")
    r = play("--story", str(MINI), "--load", "autosave", stdin="", saves=tmp_path)
    assert r.returncode == 1 and "damaged" in r.stderr
    assert (tmp_path / "autosave.json").read_text() == "{broken"


def drive_first_open(role: str, saves: Path, limit: int = 400) -> str:
    """Play in plain mode as a script would: read up to each prompt, take the first choice not locked."""
    env = {**os.environ, "DUALPOWER_SAVES": str(saves), "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "play", "--plain", "--role", role],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env=env,
        text=True,
        bufsize=0,
    )
    assert proc.stdin is not None and proc.stdout is not None
    seen: list[str] = []
    for _ in range(limit):
        screen = ""
        while not screen.endswith("> "):
            ch = proc.stdout.read(1)
            if ch == "":
                proc.wait(timeout=30)
                return "".join(seen) + screen
            screen += ch
        seen.append(screen)
        screen_lines = screen.replace("\n   ", " ")  # choices wrap with an indent
        choices = re.findall(r"^(\d+)\. (?!.*\(locked: )", screen_lines, flags=re.M)
        proc.stdin.write((choices[0] if choices else "quit") + "\n")
    proc.kill()
    raise AssertionError("no ending within the step limit")


@pytest.mark.skipif(not (SHIPPED / "story.yaml").exists(), reason="no shipped story")
@pytest.mark.parametrize("role", ["worker", "soldier", "kadet"])
def test_shipped_story_plays_in_plain_mode(role: str, tmp_path: Path) -> None:
    # Always take the first open choice until an ending: the shipped story must carry a player through.
    out = drive_first_open(role, tmp_path)
    assert "Traceback" not in out
    assert "February 1917" in out
    assert "Endings found: 1/" in out


def test_quit_says_where_the_game_is_saved(tmp_path: Path) -> None:
    r = play("--story", str(MINI), "--role", "baker", stdin="2\nquit\n", saves=tmp_path)
    assert r.returncode == 0
    assert "Your game is saved as 'autosave'. To carry on: dualpower --load autosave" in r.stdout
    r = play("--story", str(MINI), stdin="quit\n", saves=tmp_path)
    assert r.returncode == 0 and "Type a number" not in r.stdout


def test_documents_read_as_paragraphs(tmp_path: Path) -> None:
    from engine.session import reflow

    assert reflow("One\nline.\n\n1. A\n   b\n2. C") == "One line.\n\n1. A b\n2. C"


def test_a_new_game_keeps_the_unfinished_one(tmp_path: Path) -> None:
    play("--story", str(MINI), "--role", "baker", stdin="2\n", saves=tmp_path)  # unfinished, at the Street
    r = play("--story", str(MINI), "--role", "guard", stdin="", saves=tmp_path)  # a new game, left at once
    assert "Your other unfinished game was kept as 'baker-24feb'" in r.stdout
    kept = json.loads((tmp_path / "baker-24feb.json").read_text())
    assert kept["state"]["scene"] == "baker.street" and len(kept["state"]["history"]) == 1
    r = play("--story", str(MINI), "--load", "autosave", stdin="journal\n", saves=tmp_path)
    assert "\nThe Gate\n" in r.stdout and "kept as" not in r.stdout  # carrying on the same game keeps nothing


def test_an_ended_game_can_be_loaded_and_undone(tmp_path: Path) -> None:
    r = play("--story", str(MINI), "--role", "baker", stdin="2\n2\n", saves=tmp_path)
    assert "The end: Home Again" in r.stdout
    r = play("--story", str(MINI), "--load", "autosave", stdin="undo\n", saves=tmp_path)
    assert r.returncode == 0
    assert "The end: Home Again" in r.stdout and "Taken back: '" in r.stdout and "\nThe Street\n" in r.stdout


def test_a_choice_is_answered_and_the_choices_come_back_after_a_command(tmp_path: Path) -> None:
    r = play("--story", str(MINI), "--role", "baker", stdin="help\n2\n", saves=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    after_help = out[out.index("this list") :]
    assert "Your choices, Dawn · 23 Feb 1917 · The corner bakery:" in after_help
    assert "2. Take heart." in after_help
    answered = out[out.index("You chose: Take heart.") :]
    assert answered.index("Changed: Courage +1.") < answered.index("The Street")


def test_plain_mode_speaks_without_decoration_unless_asked(tmp_path: Path) -> None:
    r = play("--story", str(MINI), "--role", "baker", stdin="florb\nglossary\n2\n2\n", saves=tmp_path)
    out = r.stdout
    assert "==" not in out and "***" not in out and "\n-- " not in out and "? " not in out
    assert "…\n" not in out  # the glossary's lines are not each read out with an ellipsis
    assert "\nDawn\n" in out and "The end: Home Again" in out
    decorated = play("--story", str(MINI), "--role", "baker", "--decorate", stdin="2\n2\n", saves=tmp_path)
    assert "== Dawn ==" in decorated.stdout and "*** Home Again ***" in decorated.stdout


def test_at_an_ending_the_prompt_stays_for_undo_and_journal(tmp_path: Path) -> None:
    r = play("--story", str(MINI), "--role", "baker", stdin="2\n2\njournal\nendings\nundo\n", saves=tmp_path)
    assert r.returncode == 0, r.stderr
    out = r.stdout
    ending = out[out.index("The end: Home Again") :]
    assert "'undo' takes back your last choice; 'journal' shows your" in ending
    assert "Journal" in ending and "Go home." in ending  # the lines after the ending are not dropped
    assert "Baker  1 of 2  Home Again" in ending and "Guard  0 of 1  none yet" in ending
    assert "Taken back: '" in ending and "\nThe Street\n" in ending


def test_a_game_in_progress_is_offered_first(tmp_path: Path) -> None:
    play("--story", str(MINI), "--role", "baker", stdin="2\n", saves=tmp_path)
    r = play("--story", str(MINI), stdin="yes\n", saves=tmp_path)
    assert "You have a game in progress: Baker · 24 Feb 1917 · The Street." in r.stdout
    assert "Continue it? (yes or no)" in r.stdout and "Somebody is singing." in r.stdout
    assert "Choose your role:" not in r.stdout
    fresh = play("--story", str(MINI), stdin="no\n1\n", saves=tmp_path)
    assert "Choose your role:" in fresh.stdout and "You have 3 loaves" in fresh.stdout

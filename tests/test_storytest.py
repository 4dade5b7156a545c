"""`dualpower test`: story tests in tests/*.yaml, played through the game, reported at file:line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine import cli
from tests.conftest import SHIPPED

SCENES = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: You have {gold} gold.
    choices:
      - text: Take a coin.
        add: {gold: 1}
        goto: a.middle
      - text: Be brave.
        set: {brave: true}
        goto: a.middle
      - text: Spend a fortune.
        if: gold >= 5
        show_locked: true
        goto: a.end
  - id: a.middle
    title: Middle
    date: 1917-02-24
    text: The street is quiet.
    choices:
      - text: Go home.
        goto: a.end
  - id: a.end
    title: End
    date: 1917-02-25
    text: The end.
    ending: {title: Home Again, epilogue: You sleep.}
"""


def run(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = cli.main(["test", "--story", str(root)])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_shipped_story_passes_its_tests(capsys) -> None:
    code, out = run(SHIPPED, capsys)
    assert code == 0, out
    passed = int(out.strip().splitlines()[-1].split()[0])
    assert passed >= 12 and out.strip().endswith(f"{passed} passed, 0 failed")


def test_passing_cases_are_counted(write_story, capsys) -> None:
    tests = """\
    tests:
      - name: a coin
        role: hero
        choices: [1]
        expect: {scene: a.middle, vars: {gold: 2, brave: false}, visited: [a.start], text: "quiet"}
      - name: brave all the way
        role: hero
        choices: [2, 1]
        expect: {ending: a.end, vars: {brave: true}, text: [Home Again, You sleep.]}
    """
    code, out = run(write_story({"scenes/a.yaml": SCENES, "tests/t.yaml": tests}), capsys)
    assert (code, out) == (0, "2 passed, 0 failed\n")


def test_each_failure_says_where_and_what_was_there(write_story, capsys) -> None:
    tests = """\
    tests:
      - name: wrong scene
        role: hero
        choices: [1]
        expect: {scene: a.end}
      - name: wrong gold
        role: hero
        choices: [1, 1]
        expect: {vars: {gold: 5}}
      - name: no such choice
        role: hero
        choices: [2, 4]
        expect: {ending: a.end}
      - name: locked
        role: hero
        choices: [3]
        expect: {ending: a.end}
      - name: too many
        role: hero
        choices: [1, 1, 1]
        expect: {ending: a.end}
      - name: not shown
        role: hero
        choices: [1]
        expect: {text: "a dragon", visited: [a.start]}
      - name: not visited
        role: hero
        choices: [2, 1]
        expect: {visited: [a.start, a.middle, a.end]}
    """
    root = write_story({"scenes/a.yaml": SCENES, "tests/t.yml": tests})
    code, out = run(root, capsys)
    assert code == 1
    lines = out.splitlines()
    where = str(root / "tests" / "t.yml")
    assert lines[-1] == "1 passed, 6 failed"
    assert (
        lines[0]
        == f"FAIL {where}:2: wrong scene: after 1 choice: expected scene 'a.end', but the game is at 'a.middle'"
    )
    assert lines[1] == f"FAIL {where}:6: wrong gold: after 2 choices: expected gold = 5, but it is 2"
    assert lines[2].startswith(f"FAIL {where}:10: no such choice: step 2 (choice 4) in scene 'a.middle': ")
    assert "pick 1 to 1" in lines[2] and "shown: 1 'Go home.'" in lines[2]
    assert lines[3].startswith(
        f"FAIL {where}:14: locked: step 1 (choice 3) in scene 'a.start': Choice 3 is locked"
    )
    assert "3 'Spend a fortune.' (locked)" in lines[3]
    assert (
        lines[4]
        == f"FAIL {where}:18: too many: step 3 (choice 1): the story has already ended at 'a.end', after 2 choices"
    )
    assert lines[5].startswith(
        f"FAIL {where}:22: not shown: after 1 choice: expected the screen to show 'a dragon'; it shows: "
    )
    assert "The street is quiet." in lines[5]
    assert len(lines) == 7


def test_mistakes_in_a_test_file_are_reported_at_line_and_column(write_story, capsys) -> None:
    tests = """\
    tests:
      - name: typo
        role: heroo
        choices: [one]
        expect: {scene: a.midle, vars: {gould: 1, brave: 3}, ending: a.middle}
      - name: typo
        role: hero
        expect: {}
      - nam: x
    """
    root = write_story({"scenes/a.yaml": SCENES, "tests/t.yaml": tests})
    code, out = run(root, capsys)
    where = str(root / "tests" / "t.yaml")
    assert code == 1
    for expected in (
        f"{where}:3:11: error: test 'typo': unknown role 'heroo' (did you mean hero?)",
        f"{where}:4:15: error: test 'typo': a choice (its number on screen) should be a whole number",
        f"{where}:5:21: error: test 'typo': expect scene: unknown scene 'a.midle' (did you mean a.middle?)",
        f"{where}:5:37: error: test 'typo': unknown variable 'gould' (did you mean gold?)",
        f"{where}:5:54: error: test 'typo': brave (a bool) should be true or false",
        f"{where}:5:66: error: test 'typo': 'a.middle' is a scene, not an ending",
        f"{where}:8:13: error: test 'typo': expect says nothing",
        f"{where}:9:5: error: a test: unknown key 'nam' (did you mean name?)",
    ):
        assert expected in out, out
    assert "passed" not in out


def test_a_yaml_syntax_error_in_a_test_file(write_story, capsys) -> None:
    root = write_story({"scenes/a.yaml": SCENES, "tests/t.yaml": "tests:\n  - name: [x\n"})
    code, out = run(root, capsys)
    assert code == 1 and f"{root / 'tests' / 't.yaml'}:" in out and "Traceback" not in out


def test_no_tests_is_a_failure_that_says_where_to_put_them(write_story, capsys) -> None:
    code, out = run(write_story({"scenes/a.yaml": SCENES}), capsys)
    assert code == 1 and "No story tests in" in out and "tests" in out


def test_tests_leave_the_players_saves_alone(write_story, capsys) -> None:
    tests = "tests:\n  - {name: home, role: hero, choices: [1, 1], expect: {ending: a.end}}\n"
    root = write_story({"scenes/a.yaml": SCENES, "tests/t.yaml": tests})
    saves = Path(os.environ["DUALPOWER_SAVES"])
    before = sorted(saves.rglob("*")) if saves.exists() else []
    assert run(root, capsys) == (0, "1 passed, 0 failed\n")
    assert (sorted(saves.rglob("*")) if saves.exists() else []) == before


def test_a_test_file_linking_outside_the_story_is_refused(write_story, capsys, tmp_path) -> None:
    root = write_story({"scenes/a.yaml": SCENES, "tests/t.yaml": "tests: []\n"})
    secret = tmp_path / "secret.yaml"
    secret.write_text("tests:\n  - {name: x, role: hero, expect: {scene: a.start}}\n", encoding="utf-8")
    (root / "tests" / "link.yaml").symlink_to(secret)
    code, out = run(root, capsys)
    assert code == 1 and f"{root / 'tests' / 'link.yaml'}:1:1: error: a link that leads outside" in out

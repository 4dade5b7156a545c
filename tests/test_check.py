"""`dualpower check`: each graph and state warning from a small story folder, the output formats, --strict."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from engine import check, cli

ROLES = "  a: {name: A, start: a.start}"
VARIABLES = """\
  bread: {type: int, start: 2, min: 0, max: 10, show: true}
  sold: {type: bool, start: false}
"""
# A scene that reads and changes both variables, so the variable warnings stay quiet unless a test wants them.
USES = """\
- id: a.start
  title: Start
  date: 1917-02-23
  text: You have {bread} loaves.
  choices:
    - text: Sell.
      if: not sold
      set: {sold: true}
      add: {bread: -1}
      goto: a.end
- id: a.end
  title: End
  date: 1917-02-24
  text: The end.
  ending: {title: The End, epilogue: It ended.}
"""


def make_story(root: Path, scenes: str, variables: str = VARIABLES, roles: str = ROLES) -> Path:
    """A story folder: story.yaml plus scenes/a.yaml holding `scenes` (a YAML list of scenes)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "story.yaml").write_text(
        f"title: Test\nroles:\n{roles}\nvariables:\n{variables}", encoding="utf-8"
    )
    (root / "scenes").mkdir(exist_ok=True)
    body = textwrap.indent(textwrap.dedent(scenes), "  ")
    (root / "scenes" / "a.yaml").write_text(f"scenes:\n{body}", encoding="utf-8")
    return root


def codes(root: Path) -> list[tuple[str, str, int]]:
    """(code, file name, line) of every diagnostic, as check reports them."""
    return [(d.code, Path(d.path).name, d.line) for d in check.run(root)]


def messages(root: Path, code: str) -> list[str]:
    return [d.message for d in check.run(root) if d.code == code]


def test_clean_story_has_no_warnings(tmp_path: Path) -> None:
    assert check.run(make_story(tmp_path, USES)) == []


def test_unreachable_scene_and_ending(tmp_path: Path) -> None:
    root = make_story(
        tmp_path,
        USES
        + """\
- id: a.island
  title: Island
  date: 1917-02-24
  text: Nobody comes here.
  choices:
    - text: Leave.
      goto: a.lost
- id: a.lost
  title: Lost
  date: 1917-02-25
  text: Lost.
  ending: {title: Lost, epilogue: Nobody saw it.}
""",
    )
    found = codes(root)
    assert ("unreachable", "a.yaml", 17) in found
    assert ("unreachable-ending", "a.yaml", 24) in found
    assert any(
        "only unreachable scenes lead here (a.island)" in m for m in messages(root, "unreachable-ending")
    )


def test_reachability_ignores_conditions(tmp_path: Path) -> None:
    # A goto behind a condition still counts: the condition may be true some day.
    root = make_story(
        tmp_path,
        USES.replace("goto: a.end", "goto: a.end\n    - text: Wait.\n      if: sold\n      goto: a.later")
        + """\
- id: a.later
  title: Later
  date: 1917-02-25
  text: Later.
  ending: {title: Later, epilogue: It was later.}
""",
    )
    assert [c for c, _f, _l in codes(root) if c.startswith("unreachable")] == []


def test_unused_and_unchanged_variables(tmp_path: Path) -> None:
    variables = (
        VARIABLES
        + """\
  ghost: {type: int, start: 0}
  shown: {type: int, start: 0, show: true}
  fixed: {type: bool, start: true}
"""
    )
    root = make_story(tmp_path, USES.replace("if: not sold", "if: not sold and fixed"), variables=variables)
    found = codes(root)
    assert ("unused-variable", "story.yaml", 7) in found  # ghost: read by nothing
    assert ("unchanged-variable", "story.yaml", 9) in found  # fixed: read, never set
    assert not any(c == "unused-variable" and line == 8 for c, _f, line in found)  # shown in the toolbar
    assert any("always true" in m for m in messages(root, "unchanged-variable"))


def test_placeholder_counts_as_a_use(tmp_path: Path) -> None:
    variables = VARIABLES + "  name: {type: str, start: Anna}\n"
    root = make_story(
        tmp_path, USES.replace("You have {bread} loaves.", "Good morning, {name}."), variables=variables
    )
    assert "unused-variable" not in [c for c, _f, _l in codes(root)]


@pytest.mark.parametrize(
    "condition",
    [
        "bread > 10",
        "10 < bread",
        "bread >= 3 and bread < 2",
        "not (bread <= 10)",
        "bread + 1 > 11",
        "role == 'nobody'",
        "bread > 10 or bread < 0",
        "sold and not sold",
        "visits('a.start') < 0",
    ],
)
def test_impossible_condition(tmp_path: Path, condition: str) -> None:
    root = make_story(
        tmp_path,
        USES.replace(
            "goto: a.end", f'goto: a.end\n    - text: Dream.\n      if: "{condition}"\n      goto: a.end'
        ),
    )
    found = [d for d in check.run(root) if d.code == "impossible-condition"]
    assert len(found) == 1
    assert "choice 2 can never be taken" in found[0].message
    assert found[0].line == 13


@pytest.mark.parametrize("condition", ["bread > 9", "bread > 10 or sold", "role == 'a'", "bread * 2 > 19"])
def test_possible_condition_is_not_flagged(tmp_path: Path, condition: str) -> None:
    root = make_story(
        tmp_path,
        USES.replace(
            "goto: a.end", f'goto: a.end\n    - text: Dream.\n      if: "{condition}"\n      goto: a.end'
        ),
    )
    assert "impossible-condition" not in [c for c, _f, _l in codes(root)]


def test_impossible_paragraph_condition(tmp_path: Path) -> None:
    root = make_story(
        tmp_path,
        USES.replace(
            "text: You have {bread} loaves.",
            "text:\n    - You have {bread} loaves.\n    - if: bread > 99\n      text: A feast.",
        ),
    )
    assert any(
        "paragraph is never shown" in m and "bread is 0..10" in m
        for m in messages(root, "impossible-condition")
    )


def test_time_running_backwards(tmp_path: Path) -> None:
    root = make_story(tmp_path, USES.replace("date: 1917-02-24", "date: 1917-02-20"))
    found = [d for d in check.run(root) if d.code == "time-backwards"]
    assert len(found) == 1
    assert "1917-02-23" in found[0].message and "1917-02-20" in found[0].message
    assert found[0].line == 7  # the choice


def test_duplicate_choice_text(tmp_path: Path) -> None:
    root = make_story(
        tmp_path, USES.replace("goto: a.end", "goto: a.end\n    - text: Sell.\n      goto: a.end")
    )
    found = [d for d in check.run(root) if d.code == "duplicate-choice"]
    assert len(found) == 1 and "choice 2 has the same text as choice 1" in found[0].message


def test_same_text_under_exclusive_conditions_is_fine(tmp_path: Path) -> None:
    # "Sell." under `not sold` and again under `sold` are never shown together.
    root = make_story(
        tmp_path,
        USES.replace("goto: a.end", "goto: a.end\n    - text: Sell.\n      if: sold\n      goto: a.end"),
    )
    assert "duplicate-choice" not in [c for c, _f, _l in codes(root)]
    root2 = make_story(
        tmp_path / "two",
        USES.replace(
            "goto: a.end", "goto: a.end\n    - text: Sell.\n      if: bread > 5\n      goto: a.end"
        ).replace("if: not sold", "if: bread <= 5"),
    )
    assert "duplicate-choice" not in [c for c, _f, _l in codes(root2)]


def test_empty_text(tmp_path: Path) -> None:
    root = make_story(
        tmp_path / "a",
        USES.replace(
            "text: You have {bread} loaves.", "text:\n    - if: sold\n      text: You have {bread} loaves."
        ),
    )
    found = [d for d in check.run(root) if d.code == "empty-text"]
    assert [(d.line, "every paragraph has an if:" in d.message) for d in found][0] == (2, True)
    # an empty choice text is worse than a warning: the loader refuses it
    root = make_story(tmp_path / "b", USES.replace("- text: Sell.", '- text: ""\n      once: false'))
    diags = check.run(root)
    assert any(
        d.code == "empty" and d.severity == "error" and "choice text is empty" in d.message for d in diags
    )


def test_text_output_sorted_with_summary_and_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_story(
        tmp_path,
        USES.replace("date: 1917-02-24", "date: 1917-02-20"),
        variables=VARIABLES + "  ghost: {type: int, start: 0}\n",
    )
    assert cli.main(["check", "--story", str(root)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "0 errors, 2 warnings"
    # story.yaml first (its mistakes explain what follows), then the scene files by path and line
    assert out[0].endswith("[unused-variable]") and "story.yaml:7:3: warning: " in out[0]
    assert out[1].endswith("[time-backwards]") and "a.yaml:7:" in out[1]
    assert cli.main(["check", "--strict", "--story", str(root)]) == 1


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_story(tmp_path, USES.replace("date: 1917-02-24", "date: 1917-02-20"))
    assert cli.main(["check", "--format", "json", "--story", str(root)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data) == 1
    assert set(data[0]) == {"path", "line", "col", "severity", "code", "message"}
    assert (data[0]["severity"], data[0]["code"], data[0]["line"]) == ("warning", "time-backwards", 7)


def test_errors_still_fail_and_skip_analysis(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_story(tmp_path, USES.replace("goto: a.end", "goto: a.nowhere"))
    assert cli.main(["check", "--story", str(root)]) == 1
    out = capsys.readouterr().out
    assert "error: goto: unknown scene 'a.nowhere'" in out
    assert "unreachable" not in out  # the graph is not analysed while the story has errors


def test_mini_story_warnings() -> None:
    found = {(d.code, Path(d.path).name) for d in check.run(Path(__file__).parent / "data" / "mini")}
    assert found == {("time-backwards", "baker.yaml"), ("unchanged-variable", "story.yaml")}


def test_check_reports_assignment_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.conftest import MINI

    bad = tmp_path / "hw.yaml"
    bad.write_text("title: Homework\nrole: pirate\nquestions:\n  - at: baker.dwan\n    ask: Why?\n")
    assert cli.main(["check", "--story", str(MINI), "--assignment", str(bad)]) == 1
    out = capsys.readouterr().out
    assert "hw.yaml:2:7: error: unknown role 'pirate'" in out
    assert "hw.yaml:4:9: error:" in out and "did you mean baker.dawn, “Dawn”?" in out
    # assignments kept in the story's own assignments/ folder are checked without being named
    story = tmp_path / "story"
    shutil.copytree(MINI, story)
    (story / "assignments").mkdir()
    (story / "assignments" / "a.yaml").write_text(bad.read_text())
    assert cli.main(["check", "--story", str(story)]) == 1
    assert "assignments/a.yaml:2:7: error" in capsys.readouterr().out

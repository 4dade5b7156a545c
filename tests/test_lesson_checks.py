"""Assignment checks a teacher can act on: tabs, quotes, numbering, one pass, titles in 'did you mean' (item 7)."""

from __future__ import annotations

from pathlib import Path

from engine import cli, loader
from engine.classroom import assignment
from tests.conftest import MINI, SHIPPED


def check(capsys, tmp_path: Path, text: str) -> tuple[int, list[str]]:
    path = tmp_path / "lesson.yaml"
    path.write_text(text, encoding="utf-8")
    code = cli.main(["check", "--story", str(MINI), "--assignment", str(path)])
    out = capsys.readouterr().out
    return code, [line.split("lesson.yaml:", 1)[1] for line in out.splitlines() if "lesson.yaml:" in line]


def test_a_tab_is_called_a_tab_with_the_fix(capsys, tmp_path):
    code, found = check(
        capsys, tmp_path, "title: T\nrole: baker\nquestions:\n  - ask: Why?\n\t  at: baker.dawn\n"
    )
    assert code != 0
    assert found == [
        "5:1: error: a tab character: YAML does not allow tabs here; replace it with spaces (indent with "
        "spaces, as the lines around it) [tab]"
    ]


def test_an_unclosed_quote_points_where_it_opened(capsys, tmp_path):
    code, found = check(capsys, tmp_path, 'title: "The July Days\nrole: baker\nquestions:\n  - ask: Why?\n')
    assert code != 0
    assert found == [
        '1:8: error: this quote (") is never closed: add the closing " at the end of the value [yaml-syntax]'
    ]


def test_a_question_without_ask_is_named_and_the_later_ones_keep_their_numbers(capsys, tmp_path):
    text = (
        "title: T\nrole: baker\nquestions:\n"
        "  - at: baker.dawn\n"  # question 1: no ask
        "  - at: baker.dawm\n    ask: Where?\n"  # question 2: a typo
    )
    code, found = check(capsys, tmp_path, text)
    assert code != 0
    assert "4:5: error: question 1: missing required key 'ask' [missing-key]" in found
    assert any(m.startswith("5:9: error: question 2: at: unknown scene 'baker.dawm'") for m in found), found
    assert not any("no questions" in m for m in found)


def test_warnings_show_in_the_same_pass_as_errors(capsys, tmp_path):
    text = "title: T\nrole: baker\nset: {couragee: 1}\nquestions:\n  - at: guard.gate\n    ask: Q?\n"
    code, found = check(capsys, tmp_path, text)
    assert any("error: set: unknown variable 'couragee'" in m for m in found), found
    assert any("warning: question 1 will never be asked: 'guard.gate'" in m for m in found), found


def test_an_until_scene_that_can_never_be_reached_is_an_error(capsys, tmp_path):
    code, found = check(
        capsys, tmp_path, "title: T\nrole: baker\nuntil: guard.gate\nquestions: [{ask: Q?}]\n"
    )
    assert code != 0
    assert any(m.startswith("3:8: error: until: 'guard.gate' cannot be reached") for m in found), found


def test_did_you_mean_also_matches_scene_titles(tmp_path):
    story, _ = loader.load(SHIPPED)
    assert story is not None
    path = tmp_path / "lesson.yaml"
    path.write_text(
        "title: T\nrole: worker\nquestions:\n  - at: worker.jul.meeting\n    ask: Why?\n", "utf-8"
    )
    _asg, diags = assignment.load(path, story)
    [d] = [d for d in diags if d.code == "unknown-target"]
    title = story.scenes["worker.jul.smear"].title
    assert f"(did you mean worker.jul.smear, “{title}”?)" in d.message
    assert "worker.feb" not in d.message

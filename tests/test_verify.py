"""`dualpower verify`: a real report is VALID; an edited choice, answer or ending anywhere makes it INVALID."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from engine import cli
from tests.conftest import MINI
from tests.test_classroom_play import ASSIGNMENT, WHOLE_GAME, play, write_assignment


def verify(capsys, path: Path, *args: str) -> tuple[int, str]:
    code = cli.main(["verify", str(path), "--story", str(MINI), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


@pytest.fixture(params=["md", "html"])
def reports(request, monkeypatch, capsys, tmp_path) -> Path:
    """Anna's finished assignment, reported in one format; returns the report's path."""
    asg = write_assignment(tmp_path)
    code, _, err = play(
        monkeypatch, capsys, tmp_path, WHOLE_GAME, "--assignment", str(asg), "--student", "Anna"
    )
    assert code == 0, err
    target = tmp_path / f"anna.{request.param}"
    code = cli.main(
        [
            "report",
            "bakery-anna",
            "--story",
            str(MINI),
            "--saves",
            str(tmp_path / "saves"),
            "--format",
            request.param,
            "-o",
            str(target),
        ]
    )
    capsys.readouterr()
    assert code == 0
    return target


def edit(path: Path, old: str, new: str, count: int = 1) -> Path:
    text = path.read_text("utf-8")
    assert text.count(old) >= count, old
    out = path.with_name("edited" + path.suffix)
    out.write_text(text.replace(old, new, count), encoding="utf-8")
    return out


def test_an_unedited_report_is_valid(capsys, reports):
    code, out = verify(capsys, reports)
    assert code == 0
    assert out.startswith(
        "VALID: Anna's report on 'A day at the bakery': 2 choices, 2 answers, ending 'Home Again'."
    )
    assert "Checked against the assignment file" in out


def test_an_edited_choice_is_invalid_and_named(capsys, reports):
    code, out = verify(capsys, edit(reports, "Take heart.", "March with the crowd."))
    assert code == 1
    assert out.startswith("INVALID: step 1: the choice differs from what this playthrough produces")
    assert "March with the crowd." in out and "Take heart." in out


def test_an_edited_answer_is_invalid_and_named(capsys, reports):
    code, out = verify(
        capsys,
        edit(
            reports,
            "Answer:</b> Because of the bread."
            if reports.suffix == ".html"
            else "Answer:** Because of the bread.",
            "Answer:** Because of the Tsar."
            if reports.suffix == ".md"
            else "Answer:</b> Because of the Tsar.",
        ),
    )
    assert code == 1
    assert out.startswith("INVALID: the answer to question 1 differs")


def test_an_answer_edited_only_in_the_block_is_invalid(capsys, reports):
    code, out = verify(
        capsys, edit(reports, '"answer": "I went home to bake."', '"answer": "I stormed the Palace."')
    )
    assert code == 1
    assert out.startswith("INVALID: the answer to question 2 differs")


def test_an_answer_edited_everywhere_is_invalid(capsys, reports):
    # Changed in the text and in the block alike: the answer's seal, made when it was typed, no longer holds.
    text = reports.read_text("utf-8").replace("I went home to bake.", "I went home.")
    reports.write_text(text, encoding="utf-8")
    code, out = verify(capsys, reports)
    assert code == 1
    assert out.startswith("INVALID: answer 2 (or the name or path before it) is not what was typed")


def test_a_name_edited_everywhere_is_invalid(capsys, reports):
    text = reports.read_text("utf-8")
    student = json.loads(text.split('"student": ', 1)[1].split(",", 1)[0])
    reports.write_text(text.replace(student, "Somebody Else"), encoding="utf-8")
    code, out = verify(capsys, reports)
    assert code == 1 and "INVALID" in out


def test_an_edited_ending_is_invalid(capsys, reports):
    code, out = verify(capsys, edit(reports, "Ending: Home Again", "Ending: The Marcher"))
    assert code == 1
    assert out.startswith("INVALID: the ending differs")
    code, out = verify(capsys, edit(reports, "You kept baking.", "You marched into history.", 1))
    assert code == 1
    assert out.startswith("INVALID: the epilogue differs")


def test_an_ending_edited_in_the_block_is_invalid(capsys, reports):
    code, out = verify(capsys, edit(reports, '"end": "baker.end.home"', '"end": "baker.end.march"'))
    assert code == 1
    assert "INVALID: the ending" in out


def test_a_path_edited_in_the_block_is_invalid_at_that_step(capsys, reports):
    code, out = verify(capsys, edit(reports, '["baker.street", 1]', '["baker.street", 0]'))
    assert code == 1
    assert out.startswith("INVALID: step 2: the choice differs")
    code, out = verify(capsys, edit(reports, '["baker.dawn", 1]', '["baker.dawn", 2]'))
    assert code == 1
    assert out.startswith("INVALID: the recorded path does not replay: step 1")


def test_an_answer_moved_to_another_step_is_invalid(capsys, reports):
    code, out = verify(
        capsys,
        edit(
            reports,
            '"answer": "Because of the bread.", "step": 1',
            '"answer": "Because of the bread.", "step": 0',
        ),
    )
    assert code == 1
    assert out.startswith("INVALID:")


def test_added_or_removed_text_is_invalid(capsys, reports):
    text = reports.read_text("utf-8")
    added = reports.with_name("added" + reports.suffix)
    added.write_text(text + "Graded A+ by the teacher\n", encoding="utf-8")
    code, out = verify(capsys, added)
    assert code == 1 and "text added after its end" in out
    cut = reports.with_name("cut" + reports.suffix)
    cut.write_text(re.sub(r"(?m)^.*What really happened.*$\n", "", text, count=1), encoding="utf-8")
    assert verify(capsys, cut)[0] == 1


def test_a_report_without_its_block_is_invalid(capsys, reports):
    text = reports.read_text("utf-8")
    plain = reports.with_name("noblock" + reports.suffix)
    plain.write_text(text.split("dualpower-verification")[0], encoding="utf-8")
    code, out = verify(capsys, plain)
    assert code == 1
    assert "no verification block found" in out


def test_line_endings_changed_by_a_mail_program_do_not_matter(capsys, reports):
    crlf = reports.with_name("crlf" + reports.suffix)
    crlf.write_bytes(b"\xef\xbb\xbf" + reports.read_bytes().replace(b"\n", b"\r\n"))
    assert verify(capsys, crlf)[0] == 0


def test_a_changed_assignment_file_makes_it_invalid(capsys, reports, tmp_path):
    (tmp_path / "bakery.yaml").write_text(ASSIGNMENT.replace("Why is the street full?", "Why?"), "utf-8")
    code, out = verify(capsys, reports)
    assert code == 1
    assert "is not the one this report was made with" in out


def test_a_missing_assignment_file_is_not_checked_but_the_path_still_is(capsys, reports, tmp_path):
    (tmp_path / "bakery.yaml").unlink()
    code, out = verify(capsys, reports)
    # Not VALID: the answers were not checked against any assignment, and the exit code says so.
    assert code == 1
    assert out.startswith("NOT CHECKED:") and "VALID" not in out.split("\n")[0].replace("NOT CHECKED", "")
    assert "was not found" in out
    assert verify(capsys, edit(reports, "Take heart.", "Sell a loaf."))[0] == 1


def test_the_assignment_can_be_given_explicitly(capsys, reports, tmp_path):
    moved = tmp_path / "elsewhere.yaml"
    shutil.move(tmp_path / "bakery.yaml", moved)
    code, out = verify(capsys, reports, "--assignment", str(moved))
    assert code == 0
    assert "Checked against the assignment file" in out


def test_the_block_must_match_the_assignments_settings(capsys, reports):
    code, out = verify(capsys, edit(reports, '"initial": {"courage": 1}', '"initial": {"courage": 2}'))
    assert code == 1
    assert "the verification block's initial does not match the assignment file" in out


def test_another_story_is_refused(capsys, reports, write_story):
    other = write_story(
        {
            "scenes/a.yaml": """\
        scenes:
          - id: a.start
            title: Start
            date: 1917-02-23
            text: Hi.
            ending: {title: E, epilogue: Done.}
        """
        }
    )
    code = cli.main(["verify", str(reports), "--story", str(other)])
    out = capsys.readouterr().out
    assert code == 1
    assert "INVALID: the report is for the story 'mini'" in out


def test_unreadable_reports_are_clear_errors(capsys, tmp_path):
    code, out = verify(capsys, tmp_path / "missing.md")
    assert code == 1 and "no such file" in out
    binary = tmp_path / "report.pdf"
    binary.write_bytes(b"%PDF-1.4 \xff\xfe\x00")
    code, out = verify(capsys, binary)
    assert code == 1 and "INVALID" in out and "not a text file" in out
    damaged = tmp_path / "damaged.md"
    damaged.write_text("# R\n\n```dualpower-verification\n{not json\n```\n", encoding="utf-8")
    code, out = verify(capsys, damaged)
    assert code == 1 and "damaged" in out


NO_QUESTIONS = """\
title: Just play
role: baker
"""


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_a_name_or_date_edited_everywhere_is_invalid_even_without_answers(monkeypatch, capsys, tmp_path, fmt):
    asg = write_assignment(tmp_path, NO_QUESTIONS, "just.yaml")
    code, _, err = play(
        monkeypatch, capsys, tmp_path, ["2", "2"], "--assignment", str(asg), "--student", "Anna Petrova"
    )
    assert code == 0, err
    target = tmp_path / f"r.{fmt}"
    assert (
        cli.main(
            [
                "report",
                "just-anna-petrova",
                "--story",
                str(MINI),
                "--saves",
                str(tmp_path / "saves"),
                "-o",
                str(target),
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert verify(capsys, target)[0] == 0
    original = target.read_text("utf-8")
    renamed = tmp_path / f"renamed.{fmt}"
    renamed.write_text(
        original.replace("Anna Petrova", "Copycat Kid"), encoding="utf-8"
    )  # text and block alike
    code, out = verify(capsys, renamed)
    assert code == 1 and "changed after it was played" in out
    started = json.loads(re.search(r'"started": ("[^"]*")', original).group(1))
    redated = tmp_path / f"redated.{fmt}"
    redated.write_text(original.replace(started, "2020-01-01T00:00:00+00:00"), encoding="utf-8")
    assert verify(capsys, redated)[0] == 1


def test_a_mistyped_assignment_path_is_the_teachers_error_not_invalid(capsys, reports, tmp_path):
    code = cli.main(
        ["verify", str(reports), "--story", str(MINI), "--assignment", str(tmp_path / "nope.yaml")]
    )
    out = capsys.readouterr()
    assert code == 2
    assert "no such assignment file" in out.err and "INVALID" not in out.out

"""Fair verification after a story edit: a changed story is told from an edited report (issue 20, item 2)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import cli
from tests.conftest import MINI
from tests.test_classroom_play import WHOLE_GAME, write_assignment

LONG_NOTE = (
    "The bakery is invented, but the queues were real. In the winter of 1916 to 1917 women stood for hours "
    "outside the bakeries of the Vyborg side and the Petrograd side, and the talk in those queues ran ahead "
    "of the newspapers by days."
)


@pytest.fixture(params=["md", "html"])
def lesson(request, monkeypatch, capsys, tmp_path) -> tuple[Path, Path]:
    """(story folder, report) for Anna's finished assignment, played on a copy of the mini story."""
    story = tmp_path / "story"
    shutil.copytree(MINI, story)
    scenes = story / "scenes" / "baker.yaml"
    scenes.write_text(scenes.read_text("utf-8").replace("The bakery is invented.", LONG_NOTE), "utf-8")
    asg = write_assignment(tmp_path)
    saves = tmp_path / "saves"
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("".join(f"{x}\n" for x in WHOLE_GAME)))
    args = ["play", "--story", str(story), "--saves", str(saves), "--plain", "--assignment", str(asg)]
    assert cli.main([*args, "--student", "Anna"]) == 0
    report = tmp_path / f"anna.{request.param}"
    code = cli.main(
        ["report", "bakery-anna", "--story", str(story), "--saves", str(saves), "-o", str(report)]
    )
    assert code == 0
    capsys.readouterr()
    return story, report


def verify(capsys, story: Path, report: Path) -> tuple[int, str]:
    code = cli.main(["verify", str(report), "--story", str(story)])
    out = capsys.readouterr()
    return code, out.out + out.err


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def test_a_one_word_note_edit_keeps_an_honest_report_valid_and_names_the_words(capsys, lesson):
    story, report = lesson
    edit(story / "scenes" / "baker.yaml", "ran ahead of the newspapers", "ran ahead of the papers")
    code, out = verify(capsys, story, report)
    assert code == 0, out
    assert out.startswith("VALID: Anna's report")
    assert "the story's text has changed since this report was made" in out
    assert "step 1: 'newspapers' became 'papers'" in out


def test_a_story_edit_of_the_ending_and_a_title_is_named_part_by_part(capsys, lesson):
    story, report = lesson
    edit(story / "scenes" / "baker.yaml", "epilogue: You kept baking.", "epilogue: You kept on baking.")
    edit(story / "scenes" / "baker.yaml", "title: The Street", "title: The Crowded Street")
    code, out = verify(capsys, story, report)
    assert code == 0, out
    assert "step 2: 'Crowded' added" in out
    assert "the ending: 'on' added" in out


def test_an_edited_report_is_still_invalid_when_the_story_changed_too(capsys, lesson):
    story, report = lesson
    edit(story / "scenes" / "baker.yaml", "ran ahead of the newspapers", "ran ahead of the papers")
    edit(report, "Because of the bread.", "Because of the flour.")
    code, out = verify(capsys, story, report)
    assert code == 1
    assert out.startswith("INVALID: the answer to question 1 differs")


def test_a_note_edited_in_the_report_is_invalid_and_shows_the_words_that_differ(capsys, lesson):
    story, report = lesson
    # The last words of a long line: cut at 160 characters, both versions would look the same.
    edit(report, "by days.", "by weeks.")
    code, out = verify(capsys, story, report)
    assert code == 1
    assert out.startswith("INVALID: step 1: the note differs")
    assert "the words that differ: 'weeks.' became 'days.'" in out
    shown = [line for line in out.splitlines() if line.startswith(("  in the report:", "  the playthrough:"))]
    assert len(shown) == 2 and shown[0].split(":", 1)[1] != shown[1].split(":", 1)[1]


def test_a_story_edit_in_the_same_place_as_a_report_edit_is_invalid(capsys, lesson):
    story, report = lesson
    edit(story / "scenes" / "baker.yaml", "ran ahead of the newspapers", "ran ahead of the papers")
    edit(report, "by days.", "by weeks.")
    code, out = verify(capsys, story, report)
    assert code == 1
    assert out.startswith("INVALID: step 1: the note differs")


def test_a_path_the_new_story_no_longer_allows_has_its_own_verdict(capsys, lesson):
    story, report = lesson
    edit(
        story / "scenes" / "baker.yaml",
        "      - text: Go home.\n        goto: baker.end.home\n",
        "",
    )
    code, out = verify(capsys, story, report)
    assert code == 1
    assert out.startswith("PATH NOT IN THIS STORY: the report's seals hold")
    assert "--story DIR" in out


def test_an_edited_report_on_a_story_without_that_path_is_invalid(capsys, lesson):
    story, report = lesson
    edit(story / "scenes" / "baker.yaml", "      - text: Go home.\n        goto: baker.end.home\n", "")
    edit(report, "Because of the bread.", "Because of the flour.")
    edit(report, '"answer": "Because of the bread."', '"answer": "Because of the flour."')
    code, out = verify(capsys, story, report)
    assert code == 1
    assert out.startswith("INVALID")


def test_verify_complete_fails_an_unfinished_report_and_passes_a_finished_one(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    saves = tmp_path / "saves"
    args = ["play", "--story", str(MINI), "--saves", str(saves), "--plain", "--assignment", str(asg)]
    runs = (
        ("Kim", ["2", "Because of the bread.", "quit"]),
        ("Lev", WHOLE_GAME[:3] + ["quit"]),
        ("Anna", WHOLE_GAME),
    )
    for student, lines in runs:
        monkeypatch.setattr("sys.stdin", __import__("io").StringIO("".join(f"{x}\n" for x in lines)))
        assert cli.main([*args, "--student", student]) == 0
        report = tmp_path / f"{student}.md"
        slot = f"bakery-{student.lower()}"
        assert cli.main(["report", slot, "--story", str(MINI), "--saves", str(saves), "-o", str(report)]) == 0
    capsys.readouterr()
    # Without --complete, Kim's honest unfinished report is VALID; with it, it fails.
    assert cli.main(["verify", str(tmp_path / "Kim.md"), "--story", str(MINI)]) == 0
    capsys.readouterr()
    code = cli.main(["verify", str(tmp_path / "Kim.md"), "--story", str(MINI), "--complete"])
    out = capsys.readouterr().out
    assert code == 1
    assert "INCOMPLETE: the work in this report is not finished: it stops at 'The Street'" in out
    # Lev reached the ending but left the end question unanswered.
    code = cli.main(["verify", str(tmp_path / "Lev.md"), "--story", str(MINI), "--complete"])
    out = capsys.readouterr().out
    assert code == 1
    assert "INCOMPLETE: the work in this report is not finished: question 2 is not answered" in out
    code = cli.main(["verify", str(tmp_path / "Anna.md"), "--story", str(MINI), "--complete"])
    out = capsys.readouterr().out
    assert code == 0 and "INCOMPLETE" not in out

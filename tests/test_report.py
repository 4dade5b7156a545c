"""`dualpower report`: Markdown and HTML reports of an assignment's save, for the teacher."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from engine import cli
from engine.classroom import report
from tests.conftest import MINI
from tests.test_classroom_play import ASSIGNMENT, WHOLE_GAME, play, write_assignment


def make_report(capsys, tmp_path: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["report", "--story", str(MINI), "--saves", str(tmp_path / "saves"), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def finished(monkeypatch, capsys, tmp_path) -> str:
    """A whole assignment played by Anna; returns its slot."""
    asg = write_assignment(tmp_path)
    code, _, err = play(
        monkeypatch, capsys, tmp_path, WHOLE_GAME, "--assignment", str(asg), "--student", "Anna"
    )
    assert code == 0, err
    return "bakery-anna"


def test_markdown_report_holds_everything_the_teacher_reads(capsys, tmp_path, finished):
    code, out, err = make_report(capsys, tmp_path, finished)
    assert code == 0, err
    assert out.startswith("# A day at the bakery\n")
    assert "- **Student:** Anna" in out
    assert "- **Role:** Baker (A baker on the corner)" in out
    assert "**Played:** started " in out
    # The path, step by step: date Old Style and New Style, place, scene, the choice made.
    assert "### 1. Dawn" in out
    assert "*23 February 1917 · 8 March N.S. · The corner bakery*" in out
    assert "**Your choice:** Take heart." in out
    assert "### 2. The Street" in out
    assert "**Your choice:** Go home." in out
    # Each answer beside its question.
    assert "**Question 1:** Why is the street full?\n\n**Answer:** Because of the bread." in out
    assert "## Questions at the end" in out
    assert "**Question 2:** How did your day end?\n\n**Answer:** I went home to bake." in out
    # The ending and its epilogue; the scenes' notes as what really happened.
    assert "## Ending: Home Again\n\nYou kept baking." in out
    assert "> **What really happened:** The bakery is invented." in out
    assert "the ending “Home Again” after 2 choices; 2 of 2 questions answered" in out
    fmt, block = report.extract_block(out)
    assert fmt == "md"
    assert block["path"] == [["baker.dawn", 1], ["baker.street", 1]]
    assert block["student"] == "Anna"
    assert block["role"] == "baker" and block["start"] == "baker.dawn" and block["initial"] == {"courage": 1}
    assert block["story"] == {"id": "mini", "title": "Mini Story", "version": 2}
    assert len(block["assignment"]["sha256"]) == 64
    assert [a["answer"] for a in block["answers"]] == ["Because of the bread.", "I went home to bake."]


def test_html_report_is_one_printable_self_contained_page(capsys, tmp_path, finished):
    target = tmp_path / "report.html"
    code, _, err = make_report(capsys, tmp_path, finished, "-o", str(target))
    assert code == 0
    assert "Report written to" in err
    page = target.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<dt>Student</dt><dd>Anna</dd>" in page
    assert "<b>Your choice:</b> Take heart." in page
    assert "<p><b>Question 1:</b> Why is the street full?</p>" in page
    assert "<p><b>Answer:</b> Because of the bread.</p>" in page
    assert "<h2>Ending: Home Again</h2>" in page
    assert '<p class="epilogue">You kept baking.</p>' in page
    assert "What really happened" in page and "The bakery is invented." in page
    assert "@page" in page and "@media print" in page
    # Self-contained: no stylesheet, script or image fetched from anywhere.
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)
    fmt, block = report.extract_block(page)
    assert fmt == "html" and block["student"] == "Anna"


def test_the_format_option_wins_and_md_is_the_default(capsys, tmp_path, finished):
    target = tmp_path / "r.txt"
    assert make_report(capsys, tmp_path, finished, "-o", str(target))[0] == 0
    assert target.read_text("utf-8").startswith("# A day")
    assert make_report(capsys, tmp_path, finished, "--format", "html", "-o", str(target))[0] == 0
    assert target.read_text("utf-8").startswith("<!DOCTYPE html>")


def test_a_save_file_path_works_as_well_as_a_slot(capsys, tmp_path, finished):
    code, out, _ = make_report(capsys, tmp_path, str(tmp_path / "saves" / f"{finished}.json"))
    assert code == 0
    assert "- **Student:** Anna" in out


def test_student_text_is_escaped_in_both_formats(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    nasty = "<script>alert('x')</script> **bold** [link](http://x) </script> ``` & &amp;"
    play(
        monkeypatch,
        capsys,
        tmp_path,
        ["2", nasty, "2", "fine"],
        "--assignment",
        str(asg),
        "--student",
        "<b>Eve</b>",
    )
    target = tmp_path / "r.html"
    make_report(capsys, tmp_path, "bakery-b-eve-b", "-o", str(target))
    page = target.read_text("utf-8")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<dd>&lt;b&gt;Eve&lt;/b&gt;</dd>" in page
    # Only the verification block's own script element; the answer cannot close it early.
    assert page.count("</script>") == 1
    assert report.extract_block(page)[1]["answers"][0]["answer"] == nasty
    code, md, _ = make_report(capsys, tmp_path, "bakery-b-eve-b")
    assert "\\<script\\>" in md and "\\*\\*bold\\*\\*" in md and "\\[link\\]" in md
    assert report.extract_block(md)[1]["answers"][0]["answer"] == nasty


def test_an_unfinished_assignment_says_so_and_lists_the_questions_not_reached(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    play(monkeypatch, capsys, tmp_path, ["1"], "--assignment", str(asg), "--student", "Anna")
    code, out, _ = make_report(capsys, tmp_path, "bakery-anna")
    assert code == 0
    assert "## Not finished: stopped at Dawn" in out
    assert "**Your choice:** Sell a loaf." in out
    assert "> **What really happened:** see step 1." in out  # Dawn again: its note is not repeated
    assert "## Questions not reached on this path" in out
    assert "- **Question 1** (at The Street): Why is the street full?" in out
    assert "0 of 2 questions answered" in out


def test_a_free_play_save_gets_a_report_without_questions(monkeypatch, capsys, tmp_path):
    play(monkeypatch, capsys, tmp_path, ["2", "quit"], "--role", "baker")
    code, out, _ = make_report(capsys, tmp_path, "autosave")
    assert code == 0
    assert out.startswith("# Mini Story: a playthrough")
    assert "Student" not in out
    assert "**Your choice:** Take heart." in out
    assert report.extract_block(out)[1]["assignment"] is None


def test_documents_met_on_the_path_are_listed(write_story, monkeypatch, capsys, tmp_path):
    root = write_story(
        {
            "documents.yaml": """\
            documents:
              - id: decree
                title: The Decree
                date: 1917-03-01
                source: Petrograd Soviet, 1 March 1917.
                text: Elect committees.
            """,
            "scenes/a.yaml": """\
            scenes:
              - id: a.start
                title: Start
                date: 1917-03-01
                text: Hi.
                documents: [decree]
                choices:
                  - {text: Go on., goto: a.end}
              - id: a.end
                title: End
                date: 1917-03-02
                text: Bye.
                ending: {title: The End, epilogue: Done.}
            """,
        }
    )
    play(monkeypatch, capsys, tmp_path, ["1"], "--role", "hero", story=root)
    code = cli.main(["report", "autosave", "--story", str(root), "--saves", str(tmp_path / "saves")])
    out = capsys.readouterr().out
    assert code == 0
    assert "- **The Decree (1 March 1917 · 14 March N.S.)**: Petrograd Soviet, 1 March 1917." in out


def test_missing_and_damaged_saves_are_clear_errors(capsys, tmp_path):
    code, _, err = make_report(capsys, tmp_path, "nobody")
    assert code == 1 and "there is no save 'nobody'" in err
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    code, _, err = make_report(capsys, tmp_path, str(bad))
    assert code == 1 and "not valid JSON" in err
    code, _, err = make_report(capsys, tmp_path, "../etc/passwd")
    assert code == 1


def test_a_save_whose_path_no_longer_fits_the_story_is_refused(capsys, tmp_path, finished):
    path = tmp_path / "saves" / f"{finished}.json"
    data = json.loads(path.read_text("utf-8"))
    data["state"]["history"][1]["choice"] = 7
    path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = make_report(capsys, tmp_path, finished)
    assert code == 1
    assert "does not replay" in err and "step 2" in err


def test_the_until_scene_is_reported_as_where_the_assignment_stopped(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path, ASSIGNMENT + "until: baker.street\n")
    play(
        monkeypatch,
        capsys,
        tmp_path,
        ["2", "There was no bread.", "It stopped there."],
        "--assignment",
        str(asg),
        "--student",
        "Anna",
    )
    code, out, _ = make_report(capsys, tmp_path, "bakery-anna")
    assert "## The assignment stopped at: The Street" in out
    assert "**Question 2:** How did your day end?\n\n**Answer:** It stopped there." in out


def test_an_unknown_output_format_is_refused(tmp_path, capsys):
    from engine import cli

    code = cli.main(
        ["report", "anything", "--story", str(MINI), "--saves", str(tmp_path), "-o", str(tmp_path / "r.pdf")]
    )
    assert code == 2 and "cannot write a .pdf report" in capsys.readouterr().err
    assert not (tmp_path / "r.pdf").exists()


@pytest.mark.parametrize(
    ("name", "suffix"), [(f.name, s) for f in report.FORMATS.values() for s in f.suffixes]
)
def test_every_registered_format_is_chosen_by_its_file_ending_and_verifies(
    capsys, tmp_path, finished, name, suffix
):
    target = tmp_path / f"report{suffix}"
    code, _, err = make_report(capsys, tmp_path, finished, "-o", str(target))
    assert code == 0, err
    written = target.read_text("utf-8")
    assert report.extract_block(written)[0] == name
    code = cli.main(
        ["verify", str(target), "--story", str(MINI), "--assignment", str(tmp_path / "bakery.yaml")]
    )
    out = capsys.readouterr()
    assert code == 0, out.out + out.err
    assert "VALID" in out.out + out.err

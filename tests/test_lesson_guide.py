"""A guide a teacher can teach from: objectives, model answers, rubric, the decision map, the lesson plan, in
Markdown and printable HTML, with no raw variable names (issue 20, items 9-10)."""

from __future__ import annotations

import re
from pathlib import Path

from engine import cli, loader
from engine.classroom import assignment
from tests.conftest import MINI, SHIPPED
from tests.test_classroom_play import WHOLE_GAME, play

LESSON = """\
title: A day at the bakery
role: baker
set: {courage: 1}
objectives:
  - Explain why bread queues turned into protests in February 1917.
  - Compare a story's invented bakery with the historical note.
questions:
  - at: baker.street
    ask: Why is the street full?
    model_answer: The queues for bread have turned into a crowd; people are hungry and angry.
    rubric:
      - Gives no reason, or one unrelated to the scene.
      - Names hunger or the bread shortage.
      - Links the shortage to the crowd, with evidence from the scene or its note.
  - ask: How did your day end?
"""


def write(tmp_path: Path, text: str = LESSON) -> Path:
    path = tmp_path / "bakery.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_objectives_model_answers_and_rubric_are_read_and_checked(tmp_path):
    story, _ = loader.load(MINI)
    asg, diags = assignment.load(write(tmp_path), story)
    assert asg is not None, diags
    assert asg.objectives[0].startswith("Explain why bread queues")
    q = asg.questions[0]
    assert q.model_answer.startswith("The queues for bread")
    assert len(q.rubric) == 3 and q.rubric[0].startswith("Gives no reason")
    bad = LESSON.replace("      - Names hunger or the bread shortage.\n      - Links", "      - Links")
    bad = bad.replace("      - Gives no reason, or one unrelated to the scene.\n", "")
    asg, diags = assignment.load(
        write(tmp_path, bad.replace("  - Compare a story's", "  - [a list]\n  - Compare a story's")), story
    )
    assert asg is None
    messages = [str(d) for d in diags]
    assert any("bakery.yaml:6:5: error: objectives, item 2 should be text, not a list" in m for m in messages)
    assert any("rubric needs at least 2 levels, lowest first" in m for m in messages), messages


def test_students_never_see_the_model_answer_or_rubric(monkeypatch, capsys, tmp_path):
    asg = write(tmp_path)
    code, out, _ = play(
        monkeypatch, capsys, tmp_path, WHOLE_GAME, "--assignment", str(asg), "--student", "Anna"
    )
    assert code == 0
    assert "Why is the street full?" in out
    assert (
        "queues for bread have turned" not in out and "Names hunger" not in out and "Explain why" not in out
    )


def test_the_html_guide_holds_the_map_model_answers_rubric_and_plan(capsys, tmp_path):
    asg = write(tmp_path)
    out = tmp_path / "guide.html"
    code = cli.main(
        ["guide", "--story", str(MINI), "--assignment", str(asg), "--saves", "/srv/class-9b", "-o", str(out)]
    )
    assert code == 0
    page = out.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "<h2>Decision map</h2>" in page
    assert "Take heart. → “The Street”" in page
    assert "Go home. → “Home” (ending: Home Again)" in page
    assert "<strong>Model answer:</strong> The queues for bread have turned into a crowd" in page
    assert "<li>Names hunger or the bread shortage.</li>" in page
    assert "Explain why bread queues turned into protests in February 1917." in page
    assert "<h2>Lesson plan</h2>" in page and "<h2>Debrief plan</h2>" in page
    assert "<h2>A note for families</h2>" in page
    # Every command for students carries the lesson's --story and --saves.
    commands = re.findall(r"dualpower (?:play|report) [^\n<]*", page)
    assert commands and all(f"--story {MINI}" in c and "--saves /srv/class-9b" in c for c in commands), (
        commands
    )


def test_the_guide_of_a_shipped_assignment_shows_no_raw_variable_name(capsys, tmp_path):
    story, _ = loader.load(SHIPPED)
    out = tmp_path / "guide.html"
    lesson = SHIPPED / "assignments" / "soldier-july.yaml"
    assert cli.main(["guide", "--assignment", str(lesson), "--format", "html", "-o", str(out)]) == 0
    page = out.read_text("utf-8")
    assert "Decision map" in page
    words = set(re.findall(r"[A-Za-z_]+", re.sub(r"<[^>]*>", " ", page)))
    raw = {name for name in story.variables if "_" in name} & words
    assert not raw
    assert "{" not in re.sub(r"<style>.*?</style>", "", page, flags=re.S)


def test_the_decision_map_shows_what_most_real_people_did(capsys, tmp_path):
    story_dir = tmp_path / "story"
    import shutil

    shutil.copytree(MINI, story_dir)
    scenes = story_dir / "scenes" / "baker.yaml"
    sentence = "A test sentence, standing for the evidence an author gives."
    scenes.write_text(
        scenes.read_text("utf-8").replace(
            "      - text: Go home.\n", f"      - text: Go home.\n        historical: {sentence}\n"
        ),
        "utf-8",
    )
    asg = write(tmp_path)
    assert cli.main(["guide", "--story", str(story_dir), "--assignment", str(asg)]) == 0
    text = capsys.readouterr().out
    assert f"- Go home. → “Home” (ending: Home Again) **(what most real people did:** {sentence}**)**" in text

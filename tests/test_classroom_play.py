"""`dualpower play --assignment`: questions asked at their scenes and at the end, undo refused, stop and resume."""

from __future__ import annotations

import io
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from engine import cli
from tests.conftest import MINI

ASSIGNMENT = """\
title: A day at the bakery
role: baker
set: {courage: 1}
intro: Play the baker's day, then answer.
questions:
  - at: baker.street
    ask: Why is the street full?
  - ask: How did your day end?
allow_undo: false
"""

# The mini story: at Dawn, 2 'Take heart' leads to the Street (question 1); there 2 'Go home' is an ending.
WHOLE_GAME = ["2", "Because of the bread.", "2", "I went home to bake."]


def write_assignment(tmp_path: Path, text: str = ASSIGNMENT, name: str = "bakery.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def play(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    lines: list[str],
    *args: str,
    story: Path = MINI,
) -> tuple[int, str, str]:
    """Run `dualpower play` in plain mode with `lines` on stdin; (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    code = cli.main(["play", "--story", str(story), "--saves", str(tmp_path / "saves"), "--plain", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def save_data(tmp_path: Path, slot: str) -> dict[str, Any]:
    return json.loads((tmp_path / "saves" / f"{slot}.json").read_text("utf-8"))  # type: ignore[no-any-return]


def test_questions_are_asked_at_their_scene_and_at_the_end(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    code, out, err = play(
        monkeypatch, capsys, tmp_path, WHOLE_GAME, "--assignment", str(asg), "--student", "Anna"
    )
    assert code == 0, err
    assert "Play the baker's day, then answer." in out
    # Question 1 comes after the Street is shown; question 2 after the ending's epilogue.
    assert out.index("\nThe Street\n") < out.index("Why is the street full?")
    assert out.index("You kept baking.") < out.index("How did your day end?")
    assert "The assignment is complete" in out
    assert "dualpower report bakery-anna" in out
    record = save_data(tmp_path, "bakery-anna")["assignment"]
    assert record["student"] == "Anna"
    assert record["title"] == "A day at the bakery"
    seals = [a.pop("seal") for a in record["answers"]]
    assert record["answers"] == [
        {
            "at": "baker.street",
            "ask": "Why is the street full?",
            "answer": "Because of the bread.",
            "step": 1,
        },
        {"at": None, "ask": "How did your day end?", "answer": "I went home to bake.", "step": 2},
    ]
    assert len(seals) == 2 and seals[0] != seals[1] and all(len(x) == 64 for x in seals)
    assert len(record["sha256"]) == 64
    state = save_data(tmp_path, "bakery-anna")["state"]
    assert state["initial"] == {"courage": 1}
    assert [s["text"] for s in state["history"]] == ["Take heart.", "Go home."]


def test_the_name_is_asked_when_not_given(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    code, out, _ = play(
        monkeypatch, capsys, tmp_path, ["", "Boris Ivanov", *WHOLE_GAME], "--assignment", str(asg)
    )
    assert code == 0
    assert "Your name" in out
    assert save_data(tmp_path, "bakery-boris-ivanov")["assignment"]["student"] == "Boris Ivanov"


def test_no_name_at_end_of_input_starts_nothing(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    code, _, err = play(monkeypatch, capsys, tmp_path, [], "--assignment", str(asg))
    assert code == 1
    assert "--student NAME" in err
    assert not (tmp_path / "saves" / "bakery-.json").exists()


def test_undo_is_refused_and_the_choice_stands(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    code, out, _ = play(
        monkeypatch,
        capsys,
        tmp_path,
        ["2", "Because of the bread.", "undo", "load bakery-anna"],
        "--assignment",
        str(asg),
        "--student",
        "Anna",
    )
    assert code == 0
    assert "Undo is not allowed in this assignment" in out
    assert "Loading another save is not allowed in this assignment" in out
    assert save_data(tmp_path, "bakery-anna")["state"]["scene"] == "baker.street"


def test_a_stopped_assignment_resumes_without_asking_again(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    # Lesson 1: one choice and one answer, then the input ends (the bell rings).
    code, out, _ = play(
        monkeypatch, capsys, tmp_path, WHOLE_GAME[:2], "--assignment", str(asg), "--student", "Anna"
    )
    assert code == 0
    assert "Stopped. Your work is saved as 'bakery-anna'" in out
    # Lesson 2: the same command carries on at the Street, and question 1 is not asked again.
    code, out, _ = play(
        monkeypatch, capsys, tmp_path, WHOLE_GAME[2:], "--assignment", str(asg), "--student", "Anna"
    )
    assert code == 0
    assert "Welcome back, Anna" in out
    assert "Why is the street full?" not in out
    assert "How did your day end?" in out
    answers = save_data(tmp_path, "bakery-anna")["assignment"]["answers"]
    assert [a["answer"] for a in answers] == ["Because of the bread.", "I went home to bake."]


def test_a_pending_question_is_asked_again_after_a_stop(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    play(monkeypatch, capsys, tmp_path, ["2"], "--assignment", str(asg), "--student", "Anna")
    code, out, _ = play(
        monkeypatch,
        capsys,
        tmp_path,
        ["There was no bread.", "2", "I went back home."],
        "--load",
        "bakery-anna",
    )
    assert code == 0
    assert "Why is the street full?" in out
    assert "The assignment is complete" in out


def test_loading_an_assignment_save_alone_resumes_the_assignment(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    play(monkeypatch, capsys, tmp_path, WHOLE_GAME[:2], "--assignment", str(asg), "--student", "Anna")
    code, out, _ = play(monkeypatch, capsys, tmp_path, ["undo", *WHOLE_GAME[2:]], "--load", "bakery-anna")
    assert code == 0
    assert "Undo is not allowed in this assignment" in out
    assert "How did your day end?" in out
    assert len(save_data(tmp_path, "bakery-anna")["assignment"]["answers"]) == 2


def test_a_changed_assignment_file_is_not_resumed(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    play(monkeypatch, capsys, tmp_path, WHOLE_GAME[:2], "--assignment", str(asg), "--student", "Anna")
    asg.write_text(ASSIGNMENT.replace("Why is the street full?", "Why?"), encoding="utf-8")
    code, _, err = play(
        monkeypatch, capsys, tmp_path, WHOLE_GAME[2:], "--load", "bakery-anna", "--assignment", str(asg)
    )
    assert code == 1
    assert "has changed since this game was started" in err


def test_the_same_command_with_a_changed_file_starts_again_in_a_new_slot(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    play(monkeypatch, capsys, tmp_path, WHOLE_GAME[:2], "--assignment", str(asg), "--student", "Anna")
    asg.write_text(ASSIGNMENT.replace("Why is the street full?", "Why?"), encoding="utf-8")
    code, out, _ = play(
        monkeypatch, capsys, tmp_path, ["quit"], "--assignment", str(asg), "--student", "Anna"
    )
    assert code == 0
    assert "you start again as 'bakery-anna-2'" in out
    assert save_data(tmp_path, "bakery-anna")["assignment"]["answers"][0]["answer"] == "Because of the bread."
    assert save_data(tmp_path, "bakery-anna-2")["assignment"]["answers"] == []


def test_until_ends_the_assignment_and_asks_the_end_questions(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path, ASSIGNMENT + "until: baker.street\n")
    code, out, _ = play(
        monkeypatch,
        capsys,
        tmp_path,
        ["2", "There was no bread.", "It stopped in the street."],
        "--assignment",
        str(asg),
        "--student",
        "Anna",
    )
    assert code == 0
    assert "The assignment stops at this scene." in out
    street = out[out.index("\nThe Street\n") :]
    assert "Go home." not in street.split("Question 1")[0]  # no choices offered where it stops
    assert "The assignment is complete" in out
    data = save_data(tmp_path, "bakery-anna")
    assert data["state"]["scene"] == "baker.street"
    assert [a["answer"] for a in data["assignment"]["answers"]] == [
        "There was no bread.",
        "It stopped in the street.",
    ]


def test_undo_when_allowed_takes_back_later_answers(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path, ASSIGNMENT.replace("allow_undo: false", "allow_undo: true"))
    code, out, _ = play(
        monkeypatch,
        capsys,
        tmp_path,
        ["2", "First answer.", "undo"],
        "--assignment",
        str(asg),
        "--student",
        "Anna",
    )
    assert code == 0
    assert "answers given after that point were taken back" in out
    record = save_data(tmp_path, "bakery-anna")["assignment"]
    assert record["answers"] == []
    code, out, _ = play(monkeypatch, capsys, tmp_path, ["2", "Second answer."], "--load", "bakery-anna")
    assert "Why is the street full?" in out
    assert [a["answer"] for a in save_data(tmp_path, "bakery-anna")["assignment"]["answers"]] == [
        "Second answer."
    ]


def test_the_note_can_be_read_again_before_answering(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path, ASSIGNMENT.replace("at: baker.street", "at: baker.dawn"))
    code, out, _ = play(
        monkeypatch,
        capsys,
        tmp_path,
        ["note", "It is invented.", "2", "2", "I went back home."],
        "--assignment",
        str(asg),
        "--student",
        "Anna",
    )
    assert code == 0
    assert "The bakery is invented." in out
    assert "Now type your answer to question 1." in out
    answers = save_data(tmp_path, "bakery-anna")["assignment"]["answers"]
    assert [(a["at"], a["answer"]) for a in answers] == [
        ("baker.dawn", "It is invented."),
        (None, "I went back home."),
    ]


def test_an_empty_answer_is_not_taken(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    code, out, _ = play(
        monkeypatch,
        capsys,
        tmp_path,
        ["2", "   ", "There was no bread."],
        "--assignment",
        str(asg),
        "--student",
        "Anna",
    )
    assert "Type your answer to the question" in out
    assert [a["answer"] for a in save_data(tmp_path, "bakery-anna")["assignment"]["answers"]] == [
        "There was no bread."
    ]


def test_an_assignment_with_mistakes_is_refused_with_its_location(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path, ASSIGNMENT.replace("role: baker", "role: bakr"))
    code, out, err = play(monkeypatch, capsys, tmp_path, [], "--assignment", str(asg), "--student", "Anna")
    assert code == 1
    assert f"{asg.name}:2:7: error: unknown role 'bakr' (did you mean baker?)" in err


def test_a_missing_assignment_file_is_a_clear_error(monkeypatch, capsys, tmp_path):
    code, _, err = play(
        monkeypatch, capsys, tmp_path, [], "--assignment", str(tmp_path / "nope.yaml"), "--student", "Anna"
    )
    assert code == 1
    assert "no such file" in err


def test_a_free_play_save_is_not_an_assignment(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    code, _, _ = play(monkeypatch, capsys, tmp_path, ["quit"], "--role", "baker")
    assert code == 0
    code, _, err = play(monkeypatch, capsys, tmp_path, [], "--load", "autosave", "--assignment", str(asg))
    assert code == 1
    assert "holds no assignment" in err


def test_the_terminal_front_end_asks_the_questions_too(tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    from rich.console import Console

    from engine import loader, runtime
    from engine.classroom import assignment
    from engine.classroom import play as play_mod
    from engine.saves import Saves
    from engine.ui.terminal import Terminal

    story, _ = loader.load(MINI)
    asg, _ = assignment.load(write_assignment(tmp_path), story)
    state = runtime.new_game(story, asg.role, initial=asg.initial)
    record = play_mod.new_record(asg, "Anna")
    saves = Saves(tmp_path / "saves")
    session = play_mod.AssignmentSession(
        story, state, saves, allow_undo=False, extra={"assignment": record}, assignment=asg, slot="term"
    )
    screen = io.StringIO()
    with create_pipe_input() as pipe:
        # Ctrl-D last: should the loop ask for more than this, it ends instead of waiting forever.
        pipe.send_text("2\rBecause of the bread.\r2\r\rI went back home.\r\x04")
        term = Terminal(
            story, saves, console=Console(file=screen, width=100), input=pipe, output=DummyOutput()
        )
        term.play(session)
    shown = screen.getvalue()
    assert "The assignment is complete" in shown
    assert "Why is the street full?" in shown
    assert "How did your day end?" in shown
    # The empty line after the ending did not leave: the end question still got its answer.
    assert [a["answer"] for a in save_data(tmp_path, "term")["assignment"]["answers"]] == [
        "Because of the bread.",
        "I went back home.",
    ]


def test_a_damaged_assignment_record_is_a_clear_error(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    play(monkeypatch, capsys, tmp_path, WHOLE_GAME[:2], "--assignment", str(asg), "--student", "Anna")
    path = tmp_path / "saves" / "bakery-anna.json"
    data = json.loads(path.read_text("utf-8"))
    data["assignment"]["answers"] = "lost"
    path.write_text(json.dumps(data), encoding="utf-8")
    code, _, err = play(monkeypatch, capsys, tmp_path, [], "--load", "bakery-anna", "--assignment", str(asg))
    assert code == 1
    assert "cannot be resumed" in err and "answers" in err
    code = cli.main(["report", "bakery-anna", "--story", str(MINI), "--saves", str(tmp_path / "saves")])
    err = capsys.readouterr().err
    assert code == 1 and "answers" in err


def test_quit_at_a_question_leaves_without_answering(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    code, out, _ = play(
        monkeypatch, capsys, tmp_path, ["2", "quit"], "--assignment", str(asg), "--student", "Bo"
    )
    assert code == 0
    assert save_data(tmp_path, "bakery-bo")["assignment"]["answers"] == []
    # next lesson: the same question is asked again, and answered
    code, out, _ = play(
        monkeypatch,
        capsys,
        tmp_path,
        ["help", "There was no bread.", "2", "I went back home."],
        "--assignment",
        str(asg),
        "--student",
        "Bo",
    )
    assert code == 0
    assert "Why is the street full?" in out and "save the game" in out
    assert [a["answer"] for a in save_data(tmp_path, "bakery-bo")["assignment"]["answers"]] == [
        "There was no bread.",
        "I went back home.",
    ]


def test_other_saves_are_refused_when_undo_is_not_allowed(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)  # allow_undo: false
    code, out, _ = play(
        monkeypatch, capsys, tmp_path, ["save mine"], "--assignment", str(asg), "--student", "Cy"
    )
    assert "not allowed in this assignment" in " ".join(out.split())
    assert not (tmp_path / "saves" / "mine.json").exists()


def test_slot_names_for_any_student_name() -> None:
    from engine.classroom.play import slot_for

    class A:
        name = "endings"

    assert slot_for(A(), "Анна") != slot_for(A(), "Иван")  # other scripts keep their students apart
    assert slot_for(A(), "Anna Petrova") == "endings-anna-petrova"

    class B:
        name = "con"

    assert slot_for(B(), "").lower() not in ("con", "endings")  # never a reserved name


OPEN_ASSIGNMENT = ASSIGNMENT.replace("allow_undo: false", "allow_undo: true")


def _open_session(tmp_path, student, text=OPEN_ASSIGNMENT, name="free.yaml"):
    from engine import loader, runtime
    from engine.classroom import assignment
    from engine.classroom import play as play_mod
    from engine.saves import Saves

    story, _ = loader.load(MINI)
    asg, diags = assignment.load(write_assignment(tmp_path, text, name), story)
    assert asg is not None, diags
    state = runtime.new_game(story, asg.role, initial=asg.initial)
    slot = play_mod.slot_for(asg, student)
    return play_mod.AssignmentSession(
        story,
        state,
        Saves(tmp_path / "saves"),
        allow_undo=True,
        extra={"assignment": play_mod.new_record(asg, student)},
        assignment=asg,
        slot=slot,
    )


def _said(views):
    return " ".join(getattr(v, "text", "") for v in views)


def test_loading_another_students_save_inside_an_assignment_is_refused(tmp_path):
    boris = _open_session(tmp_path, "Boris")
    boris.handle("2")  # Take heart: to the street, where the question waits
    assert (tmp_path / "saves" / f"{boris.slot}.json").is_file()
    anna = _open_session(tmp_path, "Anna")
    said = _said(anna.handle(f"load {boris.slot}"))
    assert "is a save of another assignment or student" in said
    assert anna.state.scene == "baker.dawn" and anna.record["student"] == "Anna"


def test_loading_another_assignments_save_inside_an_assignment_is_refused(tmp_path):
    other_text = ASSIGNMENT.replace("allow_undo: false", "allow_undo: true").replace(
        "A day at the bakery", "Another day"
    )
    other = _open_session(tmp_path, "Anna", other_text, "other.yaml")
    other.handle("2")
    mine = _open_session(tmp_path, "Anna")
    said = _said(mine.handle(f"load {other.slot}"))
    assert "is a save of another assignment or student" in said
    assert mine.state.scene == "baker.dawn" and mine.record["sha256"] != other.record["sha256"]

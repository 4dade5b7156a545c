"""Safer answers: short or numeric answers are confirmed, `answer` revises, the intro waits (issue 20, item 5)."""

from __future__ import annotations

from pathlib import Path

from engine import loader
from engine.classroom import play as play_mod
from engine.saves import Saves
from tests.conftest import MINI
from tests.test_classroom_play import play, save_data, write_assignment


def answers(tmp_path: Path) -> list[str]:
    return [a["answer"] for a in save_data(tmp_path, "bakery-anna")["assignment"]["answers"]]


def run(monkeypatch, capsys, tmp_path, lines: list[str]) -> str:
    asg = write_assignment(tmp_path)
    code, out, err = play(monkeypatch, capsys, tmp_path, lines, "--assignment", str(asg), "--student", "Anna")
    assert code == 0, err
    return " ".join(out.split())


def test_a_reflexive_number_is_not_kept_as_the_answer(monkeypatch, capsys, tmp_path):
    out = run(monkeypatch, capsys, tmp_path, ["2", "1", "Because of the bread.", "quit"])
    assert "Your answer to question 1 would be just '1'. To keep it, type yes" in out
    assert answers(tmp_path) == ["Because of the bread."]


def test_a_short_answer_is_kept_when_the_student_says_yes(monkeypatch, capsys, tmp_path):
    run(monkeypatch, capsys, tmp_path, ["2", "Bread", "yes", "quit"])
    assert answers(tmp_path) == ["Bread"]


def test_answer_revises_an_answer_before_the_next_choice(monkeypatch, capsys, tmp_path):
    out = run(
        monkeypatch,
        capsys,
        tmp_path,
        ["2", "The street is full of people.", "answer", "Because of the bread.", "quit"],
    )
    assert "Your answer was: The street is full of people." in out
    assert answers(tmp_path) == ["Because of the bread."]
    # After the next choice, it stands.
    out = run(monkeypatch, capsys, tmp_path, ["2", "answer 1", "quit"])
    assert "an answer can be changed only before the next choice" in out
    assert answers(tmp_path) == ["Because of the bread."]


def test_a_revised_answer_still_verifies(monkeypatch, capsys, tmp_path):
    from engine import cli

    run(
        monkeypatch,
        capsys,
        tmp_path,
        [
            "2",
            "The street is full of people.",
            "answer",
            "Because of the bread.",
            "2",
            "I went home to bake.",
        ],
    )
    saves = str(tmp_path / "saves")
    assert (
        cli.main(
            ["report", "bakery-anna", "--story", str(MINI), "--saves", saves, "-o", str(tmp_path / "r.md")]
        )
        == 0
    )
    capsys.readouterr()
    assert cli.main(["verify", str(tmp_path / "r.md"), "--story", str(MINI)]) == 0
    assert capsys.readouterr().out.startswith("VALID")


class Scripted:
    """The Lines a front end gives `start`, recording what was written and asked, in order."""

    def __init__(self) -> None:
        self.log: list[str] = []

    def write(self, text: str = "") -> None:
        self.log.append(text)

    def para(self, text: str, indent: str = "") -> None:
        self.log.append(text)

    def ask(self, prompt: str) -> str | None:
        self.log.append(f"ASK {prompt}")
        return ""


def test_the_intro_waits_for_enter_before_the_game(tmp_path):
    story, _ = loader.load(MINI)
    ui = Scripted()
    session = play_mod.start(
        story,
        Saves(tmp_path / "saves"),
        ui,
        assignment_file=write_assignment(tmp_path),
        student="Anna",
        wait=True,
    )
    intro = next(i for i, line in enumerate(ui.log) if line.startswith("Play the baker's day"))
    asked = ui.log.index("ASK Press Enter to begin. ")
    assert asked > intro
    assert any(line.startswith("Your work is saved after every step") for line in ui.log[intro:asked])
    assert session.state.scene == "baker.dawn"


def test_the_last_answer_does_not_offer_a_change_that_cannot_happen(monkeypatch, capsys, tmp_path):
    out = run(monkeypatch, capsys, tmp_path, ["2", "Because of the bread.", "2", "I went home to bake."])
    tail = out.split("How did your day end?")[-1]
    assert "Answer saved. The assignment is complete" in tail
    assert "type answer before your next choice" not in tail

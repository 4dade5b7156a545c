"""Same name, shared folder: a game is never carried on silently by someone else (issue 20, item 4)."""

from __future__ import annotations

import platform

from tests.test_classroom_play import play, save_data, write_assignment


def test_two_students_of_one_name_on_one_folder_are_not_merged(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    args = ("--assignment", str(asg), "--student", "Anna Petrova")
    # The first Anna makes her first choice and answers question 1 on her computer, then stops.
    code, out, _ = play(monkeypatch, capsys, tmp_path, ["2", "Because of the bread.", "quit"], *args)
    assert code == 0
    first = save_data(tmp_path, "bakery-anna-petrova")
    # Another Anna Petrova, on another computer, runs the same command on the same folder.
    monkeypatch.setattr(platform, "node", lambda: "room-12-pc-07")
    code, out, _ = play(monkeypatch, capsys, tmp_path, ["no", "2", "quit"], *args)
    text = " ".join(out.split())
    assert "A game of this assignment by Anna Petrova, started on" in text
    assert "(1 choice made), is in this saves folder. Is it yours?" in text
    assert "Welcome back" not in text
    assert "saved after every step as 'bakery-anna-petrova-2'" in text
    assert save_data(tmp_path, "bakery-anna-petrova")["state"] == first["state"]
    # Next lesson each finds her own game: the second is asked about the first's, and says no again.
    code, out, _ = play(monkeypatch, capsys, tmp_path, ["no", "quit"], *args)
    text = " ".join(out.split())
    assert (
        "Is it yours?" in text
        and "Welcome back, Anna Petrova. Carrying on where you stopped: 1 choice made, 0 of 2" in text
    )
    monkeypatch.undo()
    code, out, _ = play(monkeypatch, capsys, tmp_path, ["quit"], *args)
    text = " ".join(out.split())
    assert "Is it yours?" not in text
    assert "Welcome back, Anna Petrova. Carrying on where you stopped: 1 choice made, 1 of 2" in text


def test_a_name_typed_without_its_accent_finds_the_game_and_asks(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    play(
        monkeypatch,
        capsys,
        tmp_path,
        ["2", "Because of the bread.", "quit"],
        "--assignment",
        str(asg),
        "--student",
        "Ana Kovač",
    )
    code, out, _ = play(
        monkeypatch, capsys, tmp_path, ["yes", "quit"], "--assignment", str(asg), "--student", "ana  kovac"
    )
    text = " ".join(out.split())
    assert "A game of this assignment by Ana Kovač" in text
    assert "Welcome back, Ana Kovač. Carrying on where you stopped: 1 choice made" in text
    assert "question 1" not in text.lower().split("welcome back")[1]


def test_an_unanswered_question_about_the_game_starts_nothing(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    play(monkeypatch, capsys, tmp_path, ["2", "quit"], "--assignment", str(asg), "--student", "Ana Kovač")
    code, out, err = play(
        monkeypatch, capsys, tmp_path, [], "--assignment", str(asg), "--student", "Ana Kovac"
    )
    assert code != 0
    assert "no answer given" in err

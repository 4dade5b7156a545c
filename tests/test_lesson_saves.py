"""A save that failed is never called saved: an unwritable saves folder (a shared install), a full disk."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import MINI
from tests.test_classroom_play import ASSIGNMENT, WHOLE_GAME, play, write_assignment

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    """A folder for the class; its read-only parts are made writable again afterwards, so pytest can clean up."""
    yield tmp_path
    for p in tmp_path.rglob("*"):
        if p.is_dir():
            p.chmod(0o755)


def run_as_student(args: list[str], lines: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """`dualpower ARGS` in a subprocess as an ordinary user would run it. Root may write anywhere, so when the
    tests run as root the subprocess gives up its capabilities (setpriv): folder permissions then hold for it."""
    env = {**os.environ, "XDG_DATA_HOME": str(home), "HOME": str(home), "PYTHONPATH": str(ROOT)}
    env.pop("DUALPOWER_SAVES", None)
    prefix: list[str] = []
    if os.geteuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: a read-only folder cannot be made")
        prefix = [setpriv, "--bounding-set=-all", "--inh-caps=-all"]
    return subprocess.run(
        [*prefix, sys.executable, "-m", "engine", *args],
        input="".join(f"{line}\n" for line in lines),
        capture_output=True,
        text=True,
        env=env,
        cwd=home,
        timeout=60,
    )


def test_a_read_only_saves_folder_falls_back_to_the_students_own_folder_before_the_intro(shared):
    asg = write_assignment(shared)
    class_saves = shared / "class-saves"
    class_saves.mkdir()
    (class_saves / "bakery-kim-ng.json").write_text("{}", encoding="utf-8")  # another student's save
    class_saves.chmod(0o555)
    home = shared / "home"
    home.mkdir()
    args = ["play", "--story", str(MINI), "--saves", str(class_saves), "--plain", "--assignment", str(asg)]
    done = run_as_student([*args, "--student", "Anna Petrova"], WHOLE_GAME, home)
    assert done.returncode == 0, done.stderr
    own = home / "dualpower" / "saves"
    out = " ".join(done.stdout.split())  # plain mode wraps long lines at spaces
    fallback = out.index(f"It is saved in your own folder instead: {own}")
    assert "permission denied" in out[:fallback]
    assert "free some space" not in out
    assert fallback < out.index("Student: Anna Petrova")  # said before the intro, not in the middle
    assert "Saving failed" not in out
    assert (own / "bakery-anna-petrova.json").is_file()
    assert "saved as 'bakery-anna-petrova'" in out
    # The report command the game suggests finds the save.
    hint = out[out.index("dualpower report") :].split("\n")[0]
    assert f"--saves {own}" in hint
    report = run_as_student(
        [
            "report",
            "bakery-anna-petrova",
            "--story",
            str(MINI),
            "--saves",
            str(own),
            "-o",
            str(home / "r.md"),
        ],
        [],
        home,
    )
    assert report.returncode == 0, report.stderr
    # Next lesson, the same command finds the game in the student's own folder.
    again = run_as_student([*args, "--student", "Anna Petrova"], [], home)
    assert "The assignment is complete" in again.stdout
    assert "kim-ng" not in out + again.stdout


def test_no_folder_to_save_in_refuses_to_start_and_claims_no_save(shared):
    asg = write_assignment(shared)
    class_saves = shared / "class-saves"
    class_saves.mkdir()
    class_saves.chmod(0o555)
    home = shared / "home"
    home.mkdir()
    (home / "dualpower").write_text(
        "not a folder", encoding="utf-8"
    )  # the student's own folder cannot be made
    args = ["play", "--story", str(MINI), "--saves", str(class_saves), "--plain", "--assignment", str(asg)]
    done = run_as_student([*args, "--student", "Anna Petrova"], WHOLE_GAME, home)
    assert done.returncode != 0
    assert "permission denied" in done.stderr
    assert "is a file, not a folder" in done.stderr
    assert "Student:" not in done.stdout
    assert "saved" not in done.stdout.lower()


def test_a_save_that_fails_mid_game_is_never_called_saved(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    # The folder is writable when the game starts; the disk fills up during play.
    real_replace = os.replace
    calls = {"n": 0}

    def replace_then_fill(src: str, dst: str) -> None:
        calls["n"] += 1
        if calls["n"] > 1:
            full()
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace_then_fill)
    code, out, err = play(
        monkeypatch, capsys, tmp_path, ["2"], "--assignment", str(asg), "--student", "Kim Ng"
    )
    assert "is full" in out
    assert "Your work is saved as" not in out
    assert "could NOT be saved" in out
    assert "the last save that worked is kept" in out


def test_a_game_never_saved_says_nothing_was_saved(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    code, out, err = play(
        monkeypatch, capsys, tmp_path, WHOLE_GAME, "--assignment", str(asg), "--student", "Kim"
    )
    assert "saved as" not in out
    assert "The assignment is complete, but your work could NOT be saved" in out
    assert "nothing of this game was saved" in out
    assert not list((tmp_path / "saves").glob("*.json"))


def test_report_of_a_missing_save_does_not_list_the_other_students(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path, ASSIGNMENT)
    play(monkeypatch, capsys, tmp_path, WHOLE_GAME, "--assignment", str(asg), "--student", "Kim Ng")
    from engine import cli

    code = cli.main(["report", "bakery-anna", "--story", str(MINI), "--saves", str(tmp_path / "saves")])
    err = capsys.readouterr().err
    assert code != 0
    assert "there is no save 'bakery-anna'" in err
    assert "kim" not in err.lower()


def test_load_alone_in_an_assignment_lists_no_other_students(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path, ASSIGNMENT.replace("allow_undo: false", "allow_undo: true"))
    play(monkeypatch, capsys, tmp_path, ["2", "quit"], "--assignment", str(asg), "--student", "Kim Ng")
    code, out, _ = play(
        monkeypatch, capsys, tmp_path, ["load", "quit"], "--assignment", str(asg), "--student", "Anna"
    )
    assert "The list of saves is not shown in an assignment" in " ".join(out.split())
    assert "kim" not in out.lower()


def test_a_mistyped_load_in_a_class_folder_lists_no_other_students(monkeypatch, capsys, tmp_path):
    asg = write_assignment(tmp_path)
    play(monkeypatch, capsys, tmp_path, ["2", "quit"], "--assignment", str(asg), "--student", "Kim Ng")
    code, out, err = play(monkeypatch, capsys, tmp_path, [], "--load", "bakery-anna")
    assert code != 0
    assert "there is no save 'bakery-anna'" in err
    assert "kim" not in (out + err).lower()


def test_a_game_begun_in_the_class_folder_goes_on_in_the_own_folder_once_it_is_read_only(shared):
    asg = write_assignment(shared)
    class_saves = shared / "class-saves"
    home = shared / "home"
    home.mkdir()
    args = ["play", "--story", str(MINI), "--saves", str(class_saves), "--plain", "--assignment", str(asg)]
    first = run_as_student([*args, "--student", "Anna Petrova"], ["2", "Because of the bread.", "quit"], home)
    assert first.returncode == 0, first.stderr
    assert (class_saves / "bakery-anna-petrova.json").is_file()
    class_saves.chmod(0o555)
    again = run_as_student([*args, "--student", "Anna Petrova"], ["2", "I went home to bake."], home)
    out = " ".join(again.stdout.split())
    assert "Welcome back, Anna Petrova. Carrying on where you stopped: 1 choice made, 1 of 2" in out
    assert "The assignment is complete, and saved as 'bakery-anna-petrova'" in out
    assert (home / "dualpower" / "saves" / "bakery-anna-petrova.json").is_file()

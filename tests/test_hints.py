"""Commands suggested to the user keep the --story and --saves they gave; live reload says when the place moved."""

from __future__ import annotations

import io
import shutil
import sys
from pathlib import Path

from engine import cli
from tests.conftest import MINI


def copy_mini(tmp_path: Path) -> Path:
    root = tmp_path / "my story"
    shutil.copytree(MINI, root)
    return root


def test_carry_on_hint_keeps_story_and_saves(tmp_path, capsys, monkeypatch) -> None:
    root = copy_mini(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.StringIO("2\n"))
    saves = tmp_path / "sv"
    assert cli.main(["play", "--story", str(root), "--saves", str(saves), "--role", "baker", "--plain"]) == 0
    out = capsys.readouterr().out
    assert f"To carry on: dualpower --load autosave --story '{root}' --saves {saves}" in out
    # and the hint works as given
    monkeypatch.setattr(sys, "stdin", io.StringIO("look\n"))
    assert cli.main(["--load", "autosave", "--story", str(root), "--saves", str(saves), "--plain"]) == 0
    assert "The street is full." in capsys.readouterr().out


def test_default_story_hint_has_no_options(tmp_path, capsys, monkeypatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    assert cli.main(["play", "--role", "worker", "--plain"]) == 0
    assert "To carry on: dualpower --load autosave\n" in capsys.readouterr().out


def test_a_broken_story_suggests_check_with_its_folder(tmp_path, capsys) -> None:
    root = copy_mini(tmp_path)
    (root / "scenes" / "baker.yaml").write_text("scenes:\n  - id: x\n", encoding="utf-8")
    assert cli.main(["play", "--story", str(root), "--plain", "--role", "baker"]) == 1
    assert f"Run 'dualpower check --story '{root}'' for the full list." in capsys.readouterr().err


def test_assignment_hints_keep_story_and_saves(tmp_path, capsys, monkeypatch) -> None:
    asg = tmp_path / "a.yaml"
    asg.write_text("title: T\nrole: baker\nquestions:\n  - {ask: Why?}\n", encoding="utf-8")
    root = copy_mini(tmp_path)
    saves = tmp_path / "sv"
    monkeypatch.setattr(sys, "stdin", io.StringIO("2\n"))
    cli.main(
        [
            "play",
            "--story",
            str(root),
            "--saves",
            str(saves),
            "--plain",
            "--assignment",
            str(asg),
            "--student",
            "Anna",
        ]
    )
    flat = " ".join(
        capsys.readouterr().out.replace("-\n", "-").split()
    )  # the message is wrapped to the width
    assert f"dualpower play --load a-anna --story '{root}' --saves {saves}" in flat


def test_reload_says_when_the_place_could_not_be_kept_and_why(tmp_path) -> None:
    from engine import app
    from engine.saves import Saves
    from engine.session import Session

    root = copy_mini(tmp_path)
    story = app.load_or_complain(root)
    session = Session.new(story, "baker", Saves(tmp_path / "saves"), reload_story=app.make_reloader(root))
    session.handle("2")  # Take heart. -> baker.street
    path = root / "scenes" / "baker.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "add: {courage: 1}\n        goto: baker.street", "add: {courage: 1}\n        goto: baker.end.home"
        ),
        encoding="utf-8",
    )
    said = [getattr(v, "text", "") for v in session.handle("reload")]
    assert said[0] == "Story reloaded."
    assert said[1] == (
        "Your place could not be kept: your last choice, 'Take heart.', now leads to 'baker.end.home', "
        "not 'baker.street'; you are there now."
    )
    assert session.state.scene == "baker.end.home"

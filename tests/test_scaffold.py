"""`dualpower new`: a story folder that passes every gate as made, and refuses to overwrite anything."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import cli


def test_a_new_story_passes_check_test_and_strict_playtest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli.main(["new", "my story"]) == 0
    out = capsys.readouterr().out
    assert "dualpower test --story 'my story'" in out
    root = tmp_path / "my story"
    made = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    assert made == ["assignments/courier.yaml", "scenes/courier.yaml", "story.yaml", "tests/courier.yaml"]
    assert cli.main(["check", "--story", str(root), "--strict"]) == 0
    assert capsys.readouterr().out.strip().endswith("0 errors, 0 warnings")
    assert cli.main(["test", "--story", str(root)]) == 0
    assert capsys.readouterr().out == "4 passed, 0 failed\n"
    assert cli.main(["playtest", "--story", str(root), "--strict"]) == 0
    out = capsys.readouterr().out
    assert "Scenes reached: 6/6 (100%)" in out and "Choices taken: 8/8 (100%)" in out
    assert cli.main(["playtest", "--story", str(root), "--strict", "--exhaustive"]) == 0
    # the editor line points at the schema that ships with the engine
    first = (root / "scenes" / "courier.yaml").read_text(encoding="utf-8").splitlines()[0]
    schema = (root / "scenes" / first.split("$schema=", 1)[1]).resolve()
    assert schema.name == "scene.schema.json" and schema.is_file()


def test_new_plays(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    assert cli.main(["new", str(tmp_path / "s")]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("2\n1\n1\n"))
    code = cli.main(
        [
            "play",
            "--story",
            str(tmp_path / "s"),
            "--role",
            "courier",
            "--plain",
            "--saves",
            str(tmp_path / "sv"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "The Letter Delivered" in out


def test_new_never_overwrites(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "story.yaml").write_text("mine\n", encoding="utf-8")
    assert cli.main(["new", str(tmp_path / "s")]) == 1
    assert "is already a folder that is not empty" in capsys.readouterr().err
    assert (tmp_path / "s" / "story.yaml").read_text(encoding="utf-8") == "mine\n"
    (tmp_path / "f").write_text("x", encoding="utf-8")
    assert cli.main(["new", str(tmp_path / "f")]) == 1
    assert "is already a file" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert cli.main(["new", str(tmp_path / "empty")]) == 0


def test_the_tutorial_steps_on_a_new_story(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/authoring-tools.md, 'Start a story of your own', steps 2 and 3."""
    root = tmp_path / "my-story"
    assert cli.main(["new", str(root)]) == 0
    scenes = root / "scenes" / "courier.yaml"
    text = scenes.read_text(encoding="utf-8")
    keep = "      - text: Keep the letter and walk away.\n        goto: courier.end.home\n"
    assert keep in text
    burn = "      - {text: Burn the letter unread., goto: courier.end.home}\n"
    scenes.write_text(text.replace(keep, keep + burn), encoding="utf-8")
    case = (
        "\n  - name: burning the letter keeps nothing\n    role: courier\n    choices: [2, 1, 3]\n"
        '    expect: {ending: courier.end.home, text: "The Letter Kept"}\n'
    )
    with (root / "tests" / "courier.yaml").open("a", encoding="utf-8") as fh:
        fh.write(case)
    capsys.readouterr()
    assert cli.main(["check", "--story", str(root), "--strict"]) == 0
    assert cli.main(["test", "--story", str(root)]) == 0
    assert capsys.readouterr().out.endswith("5 passed, 0 failed\n")
    tests = root / "tests" / "courier.yaml"
    tests.write_text(tests.read_text(encoding="utf-8").replace("[2, 1, 3]", "[2, 1, 4]"), encoding="utf-8")
    assert cli.main(["test", "--story", str(root)]) == 1
    out = capsys.readouterr().out
    assert "courier.yaml:24: burning the letter keeps nothing: step 3 (choice 4)" in out
    assert "3 'Burn the letter unread.'" in out and out.endswith("4 passed, 1 failed\n")


def test_the_branch_of_the_tutorial_added_to_the_shipped_story_keeps_its_tests_green(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """docs/authoring.md's tutorial ends with its branch moved into story/: the story's own tests still pass."""
    import re
    import shutil

    from tests.conftest import ROOT, SHIPPED

    doc = (ROOT / "docs" / "authoring.md").read_text(encoding="utf-8")
    branch = re.search(r"Create `my-story/scenes/worker/90-shutter.yaml`.*?```yaml\n(.*?)```", doc, re.S)
    choice = re.search(r"add a fourth choice.*?```yaml\n(.*?)```", doc, re.S)
    assert branch and choice
    root = tmp_path / "story"
    shutil.copytree(SHIPPED, root)
    (root / "scenes" / "worker" / "90-shutter.yaml").write_text(branch.group(1), encoding="utf-8")
    feb = root / "scenes" / "worker" / "01-february.yaml"
    text = feb.read_text(encoding="utf-8")
    first = text.index("\n  - id:", text.index("choices:"))  # the end of the first scene's choices
    feb.write_text(text[:first] + "\n" + choice.group(1).rstrip("\n") + text[first:], encoding="utf-8")
    capsys.readouterr()
    assert cli.main(["check", "--story", str(root), "--strict"]) == 0, capsys.readouterr().out
    assert cli.main(["test", "--story", str(root)]) == 0, capsys.readouterr().out
    assert "worker.feb.shutter" in cli_graph(root, capsys)


def cli_graph(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert cli.main(["graph", "--story", str(root), "--role", "worker"]) == 0
    return capsys.readouterr().out

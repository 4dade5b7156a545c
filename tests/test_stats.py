"""`dualpower stats`: counts per role and in all, words, reading time, words per run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from engine import cli, loader, stats

MINI = Path(__file__).parent / "data" / "mini"

# Words in tests/data/mini, counted by hand: paragraphs (conditional ones too) + choice texts + epilogues.
BAKER_WORDS = (5 + 3 + 3 + 2 + 4) + (4 + 3 + 5 + 2) + (3 + 3) + (2 + 4)  # dawn, street, home, march
GUARD_WORDS = (5 + 1 + 6) + (2 + 3)  # gate, stay


def test_numbers_for_the_mini_story() -> None:
    story, _ = loader.load(MINI)
    assert story is not None
    data = stats.compute(story, runs=20)
    assert (data["scenes"], data["choices"], data["endings"]) == (6, 7, 3)
    assert data["words"] == BAKER_WORDS + GUARD_WORDS
    assert data["minutes"] == round((BAKER_WORDS + GUARD_WORDS) / 220, 1)
    baker, guard = data["roles"]["baker"], data["roles"]["guard"]
    assert (baker["scenes"], baker["choices"], baker["endings"], baker["words"]) == (4, 5, 2, BAKER_WORDS)
    assert (guard["scenes"], guard["choices"], guard["endings"], guard["words"]) == (2, 2, 1, GUARD_WORDS)
    assert guard["per_run"]["min"] == 11 and guard["per_run"]["runs"] == 10
    assert data["per_run"]["runs"] == 20
    assert data["per_run"]["min"] <= data["per_run"]["median"] <= data["per_run"]["max"]


def test_cli_json_and_text(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["stats", "--story", str(MINI), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert {"scenes", "choices", "endings", "words", "roles"} <= set(data)
    assert {"scenes", "choices", "endings", "words"} <= set(data["roles"]["baker"])
    assert cli.main(["stats", "--story", str(MINI)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:5] == ["scenes", "choices", "endings", "words", "minutes"]
    assert lines[1].split()[:5] == ["baker", "4", "5", "2", str(BAKER_WORDS)]
    assert lines[3].split()[:5] == ["all", "6", "7", "3", str(BAKER_WORDS + GUARD_WORDS)]
    assert any("220 words a minute" in line for line in lines)


def test_cli_story_with_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "story.yaml").write_text("title: T\nroles: {}\n", encoding="utf-8")
    assert cli.main(["stats", "--story", str(tmp_path)]) == 1
    assert "The story cannot be played" in capsys.readouterr().err


def test_responses_are_read_and_counted(tmp_path: Path) -> None:
    """A choice's response is text the player reads: in the story's words and in each run's."""
    import shutil

    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    gate = root / "scenes" / "guard.yaml"
    text = gate.read_text(encoding="utf-8")
    stay = "      - text: Stay.\n"
    assert stay in text
    gate.write_text(text.replace(stay, stay + "        response: You nod to the sergeant and stay.\n", 1))
    story, _ = loader.load(root)
    assert story is not None
    data = stats.compute(story, runs=20)
    assert data["roles"]["guard"]["words"] == GUARD_WORDS + 7
    assert data["roles"]["guard"]["per_run"]["min"] == 11 + 7

"""A cold check of a large story reads half of its files in a second process: it must say exactly what one
process says, mistakes included, and give a story whose every scene can be looked up."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import check, loader
from engine.diagnostics import sort_key
from tests.conftest import SHIPPED


def diagnostics(root: Path) -> tuple[list[str], object]:
    story, diags = check.load_and_analyse(root)
    return [str(d) for d in sorted(diags, key=sort_key)], story


@pytest.fixture
def two_processes(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.setattr(loader, "PARALLEL_BYTES", 0)  # the shipped story is small: split it anyway
    monkeypatch.delenv("DUALPOWER_ONE_PROCESS", raising=False)
    return monkeypatch


def test_the_shipped_story_checks_the_same_in_two_processes(two_processes: pytest.MonkeyPatch) -> None:
    split = loader._child_share(SHIPPED, sorted((SHIPPED / "scenes").rglob("*.yaml")))
    assert len(split) >= 8  # the second process really gets a share
    two, story = diagnostics(SHIPPED)
    assert story is not None
    # every scene, those the second process read included, can be looked up (read again from its file)
    assert all(story.scenes[sid].id == sid for sid in story.scenes)
    two_processes.setenv("DUALPOWER_ONE_PROCESS", "1")
    one, _ = diagnostics(SHIPPED)
    assert two == one


def test_mistakes_in_either_process_are_reported_alike(
    tmp_path: Path, two_processes: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "story"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("assignments", "tests"))
    files = sorted((root / "scenes").rglob("*.yaml"))
    for i, path in enumerate(files[:6]):  # mistakes in files read by each process
        text = path.read_text(encoding="utf-8")
        if i % 3 == 0:
            text = text.replace("goto: ", "goto: nowhere.", 1)
        elif i % 3 == 1:
            text = text.replace("    title:", "    titel:", 1)
        else:
            text += "\n  - id: worker.feb.queue\n    oops: [\n"  # a syntax error
        path.write_text(text, encoding="utf-8")
    two, story = diagnostics(root)
    assert story is None and len(two) >= 6
    two_processes.setenv("DUALPOWER_ONE_PROCESS", "1")
    one, _ = diagnostics(root)
    assert two == one
    assert any("[unknown-target]" in d for d in one) and any("[yaml-syntax]" in d for d in one)

"""Shared fixtures: small story folders written by the tests, and the paths of the shipped ones."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MINI = ROOT / "tests" / "data" / "mini"
SHIPPED = ROOT / "story"

HEADER = """\
title: Test Story
version: 1
roles:
  hero: {name: Hero, title: A hero, blurb: Brave., start: a.start}
variables:
  gold: {type: int, start: 1, min: 0, max: 9, label: Gold, show: true}
  brave: {type: bool, start: false}
"""


@pytest.fixture
def write_story(tmp_path: Path) -> Callable[..., Path]:
    """write_story({'scenes/a.yaml': '...'}, header=...) -> the story folder."""

    def write(files: dict[str, str], header: str = HEADER) -> Path:
        root = tmp_path / "story"
        root.mkdir(exist_ok=True)
        (root / "story.yaml").write_text(textwrap.dedent(header), encoding="utf-8")
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return write

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


@pytest.fixture(autouse=True, scope="session")
def _private_cache_and_saves(tmp_path_factory: pytest.TempPathFactory):
    """Keep the suite's story cache and saves out of the user's folders (tests that need others set their own)."""
    import os

    old = {k: os.environ.get(k) for k in ("XDG_CACHE_HOME", "DUALPOWER_SAVES")}
    os.environ["XDG_CACHE_HOME"] = str(tmp_path_factory.mktemp("cache"))
    os.environ["DUALPOWER_SAVES"] = str(tmp_path_factory.mktemp("saves"))
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value

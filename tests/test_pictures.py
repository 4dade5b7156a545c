"""docs/make_picture.py draws the docs' terminal pictures with the game's renderers: what they must show."""

from __future__ import annotations

import html
import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def words(svg: Path) -> str:
    """The text an SVG shows, its cells joined (rich writes a text element per run of one style)."""
    text = " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg.read_text(encoding="utf-8")))
    return html.unescape(text).replace("\xa0", " ")


def test_the_three_pictures_show_a_scene_an_answer_and_stats(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "scene.svg"
    monkeypatch.setattr(sys, "argv", ["make_picture.py", "-o", str(out)])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(str(ROOT / "docs" / "make_picture.py"), run_name="__main__")
    assert done.value.code == 0
    scene, answer, stats = words(out), words(tmp_path / "answer.svg"), words(tmp_path / "stats.svg")
    assert "Bread" in scene and "1" in scene and "Worker" in scene  # the choices and the status bar
    assert "»" in answer and "Bread +1" in " ".join(answer.split())  # the echo and what changed
    assert "Danger" in stats and "arrest" in stats  # a value and what it means

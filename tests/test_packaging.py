"""The shipped story travels inside the wheel: a plain (not editable) install plays it from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if r.returncode != 0:
        pytest.skip(f"could not build a wheel here (no build backend reachable?): {r.stderr[-300:]}")
    [whl] = out.glob("*.whl")
    return whl


def test_the_wheel_holds_the_story_and_the_schemas(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "dualpower_story/story.yaml" in names
    assert "dualpower_story/glossary.yaml" in names and "dualpower_story/documents.yaml" in names
    assert {f"dualpower_story/scenes/{r}/01-february.yaml" for r in ("worker", "soldier", "kadet")} <= names
    assert any(n.startswith("dualpower_story/assignments/") for n in names)
    assert "engine/schema/scene.schema.json" in names
    # The classroom server's pages and styles travel with it.
    assert {"engine/server/templates/play.html", "engine/server/static/style.css"} <= names
    assert "engine/server/static/dashboard.js" in names
    assert not any(n.startswith(("tests/", "saves/")) for n in names)


def test_an_installed_copy_plays_the_shipped_story_from_another_folder(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(target),
        "DUALPOWER_SAVES": str(tmp_path / "saves"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    where = subprocess.run(
        [sys.executable, "-c", "import engine.app as c; print(c.__file__); print(c.default_story_dir())"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert where[0].startswith(str(target)) and where[1].startswith(str(target))
    r = subprocess.run(
        [sys.executable, "-m", "engine", "play", "--plain", "--role", "worker"],
        input="journal\n",
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    assert "\nThe Bread Queue\n" in r.stdout and "23 February 1917 · 8 March N.S." in r.stdout
    r = subprocess.run(
        [sys.executable, "-m", "engine", "check"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0 and "0 errors" in r.stdout

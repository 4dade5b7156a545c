"""Install for a class: `make play` installs what playing needs only; one shared install, each student's saves
in their own folder (issue 20, item 8; the recipe in docs/teaching.md)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.test_packaging import wheel  # noqa: F401  (the fixture: a wheel of this checkout)


def test_make_play_installs_no_test_or_dev_tools() -> None:
    if shutil.which("make") is None:
        pytest.skip("no make here")
    dry = subprocess.run(["make", "-n", "-B", "play"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    installs = [line for line in dry.stdout.splitlines() if "pip install" in line]
    assert installs and all(line.rstrip().endswith("-e .") for line in installs), dry.stdout
    assert "test" not in " ".join(installs) and "dev" not in " ".join(installs)


def test_one_shared_install_keeps_each_students_saves_in_their_own_folder(
    wheel: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(shared), str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    lesson = shared / "dualpower_story" / "assignments" / "worker-february.yaml"
    for student in ("Anna Petrova", "Ivan Sokolov"):
        home = tmp_path / student.split()[0].lower()
        home.mkdir()
        env = {k: v for k, v in os.environ.items() if k not in ("DUALPOWER_SAVES", "XDG_DATA_HOME")}
        env.update(PYTHONPATH=str(shared), HOME=str(home), XDG_CACHE_HOME=str(home / "cache"))
        r = subprocess.run(
            [
                sys.executable,
                "-m",
                "engine",
                "play",
                "--plain",
                "--assignment",
                str(lesson),
                "--student",
                student,
            ],
            input="quit\n",
            cwd=home,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 0, r.stderr
        own = home / ".local" / "share" / "dualpower" / "saves"
        slug = student.lower().replace(" ", "-")
        assert (own / f"worker-february-{slug}.json").is_file()
    assert not list(shared.rglob("worker-february-*.json"))

"""The engine type-checks under `mypy --strict`, and the type checker is what keeps story nodes immutable.

The model's nodes (engine.model.value) are not frozen at run time, for speed (see its docstring): mypy reports
any assignment to one of their fields, and this test makes that part of `make test`, not only of
`make typecheck`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytest.importorskip("mypy", reason="mypy is a dev tool: `make test` installs it")


def mypy(tmp_path: Path, *targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(tmp_path / "cache"), *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_engine_type_checks_strictly_and_story_nodes_cannot_be_assigned_to(tmp_path: Path) -> None:
    done = mypy(tmp_path, "engine")
    assert done.returncode == 0, done.stdout + done.stderr
    # The same checker on code that changes a node after it is made: each assignment is an error.
    mutate = tmp_path / "mutate.py"
    mutate.write_text(
        "from engine.model import Choice, Scene, Source\n"
        "def edit(scene: Scene, choice: Choice) -> None:\n"
        "    scene.title = 'Another title'\n"
        "    choice.goto = 'elsewhere'\n"
        "    Source('a.yaml', 1, 1).line = 2\n",
        encoding="utf-8",
    )
    done = mypy(tmp_path, str(mutate))
    assert done.returncode == 1
    errors = [line for line in done.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 3 and all("read-only" in line for line in errors), done.stdout

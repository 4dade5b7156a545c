"""A save killed at any moment leaves the slot as it was or as the new save, never half-written."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine.saves import Saves
from tests.conftest import MINI, ROOT

WRITER = """
import sys
from engine import loader, runtime
from engine.saves import Saves
story = loader.load_or_raise(sys.argv[1])
saves = Saves(sys.argv[2])
state = runtime.new_game(story, "baker")
i = 0
print("ready", flush=True)
while True:
    i += 1
    # a large payload widens the window in which a kill lands mid-write
    saves.save("slot", story, state, {"counter": i, "padding": "x" * 400_000})
"""


def test_kill_during_save_never_leaves_a_half_written_slot(tmp_path: Path) -> None:
    saves_dir = tmp_path / "saves"
    seen_counters = set()
    for attempt in range(12):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(MINI), str(saves_dir)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(0.05 + attempt * 0.013)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        slot = saves_dir / "slot.json"
        if slot.exists():
            data = json.loads(slot.read_text())  # never a half-written file
            assert data["format"] == "dualpower-save"
            seen_counters.add(data["counter"])
    assert seen_counters, "the writer never completed a save"
    # temporary files left by a kill are removed at the next start
    saves = Saves(saves_dir)
    saves.clean_stale()
    assert [p.name for p in saves_dir.iterdir()] == ["slot.json"]


def test_unwritable_saves_folder_keeps_the_game_going(tmp_path: Path) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    env = {**os.environ, "DUALPOWER_SAVES": str(blocked / "saves")}
    r = subprocess.run(
        [sys.executable, "-m", "engine", "play", "--plain", "--story", str(MINI), "--role", "baker"],
        input="2\nsave x\n2\n",
        text=True,
        capture_output=True,
        env=env,
        timeout=60,
        cwd=ROOT,
    )
    assert r.returncode == 0
    assert "Autosave failed" in r.stdout and "cannot create the saves folder" in r.stdout
    assert "The end: Home Again" in r.stdout  # the game went on to its ending
    assert "Traceback" not in r.stderr


def _fail(*_args: object, **_kwargs: object) -> None:
    raise OSError(28, "No space left on device")


def _check_failed_write_keeps_the_old_file(tmp_path: Path, monkeypatch: object, target: str) -> None:
    import pytest

    from engine import files

    mp = monkeypatch
    assert isinstance(mp, pytest.MonkeyPatch)
    path = tmp_path / "slot.json"
    path.write_text('{"old": true}', encoding="utf-8")
    mp.setattr(files.os, target, _fail)
    with pytest.raises(OSError, match=r"cannot write .*slot\.json: No space left on device"):
        files.atomic_write(path, '{"new": true}')
    mp.undo()
    assert path.read_text(encoding="utf-8") == '{"old": true}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slot.json"]


def test_failed_rename_keeps_the_old_file_and_no_temporary_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _check_failed_write_keeps_the_old_file(tmp_path, monkeypatch, "replace")


def test_failed_fsync_keeps_the_old_file_and_no_temporary_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _check_failed_write_keeps_the_old_file(tmp_path, monkeypatch, "fsync")


def test_failed_save_says_so_and_keeps_the_old_slot(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Through the saves API: the player is told, the old save still loads, no temporary file is left."""
    import pytest

    from engine import files, loader, runtime
    from engine.saves import SaveError

    story = loader.load_or_raise(MINI)
    saves = Saves(tmp_path)
    state = runtime.new_game(story, "baker")
    saves.save("slot", story, state)
    before = (tmp_path / "slot.json").read_bytes()
    monkeypatch.setattr(files.os, "replace", _fail)
    with pytest.raises(SaveError, match="could not save to .*Your game is still running"):
        saves.save("slot", story, state, {"counter": 2})
    monkeypatch.undo()
    assert (tmp_path / "slot.json").read_bytes() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []

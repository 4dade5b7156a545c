from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from engine import loader, runtime
from engine.saves import SaveError, Saves, check_slot
from tests.conftest import MINI


@pytest.fixture(scope="module")
def story():
    return loader.load_or_raise(MINI)


def test_save_and_load_round_trip(story, tmp_path: Path) -> None:
    saves = Saves(tmp_path)
    state = runtime.new_game(story, "baker")
    runtime.choose(story, state, 1)
    path = saves.save("slot1", story, state)
    assert path == tmp_path / "slot1.json"
    data = json.loads(path.read_text())
    assert data["format_version"] == 2
    assert data["story"] == {"id": "mini", "title": "Mini Story", "version": 2}
    assert data["state"]["scene"] == "baker.dawn"
    assert data["state"]["history"][0]["scene"] == "baker.dawn"
    loaded, _ = saves.load("slot1", story)
    assert loaded == state


def test_atomic_write_leaves_no_temporary_files(story, tmp_path: Path) -> None:
    saves = Saves(tmp_path)
    state = runtime.new_game(story, "baker")
    for _ in range(3):
        saves.save("a", story, state)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_a_failed_write_keeps_the_old_save(story, tmp_path: Path, monkeypatch) -> None:
    saves = Saves(tmp_path)
    state = runtime.new_game(story, "baker")
    saves.save("a", story, state)
    before = (tmp_path / "a.json").read_bytes()
    runtime.choose(story, state, 1)

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(SaveError, match="is full"):
        saves.save("a", story, state)
    assert (tmp_path / "a.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


@pytest.mark.parametrize(
    "slot", ["../x", "/etc/passwd", "a/b", "a\\b", "", "x" * 65, "a\x00b", "con", "NUL", "a b", "é"]
)
def test_bad_slot_names_are_refused(slot: str, story, tmp_path: Path) -> None:
    saves = Saves(tmp_path / "saves")
    with pytest.raises(SaveError):
        check_slot(slot)
    with pytest.raises(SaveError):
        saves.save(slot, story, runtime.new_game(story, "baker"))
    assert not (tmp_path / "x.json").exists()
    assert list(tmp_path.rglob("*.json")) == []


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "not valid JSON"),
        (b'{"format": "dualpower-save", "format_ver', "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[1, 2]", "not a Dual Power save"),
        (b'{"format": "dualpower-save", "format_version": 99, "story": {}, "state": {}}', "newer Dual Power"),
        (
            b'{"format": "dualpower-save", "format_version": 1, "story": {"id": "mini"}, "state": {"role": 3}}',
            "damaged",
        ),
        (
            b'{"format": "dualpower-save", "format_version": 1, "story": {"id": "other", "title": "X"}, "state": {}}',
            "another story",
        ),
    ],
)
def test_corrupt_saves_give_a_message_and_stay_untouched(
    content: bytes, words: str, story, tmp_path: Path
) -> None:
    (tmp_path / "bad.json").write_bytes(content)
    with pytest.raises(SaveError, match=words):
        Saves(tmp_path).load("bad", story)
    assert (tmp_path / "bad.json").read_bytes() == content


def test_save_of_a_removed_scene_says_so(story, tmp_path: Path) -> None:
    saves = Saves(tmp_path)
    state = runtime.new_game(story, "baker")
    saves.save("old", story, state)
    data = json.loads((tmp_path / "old.json").read_text())
    data["state"]["scene"] = "baker.gone"
    (tmp_path / "old.json").write_text(json.dumps(data))
    with pytest.raises(SaveError, match="no longer exists"):
        saves.load("old", story)


def test_missing_save(story, tmp_path: Path) -> None:
    with pytest.raises(SaveError, match="there is no save 'nope'"):
        Saves(tmp_path).load("nope", story)


def test_slots_lists_saves_and_skips_junk(story, tmp_path: Path) -> None:
    saves = Saves(tmp_path)
    saves.save("one", story, runtime.new_game(story, "baker"))
    (tmp_path / "junk.json").write_text("nope")
    infos = saves.slots()
    assert [(i.slot, i.role, i.scene_title) for i in infos] == [("one", "baker", "Dawn")]


def test_endings_found_are_kept(story, tmp_path: Path) -> None:
    saves = Saves(tmp_path)
    assert saves.endings_found(story) == set()
    saves.add_ending(story, "baker.end.home")
    assert Saves(tmp_path).endings_found(story) == {"baker.end.home"}


def test_stale_temporary_files_are_cleaned(tmp_path: Path) -> None:
    (tmp_path / ".tmp-abc.json").write_text("{")
    saves = Saves(tmp_path)
    assert saves.clean_stale() == 1
    assert list(tmp_path.iterdir()) == []


def test_fresh_slot_names_are_readable(story, tmp_path: Path) -> None:
    saves = Saves(tmp_path)
    assert saves.fresh_slot("baker-23feb") == "baker-23feb"
    saves.save("baker-23feb", story, runtime.new_game(story, "baker"))
    assert saves.fresh_slot("baker-23feb") == "baker-23feb-2"


def test_default_saves_folder(tmp_path: Path, monkeypatch) -> None:
    from engine.saves import default_dir
    from tests.conftest import ROOT

    monkeypatch.delenv("DUALPOWER_SAVES", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_dir(ROOT) == ROOT / "saves"  # make play, from the checkout
    assert default_dir(ROOT / "docs") == ROOT / "saves"
    assert default_dir(tmp_path) == tmp_path / "data" / "dualpower" / "saves"  # anywhere else
    monkeypatch.setenv("DUALPOWER_SAVES", str(tmp_path / "mine"))
    assert default_dir(ROOT) == tmp_path / "mine"


def test_a_missing_save_names_the_folder_and_the_saves_there(story, tmp_path: Path) -> None:
    saves = Saves(tmp_path)
    saves.save("kept", story, runtime.new_game(story, "baker"))
    with pytest.raises(SaveError, match=r"there is no save 'nope' in .*; the saves there are: kept"):
        saves.load("nope", story)


def test_untrusted_values_in_a_save_are_made_safe(story, tmp_path: Path) -> None:
    saves = Saves(tmp_path)
    state = runtime.new_game(story, "baker")
    runtime.choose(story, state, 1)
    saves.save("s", story, state)
    data = json.loads((tmp_path / "s.json").read_text())
    data["state"]["vars"]["name"] = "\x1b]0;pwned\x07\x1b[31mRED"
    data["state"]["initial"] = {"bread": "x", "courage": 1}
    data["state"]["history"][0]["text"] = "Sell\x1b[2J a loaf."
    data["summary"]["title"] = "\x1b[2Jcleared"
    (tmp_path / "s.json").write_text(json.dumps(data))
    loaded, _ = saves.load("s", story)
    assert loaded.vars["name"] == "Anna"  # back to its start: nothing from a save reaches the terminal raw
    assert loaded.initial == {"courage": 1}
    assert loaded.history[0].text == "Sell[2J a loaf."
    assert runtime.undo(story, loaded).scene == "baker.dawn"  # and undo replays without a crash
    assert "\x1b" not in saves.slots()[0].scene_title


def test_a_save_with_a_huge_number_is_damaged_not_a_crash(story, tmp_path: Path) -> None:
    (tmp_path / "big.json").write_text('{"format": "dualpower-save", "x": 1' + "0" * 5000 + "}")
    with pytest.raises(SaveError, match="not valid JSON"):
        Saves(tmp_path).load("big", story)
    assert Saves(tmp_path).slots() == []

"""The cache of loaded stories: same story back, invalidated by any change, never trusted when damaged."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from engine import cache, loader, runtime
from tests.conftest import MINI


@pytest.fixture
def story_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DUALPOWER_NO_CACHE", raising=False)
    root = tmp_path / "mini"
    shutil.copytree(MINI, root)
    return root


def full(story):
    return {sid: story.scenes[sid] for sid in story.scenes}


def test_second_load_comes_from_the_cache_and_is_equal(story_dir: Path, tmp_path: Path) -> None:
    first, d1 = cache.load(story_dir)
    files = list((tmp_path / "xdg" / "dualpower").iterdir())
    assert len(files) == 1 and not any(story_dir.rglob("*.json"))  # kept outside the story folder
    second, d2 = cache.load(story_dir)
    assert isinstance(second.scenes, cache.LazyScenes)
    assert full(second) == full(first)
    assert (second.roles, second.variables, second.glossary, second.documents) == (
        first.roles,
        first.variables,
        first.glossary,
        first.documents,
    )
    assert [s.id for s in second.endings] == [s.id for s in first.endings]
    assert d1 == d2
    # and it plays the same
    a, b = runtime.new_game(first, "baker"), runtime.new_game(second, "baker")
    runtime.choose(first, a, 2)
    runtime.choose(second, b, 2)
    assert a == b and runtime.paragraphs(first, a) == runtime.paragraphs(second, b)


def test_a_content_change_with_the_same_size_and_time_invalidates(story_dir: Path) -> None:
    cache.load(story_dir)
    path = story_dir / "scenes" / "baker.yaml"
    st = path.stat()
    path.write_text(path.read_text().replace("You bake", "You cake").replace("The Street", "The Strait"))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    story, _ = cache.load(story_dir)
    assert story.scenes["baker.street"].title == "The Strait"


def test_an_error_introduced_after_caching_is_reported(story_dir: Path) -> None:
    cache.load(story_dir)
    path = story_dir / "scenes" / "baker.yaml"
    path.write_text(path.read_text().replace("goto: baker.street", "goto: baker.stret"))
    story, diags = cache.load(story_dir)
    assert story is None and any(d.code == "unknown-target" for d in diags)


def test_a_corrupt_cache_is_ignored_and_rebuilt(story_dir: Path) -> None:
    cache.load(story_dir)
    path = cache.cache_file(story_dir)
    for junk in (b"", b"\x00\xff garbage", b'{"format": 2}\n', path.read_bytes()[:-40]):
        path.write_bytes(junk)
        story, _ = cache.load(story_dir)
        assert full(story) == full(loader.load(story_dir)[0])


def test_a_damaged_scene_line_falls_back_to_the_files(story_dir: Path) -> None:
    cache.load(story_dir)
    path = cache.cache_file(story_dir)
    lines = path.read_bytes().split(b"\n")
    lines[1] = b'["baker.dawn", 1, 2]'
    path.write_bytes(b"\n".join(lines))
    story, _ = cache.load(story_dir)
    assert story.scenes["baker.dawn"].title == "Dawn"


def test_the_cache_can_be_turned_off(
    story_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DUALPOWER_NO_CACHE", "1")
    story, _ = cache.load(story_dir)
    assert story is not None and not (tmp_path / "xdg").exists()


def test_old_caches_are_pruned(story_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "xdg" / "dualpower"
    folder.mkdir(parents=True)
    for i in range(cache.KEEP + 10):
        stale = folder / f"story-{i:032d}.json"
        stale.write_text("{}")
        os.utime(stale, (1_000_000 + i, 1_000_000 + i))
    cache.load(story_dir)
    left = list(folder.glob("story-*.json"))
    assert len(left) == cache.KEEP
    assert cache.cache_file(story_dir) in left


def test_the_cache_follows_the_folder_however_it_is_named(story_dir: Path, monkeypatch) -> None:
    monkeypatch.chdir(story_dir.parent)
    first, _ = cache.load(Path("mini"))
    monkeypatch.chdir("/")
    second, _ = cache.load(story_dir)
    assert isinstance(second.scenes, cache.LazyScenes)
    assert second.root == story_dir
    assert second.scenes["baker.dawn"].source.path == str(story_dir / "scenes" / "baker.yaml")

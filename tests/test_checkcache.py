"""The check cache: a second `check` reads only the changed files, and says exactly what a cold check says."""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import pytest

from engine import check, checkcache
from engine.cli import main
from engine.diagnostics import sort_key
from tests.conftest import SHIPPED


@pytest.fixture
def story_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DUALPOWER_NO_CACHE", raising=False)
    root = tmp_path / "story"
    shutil.copytree(SHIPPED, root, ignore=shutil.ignore_patterns("assignments", "tests"))
    return root


def cold(root: Path) -> list[str]:
    return [str(d) for d in sorted(check.load_and_analyse(root)[1], key=sort_key)]


def warm(root: Path) -> tuple[list[str], list[str]]:
    """The diagnostics through the cache, and the files the loader read to make them."""
    read: list[str] = []
    store = checkcache.Store.open(root)
    assert store is not None
    real_reuse = store.reuse

    def reuse(path: Path):  # noqa: ANN202
        part = real_reuse(path)
        if part is None:
            read.append(path.relative_to(root).as_posix())
        return part

    store.reuse = reuse  # type: ignore[method-assign]
    return [str(d) for d in sorted(check.load_and_analyse(root, store)[1], key=sort_key)], read


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_an_unchanged_story_is_not_read_again_and_one_changed_file_is_read_alone(story_dir: Path) -> None:
    first, read = warm(story_dir)
    assert first == cold(story_dir) and "scenes/worker/03-april.yaml" in read
    second, read = warm(story_dir)
    assert second == first
    assert read == ["documents.yaml", "glossary.yaml"]  # small, and read by every check
    april = story_dir / "scenes" / "worker" / "03-april.yaml"
    edit(april, "    title:", "    title: Changed")
    third, read = warm(story_dir)
    assert read == ["documents.yaml", "glossary.yaml", "scenes/worker/03-april.yaml"]
    assert third == cold(story_dir)


def test_touching_a_file_without_changing_it_does_not_read_it(story_dir: Path) -> None:
    warm(story_dir)
    april = story_dir / "scenes" / "worker" / "03-april.yaml"
    os.utime(april, ns=(1, 1))
    _, read = warm(story_dir)
    assert "scenes/worker/03-april.yaml" not in read
    # Its entry, written again with the new time, still holds its scenes' outlines: an edit elsewhere that makes
    # the whole-story analyses again (scene ids renamed) still finds what a cold check finds, without reading it.
    edit(story_dir / "scenes" / "worker" / "02-march.yaml", "id: worker.mar.", "id: worker.mar_renamed.")
    got, read = warm(story_dir)
    assert "scenes/worker/03-april.yaml" not in read
    assert got == cold(story_dir) and any("[unknown-target]" in d for d in got)


@pytest.mark.parametrize(
    "file, old, new, code",
    [
        # a goto in one file to a scene that another file no longer has: found although that file is not read
        ("scenes/worker/02-march.yaml", "id: worker.mar.", "id: worker.mar_renamed.", "unknown-target"),
        # a scene id that another, unchanged file defines too
        (
            "scenes/worker/02-march.yaml",
            "id: worker.mar.",
            "id: worker.feb.queue\n    # was: worker.mar.",
            None,
        ),
        # a new warning in the changed file (a choice whose condition is never true)
        (
            "scenes/worker/03-april.yaml",
            "    choices:\n",
            "    choices:\n      - text: Never\n        if: bread > 999\n        goto: worker.end.volley\n",
            "impossible-condition",
        ),
        # story.yaml changed: every file is read against the new variables
        ("story.yaml", "label: Bread,", "label: Loaves,", None),
    ],
)
def test_edits_give_exactly_what_a_cold_check_gives(
    story_dir: Path, file: str, old: str, new: str, code: str | None
) -> None:
    warm(story_dir)
    edit(story_dir / file, old, new)
    got, _ = warm(story_dir)
    assert got == cold(story_dir)
    if code:
        assert any(f"[{code}]" in d for d in got)
    # and once more, now that the cache holds the edited file
    assert warm(story_dir)[0] == got


def test_files_added_and_removed(story_dir: Path) -> None:
    warm(story_dir)
    october = story_dir / "scenes" / "kadet" / "08-october.yaml"
    text = october.read_text(encoding="utf-8")
    october.unlink()
    got, _ = warm(story_dir)
    assert got == cold(story_dir) and any("[unknown-target]" in d for d in got)
    (story_dir / "scenes" / "kadet" / "late.yaml").write_text(text, encoding="utf-8")
    got, read = warm(story_dir)
    assert got == cold(story_dir) and "scenes/kadet/late.yaml" in read


def test_random_edits_agree_with_a_cold_check(story_dir: Path) -> None:
    """Twelve random small edits, one file at a time (a goto retargeted, a condition changed, a scene
    renamed), each checked through the cache and cold: the same diagnostics every time."""
    rng = random.Random(7)
    files = sorted((story_dir / "scenes").rglob("*.yaml"))
    warm(story_dir)
    for _ in range(12):
        path = rng.choice(files)
        lines = path.read_text(encoding="utf-8").split("\n")
        picks = [i for i, line in enumerate(lines) if line.strip().startswith(("goto:", "if:", "- id:"))]
        i = rng.choice(picks)
        key, _, value = lines[i].partition(":")
        lines[i] = f"{key}: {rng.choice([value.strip() + 'x', 'worker.feb.queue', 'bread >= 2'])}"
        path.write_text("\n".join(lines), encoding="utf-8")
        assert warm(story_dir)[0] == cold(story_dir)


def test_the_command_says_the_same_with_and_without_the_cache(
    story_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    edit(story_dir / "scenes/worker/03-april.yaml", "goto: worker.", "goto: worker.nowhere.")
    outs = []
    for _ in range(2):
        assert main(["check", "--story", str(story_dir)]) == 1
        outs.append(capsys.readouterr().out)
    monkeypatch.setenv("DUALPOWER_NO_CACHE", "1")
    assert main(["check", "--story", str(story_dir)]) == 1
    assert outs[0] == outs[1] == capsys.readouterr().out
    assert "unknown scene 'worker.nowhere." in outs[0]


def test_a_damaged_cache_is_ignored(story_dir: Path) -> None:
    first, _ = warm(story_dir)
    path = checkcache.cache_file(story_dir)
    assert path.is_file()
    good = path.read_bytes()
    for junk in (
        b"",
        b"{",
        b'{"stamp": 1}',
        good.replace(b'"shapes":[[', b'"shapes":[["x"],[', 3),
        good.replace(b",1,", b',"1",', 5),  # still JSON, wrong types
        good.split(b"\n", 1)[0],  # the first line alone
    ):
        path.write_bytes(junk)
        assert warm(story_dir)[0] == first
    # a line edited into other valid JSON is found by its checksum: that one file is read again
    path.write_bytes(good)
    warm(story_dir)
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'"size":', b'"size":1,"was":', 1)
    path.write_bytes(b"\n".join(lines))
    got, read = warm(story_dir)
    assert got == first and len(read) == 3  # documents, glossary and the damaged entry's file


def test_an_edit_that_moves_text_keeps_the_whole_story_warnings_in_their_new_places(story_dir: Path) -> None:
    """Editing prose changes no outline: the whole-story warnings are the last check's, at their new lines."""
    april = story_dir / "scenes" / "worker" / "03-april.yaml"
    text = april.read_text(encoding="utf-8")
    lost = (
        "\n  - id: worker.apr.lost\n    title: Nobody Comes Here\n    date: 1917-04-30\n    text: Alone.\n"
        "    choices:\n      - text: Back.\n        goto: worker.feb.queue\n"
    )
    april.write_text(text + lost, encoding="utf-8")
    first, _ = warm(story_dir)
    assert any("worker.apr.lost cannot be reached" in d for d in first)
    assert any("[time-backwards]" in d for d in first)
    edit(april, "scenes:\n", "scenes:\n# a note\n# another\n")  # every line of the file moves down two
    second, read = warm(story_dir)
    assert "scenes/worker/03-april.yaml" in read
    assert second == cold(story_dir) and second != first

    def lines(diags: list[str]) -> list[int]:
        return sorted(int(d.split(":")[1]) for d in diags if "worker.apr.lost" in d)

    assert lines(second) == [n + 2 for n in lines(first)]

"""The shipped story keeps the promises of its brief (docs/story-bible.md): whole, reachable, sized, sourced."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

import pytest

from engine import check, loader, playtest, stats
from tests.conftest import SHIPPED

ROLES = ("worker", "soldier", "kadet")
CHAPTERS = (
    "01-february",
    "02-march",
    "03-april",
    "04-may-june",
    "05-july",
    "06-august",
    "07-september",
    "08-october",
)


@pytest.fixture(scope="module")
def story():
    return loader.load_or_raise(SHIPPED)


def test_check_strict_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    assert [str(d) for d in check.run(SHIPPED)] == []
    # The command adds the assignments kept in the story's assignments/ folder: they are clean too.
    from engine import cli

    assert cli.main(["check", "--strict", "--story", str(SHIPPED)]) == 0, capsys.readouterr().out


def test_random_playtests_reach_every_scene_and_ending_without_getting_stuck(story) -> None:
    result = playtest.random_runs(story, runs=3000, seed=0).to_dict()
    assert result["stuck"] == []
    assert result["scenes"]["unreached"] == []
    assert all(n > 0 for n in result["endings"].values())


def test_eight_chapters_per_role(story) -> None:
    files = {s.source.path.split("scenes/", 1)[1] for s in story.scenes.values()}
    assert files == {f"{r}/{c}.yaml" for r in ROLES for c in CHAPTERS}


def test_sizes(story) -> None:
    data = stats.compute(story, runs=300)
    assert data["words"] >= 45_000
    for role in ROLES:
        r = data["roles"][role]
        assert r["scenes"] >= 40 and r["endings"] >= 4, role
        # a typical playthrough (the median random run, early endings included) reads 4,000 to 12,000 words
        assert 4_000 <= r["per_run"]["median"] <= 12_000, (role, r["per_run"])


def test_every_chapter_has_historical_notes(story) -> None:
    notes = Counter(s.source.path for s in story.scenes.values() if s.note.strip())
    for role in ROLES:
        for chapter in CHAPTERS:
            path = next(
                p
                for p in {s.source.path for s in story.scenes.values()}
                if p.endswith(f"{role}/{chapter}.yaml")
            )
            assert notes[path] >= 2, path


def test_paths_run_to_october_unless_cut_short(story) -> None:
    late = {r: 0 for r in ROLES}
    for s in story.endings:
        role = story.role_of(s.id)
        if s.date >= dt.date(1917, 10, 24):
            late[role] += 1
    assert all(n >= 2 for n in late.values()), late


def test_epilogues_speak_of_the_constituent_assembly(story) -> None:
    for s in story.endings:
        assert re.search(r"Constituent Assembly|the Assembly", s.ending.epilogue), s.id


def test_invented_people_are_marked(story) -> None:
    notes = " ".join(s.note for s in story.scenes.values())
    for name in ("Dunya", "Gusev", "Varfolomeev", "Olga", "Kuzmin", "Ryabov"):
        assert re.search(rf"{name}[^.]*\(invented\)|\(invented\)[^.]*{name}", notes), name


def test_glossary_and_documents(story) -> None:
    assert len(story.glossary) >= 30
    terms = {t.term for t in story.glossary}
    assert {"Soviet", "Duma", "Order No. 1", "Red Guards", "Okhrana"} <= terms | {
        a for t in story.glossary for a in t.aliases
    }
    wanted = {
        "order_no_1",
        "eight_hour_agreement",
        "milyukov_note",
        "april_theses",
        "kornilov_appeal",
        "mrc_proclamation",
    }
    assert wanted <= set(story.documents)
    used = {d for s in story.scenes.values() for d in s.documents}
    assert wanted <= used  # each is reachable from a scene where it matters


def test_dates_are_old_style_1917_and_never_run_backwards(story) -> None:
    for s in story.scenes.values():
        assert dt.date(1917, 2, 23) <= s.date <= dt.date(1918, 1, 31), s.id
        for c in s.choices:
            assert story.scenes[c.goto].date >= s.date, (s.id, c.goto)


def test_every_chapter_has_decisions_read_later(story) -> None:
    """Each chapter sets at least two things (variables, or scenes reached) that a later chapter reads; the last
    chapter's decisions are read by its own endings."""
    from engine import expr
    from engine.text import placeholder_names

    sets: dict[tuple[str, str], set[str]] = {}
    reads: dict[tuple[str, str], set[str]] = {}
    for s in story.scenes.values():
        key = (story.role_of(s.id), s.source.path.rsplit("/", 1)[1][:2])
        made, seen = sets.setdefault(key, set()), reads.setdefault(key, set())
        for c in s.choices:
            made.update(e.var for e in c.effects)
            made.add("@" + c.goto)
        for cond in [p.cond for p in s.paragraphs] + [c.cond for c in s.choices]:
            if cond is not None:
                seen |= expr.names(cond.node) | {"@" + call.args[0].value for call in expr.calls(cond.node)}
        for text in [p.text for p in s.paragraphs] + [c.text for c in s.choices]:
            seen |= set(placeholder_names(text))
    for role in ROLES:
        for n in range(1, 9):
            later = range(n + 1, 9) if n < 8 else [8]
            read_later = set().union(*(reads.get((role, f"{m:02d}"), set()) for m in later))
            assert len(sets[(role, f"{n:02d}")] & read_later) >= 2, (role, n)


def test_every_chapter_marks_what_most_real_people_did(story) -> None:
    """At least one key decision per chapter per role carries `historical:`: one sentence, about the option
    of a scene the player can reach, and never a second mark in the same scene."""
    marked: Counter[str] = Counter()
    for s in story.scenes.values():
        marks = [c for c in s.choices if c.historical]
        assert len(marks) <= 1, s.id
        for c in marks:
            marked[s.source.path.split("scenes/", 1)[1]] += 1
            text = c.historical
            assert 40 <= len(text) <= 300, (s.id, text)
            # One sentence: a single full stop, at the end (abbreviations such as 'No. 1' aside).
            assert text.endswith("."), (s.id, text)
            assert re.sub(r"\bNo\. ", "No ", text)[:-1].count(". ") == 0, (s.id, text)
    assert {f"{r}/{c}.yaml" for r in ROLES for c in CHAPTERS} <= {f for f, n in marked.items() if n >= 1}


def test_the_historical_marks_reach_the_guide(story) -> None:
    from engine.classroom import guide

    text = guide.guide(story)
    assert text.count("### What most people really did") == len(ROLES) * len(CHAPTERS)
    corridor = story.scenes["soldier.feb.corridor"].choices[0]
    assert " ".join(corridor.historical.split()) in " ".join(text.split()).replace("\\", "")

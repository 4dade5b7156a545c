"""Scenes that talk to the player (issue 18, items 5 and 6): distinct choice texts, outcomes announced in the
world's words, and the rewritten digest scenes' facts, played through the runtime as a player meets them."""

from __future__ import annotations

import pytest

from engine import loader, runtime
from tests.conftest import SHIPPED


@pytest.fixture(scope="module")
def story():
    return loader.load_or_raise(SHIPPED)


def at(story, role: str, scene_id: str, **values):
    """A game of `role` that begins in `scene_id` with the given variable values (as an assignment can)."""
    state = runtime.new_game(story, role, start=scene_id, initial=values)
    text = "\n".join(runtime.paragraphs(story, state))
    return state, text


def take(story, state, words: str) -> str:
    """Take the one open choice whose text contains `words`; return the scene it leads to."""
    matching = [o for o in runtime.options(story, state) if o.open and words in o.choice.text]
    assert len(matching) == 1, [o.choice.text for o in runtime.options(story, state)]
    runtime.choose(story, state, matching[0].number)
    return state.scene


def shown(story, state) -> list[str]:
    return [o.choice.text for o in runtime.options(story, state)]


def test_no_scene_offers_two_choices_with_the_same_text(story) -> None:
    same = []
    for scene in story.scenes.values():
        seen: set[str] = set()
        for choice in scene.choices:
            key = " ".join(choice.text.lower().split())
            if key in seen:
                same.append(f"{choice.source}: {scene.id}: {choice.text}")
            seen.add(key)
    assert same == []


@pytest.mark.parametrize(
    ("role", "scene_id", "warning", "risky", "safe", "bad_end", "good_next"),
    [
        (
            "kadet",
            "kadet.jul.tauride",
            "asking the doorkeepers for the\nKadet Vetrov",
            "though they are asking for you by name",
            "Somebody from the Duma should",
            "kadet.end.steps",
            "kadet.jul.gusev",
        ),
        (
            "worker",
            "worker.jul.crackdown",
            "reads your name off a paper",
            "They have your name and your deeds",
            "You have done nothing to be ashamed of",
            "worker.end.kresty",
            "worker.jul.smear",
        ),
    ],
)
def test_a_hidden_danger_is_told_before_the_choice_it_decides(
    story, role, scene_id, warning, risky, safe, bad_end, good_next
) -> None:
    warning = " ".join(warning.split())
    exposed, text = at(story, role, scene_id, danger=8)
    assert warning in " ".join(text.split())
    assert any(risky in t for t in shown(story, exposed))
    assert not any(safe in t for t in shown(story, exposed))
    assert take(story, exposed, risky) == bad_end

    quiet, text = at(story, role, scene_id, danger=3)
    assert warning not in " ".join(text.split())
    assert not any(risky in t for t in shown(story, quiet))
    assert take(story, quiet, safe) == good_next


def test_the_coalition_in_the_works_yard_names_all_six_socialist_ministers(story) -> None:
    _, text = at(story, "worker", "worker.jun.coalition")
    for name in ("Kerensky", "Tsereteli", "Chernov", "Skobelev", "Peshekhonov", "Pereverzev"):
        assert name in text, name
    assert "Six socialists" in text


def test_the_mariinsky_is_dark_in_the_afternoon_and_lit_for_the_evening_session(story) -> None:
    _, text = at(story, "kadet", "kadet.apr.mariinsky")
    flat = " ".join(text.split())
    assert "lamps are burning in the middle of the afternoon" not in flat
    assert "the war minister's flat" in flat
    assert flat.index("dark windows") < flat.index("the lamps are lit at last")


def _to_august(story, first: str) -> str:
    """From the electoral-law council, taking `first` there and after it the first open choice that does not end the game, the text of the
    August scene that looks back at it (the State Conference or the city duma poll)."""
    state, _ = at(story, "kadet", "kadet.jun.electoral_law")
    take(story, state, first)
    for _ in range(60):
        if state.scene in ("kadet.aug.moscow", "kadet.aug.city_election"):
            return " ".join("\n".join(runtime.paragraphs(story, state)).split())
        assert not runtime.is_ending(story, state), state.scene
        going_on = [
            o for o in runtime.options(story, state) if o.open and not story.scenes[o.choice.goto].ending
        ]
        runtime.choose(story, state, going_on[0].number)
    raise AssertionError("August not reached")


@pytest.mark.parametrize(
    ("first", "expected", "absent"),
    [
        ("argue for careful lists", "careful", "soldiers' vote"),
        ("even on rough lists", "earliest", "careful lists"),
        ("the army's vote", "soldiers' vote", "careful lists"),
    ],
)
def test_august_remembers_what_you_argued_at_the_electoral_law_council(
    story, first, expected, absent
) -> None:
    text = _to_august(story, first)
    assert expected in text
    assert absent not in text.lower()

from __future__ import annotations

import pytest

from engine import loader, runtime
from engine.runtime import GameError
from engine.state import GameState
from tests.conftest import MINI


@pytest.fixture(scope="module")
def story():
    return loader.load_or_raise(MINI)


def texts(story, state) -> list[str]:
    return [o.choice.text for o in runtime.options(story, state)]


def test_new_game_runs_on_enter(story) -> None:
    state = runtime.new_game(story, "baker")
    assert state.scene == "baker.dawn"
    assert state.vars["bread"] == 3  # start 2, on_enter adds 1
    assert state.visits == {"baker.dawn": 1}


def test_add_is_clamped_to_bounds(story) -> None:
    state = runtime.new_game(story, "baker")
    for _ in range(5):  # dawn -> street -> back to dawn: on_enter adds bread each time, max 5
        runtime.choose(story, state, texts(story, state).index("Take heart.") + 1)
        runtime.choose(story, state, 1)
    assert state.vars["bread"] == 5


def test_once_only_choice_disappears(story) -> None:
    state = runtime.new_game(story, "baker")
    assert texts(story, state)[0] == "Sell a loaf."
    runtime.choose(story, state, 1)
    assert "Sell a loaf." not in texts(story, state)
    assert state.vars["sold"] is True
    assert state.vars["bread"] == 3  # -1 for the sale, +1 for arriving again


def test_locked_choice_is_shown_but_refused(story) -> None:
    state = runtime.new_game(story, "baker")
    opts = runtime.options(story, state)
    assert [o.open for o in opts] == [True, True, False]
    with pytest.raises(GameError, match="locked: it needs Courage at least 2"):
        runtime.choose(story, state, 3)
    assert state.scene == "baker.dawn" and state.history == []


def test_conditions_see_visits_and_effects(story) -> None:
    state = runtime.new_game(story, "guard")
    assert texts(story, state) == ["Stay."]
    state.vars["sold"] = True
    state.visits["baker.dawn"] = 1
    assert texts(story, state) == ["Stay.", "Leave if you have sold bread."]


def test_paragraphs_follow_conditions_and_interpolate(story) -> None:
    state = runtime.new_game(story, "baker")
    assert runtime.paragraphs(story, state) == ["You have 3 loaves, Anna."]
    state.vars["courage"] = 1
    assert runtime.paragraphs(story, state)[-1] == "You feel brave."


def test_reaching_an_ending(story) -> None:
    state = runtime.new_game(story, "baker")
    runtime.choose(story, state, 2)  # Take heart -> street
    runtime.choose(story, state, 2)  # Go home
    assert runtime.is_ending(story, state)
    with pytest.raises(GameError, match="ending"):
        runtime.choose(story, state, 1)


def test_undo_any_number_of_steps(story) -> None:
    state = runtime.new_game(story, "baker")
    runtime.choose(story, state, 1)  # sell
    runtime.choose(story, state, 1)  # take heart
    runtime.choose(story, state, 1)  # back to dawn
    one = runtime.undo(story, state, 1)
    assert one.scene == "baker.street" and len(one.history) == 2
    all_back = runtime.undo(story, state, 10)
    assert all_back.to_dict() == runtime.new_game(story, "baker").to_dict()
    with pytest.raises(GameError, match="nothing to undo"):
        runtime.undo(story, all_back)


def test_state_round_trips_through_dict(story) -> None:
    state = runtime.new_game(story, "baker")
    runtime.choose(story, state, 1)
    again = GameState.from_dict(state.to_dict())
    assert again == state


def test_replay_detects_a_forged_step(story) -> None:
    state = runtime.new_game(story, "baker")
    runtime.choose(story, state, 2)
    forged = state.history[0].__class__("baker.dawn", 2, "March with the crowd.")
    with pytest.raises(GameError, match="not open"):
        runtime.replay(story, "baker", "baker.dawn", {}, [forged])


def test_dates_in_both_styles() -> None:
    import datetime as dt

    assert (
        runtime.format_date(dt.date(1917, 2, 23), weekday=True) == "Thursday 23 February 1917 · 8 March N.S."
    )
    assert runtime.format_date(dt.date(1917, 10, 25)) == "25 October 1917 · 7 November N.S."


def test_glossary_lookup_forgives_spacing_and_lists_short_lines(tmp_path) -> None:
    from engine.saves import Saves
    from engine.session import ChoicesView, Message, Session, TableView
    from tests.conftest import SHIPPED

    story = loader.load_or_raise(SHIPPED)
    session = Session(story, runtime.new_game(story, "worker"), Saves(tmp_path))
    found, choices = session.handle("glossary   vyborg   side")
    assert isinstance(found, Message) and found.title == "Vyborg side"
    assert isinstance(choices, ChoicesView) and choices.options  # the choices come back after the entry
    listing, _choices = session.handle("glossary")
    assert isinstance(listing, TableView) and len(listing.rows) >= 30
    assert all(len(text) <= 112 for _term, text in listing.rows)

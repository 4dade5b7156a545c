"""Issue 13's story language, through the real game: responses, inline conditions, visit variations, chance,
call and return, computed values, type checks, calendars. Each feature is played in plain mode (cli.main) or a
Session, checked by the loader at file:line:col, and walked by playtest."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest

from engine import cli, loader, playtest, runtime
from engine.saves import Saves
from engine.session import SceneView, Session

HEADER = """\
title: Language Story
roles:
  hero: {name: Hero, title: A hero, blurb: Brave., start: a.start}
variables:
  gold: {type: int, start: 1, min: 0, max: 9, label: Gold, show: true}
  brave: {type: bool, start: false}
  name: {type: str, start: Anna}
"""


def play(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    root: Path,
    saves: Path,
    lines: list[str],
    *args: str,
) -> str:
    """`dualpower play --plain` with `lines` typed; what the player read."""
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    code = cli.main(["play", "--story", str(root), "--saves", str(saves), "--plain", "--role", "hero", *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def errors(root: Path) -> list[str]:
    story, diags = loader.load(root)
    return [f"{Path(d.path).name}:{d.line}:{d.col}: {d.message}" for d in diags if d.severity == "error"]


# --- 1. responses --------------------------------------------------------------------------------

RESPONSES = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: The door.
    choices:
      - text: Knock.
        add: {gold: 2}
        response: You knock; {gold} coins jingle.
        goto: a.hall
      - text: Wait.
        response:
          - Nothing happens.
          - {if: brave, text: You are brave about it.}
          - {if: not brave, text: You shiver.}
        goto: a.hall
  - id: a.hall
    title: Hall
    date: 1917-02-23
    text: A hall.
    choices:
      - {text: Leave., goto: a.end, response: "You go."}
  - id: a.end
    title: End
    date: 1917-02-24
    text: Outside.
    ending: {title: Out, epilogue: "Done, {name}."}
"""


def test_a_response_is_shown_after_the_choice_before_the_next_scene(
    write_story, monkeypatch, capsys, tmp_path
):
    root = write_story({"scenes/a.yaml": RESPONSES}, header=HEADER)
    out = play(monkeypatch, capsys, root, tmp_path / "s", ["1", "journal", "look", "1"])
    knock = out.index("You knock; 3 coins jingle.")
    assert out.index("1. Knock.") < knock < out.index("\nHall\n")
    # kept in the journal; not repeated by look
    assert "Knock. (You knock; 3 coins jingle.)" in out
    assert out.count("You knock; 3 coins jingle.") == 2
    assert out.index("You go.") < out.index("\nEnd\n")
    assert "Done, Anna." in out  # the epilogue is filled in too


def test_a_response_has_conditional_paragraphs(write_story, tmp_path):
    root = write_story({"scenes/a.yaml": RESPONSES}, header=HEADER)
    story = loader.load_or_raise(root)
    session = Session.new(story, "hero", Saves(tmp_path / "s"))
    views = session.handle("2")
    scene = next(v for v in views if isinstance(v, SceneView))
    assert scene.response == ("Nothing happens.", "You shiver.")
    assert session.scene_view().response == ()  # only right after the choice
    assert session.state.history[-1].response == "Nothing happens.\n\nYou shiver."


def test_a_response_with_a_mistake_is_reported_where_it_is(write_story):
    bad = RESPONSES.replace("You knock; {gold} coins jingle.", "You knock; {gould} coins.")
    root = write_story({"scenes/a.yaml": bad}, header=HEADER)
    assert any(
        "a.yaml:9:19:" in e and "response" in e and "unknown variable {gould}" in e for e in errors(root)
    )


def test_responses_survive_save_and_load_and_reach_the_journal(write_story, monkeypatch, capsys, tmp_path):
    root = write_story({"scenes/a.yaml": RESPONSES}, header=HEADER)
    play(monkeypatch, capsys, root, tmp_path / "s", ["1", "save one", "quit"])
    out = play(monkeypatch, capsys, root, tmp_path / "s", ["journal", "quit"], "--load", "one")
    assert "Knock. (You knock; 3 coins jingle.)" in out


# --- 2 and 3. inline markup ----------------------------------------------------------------------

INLINE = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: |
      You walk {if gold >= 3: quickly, coins in hand | slowly} to the door.

      {seq: The door is new to you. | You know this door. | The door again.}
      The lamp is {cycle: lit | dark}.
    choices:
      - text: "{if brave: Stride | Creep} round."
        set: {brave: true}
        response: "{if brave: Bold now.}"
        goto: a.start
      - {text: Stop., goto: a.end}
  - id: a.end
    title: End
    date: 1917-02-24
    text: Outside.
    ending: {title: Out, epilogue: "{if brave: Brave {name}. | Careful {name}.}"}
"""


def test_inline_conditions_and_visit_variations(write_story, tmp_path):
    root = write_story({"scenes/a.yaml": INLINE}, header=HEADER)
    story = loader.load_or_raise(root)
    session = Session.new(story, "hero", Saves(tmp_path / "s"))
    first = session.scene_view()
    assert first.paragraphs == (
        "You walk slowly to the door.",
        "The door is new to you. The lamp is lit.",
    )
    assert first.options[0].text == "Creep round."
    second = next(v for v in session.handle("1") if isinstance(v, SceneView))
    assert second.response == ("Bold now.",)
    assert second.paragraphs[1] == "You know this door. The lamp is dark."
    assert second.options[0].text == "Stride round."
    third = next(v for v in session.handle("1") if isinstance(v, SceneView))
    assert third.paragraphs[1] == "The door again. The lamp is lit."
    fourth = next(v for v in session.handle("1") if isinstance(v, SceneView))
    assert fourth.paragraphs[1] == "The door again. The lamp is dark."
    ending = session.handle("2")
    assert any(getattr(v, "epilogue", "") == "Brave Anna." for v in ending)


def test_undo_replays_visit_variations_exactly(write_story, tmp_path):
    root = write_story({"scenes/a.yaml": INLINE}, header=HEADER)
    session = Session.new(loader.load_or_raise(root), "hero", Saves(tmp_path / "s"))
    session.handle("1")
    session.handle("1")
    session.handle("undo")
    assert session.scene_view().paragraphs[1] == "You know this door. The lamp is dark."


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        ('"a {if gould > 1: b} c"', ":7:14:", "unknown name 'gould'"),
        ('"a {if gold: b} c"', ":7:14:", "must be true or false"),
        ('"a {if gold > 1 b} c"', ":7:14:", "needs a colon"),
        ('"a {if brave: b | c | d} c"', ":7:", "at most two texts"),
        ('"a {cycle: b} c"', ":7:", "two texts or more"),
        ('"a {seq: b | {gould}} c"', ":7:", "unknown variable {gould}"),
        ('"a {sequence: b} c"', ":7:", "neither a variable nor inline markup"),
        ("|\n      one\n      two {if gold >> 1: b}", ":9:21:", "if} condition"),
    ],
)
def test_inline_markup_mistakes_are_reported_at_file_line_col(write_story, text, where, message):
    scene = f"""\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    choices: [{{text: Go., goto: a.start}}]
    text:
      {text}
"""
    root = write_story({"scenes/a.yaml": scene}, header=HEADER)
    found = errors(root)
    assert any(where in e and message in e for e in found), found


def test_playtest_walks_a_story_with_markup_and_responses(write_story):
    root = write_story({"scenes/a.yaml": INLINE}, header=HEADER)
    story = loader.load_or_raise(root)
    walk = playtest.exhaustive(story)
    assert set(walk.endings) == {"a.end"}
    assert walk.ok
    runs = playtest.random_runs(story, 20, seed=3)
    assert sum(runs.endings.values()) == 20


def test_run_with_every_text_kind_renders_in_runtime(write_story, tmp_path):
    root = write_story({"scenes/a.yaml": INLINE}, header=HEADER)
    story = loader.load_or_raise(root)
    state = runtime.new_game(story, "hero")
    assert runtime.interpolate(story, state, "{{if}} {if brave: x | y}") == "{if} y"


def test_reports_show_the_responses_and_verify(write_story, monkeypatch, capsys, tmp_path):
    root = write_story({"scenes/a.yaml": RESPONSES}, header=HEADER)
    play(monkeypatch, capsys, root, tmp_path / "s", ["1", "quit"])
    saves = ["--story", str(root), "--saves", str(tmp_path / "s")]
    assert cli.main(["report", *saves, "autosave", "-o", str(tmp_path / "r.md")]) == 0
    md = (tmp_path / "r.md").read_text("utf-8")
    assert "**Your choice:** Knock." in md and "*You knock; 3 coins jingle.*" in md
    assert cli.main(["report", *saves, "autosave", "--format", "html", "-o", str(tmp_path / "r.html")]) == 0
    assert '<p class="response">You knock; 3 coins jingle.</p>' in (tmp_path / "r.html").read_text("utf-8")
    capsys.readouterr()
    assert cli.main(["verify", "--story", str(root), str(tmp_path / "r.md")]) == 0


# --- 4. seeded chance ----------------------------------------------------------------------------

CHANCE = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: "Coins: {gold}."
    choices:
      - text: Toss a coin.
        response: You toss it.
        chance:
          - {weight: 1, goto: a.start, add: {gold: 1}, response: Heads.}
          - {weight: 1, goto: a.start, add: {gold: -1}, response: Tails.}
      - text: Risk it all.
        chance:
          - {weight: 3, goto: a.lost}
          - {weight: 1, goto: a.won, set: {brave: true}}
      - {text: Stop., goto: a.lost}
  - id: a.won
    title: Won
    date: 1917-02-24
    text: You won.
    ending: {title: Won, epilogue: Rich.}
  - id: a.lost
    title: Lost
    date: 1917-02-24
    text: You lost.
    ending: {title: Lost, epilogue: Poor.}
"""


def tosses(session: Session, n: int) -> list[str]:
    out = []
    for _ in range(n):
        view = next(v for v in session.handle("1") if isinstance(v, SceneView))
        assert view.response[0] == "You toss it."
        out.append(view.response[1])
    return out


def test_chance_draws_from_the_seed_and_again_after_save_load_and_undo(write_story, tmp_path):
    root = write_story({"scenes/a.yaml": CHANCE}, header=HEADER)
    story = loader.load_or_raise(root)
    saves = Saves(tmp_path / "s")
    one = Session.new(story, "hero", saves, seed=7)
    first = tosses(one, 12)
    assert set(first) == {"Heads.", "Tails."}  # both happen in twelve tosses with this seed
    again = Session.new(story, "hero", saves, seed=7)
    assert tosses(again, 12) == first  # the same seed, the same draws
    other = Session.new(story, "hero", saves, seed=8)
    assert tosses(other, 12) != first
    # Save half way, load, and the rest draws as the first game did.
    half = Session.new(story, "hero", saves, seed=7)
    tosses(half, 6)
    half.handle("save mid")
    resumed = Session.resume(story, "mid", saves)
    assert tosses(resumed, 6) == first[6:]
    # Undo goes back to the random state of that moment.
    resumed.handle("undo 3")
    assert tosses(resumed, 3) == first[9:]
    assert resumed.state.vars["gold"] == one.state.vars["gold"]


def test_seed_on_the_command_line_fixes_the_draws(write_story, monkeypatch, capsys, tmp_path):
    root = write_story({"scenes/a.yaml": CHANCE}, header=HEADER)
    lines = ["1"] * 8 + ["quit"]
    a = play(monkeypatch, capsys, root, tmp_path / "a", lines, "--seed", "5")
    b = play(monkeypatch, capsys, root, tmp_path / "b", lines, "--seed", "5")
    c = play(monkeypatch, capsys, root, tmp_path / "c", lines, "--seed", "6")
    draws = [[w for w in out.split() if w in ("Heads.", "Tails.")] for out in (a, b, c)]
    assert len(draws[0]) == 8 and draws[0] == draws[1] != draws[2]


def test_weights_shape_the_draws(write_story, tmp_path):
    root = write_story({"scenes/a.yaml": CHANCE}, header=HEADER)
    story = loader.load_or_raise(root)
    won = 0
    for seed in range(400):
        state = runtime.new_game(story, "hero", seed=seed)
        runtime.choose(story, state, 2)
        won += state.scene == "a.won"
    assert 60 < won < 140  # weight 1 of 4: about 100 of 400


def test_exhaustive_playtest_follows_every_outcome_and_random_runs_draw(write_story):
    root = write_story({"scenes/a.yaml": CHANCE}, header=HEADER)
    story = loader.load_or_raise(root)
    walk = playtest.exhaustive(story)
    assert set(walk.endings) == {"a.won", "a.lost"} and walk.ok
    runs = playtest.random_runs(story, 60, seed=1)
    assert set(runs.endings) == {"a.won", "a.lost"}


def test_a_report_of_a_game_with_chance_verifies(write_story, monkeypatch, capsys, tmp_path):
    root = write_story({"scenes/a.yaml": CHANCE}, header=HEADER)
    play(monkeypatch, capsys, root, tmp_path / "s", ["1", "1", "1", "quit"], "--seed", "3")
    saves = ["--story", str(root), "--saves", str(tmp_path / "s")]
    assert cli.main(["report", *saves, "autosave", "-o", str(tmp_path / "r.md")]) == 0
    capsys.readouterr()
    assert cli.main(["verify", "--story", str(root), str(tmp_path / "r.md")]) == 0
    forged = (tmp_path / "r.md").read_text("utf-8").replace("*Heads.*", "*Tails.*", 1)
    if forged != (tmp_path / "r.md").read_text("utf-8"):
        (tmp_path / "f.md").write_text(forged, "utf-8")
        assert cli.main(["verify", "--story", str(root), str(tmp_path / "f.md")]) == 1


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ("{text: Go., goto: a.won, chance: [{weight: 1, goto: a.won}]}", "both goto: and chance:"),
        ("{text: Go., chance: []}", "lists no outcomes"),
        ("{text: Go., chance: [{weight: 0, goto: a.won}]}", "weight must be 1 or more"),
        ("{text: Go., chance: [{weight: 1, goto: a.wno}]}", "unknown scene 'a.wno'"),
        ("{text: Go., chance: [{weight: 1}]}", "missing"),
        ("{text: Go., chance: [{weight: 1, goto: a.won, add: {brave: 1}}]}", "only numbers can be added"),
        ("{text: Go.}", "needs goto: (the next scene) or chance:"),
    ],
)
def test_chance_mistakes_are_reported(write_story, choice, message):
    scene = f"""\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: x
    choices:
      - {choice}
  - id: a.won
    title: Won
    date: 1917-02-24
    text: You won.
    ending: {{title: Won, epilogue: Rich.}}
"""
    root = write_story({"scenes/a.yaml": scene}, header=HEADER)
    found = errors(root)
    assert any("a.yaml:7:" in e and message in e for e in found), found


# --- 5. call and return --------------------------------------------------------------------------

CALLS = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: The square.
    choices:
      - {text: Ask the baker., call: a.ask, goto: a.after}
      - {text: Leave., goto: a.end}
  - id: a.ask
    title: Asking
    date: 1917-02-23
    text: "The baker looks up. {seq: First time. | Again.}"
    choices:
      - {text: Ask about bread., call: a.bread, goto: a.ask}
      - {text: Thank him., goto: return, response: You step back outside.}
  - id: a.bread
    title: Bread
    date: 1917-02-23
    text: None today.
    choices:
      - {text: Nod., add: {gold: 1}, goto: return}
  - id: a.after
    title: After
    date: 1917-02-23
    text: "Back in the square with {gold} coins."
    choices:
      - {text: Leave., goto: a.end}
  - id: a.end
    title: End
    date: 1917-02-24
    text: Gone.
    ending: {title: Gone, epilogue: Gone.}
"""


def test_a_call_plays_its_scenes_and_returns_to_the_goto(write_story, tmp_path):
    root = write_story({"scenes/a.yaml": CALLS}, header=HEADER)
    story = loader.load_or_raise(root)
    saves = Saves(tmp_path / "s")
    session = Session.new(story, "hero", saves)
    session.handle("1")
    assert session.state.scene == "a.ask" and session.state.stack == ["a.after"]
    session.handle("1")  # a nested call
    assert session.state.scene == "a.bread" and session.state.stack == ["a.after", "a.ask"]
    session.handle("save deep")
    resumed = Session.resume(story, "deep", saves)
    assert resumed.state.stack == ["a.after", "a.ask"]
    view = next(v for v in resumed.handle("1") if isinstance(v, SceneView))
    assert view.scene_id == "a.ask" and view.paragraphs == ("The baker looks up. Again.",)
    view = next(v for v in resumed.handle("2") if isinstance(v, SceneView))
    assert view.scene_id == "a.after" and view.response == ("You step back outside.",)
    assert view.paragraphs == ("Back in the square with 2 coins.",)
    assert resumed.state.stack == []
    resumed.handle("undo 2")
    assert resumed.state.scene == "a.bread" and resumed.state.stack == ["a.after", "a.ask"]


def test_playtest_walks_calls_and_check_passes_them(write_story):
    root = write_story({"scenes/a.yaml": CALLS}, header=HEADER)
    story = loader.load_or_raise(root)
    assert playtest.exhaustive(story).ok
    assert set(playtest.random_runs(story, 10, seed=2).endings) == {"a.end"}
    from engine import check

    assert not [d for d in check.run(root) if d.code in ("return-without-call", "call-never-returns")]


def test_check_reports_a_return_with_no_call_and_a_call_that_never_returns(write_story, capsys):
    bad = CALLS.replace(
        "{text: Leave., goto: a.end}\n  - id: a.ask", "{text: Leave., goto: a.bread}\n  - id: a.ask"
    )
    bad = bad.replace(
        "{text: Thank him., goto: return, response: You step back outside.}",
        "{text: Thank him., goto: a.end}",
    )
    root = write_story({"scenes/a.yaml": bad}, header=HEADER)
    code = cli.main(["check", "--story", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "a.yaml:21:9: error: scene a.bread: choice 1 has goto: return, but the hero role can reach it" in out
    )
    assert "a.start -> a.bread" in out
    assert "a.yaml:7:9: error: scene a.start: choice 1 calls a.ask, but no goto: return can be reached" in out
    # the game itself refuses the move and leaves the state as it was
    story = loader.load_or_raise(root)
    state = runtime.new_game(story, "hero")
    runtime.choose(story, state, 2)
    with pytest.raises(runtime.GameError, match="no call is in progress"):
        runtime.choose(story, state, 1)
    assert state.scene == "a.bread" and state.vars["gold"] == 1 and len(state.history) == 1


def test_call_mistakes_are_reported(write_story):
    bad = CALLS.replace("call: a.ask, goto: a.after", "call: a.asc, goto: a.after").replace(
        "call: a.bread, goto: a.ask", "call: a.bread, goto: return"
    )
    root = write_story({"scenes/a.yaml": bad}, header=HEADER)
    found = errors(root)
    assert any("a.yaml:7:38:" in e and "unknown scene 'a.asc'" in e for e in found), found
    assert any("a.yaml:14:55:" in e and "a call needs a goto: where play goes on" in e for e in found), found


# --- 6. computed values --------------------------------------------------------------------------

COMPUTED = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: "Gold {gold}, brave {brave}, name {name}."
    choices:
      - text: Double up.
        set: {gold: {expr: "min(gold * 2, 5)"}, brave: {expr: "gold >= 2"}}
        goto: a.start
      - text: Spend down.
        add: {gold: {expr: "-max(gold - 1, 0)"}}
        set: {name: {expr: "role"}}
        goto: a.start
      - {text: Stop., if: "gold == 5", goto: a.end}
  - id: a.end
    title: End
    date: 1917-02-24
    text: Done.
    ending: {title: Done, epilogue: Done.}
"""


def test_computed_values_are_worked_out_when_the_choice_is_taken(write_story, tmp_path):
    root = write_story({"scenes/a.yaml": COMPUTED}, header=HEADER)
    session = Session.new(loader.load_or_raise(root), "hero", Saves(tmp_path / "s"))
    seen = [next(v for v in session.handle(n) if isinstance(v, SceneView)).paragraphs[0] for n in "1112"]
    assert seen == [
        "Gold 2, brave yes, name Anna.",  # effects run in order: brave reads gold as just set
        "Gold 4, brave yes, name Anna.",
        "Gold 5, brave yes, name Anna.",  # min() caps it
        "Gold 1, brave yes, name hero.",
    ]
    assert playtest.exhaustive(session.story).ok


@pytest.mark.parametrize(
    ("effect", "where", "message"),
    [
        ('set: {gold: {expr: "brave"}}', ":7:56:", "gold is a number, but this expression gives true/false"),
        ('set: {name: {expr: "gold + 1"}}', ":7:56:", "name is a string, but this expression gives a number"),
        ('add: {gold: {expr: "brave"}}', ":7:56:", "add: needs a number"),
        ('set: {gold: {expr: "min(gold)"}}', ":7:56:", "min() takes two numbers or more"),
        (
            'set: {gold: {expr: "max(gold, brave)"}}',
            ":7:66:",
            "max() works on numbers but this is true/false",
        ),
        ('set: {gold: {expr: "gould + 1"}}', ":7:56:", "unknown name 'gould'"),
        ('set: {gold: {exp: "gold"}}', ":7:49:", "exp"),
    ],
)
def test_computed_value_mistakes_are_reported_at_file_line_col(write_story, effect, where, message):
    scene = f"""\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: x
    choices:
      - {{text: Go., goto: a.start, {effect}}}
"""
    root = write_story({"scenes/a.yaml": scene}, header=HEADER)
    found = errors(root)
    assert any(where in e and message in e for e in found), found


def test_min_and_max_in_conditions(write_story, tmp_path):
    text = COMPUTED.replace('if: "gold == 5"', 'if: "max(gold, 1) >= 5 and min(gold, 9) == 5"')
    root = write_story({"scenes/a.yaml": text}, header=HEADER)
    story = loader.load_or_raise(root)
    state = runtime.new_game(story, "hero")
    for _ in range(3):
        runtime.choose(story, state, 1)
    assert [o.choice.text for o in runtime.options(story, state)][-1] == "Stop."


# --- 7. type checks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("effect", "where", "message"),
    [
        ("set: {name: 3}", ":7:48:", "name is text (a str variable), but 3 is a number"),
        ("set: {name: yes}", ":7:48:", "but yes is true/false; write it in quotes (name: 'yes')"),
        ("set: {name: 2.5}", ":7:48:", "but 2.5 is a number"),
        ("set: {gold: 'three'}", ":7:48:", "set: gold should be a whole number"),
        ("set: {gold: true}", ":7:48:", "set: gold should be a whole number"),
        ("set: {brave: 1}", ":7:49:", "set: brave should be true or false"),
        ("set: {brave: 'no'}", ":7:49:", "set: brave should be true or false"),
        ("set: {gold: 10}", ":7:48:", "set: gold = 10 is outside its bounds 0..9"),
        ("set: {gold: -1}", ":7:48:", "outside its bounds 0..9"),
        ("set: {role: hero}", ":7:42:", "role is the player's role"),
        ("add: {role: 1}", ":7:42:", "role is the player's role"),
    ],
)
def test_effects_of_the_wrong_type_are_errors_at_file_line_col(write_story, effect, where, message):
    scene = f"""\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: x
    choices:
      - {{text: Go., goto: a.start, {effect}}}
"""
    root = write_story({"scenes/a.yaml": scene}, header=HEADER)
    found = errors(root)
    assert any(where in e and message in e for e in found), found


def test_quoted_text_and_a_str_start_of_the_wrong_type(write_story):
    scene = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: x
    choices:
      - {text: Go., goto: a.start, set: {name: '3'}}
"""
    assert errors(write_story({"scenes/a.yaml": scene}, header=HEADER)) == []
    header = HEADER.replace("start: Anna", "start: 1917")
    found = errors(write_story({"scenes/a.yaml": scene}, header=header))
    assert any("story.yaml:7:" in e and "variable name: start: name is text" in e for e in found), found


# --- 9. calendars --------------------------------------------------------------------------------

DATED = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: x
    choices: [{text: Go., goto: a.end}]
  - id: a.end
    title: End
    date: 1917-02-24
    text: y
    ending: {title: Out, epilogue: Done.}
"""


@pytest.mark.parametrize(
    ("calendar", "shown", "absent"),
    [
        ("", "Thursday 23 February 1917 · 8 March N.S.", "xx"),
        ("calendar: julian\n", "Thursday 23 February 1917 · 8 March N.S.", "xx"),
        ("calendar: gregorian\n", "Friday 23 February 1917", "N.S."),
    ],
)
def test_the_new_style_twin_is_shown_only_for_julian(
    write_story, monkeypatch, capsys, tmp_path, calendar, shown, absent
):
    root = write_story({"scenes/a.yaml": DATED}, header=HEADER + calendar)
    out = play(monkeypatch, capsys, root, tmp_path / "s", ["journal", "1"])
    assert shown in out and absent not in out


def test_a_story_with_no_calendar_needs_no_dates_and_shows_none(write_story, monkeypatch, capsys, tmp_path):
    undated = DATED.replace("    date: 1917-02-23\n", "").replace("    date: 1917-02-24\n", "")
    root = write_story({"scenes/a.yaml": undated}, header=HEADER + "calendar: none\n")
    out = play(monkeypatch, capsys, root, tmp_path / "s", ["journal", "1"])
    assert "\nStart\n" in out and "1917" not in out
    found = errors(write_story({"scenes/a.yaml": undated}, header=HEADER))
    assert any(
        "a.yaml:2:5:" in e and "missing required key 'date' (a story with no dates says calendar: none" in e
        for e in found
    ), found
    found = errors(write_story({"scenes/a.yaml": DATED}, header=HEADER + "calendar: julain\n"))
    assert any(
        "story.yaml:8:11:" in e and "calendar must be julian" in e and "did you mean julian" in e
        for e in found
    ), found


# --- 8. files: one YAML mistake, one error -------------------------------------------------------

OTHER = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: x
    choices:
      - {text: Go., goto: b.one}
      - {text: On., goto: b.two}
"""


@pytest.mark.parametrize(
    ("broken", "where", "message"),
    [
        (
            "scenes:\n  - id: b.one\n    title: T\n   date: 1917-02-23\n  - id: b.two\n",
            "b.yaml:4:4:",
            "line 4 is indented 3 spaces, which lines up with no key above it ('title:' on line 3 is at 4)",
        ),
        (
            "scenes:\n  - id: b.one\n    title: T\n      date: 1917-02-23\n  - id: b.two\n",
            "b.yaml:4:7:",
            "line 4 is indented 6 spaces",
        ),
        (
            "scenes:\n  - id: b.one\n    choices:\n      - text: go\n        goto: b.two\n       if: x\n"
            "  - id: b.two\n",
            "b.yaml:6:8:",
            "('goto:' on line 5 is at 8)",
        ),
        (
            'scenes:\n  - id: b.one\n    title: "T\n    text: x\n  - id: b.two\n',
            "b.yaml:3:12:",
            'this quote (") is never closed: add the closing " at the end of the value',
        ),
        ("scenes:\n  - {id: b.one, title: T\n  - id: b.two\n", "b.yaml:2:5:", "the bracket opened here"),
    ],
)
def test_one_yaml_mistake_gives_one_error_at_its_real_cause(write_story, broken, where, message):
    root = write_story({"scenes/a.yaml": OTHER, "scenes/b.yaml": broken}, header=HEADER)
    story, diags = loader.load(root)
    found = [f"{Path(d.path).name}:{d.line}:{d.col}: {d.message}" for d in diags if d.severity == "error"]
    assert len(found) == 1, found  # no 'unknown scene b.one' from a.yaml, nor 'b.two'
    assert where in found[0] and message in found[0], found


def test_a_value_with_a_colon_keeps_its_quoting_hint(write_story):
    root = write_story(
        {"scenes/a.yaml": OTHER.replace("title: Start", "title: The Start: Again")}, header=HEADER
    )
    found = errors(root)
    assert len(found) == 1 and "a.yaml:3:21:" in found[0] and "must be put in quotes" in found[0], found


# --- every feature through the story cache and the terminal's renderer ---------------------------


def test_a_story_using_every_feature_comes_back_equal_from_the_cache(write_story, tmp_path, monkeypatch):
    from engine import cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DUALPOWER_NO_CACHE", raising=False)
    files = {
        "scenes/a.yaml": CALLS.replace("goto: a.end", "goto: c.start"),
        "scenes/c.yaml": CHANCE.replace("a.start", "c.start")
        .replace("a.won", "c.won")
        .replace("a.lost", "c.lost"),
        "scenes/d.yaml": COMPUTED.replace("a.start", "d.start").replace("a.end", "d.end"),
    }
    root = write_story(files, header=HEADER + "calendar: gregorian\n")
    first, _ = cache.load(root)
    second, _ = cache.load(root)
    assert isinstance(second.scenes, cache.LazyScenes)
    assert second.calendar == first.calendar == "gregorian"
    assert {s: second.scenes[s] for s in second.scenes} == {s: first.scenes[s] for s in first.scenes}
    for story in (first, second):
        state = runtime.new_game(story, "hero", seed=4)
        for n in (1, 1, 1, 2, 1, 1, 1):  # call, nested call, back, back, leave, toss twice
            runtime.choose(story, state, n)
        assert state.scene == "c.start" and len(state.history) == 7
    d = runtime.new_game(second, "hero", start="d.start")
    runtime.choose(second, d, 1)
    assert d.vars["gold"] == 2 and d.vars["brave"] is True


def test_the_terminal_shows_the_response_before_the_scene(write_story, tmp_path):
    from rich.console import Console

    from engine.ui import render

    root = write_story({"scenes/a.yaml": RESPONSES}, header=HEADER)
    session = Session.new(loader.load_or_raise(root), "hero", Saves(tmp_path / "s"))
    console = Console(width=80, file=io.StringIO(), highlight=False)
    for view in session.handle("1"):
        shown = render.view(view, session.story)
        if shown is not None:
            console.print(shown)
    screen = console.file.getvalue()  # type: ignore[attr-defined]
    assert screen.index("You knock; 3 coins jingle.") < screen.index("A hall.")


def test_a_save_of_format_1_still_loads(write_story, tmp_path):
    import json

    root = write_story({"scenes/a.yaml": CHANCE}, header=HEADER)
    story = loader.load_or_raise(root)
    saves = Saves(tmp_path / "s")
    session = Session.new(story, "hero", saves, seed=9)
    tosses(session, 2)
    session.handle("save old")
    path = tmp_path / "s" / "old.json"
    data = json.loads(path.read_text("utf-8"))
    data["format_version"] = 1
    for key in ("rng", "stack"):
        del data["state"][key]
    for step in data["state"]["history"]:
        step.pop("response", None)
    path.write_text(json.dumps(data), "utf-8")
    resumed = Session.resume(story, "old", saves)
    assert resumed.state.history[0].response == "" and resumed.state.stack == []
    assert resumed.state.rng == runtime.new_game(story, "hero", seed=9).rng  # drawn afresh from the seed
    assert resumed.handle("undo")  # replays from the seed
    assert resumed.state.history[0].response.startswith("You toss it.")


def test_the_branch_map_draws_calls_and_chance_outcomes(write_story, capsys):
    root = write_story({"scenes/a.yaml": CALLS, "scenes/c.yaml": CHANCE.replace("a.", "c.")}, header=HEADER)
    assert cli.main(["graph", "--story", str(root)]) == 0
    dot = capsys.readouterr().out
    assert '"a.start" -> "a.ask" [tooltip="Ask the baker. (call)"];' in dot
    assert '"a.start" -> "a.after" [tooltip="Ask the baker. (after the call)"];' in dot
    assert '"c.start" -> "c.won" [tooltip="Risk it all. (1/4)"];' in dot


def test_the_terminal_plays_responses_chance_and_calls(write_story, tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    from rich.console import Console

    from engine.ui import terminal

    text = CALLS.replace("goto: a.end", "goto: c.start")
    root = write_story({"scenes/a.yaml": text, "scenes/c.yaml": CHANCE.replace("a.", "c.")}, header=HEADER)
    story = loader.load_or_raise(root)
    console = Console(file=io.StringIO(), width=80, highlight=False)
    with create_pipe_input() as inp:
        inp.send_text("".join(f"{k}\r" for k in ("1", "2", "1", "1")) + "\x04")
        inp.close()
        term = terminal.Terminal(
            story, Saves(tmp_path / "s"), console=console, input=inp, output=DummyOutput()
        )
        assert term.main(role="hero") == 0
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert out.index("The baker looks up. First time.") < out.index("You step back outside.")
    assert out.index("You step back outside.") < out.index("Back in the square with 1 coins.")
    assert "You toss it." in out and ("Heads." in out or "Tails." in out)


def test_the_teachers_guide_follows_the_calendar(write_story, capsys):
    for calendar, twin in (("", True), ("calendar: gregorian\n", False)):
        root = write_story({"scenes/a.yaml": DATED}, header=HEADER + calendar)
        assert cli.main(["guide", "--story", str(root)]) == 0
        out = capsys.readouterr().out
        assert ("N.S." in out) is twin and ("New Style twin" in out) is twin


def test_the_classroom_web_page_shows_the_response_and_the_calendar(write_story, tmp_path):
    pytest.importorskip("starlette")
    from starlette.testclient import TestClient

    from engine.app import load_story
    from engine.classroom import assignment as asg_mod
    from engine.server.app import Credentials, create_app
    from engine.server.classroom import Classroom
    from engine.server.live import Live

    root = write_story({"scenes/a.yaml": RESPONSES}, header=HEADER + "calendar: gregorian\n")
    asg_file = tmp_path / "a.yaml"
    asg_file.write_text("title: A walk\nrole: hero\nquestions:\n  - ask: Where did you go?\n", "utf-8")
    story, _ = load_story(root)
    assignment, diags = asg_mod.load(asg_file, story)
    assert assignment is not None, diags
    live = Live(tmp_path / "class.db")
    code, token, secret = live.credentials()
    client = TestClient(create_app(Classroom(story, assignment, live), Credentials(code, token, secret)))
    page = client.post("/join", data={"name": "Anna", "code": code.lower()})
    assert "Thursday 8 March 1917" not in page.text and "N.S." not in page.text
    assert "Friday 23 February 1917" in page.text
    page = client.post("/play", data={"line": "1"})
    said = page.text.index("<p>You knock; 3 coins jingle.</p>")
    assert page.text.index('class="answered"') < said < page.text.index("<h1") and "A hall." in page.text
    assert page.text.count("You knock; 3 coins jingle.") == 1


# --- an outsider's story using every feature -----------------------------------------------------

FEATURES = Path(__file__).parent / "data" / "language"


def test_the_feature_story_plays_saves_reports_and_verifies(monkeypatch, capsys, tmp_path):
    assert cli.main(["check", "--strict", "--story", str(FEATURES)]) == 0
    assert cli.main(["playtest", "--exhaustive", "--story", str(FEATURES)]) == 0
    capsys.readouterr()
    lines = ["1", "1", "1", "2", "2", "3", "1"]  # guard (call), ask, back; guard again, thank; square; sell
    out = play_as(monkeypatch, capsys, FEATURES, tmp_path / "s", lines, "carter", "--seed", "11")
    assert "The gate stands open and the square hums beyond it. The sky is clear." in out
    assert "The guard leans on his pike." in out and "The guard sighs at the sight of you." in out
    assert "He points down the lane. The baker, he says." in out
    assert "You are back at the gate. The sky is grey." in out
    assert "He takes the lot, and rounds the price up." in out
    assert "You drive home with 5 coins." in out and "A good day." in out
    assert "Monday 4 May 1925" in out and "N.S." not in out
    saves = ["--story", str(FEATURES), "--saves", str(tmp_path / "s")]
    assert cli.main(["report", *saves, "autosave", "-o", str(tmp_path / "r.md")]) == 0
    assert cli.main(["verify", "--story", str(FEATURES), str(tmp_path / "r.md")]) == 0


def test_the_feature_story_draws_the_weather_by_seed(monkeypatch, capsys, tmp_path):
    outs = {
        seed: play_as(
            monkeypatch, capsys, FEATURES, tmp_path / seed, ["2", "2", "2", "quit"], "carter", "--seed", seed
        )
        for seed in ("1", "2", "3", "4", "5", "6")
    }
    soaked = {seed for seed, out in outs.items() if "A shower soaks you to the knees." in out}
    assert soaked and soaked != set(outs)  # some seeds rain, some do not
    for seed in soaked:
        assert "coins and wet boots." in outs[seed]


def play_as(monkeypatch, capsys, root: Path, saves: Path, lines: list[str], role: str, *args: str) -> str:
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{line}\n" for line in lines)))
    code = cli.main(["play", "--story", str(root), "--saves", str(saves), "--plain", "--role", role, *args])
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_the_feature_story_fits_the_editor_schemas():
    from tests.test_schema import read_yaml, validate

    assert validate(read_yaml((FEATURES / "story.yaml").read_text("utf-8")), "story.schema.json") == []
    scenes = read_yaml((FEATURES / "scenes" / "road.yaml").read_text("utf-8"))
    assert validate(scenes, "scene.schema.json") == []
    choice = scenes["scenes"][0]["choices"][1]
    choice["goto"] = "road.gate"  # both goto: and chance: is refused
    assert validate(scenes, "scene.schema.json") != []


def test_playtest_reports_a_return_with_no_call_as_stuck(write_story):
    bad = CALLS.replace(
        "{text: Leave., goto: a.end}\n  - id: a.ask", "{text: Leave., goto: a.bread}\n  - id: a.ask"
    )
    story = loader.load_or_raise(write_story({"scenes/a.yaml": bad}, header=HEADER))
    walk = playtest.exhaustive(story)
    assert [(t.scene, t.path) for t in walk.stuck] == [("a.bread", ["Leave."])]


LOCKED = """\
scenes:
  - id: a.start
    title: Gate
    date: 1917-03-01
    text: The committee sits behind the gate.
    choices:
      - text: Speak for the shop.
        if: brave
        locked: You know nobody on the committee.
        goto: a.end
      - text: Count your coins.
        if: gold >= 5
        show_locked: true
        goto: a.end
      - text: Go home.
        goto: a.end
  - id: a.end
    title: End
    date: 1917-03-02
    text: You are home.
    ending: {title: Home, epilogue: Done.}
"""


def test_a_locked_choice_says_why_in_the_storys_words(write_story, monkeypatch, capsys, tmp_path):
    root = write_story({"scenes/a.yaml": LOCKED}, header=HEADER)
    out = play(monkeypatch, capsys, root, tmp_path / "s", ["1", "3"])
    # locked: shows the choice (no show_locked needed) with the author's words; without it, the condition in words
    assert "1. Speak for the shop. (locked: You know nobody on the committee.)" in out
    assert "2. Count your coins. (locked: needs Gold at least 5)" in out
    assert "Choice 1 is locked: You know nobody on the committee." in out
    assert "Home" in out  # the refused choice kept the game going, and 3 was taken


def test_locked_text_mistakes_are_reported_where_they_are(write_story):
    hidden = LOCKED.replace("        locked: You", "        show_locked: false\n        locked: You")
    assert any(
        "a.yaml:10:9:" in e and "show_locked: false" in e
        for e in errors(write_story({"scenes/a.yaml": hidden}, header=HEADER))
    )
    never = LOCKED.replace("        if: brave\n", "")
    assert any(
        "a.yaml:8:9:" in e and "no if:" in e
        for e in errors(write_story({"scenes/a.yaml": never}, header=HEADER))
    )
    braces = LOCKED.replace("nobody on", "{name} on")
    assert any(
        "a.yaml:9:17:" in e and "plain text" in e
        for e in errors(write_story({"scenes/a.yaml": braces}, header=HEADER))
    )


def test_stats_say_what_each_value_means_in_the_story(write_story, tmp_path):
    header = HEADER.replace(
        "label: Gold, show: true}", "label: Gold, show: true, describe: What you can pay a carter.}"
    )
    root = write_story({"scenes/a.yaml": LOCKED}, header=header)
    session = Session.new(loader.load_or_raise(root), "hero", Saves(tmp_path / "s"))
    (stats,) = session.handle("stats")[:1]
    assert ("Gold", "1", "■□□□□□□□□□", "very low", "What you can pay a carter.") in stats.rows
    bad = write_story(
        {"scenes/a.yaml": LOCKED},
        header=header.replace("describe: What you can pay a carter.", 'describe: "What {gold} carters."'),
    )
    assert any("story.yaml:" in e and "describe is plain text" in e for e in errors(bad))


def test_plain_stats_speak_the_word_not_the_bar(write_story, monkeypatch, capsys, tmp_path):
    header = HEADER.replace(
        "label: Gold, show: true}", "label: Gold, show: true, describe: What you can pay a carter.}"
    )
    root = write_story({"scenes/a.yaml": LOCKED}, header=header)
    out = play(monkeypatch, capsys, root, tmp_path / "s", ["stats", "3"])
    assert "Gold  1  very low  What you can pay a carter." in out and "■" not in out and "□" not in out
    out = play(monkeypatch, capsys, root, tmp_path / "t", ["stats", "3"], "--decorate")
    assert "Gold  1  ■□□□□□□□□□  very low  What you can pay a carter." in out

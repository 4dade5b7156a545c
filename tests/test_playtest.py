"""`dualpower playtest`: stuck states and loops found with their paths, reproducible runs, the JSON contract."""

from __future__ import annotations

import io
import json
import random
import shutil
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine import cli, loader, playtest, runtime
from engine.state import seed_rng

MINI = Path(__file__).parent / "data" / "mini"
VARIABLES = """\
  bread: {type: int, start: 2, min: 0, max: 3}
  sold: {type: bool, start: false}
"""
END = """\
- id: a.end
  title: End
  date: 1917-02-25
  text: The end.
  ending: {title: The End, epilogue: It ended well.}
"""
STUCK = (
    """\
- id: a.start
  title: Start
  date: 1917-02-23
  text: You stand in the yard.
  choices:
    - text: Go to the hall.
      goto: a.hall
    - text: Go home.
      goto: a.end
- id: a.hall
  title: Hall
  date: 1917-02-24
  text: The hall is locked.
  choices:
    - text: Speak to the crowd.
      if: sold
      goto: a.end
"""
    + END
)
LOOP = (
    """\
- id: a.start
  title: Start
  date: 1917-02-23
  text: You stand in the yard.
  choices:
    - text: Walk round the block.
      goto: a.round
    - text: Go home.
      goto: a.end
- id: a.round
  title: Round
  date: 1917-02-23
  text: Round the block.
  choices:
    - text: Keep walking.
      goto: a.corner
- id: a.corner
  title: Corner
  date: 1917-02-23
  text: The corner.
  choices:
    - text: Turn again.
      goto: a.round
"""
    + END
)
HUB = """\
- id: a.start
  title: Start
  date: 1917-02-23
  text: Three doors.
  choices:
    - text: Left.
      goto: a.left
    - text: Middle.
      goto: a.middle
    - text: Right.
      goto: a.right
""" + "".join(
    f"""\
- id: a.{door}
  title: {door.title()}
  date: 1917-02-24
  text: Behind the {door} door.
  ending: {{title: {door.title()}, epilogue: You chose {door}.}}
"""
    for door in ("left", "middle", "right")
)


def make_story(
    root: Path, scenes: str, variables: str = VARIABLES, roles: str = "  a: {name: A, start: a.start}"
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "story.yaml").write_text(
        f"title: Test\nroles:\n{roles}\nvariables:\n{variables}", encoding="utf-8"
    )
    (root / "scenes").mkdir(exist_ok=True)
    (root / "scenes" / "a.yaml").write_text("scenes:\n" + textwrap.indent(scenes, "  "), encoding="utf-8")
    return root


def load(root: Path) -> loader.Story:
    story, diags = loader.load(root)
    assert story is not None, [str(d) for d in diags]
    return story


@pytest.mark.parametrize(
    "explore", [lambda s: playtest.random_runs(s, 20), playtest.exhaustive], ids=["random", "exhaustive"]
)
def test_planted_stuck_state_found_with_its_path(tmp_path: Path, explore) -> None:  # type: ignore[no-untyped-def]
    result = explore(load(make_story(tmp_path, STUCK)))
    assert not result.ok
    assert [t.to_dict() for t in result.stuck] == [
        {"scene": "a.hall", "role": "a", "path": ["Go to the hall."]}
    ]
    assert result.loops == []


@pytest.mark.parametrize(
    "explore", [lambda s: playtest.random_runs(s, 20), playtest.exhaustive], ids=["random", "exhaustive"]
)
def test_loop_without_an_ending_found_with_its_path(tmp_path: Path, explore) -> None:  # type: ignore[no-untyped-def]
    result = explore(load(make_story(tmp_path, LOOP)))
    assert result.stuck == []
    assert len(result.loops) == 1
    loop = result.loops[0]
    assert (loop.scene, loop.path, loop.loop) == (
        "a.round",
        ["Walk round the block."],
        ["a.corner", "a.round"],
    )


def test_cli_reports_stuck_state_and_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_story(tmp_path, STUCK)
    assert cli.main(["playtest", "--story", str(root), "--runs", "10"]) == 1
    out = capsys.readouterr().out
    assert "Stuck states (1):" in out
    assert "scenes/a.yaml:11:5: a.hall (a): no open choice" in out
    assert 'path: "Go to the hall."' in out
    assert cli.main(["playtest", "--story", str(root), "--exhaustive", "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["stuck"] == [{"scene": "a.hall", "role": "a", "path": ["Go to the hall."]}]


def test_cli_passes_on_a_sound_story(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["playtest", "--story", str(MINI), "--runs", "30"]) == 0
    out = capsys.readouterr().out
    assert "No stuck states or endless loops found." in out
    assert "baker      15 runs, scenes 4/4 (100%), endings 2/2" in out
    assert "scenes/baker.yaml  4/4 scenes (100%)" in out


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(["playtest", "--story", str(MINI), "--runs", "40", "--seed", "5", "--format", "json"]) == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert (data["runs"], data["seed"]) == (40, 5)
    assert isinstance(data["steps"], int) and data["steps"] >= 40
    assert data["scenes"] == {"total": 6, "reached": 6, "unreached": []}
    assert set(data["endings"]) == {"baker.end.home", "baker.end.march", "guard.end.stay"}
    assert sum(data["endings"].values()) == 40
    assert data["stuck"] == []
    assert set(data["roles"]) == {"baker", "guard"}
    guard = data["roles"]["guard"]
    assert guard["runs"] == 20 and guard["endings"] == {"guard.end.stay": 20}
    # "You stand at the gate." + "Stay." (or the longer choice) + "You stayed." + "The gate stood."
    assert guard["words"]["min"] == 11 and set(guard["words"]) == {"min", "median", "max"}


def test_unreached_ending_counts_zero(tmp_path: Path) -> None:
    scenes = (
        HUB.replace(
            "goto: a.right", "goto: a.right\n    - text: Fly.\n      if: bread > 3\n      goto: a.sky"
        )
        + """\
- id: a.sky
  title: Sky
  date: 1917-02-24
  text: Up.
  ending: {title: Sky, epilogue: You flew.}
"""
    )
    data = playtest.random_runs(load(make_story(tmp_path, scenes)), 9).to_dict()
    assert data["endings"]["a.sky"] == 0
    assert data["scenes"]["unreached"] == ["a.sky"]
    assert data["roles"]["a"]["endings"]["a.sky"] == 0


def test_same_seed_same_result(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["playtest", "--story", str(MINI), "--runs", "60", "--seed", "42", "--format", "json"]
    cli.main(argv)
    first = capsys.readouterr().out
    cli.main(argv)
    assert capsys.readouterr().out == first


def test_choices_not_yet_taken_are_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without the odd wander to any open choice (WANDER), three runs through a hub of three take its three
    ways, whatever the seed: the choice taken least often so far is the one picked."""
    story = load(make_story(tmp_path, HUB))
    monkeypatch.setattr(playtest, "WANDER", 0.0)
    for seed in range(20):
        result = playtest.random_runs(story, 3, seed=seed)
        assert result.endings == {"a.left": 1, "a.middle": 1, "a.right": 1}, seed


def test_role_option_plays_only_that_role(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        cli.main(["playtest", "--story", str(MINI), "--role", "guard", "--runs", "5", "--format", "json"])
        == 0
    )
    data = json.loads(capsys.readouterr().out)
    assert list(data["roles"]) == ["guard"] and data["roles"]["guard"]["runs"] == 5
    assert data["scenes"]["total"] == 2 and list(data["endings"]) == ["guard.end.stay"]
    assert cli.main(["playtest", "--story", str(MINI), "--role", "nobody"]) == 2
    assert "unknown role 'nobody'" in capsys.readouterr().err


def test_exhaustive_cap_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    # courage has no max, and the baker can raise it for ever: the state space never ends.
    assert cli.main(["playtest", "--story", str(MINI), "--exhaustive", "--max-states", "50"]) == 0
    out = capsys.readouterr().out
    assert "the walk for baker stopped at the cap of 50 states" in out
    data = playtest.exhaustive(load(MINI), max_states=50).to_dict()
    assert data["capped"] == ["baker"] and data["states"] == 50 + 2


def test_exhaustive_covers_a_finite_story(tmp_path: Path) -> None:
    result = playtest.exhaustive(load(make_story(tmp_path, HUB)))
    assert result.ok and result.capped == [] and result.unreached == []
    assert result.endings == {"a.left": 1, "a.middle": 1, "a.right": 1}


def test_story_that_fails_to_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = make_story(tmp_path, STUCK.replace("goto: a.end", "goto: a.nowhere"))
    assert cli.main(["playtest", "--story", str(root)]) == 1
    err = capsys.readouterr().err
    assert "unknown scene 'a.nowhere'" in err and "The story cannot be played" in err


def _generated_story(root: Path, seed: int) -> Path:
    """A tangle of scenes with conditions, effects, once-only choices, on_enter and placeholders."""
    rnd = random.Random(seed)
    n = 40
    scenes = []
    for i in range(n):
        lines = [
            f"- id: a.s{i}",
            f"  title: Scene {i}",
            "  date: 1917-03-01",
            "  text:",
            f"    - Scene {i} with {{bread}} bread.",
            "    - if: sold",
            "      text: You sold some.",
        ]
        if i == 0:
            lines[0] = "- id: a.start"
        if i >= n - 4:
            scenes.append("\n".join(lines + ['  ending: {title: End, epilogue: "It ended here, you know."}']))
            continue
        if rnd.random() < 0.3:
            lines.append("  on_enter: {add: {bread: 1}}")
        lines.append("  choices:")
        for k in range(rnd.randint(1, 3)):
            target = rnd.randint(1, n - 1)
            lines += [f"    - text: Choice {k} ({{bread}} left)", f"      goto: a.s{target}"]
            r = rnd.random()
            if r < 0.3:
                lines.append("      add: {bread: -1}")
            elif r < 0.5:
                lines += ["      if: bread >= 1 or visited('a.s3')", "      set: {sold: true}"]
            elif r < 0.7:
                lines.append("      once: true")
        scenes.append("\n".join(lines))
    return make_story(root, "\n".join(scenes) + "\n")


def _words_shown(story: loader.Story, game: runtime.GameState) -> int:
    words = sum(runtime.words(p) for p in runtime.paragraphs(story, game))
    ending = story.scenes[game.scene].ending
    return words + (runtime.words(ending.epilogue) if ending else 0)


def _number_of(story: loader.Story, game: runtime.GameState, index: int) -> int:
    """The number the player would type for the choice at `index`; it must be shown and open."""
    shown = {o.choice.index: o for o in runtime.options(story, game)}
    assert index in shown and shown[index].open, (
        f"playtest took a choice the game does not offer in {game.scene}"
    )
    return shown[index].number


def _same(a: runtime.GameState, b: runtime.GameState) -> None:
    assert (a.scene, a.vars, a.visits, a.once_taken) == (b.scene, b.vars, b.visits, b.once_taken)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), run_seed=st.integers(0, 100))
def test_random_runs_play_the_games_own_rules(tmp_path: Path, seed: int, run_seed: int) -> None:
    """Every random run, played again by option number through the game's runtime, offers the same choices and
    ends in the same state, with the same outcome and the same words read."""
    root = _generated_story(tmp_path / f"s{seed}-{run_seed}", seed)
    story = load(root)
    result = playtest.random_runs(story, runs=12, seed=run_seed, step_cap=200, keep_runs=True)
    assert len(result.played) == 12
    for run in result.played:
        game = runtime.new_game(story, run.role)
        words = 0
        for scene_id, index in run.path:
            assert game.scene == scene_id
            words += _words_shown(story, game)
            runtime.choose(story, game, _number_of(story, game, index))
            words += runtime.words(game.history[-1].text)
        words += _words_shown(story, game)
        _same(game, run.state)
        assert run.words == words
        ending = story.scenes[game.scene].ending is not None
        assert run.outcome == (
            "ending" if ending else "stuck" if not runtime.options(story, game) else "loop"
        )


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_random_run_agrees_with_the_runtime_after_every_choice(tmp_path: Path, seed: int) -> None:
    """A run stopped after k choices (its first k choices do not depend on the cap) is in the same state as the
    game after the same k choices: same variables, visits and once-only marks at every step."""
    story = load(_generated_story(tmp_path / f"s{seed}", seed))
    full = playtest.random_runs(story, runs=1, seed=seed, step_cap=40, keep_runs=True).played[0]
    game = runtime.new_game(story, "a")
    for k, (_scene, index) in enumerate(full.path, 1):
        runtime.choose(story, game, _number_of(story, game, index))
        part = playtest.random_runs(story, runs=1, seed=seed, step_cap=k, keep_runs=True).played[0]
        assert part.path == full.path[:k]
        _same(game, part.state)


def _runtime_walk(story: loader.Story, depth: int) -> tuple[set[str], set[str], set[str]]:
    """Every game the runtime can reach in `depth` choices, by option number: the scenes seen, the endings
    reached and the scenes where a game is stuck."""
    seen: set[str] = set()
    endings: set[str] = set()
    stuck: set[str] = set()
    layer = [runtime.new_game(story, "a")]
    for _ in range(depth + 1):
        nxt: dict[object, runtime.GameState] = {}
        for game in layer:
            seen.add(game.scene)
            if story.scenes[game.scene].ending is not None:
                endings.add(game.scene)
                continue
            shown = [o for o in runtime.options(story, game) if o.open]
            if not shown:
                stuck.add(game.scene)
            for option in shown:
                after = game.copy()
                runtime.choose(story, after, option.number)
                key = (after.scene, tuple(sorted(after.vars.items())), frozenset(after.once_taken))
                key += (tuple(sorted((k, min(v, 3)) for k, v in after.visits.items())),)
                nxt.setdefault(key, after)
        layer = list(nxt.values())
    return seen, endings, stuck


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000))
def test_exhaustive_walk_finds_what_the_runtime_reaches(tmp_path: Path, seed: int) -> None:
    """Whatever the game's own rules reach in a few choices, the exhaustive walk reaches too: every scene, every
    ending, every stuck state."""
    story = load(_generated_story(tmp_path / f"s{seed}", seed))
    walk = playtest.exhaustive(story, max_states=20_000)
    assume(walk.capped == [])  # a capped walk is incomplete by design (said so in its report)
    seen, endings, stuck = _runtime_walk(story, 8)
    assert seen <= walk.reached
    assert endings <= {e for e, n in walk.endings.items() if n}
    assert stuck <= {t.scene for t in walk.stuck}


def test_new_branch_dropped_into_a_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An author's branch file, and one goto to it, is checked, mapped, playtested and played: no engine edits."""
    root = tmp_path / "story"
    shutil.copytree(MINI, root)
    (root / "scenes" / "baker-cellar.yaml").write_text(
        textwrap.dedent("""\
        scenes:
          - id: baker.cellar
            title: The Cellar
            date: 1917-02-24
            text: Flour sacks in the dark.
            choices:
              - text: Hide the flour.
                goto: baker.end.hoard
          - id: baker.end.hoard
            title: Hidden Flour
            date: 1917-02-25
            text: The flour is safe.
            ending: {title: The Hoarder, epilogue: You kept the flour.}
        """),
        encoding="utf-8",
    )
    baker = root / "scenes" / "baker.yaml"
    text = baker.read_text(encoding="utf-8")
    baker.write_text(
        text.replace(
            "      - text: Go home.\n        goto: baker.end.home\n",
            "      - text: Go home.\n        goto: baker.end.home\n"
            "      - text: Go down to the cellar.\n        goto: baker.cellar\n",
        ),
        encoding="utf-8",
    )
    story = str(root)
    assert cli.main(["check", "--story", story]) == 0
    assert "0 errors" in capsys.readouterr().out
    assert cli.main(["graph", "--story", story, "--role", "baker"]) == 0
    # another file is another chapter: the arrow into it does not stretch the map's layout
    assert '"baker.street" -> "baker.cellar" [tooltip="Go down to the cellar.", constraint=false];' in (
        capsys.readouterr().out
    )
    assert (
        cli.main(["playtest", "--story", story, "--role", "baker", "--runs", "30", "--format", "json"]) == 0
    )
    assert json.loads(capsys.readouterr().out)["endings"]["baker.end.hoard"] > 0
    monkeypatch.setattr(sys, "stdin", io.StringIO("2\n3\n1\n"))
    assert (
        cli.main(["play", "--plain", "--story", story, "--role", "baker", "--saves", str(tmp_path / "saves")])
        == 0
    )
    assert "The end: The Hoarder" in capsys.readouterr().out


def test_once_only_choice_used_up_leaves_a_stuck_state(tmp_path: Path) -> None:
    scenes = (
        """\
- id: a.start
  title: Door
  date: 1917-02-23
  text: A door.
  choices:
    - text: Knock.
      once: true
      goto: a.start
    - text: Open it.
      if: bread > 2
      goto: a.end
"""
        + END
    )
    for result in (
        playtest.random_runs(load(make_story(tmp_path, scenes)), 5),
        playtest.exhaustive(load(make_story(tmp_path, scenes))),
    ):
        assert [(t.scene, t.path) for t in result.stuck] == [("a.start", ["Knock."])]


def test_exhaustive_forgets_what_no_condition_ahead_reads(tmp_path: Path) -> None:
    # `laps` has no bounds and grows every lap, but only the first scene reads it: after that, states that
    # differ only in laps are one state, and the walk ends instead of running into its cap.
    scenes = (
        """\
- id: a.start
  title: Start
  date: 1917-02-23
  text: The track.
  choices:
    - text: Begin.
      if: laps == 0
      goto: a.round
- id: a.round
  title: Round
  date: 1917-02-23
  text: Round again.
  choices:
    - text: Another lap.
      add: {laps: 1}
      goto: a.round
    - text: Stop.
      goto: a.end
"""
        + END
    )
    result = playtest.exhaustive(
        load(make_story(tmp_path, scenes, VARIABLES + "  laps: {type: int, start: 0}\n"))
    )
    assert result.capped == [] and result.ok
    assert result.states == 3


_CONDITIONS = [
    "a >= 2",
    "a < 3",
    "3 > a",
    "a == 2",
    "a != 4",
    "b <= 0",
    "-1 < b",
    "a >= -3",
    "b < 7",
    "f",
    "not f and a > 1",
    "a + b >= 3",
    "a >= b",
    "visited('a.s3')",
    "k == 'x'",
]
_EFFECTS = [
    "add: {a: 1}",
    "add: {a: -1}",
    "add: {a: 2}",
    "set: {a: 3}",
    "add: {b: 1}",
    "add: {b: -2}",
    "set: {b: 0}",
    "set: {f: true}",
    "set: {f: false}",
    "set: {k: x}",
]


def _tangle(root: Path, seed: int) -> Path:
    """A small random story with loops, bounded ints read against constants (and not), bools, a str, sets and
    adds, on_enter, once-only choices, visited(), and calls to side scenes that return: the ground on which the walk's reductions are tested."""
    rnd = random.Random(seed)
    n = rnd.randint(5, 14)
    scenes = []
    for i in range(n):
        head = [
            f"- id: a.{'start' if i == 0 else f's{i}'}",
            f"  title: S{i}",
            "  date: 1917-03-01",
            "  text: T.",
        ]
        if i >= n - 2:
            scenes.append("\n".join(head + ["  ending: {title: End, epilogue: Done.}"]))
            continue
        if rnd.random() < 0.25:
            head.append(f"  on_enter: {{{rnd.choice(_EFFECTS)}}}")
        head.append("  choices:")
        for k in range(rnd.randint(1, 3)):
            head += [f"    - text: C{k}", f"      goto: a.s{rnd.randint(1, n - 1)}"]
            if rnd.random() < 0.6:
                head.append(f'      if: "{rnd.choice(_CONDITIONS)}"')
            if rnd.random() < 0.6:
                head.append(f"      {rnd.choice(_EFFECTS)}")
            if rnd.random() < 0.15:
                head.append("      once: true")
            if rnd.random() < 0.2:
                head.append(f"      call: a.side{rnd.randint(1, 2)}")
        scenes.append("\n".join(head))
    # Side scenes played by call: (a.side2 leads on to a.side1, whose return then goes back to side2's caller).
    for j, also in ((1, "      goto: return"), (2, "      goto: a.side1")):
        side = [f"- id: a.side{j}", f"  title: Side {j}", "  date: 1917-03-01", "  text: T.", "  choices:"]
        side += ["    - text: Back.", "      goto: return", f"      {rnd.choice(_EFFECTS)}"]
        side += [
            "    - text: On.",
            also,
            f'      if: "{rnd.choice(_CONDITIONS)}"',
            f"      {rnd.choice(_EFFECTS)}",
        ]
        scenes.append("\n".join(side))
    variables = (
        "  a: {type: int, start: 1, min: 0, max: 5}\n"
        "  b: {type: int, start: 0, min: -2, max: 3}\n"
        "  f: {type: bool, start: false}\n"
        '  k: {type: str, start: ""}\n'
    )
    return make_story(root, "\n".join(scenes) + "\n", variables)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 1_000_000))
def test_reduced_walk_finds_what_the_unreduced_walk_finds(tmp_path: Path, seed: int) -> None:
    """Merging states by live variables and value classes changes nothing a user reads: the same scenes reached,
    the same endings, the same stuck states and loops (scene and role) as a walk that keeps every state whole."""
    story = load(_tangle(tmp_path / f"s{seed}", seed))
    full = playtest.exhaustive(story, max_states=50_000, _reduce=False)
    assume(full.capped == [])
    reduced = playtest.exhaustive(story, max_states=50_000)
    assert reduced.capped == []
    assert reduced.reached == full.reached
    assert {e for e, n in reduced.endings.items() if n} == {e for e, n in full.endings.items() if n}
    assert [(t.scene, t.role) for t in reduced.stuck] == [(t.scene, t.role) for t in full.stuck]
    assert [(t.scene, t.role) for t in reduced.loops] == [(t.scene, t.role) for t in full.loops]
    assert reduced.states <= full.states


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 1_000_000))
def test_a_focused_walk_settles_what_a_whole_walk_settles(tmp_path: Path, seed: int) -> None:
    """The focused walk behind the report's `rare` list takes the states nearest the conditions it looks for
    first and stops once each has come out both ways: it settles exactly the conditions a whole breadth-first
    walk sees both ways."""
    story = load(_tangle(tmp_path / f"s{seed}", seed))
    whole = playtest._Walk(story)
    for role in story.roles:
        whole.run(role, 50_000, playtest._frame(story, [role], "exhaustive", 0), {})
    keys = {m.key for sid in story.scenes for m in whole.book.plan(sid).moves if m.test is not None}
    true: set[str] = set(keys)  # as if the runs saw every condition come out true only
    settled = playtest._settle(story, list(story.roles), true, set())
    assert settled == {k for k in keys if k in whole.book.true and k in whole.book.false}


def test_exhaustive_keeps_an_int_only_as_the_class_its_comparisons_see(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Waiting raises `trust` from 0 to 10, but the only comparison ahead is `trust >= 3`: at the square the walk
    # keeps trust as 0, 1, 2 (the waits still needed) or 3-10, 4 states where a walk keeping it whole has 11; at
    # the end nothing is read, so the 8 ways of arriving there are one state.
    scenes = (
        """\
- id: a.start
  title: Square
  date: 1917-02-23
  text: "You have waited {trust} hours."
  choices:
    - text: Wait an hour.
      add: {trust: 1}
      goto: a.start
    - text: Go in.
      if: trust >= 3
      goto: a.end
"""
        + END
    )
    root = make_story(tmp_path, scenes, "  trust: {type: int, start: 0, min: 0, max: 10}\n")
    story = load(root)
    assert playtest.exhaustive(story, _reduce=False).states == 11 + 8  # the end with each of trust 3-10
    assert cli.main(["playtest", "--story", str(root), "--exhaustive", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["states"] == 4 + 1 and data["capped"] == [] and data["endings"] == {"a.end": 1}
    assert data["roles"]["a"]["states"] == 5
    assert data["reduction"]["variables"] == 1 and data["reduction"]["int_values"] == 11
    assert data["reduction"]["int_values_kept_max"] == 4
    assert cli.main(["playtest", "--story", str(root), "--exhaustive"]) == 0
    out = capsys.readouterr().out
    assert "Playtest: exhaustive, 5 distinct states" in out
    assert "state reduction: a state keeps at most 1 of 1 variables" in out
    assert "No stuck states or endless loops found." in out


def test_exhaustive_set_ends_what_came_before(tmp_path: Path) -> None:
    # `mood` is read at the gate, but every way there sets it first: the counter it held before is dead, so
    # the many ways of raising it in the yard are one state.
    scenes = (
        """\
- id: a.start
  title: Yard
  date: 1917-02-23
  text: The yard.
  choices:
    - text: Shout.
      add: {mood: 1}
      goto: a.start
    - text: Leave.
      set: {mood: 0}
      goto: a.gate
- id: a.gate
  title: Gate
  date: 1917-02-23
  text: The gate.
  choices:
    - text: Through.
      if: mood == 0
      goto: a.end
"""
        + END
    )
    story = load(make_story(tmp_path, scenes, "  mood: {type: int, start: 0, min: 0, max: 50}\n"))
    full = playtest.exhaustive(story, _reduce=False)
    reduced = playtest.exhaustive(story)
    assert (full.states, reduced.states) == (51 + 1 + 1, 1 + 1 + 1)
    assert reduced.ok and full.ok and reduced.reached == full.reached


# --- gates: --strict, choices never taken, conditions that never vary ---------------------------------

GATED = (
    """\
- id: a.start
  title: Start
  date: 1917-02-23
  text:
    - You stand in the yard.
    - if: bread >= 0
      text: Bread is bread.
  choices:
    - text: Sell the coat.
      set: {sold: true}
      goto: a.hall
    - text: Keep the coat.
      goto: a.hall
- id: a.hall
  title: Hall
  date: 1917-02-24
  text:
    - The hall is cold.
    - if: sold
      text: You sold it already.
  choices:
    - text: Buy a feast.
      if: bread >= 3
      show_locked: true
      goto: a.feast
    - text: Go home.
      if: bread <= 2
      goto: a.end
    - text: Boast of the sale.
      if: sold
      goto: a.end
- id: a.feast
  title: Feast
  date: 1917-02-25
  text: A feast.
  ending: {title: The Feast, epilogue: Too much.}
"""
    + END
)


@pytest.mark.parametrize("mode", [["--runs", "20"], ["--exhaustive"]], ids=["random", "exhaustive"])
def test_strict_fails_on_what_is_never_reached(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: list[str]
) -> None:
    root = make_story(tmp_path / "s", GATED)
    assert cli.main(["playtest", "--story", str(root), *mode]) == 0
    capsys.readouterr()
    assert cli.main(["playtest", "--story", str(root), "--strict", *mode]) == 1
    out = capsys.readouterr().out
    assert "Scenes never reached (1):\n  scenes/a.yaml:33: a.feast (ending)\n" in out
    assert "Strict: 1 scene or ending never reached" in out
    assert cli.main(["playtest", "--story", str(MINI), "--strict", "--runs", "40"]) == 0


@pytest.mark.parametrize("mode", [["--runs", "20"], ["--exhaustive"]], ids=["random", "exhaustive"])
def test_choices_never_taken_and_conditions_that_never_vary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: list[str]
) -> None:
    root = make_story(tmp_path / "s", GATED)
    assert cli.main(["playtest", "--story", str(root), "--format", "json", *mode]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["choices"] == {
        "total": 5,
        "taken": 4,
        "never_taken": [{"where": "scenes/a.yaml:23", "scene": "a.hall", "text": "Buy a feast."}],
    }
    never_true = [{"where": "scenes/a.yaml:24", "if": "bread >= 3"}]
    never_false = [{"where": "scenes/a.yaml:28", "if": "bread <= 2"}]
    if mode[0] == "--runs":  # paragraphs are read on random runs; the walk follows choices only
        never_false.insert(0, {"where": "scenes/a.yaml:7", "if": "bread >= 0"})
    # `sold` varies (set by one choice, not by the other): neither list has it, in a paragraph or a choice
    assert data["conditions"] == {"never_true": never_true, "never_false": never_false, "rare": []}
    assert data["unreached"] == [{"scene": "a.feast", "where": "scenes/a.yaml:33"}]
    assert cli.main(["playtest", "--story", str(root), *mode]) == 0
    out = capsys.readouterr().out
    assert "Choices taken: 4/5 (80%)" in out
    assert 'Choices never taken (1):\n  scenes/a.yaml:23: a.hall: "Buy a feast."\n' in out
    assert "Conditions never true (1):\n  scenes/a.yaml:24: if: bread >= 3\n" in out
    assert "  scenes/a.yaml:28: if: bread <= 2\n" in out


def test_counting_conditions_changes_no_run(tmp_path: Path) -> None:
    story = load(make_story(tmp_path / "s", GATED))
    a = playtest.random_runs(story, 30, seed=3, keep_runs=True)
    b = playtest.random_runs(story, 30, seed=3, keep_runs=True)
    assert [r.path for r in a.played] == [r.path for r in b.played]
    # every run is a path the runtime itself allows, taking each choice by its number on screen
    for run in a.played:
        game = runtime.new_game(story, run.role)
        for scene, index in run.path:
            assert game.scene == scene
            runtime.choose(story, game, _number_of(story, game, index))
        assert game.scene == run.state.scene


@pytest.mark.parametrize("root", ["tests/data/language", "story"])
def test_words_counted_are_the_words_the_player_reads(root: str) -> None:
    """The playtest's word counts (with their tables and memory of filled-in texts) equal the words of the
    paragraphs the game shows, scene after scene, on random walks through a story full of inline markup."""
    story = load(Path(__file__).resolve().parent.parent / root)
    book = playtest._Counting(story)
    words = playtest._Words(story, book)
    rng = random.Random(3)
    for role in story.roles:
        for _ in range(40):
            state = runtime.new_game(story, role)
            plan = book.plan(state.scene)
            for _step in range(60):
                shown = sum(runtime.words(t) for t in runtime.paragraphs(story, state))
                if plan.scene.ending is not None:
                    shown += runtime.words(plan.scene.ending.epilogue)
                assert words.scene(state, plan) == shown, state.scene
                moves = book.open_moves(state, plan)
                if plan.ending or not moves:
                    break
                pick = moves[rng.randrange(len(moves))]
                if pick.branches:
                    goto, _ = book.resolve(state, pick)
                    plan = book.enter(state, goto)
                else:
                    plan = book.advance(state, pick)


@pytest.mark.parametrize("root", ["tests/data/language", "story"])
def test_a_runs_words_are_the_words_the_game_shows_on_its_path(root: str) -> None:
    """A whole run's words, as the playtest's hot loop counts them (scenes, choice texts, responses after the
    choice's effects, a chance outcome's own response), equal what the game shows when its path is played
    again by runtime.take, the way a player takes it."""
    story = load(Path(__file__).resolve().parent.parent / root)
    book = playtest._Counting(story)
    words = playtest._Words(story, book)
    chance = any(c.chance for sc in story.scenes.values() for c in sc.choices)
    tallies: dict[str, list[int]] = {}

    def shown(game: runtime.GameState) -> int:
        here = story.scenes[game.scene]
        epilogue = runtime.words(here.ending.epilogue) if here.ending is not None else 0
        return sum(runtime.words(t) for t in runtime.paragraphs(story, game)) + epilogue

    for role in story.roles:
        start = runtime.new_game(story, role)
        for n in range(40):
            rng = random.Random(n)
            draws = random.Random()
            draws.setstate(rng.getstate())
            _outcome, final, path, read = playtest._play(story, book, words, start, tallies, rng, 300, chance)
            game = runtime.new_game(story, role)
            if chance:  # the run's own random state, as _play seeds it
                game.rng = seed_rng(draws.getrandbits(32))
            seen = shown(game)
            for move, scene, _branch in path:
                assert game.scene == scene
                runtime.take(story, game, move.choice)
                step = game.history[-1]
                seen += runtime.words(step.text) + runtime.words(step.response) + shown(game)
            assert game.scene == final.scene
            assert read == seen, (role, n)


def test_random_runs_in_two_processes_give_what_one_process_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Streams of runs are played apart (their own counts and draws), so a second process playing some of them
    changes nothing in the result, byte for byte."""
    story = load(Path(__file__).resolve().parent.parent / "story")
    monkeypatch.setattr(playtest, "PARALLEL_RUNS", 1)
    monkeypatch.delenv("DUALPOWER_ONE_PROCESS", raising=False)
    streams = playtest._streams(list(story.roles), 300, 5)
    assert len(streams) == 6  # each role's runs in two streams, so three roles share two processes evenly
    assert playtest._in_parallel(streams, 300)
    assert sorted(len(g) for g in playtest._halves(story, streams)) == [3, 3]
    assert sorted(n for st in streams for n in st.runs) == list(range(300))
    two = playtest.random_runs(story, runs=300, seed=5, keep_runs=True)
    monkeypatch.setenv("DUALPOWER_ONE_PROCESS", "1")
    one = playtest.random_runs(story, runs=300, seed=5, keep_runs=True)
    assert json.dumps(two.to_dict(), sort_keys=True) == json.dumps(one.to_dict(), sort_keys=True)
    assert [(r.role, r.path) for r in two.played] == [(r.role, r.path) for r in one.played]
    assert [r.role for r in one.played[:6]] == [*story.roles, *story.roles]  # round-robin order kept


def test_a_condition_the_runs_saw_one_way_is_looked_for_the_other_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three coins in a row; the end scene's paragraph needs all three heads (one path in eight), another needs
    bread above its maximum (never). A few runs miss the first: the focused walk finds it, so the report calls it
    rare; the second stays never true."""
    coins = "".join(
        f"""\
- id: a.{name}
  title: Coin {n}
  date: 1917-02-23
  text: A coin.
  choices:
    - text: Heads.
      add: {{bread: 1}}
      goto: a.{after}
    - text: Tails.
      goto: a.{after}
"""
        for n, (name, after) in enumerate([("start", "two"), ("two", "three"), ("three", "end")])
    )
    end = """\
- id: a.end
  title: End
  date: 1917-02-25
  text:
    - The end.
    - if: bread >= 3 and sold == false and visits('a.two') == 1
      text: Three heads.
    - if: bread > 3
      text: More bread than there can be.
  ending: {title: The End, epilogue: It ended.}
"""
    variables = "  bread: {type: int, start: 0, min: 0, max: 3}\n  sold: {type: bool, start: false}\n"
    story = load(make_story(tmp_path, coins + end, variables))
    monkeypatch.setattr(
        playtest, "WANDER", 0.0
    )  # so the second run takes the coin the first did not, each time
    few = playtest.random_runs(story, runs=2, seed=1)  # no three heads
    assert [s.text for s in few.never_true] == [
        "bread >= 3 and sold == false and visits('a.two') == 1",
        "bread > 3",
    ]
    assert few.rare == []
    settled = playtest.random_runs(story, runs=2, seed=1, settle=True)
    assert [s.text for s in settled.rare] == ["bread >= 3 and sold == false and visits('a.two') == 1"]
    assert [s.text for s in settled.never_true] == ["bread > 3"]
    assert settled.to_dict()["conditions"]["rare"][0]["if"].startswith("bread >= 3")


def test_the_median_of_words_read_is_statistics_median_rounded_down() -> None:
    import statistics

    rng = random.Random(7)
    for _ in range(500):
        words = [rng.randrange(0, 60_000) for _ in range(rng.randrange(1, 30))]
        assert playtest.median(words) == int(statistics.median(words))

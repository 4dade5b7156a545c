"""Property tests: the parser, save round trips and the loader never fail in a way a user would see."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import expr, loader, runtime
from engine.saves import Saves
from engine.state import GameState
from tests.conftest import MINI

TYPES = {"a": "int", "b": "int", "p": "bool", "q": "bool", "s": "str", "role": "str"}
VALUES = {"a": 3, "b": -2, "p": True, "q": False, "s": "x"}

# --- the expression language ---------------------------------------------------------------------

names_int = st.sampled_from(["a", "b"]).map(expr.Name)
names_bool = st.sampled_from(["p", "q"]).map(expr.Name)
ints = st.integers(0, 10**6).map(expr.Num)

int_expr = st.recursive(
    ints | names_int,
    lambda inner: (
        st.builds(expr.Binary, st.sampled_from(["+", "-", "*"]), inner, inner)
        | st.builds(expr.Unary, st.just("-"), inner)
    ),
    max_leaves=12,
)
bool_expr = st.recursive(
    names_bool
    | st.booleans().map(expr.Bool)
    | st.builds(expr.Binary, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), int_expr, int_expr)
    | st.builds(expr.Call, st.just("visited"), st.just((expr.Str("x.y"),))),
    lambda inner: (
        st.builds(expr.Binary, st.sampled_from(["and", "or"]), inner, inner)
        | st.builds(expr.Unary, st.just("not"), inner)
    ),
    max_leaves=12,
)


@given(bool_expr)
def test_printing_and_reparsing_gives_the_same_tree(tree: expr.Node) -> None:
    text = expr.unparse(tree)
    try:
        again = expr.parse(text)
    except expr.ExprError as exc:  # only the documented limits may refuse a generated tree
        assert "too long" in exc.message or "nested too deeply" in exc.message
        return
    assert expr.strip_cols(again) == expr.strip_cols(tree)
    assert expr.check(again, TYPES) == "bool"
    expr.evaluate(again, VALUES, {"x.y": 1})


@given(st.text(max_size=80))
def test_parse_and_check_raise_only_our_error(text: str) -> None:
    try:
        tree = expr.parse(text)
        expr.check(tree, TYPES)
    except expr.ExprError as exc:
        assert 1 <= exc.col <= len(text) + 1
        return
    expr.evaluate(tree, VALUES, {})


@given(
    st.lists(
        st.sampled_from(
            [
                "a",
                "b",
                "p",
                "1",
                "'s'",
                "(",
                ")",
                "and",
                "or",
                "not",
                "==",
                "<",
                "+",
                "*",
                "-",
                "visited('x')",
                "true",
                ",",
                "s",
            ]
        ),
        max_size=25,
    )
)
def test_token_soup_raises_only_our_error(tokens: list[str]) -> None:
    test_parse_and_check_raise_only_our_error.hypothesis.inner_test(" ".join(tokens))  # type: ignore[attr-defined]


# --- saves: any reachable state saves and loads to an equal state ----------------------------------

STORY = loader.load_or_raise(MINI)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
@given(st.sampled_from(sorted(STORY.roles)), st.lists(st.integers(1, 4), max_size=30))
def test_any_reachable_state_round_trips(tmp_path: Path, role: str, picks: list[int]) -> None:
    state = runtime.new_game(STORY, role)
    for pick in picks:
        if runtime.is_ending(STORY, state):
            break
        opts = [o for o in runtime.options(STORY, state) if o.open]
        runtime.choose(STORY, state, opts[(pick - 1) % len(opts)].number)
    saves = Saves(tmp_path / "saves")
    saves.save("p", STORY, state)
    loaded, _ = saves.load("p", STORY)
    assert loaded == state
    assert GameState.from_dict(state.to_dict()) == state
    if state.history:
        replayed = runtime.replay(STORY, role, state.start, state.initial, state.history)
        assert replayed == state


# --- the loader on mutated story files -------------------------------------------------------------

SOURCE = (MINI / "scenes" / "baker.yaml").read_text()


def mutate(text: str, rng: random.Random) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        i = rng.randrange(len(chars))
        action = rng.randrange(4)
        if action == 0:
            del chars[i]
        elif action == 1:
            chars.insert(i, rng.choice(":-[]{}&*!|>'\"\n #%@`\t\\0x"))
        elif action == 2:
            j = rng.randrange(len(chars))
            chars[i], chars[j] = chars[j], chars[i]
        else:
            chars[i:i] = list(rng.choice(["goto: ", "if: ", "once: true", "{gold}", "- ", "  ", "!!str "]))
    return "".join(chars)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=120, deadline=None)
@given(st.integers(0, 2**32))
def test_mutated_story_files_give_diagnostics_not_exceptions(tmp_path: Path, seed: int) -> None:
    root = tmp_path / f"s{seed}"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(MINI, root)
    (root / "scenes" / "baker.yaml").write_text(mutate(SOURCE, random.Random(seed)))
    story, diags = loader.load(root)
    if story is None:
        assert any(d.severity == "error" for d in diags)
        for d in diags:
            assert d.line >= 1 and d.col >= 1 and d.message
    else:
        # what loads must play: start each role and list its choices
        for role in story.roles:
            state = runtime.new_game(story, role)
            runtime.options(story, state)
            runtime.paragraphs(story, state)


@given(st.binary(max_size=300))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=60)
def test_random_bytes_as_a_scene_file(tmp_path: Path, data: bytes) -> None:
    root = tmp_path / "r"
    if not root.exists():
        shutil.copytree(MINI, root)
    (root / "scenes" / "junk.yaml").write_bytes(data)
    loader.load(root)  # must not raise


@pytest.mark.slow
@settings(max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.integers(0, 2**32))
def test_long_fuzz_of_mutated_files(tmp_path: Path, seed: int) -> None:
    test_mutated_story_files_give_diagnostics_not_exceptions.hypothesis.inner_test(tmp_path, seed)  # type: ignore[attr-defined]

from __future__ import annotations

import pytest

from engine import expr
from engine.expr import Binary, ExprError, Name, Num

TYPES = {"bread": "int", "trust": "int", "marched": "bool", "arrested": "bool", "who": "str", "role": "str"}


def ev(text: str, **vars: object) -> object:
    base = {"bread": 2, "trust": 0, "marched": False, "arrested": False, "who": "Anna"}
    base.update(vars)
    tree = expr.parse(text)
    expr.check(tree, TYPES)
    return expr.evaluate(tree, base, {"x.y": 1}, role="worker")


def test_precedence_multiplication_before_addition() -> None:
    assert ev("1 + 2 * 3 == 7") is True
    assert ev("(1 + 2) * 3 == 9") is True


def test_precedence_and_before_or() -> None:
    # true or (false and false) is true; (true or false) and false would be false
    assert ev("bread == 2 or marched and arrested") is True


def test_not_binds_looser_than_comparison() -> None:
    assert ev("not bread > 5") is True
    assert expr.strip_cols(expr.parse("not bread > 5")) == expr.strip_cols(expr.parse("not (bread > 5)"))


def test_subtraction_is_left_associative() -> None:
    assert ev("10 - 3 - 2 == 5") is True


def test_role_and_visited() -> None:
    assert ev("role == 'worker' and visited('x.y') and not visited('nope')") is True
    assert ev("visits('x.y') == 1") is True


def test_strings_compare() -> None:
    assert ev('who == "Anna"') is True


@pytest.mark.parametrize(
    ("text", "col", "words"),
    [
        ("bread >", 8, "expected a value"),
        ("bread = 2", 7, "'=='"),
        ("(bread > 1", 11, "expected ')'"),
        ("bread > 1 &&", 11, "and"),
        ("'open", 1, "unterminated"),
        ("1 < bread < 3", 11, "chained"),
        ("", 1, "empty"),
        ("bread 2", 7, "unexpected"),
    ],
)
def test_syntax_errors_point_at_the_column(text: str, col: int, words: str) -> None:
    with pytest.raises(ExprError) as info:
        expr.parse(text)
    assert info.value.col == col
    assert words in info.value.message


@pytest.mark.parametrize(
    ("text", "words", "col"),
    [
        ("marched > 1", "works on numbers", 9),
        ("marched == 1", "cannot compare true/false with a number", 9),
        ("bread and marched", "joins true/false", 1),
        ("breed > 1", "did you mean bread", 1),
        ("nosuch('x')", "unknown function", 1),
        ("visited(3)", "one scene id", 1),
        ("not bread", "needs true/false", 1),
    ],
)
def test_type_errors(text: str, words: str, col: int) -> None:
    with pytest.raises(ExprError) as info:
        expr.check(expr.parse(text), TYPES)
    assert words in info.value.message
    assert info.value.col == col


def test_unparse_round_trips() -> None:
    for text in [
        "a - (b - c)",
        "not (a and b)",
        "(a or b) and c",
        "-(1 + 2) * 3",
        "visited('x') or not b",
        "a + b == c * 2",
    ]:
        tree = expr.parse(text)
        assert expr.strip_cols(expr.parse(expr.unparse(tree))) == expr.strip_cols(tree)
    assert expr.unparse(Binary("-", Num(1), Binary("-", Num(2), Num(3)))) == "1 - (2 - 3)"


def test_names_lists_variables_read() -> None:
    assert expr.names(expr.parse("bread > 1 and not marched or visited('a')")) == {"bread", "marched"}
    assert expr.strip_cols(expr.parse("x")) == Name("x")


def test_explain_in_words() -> None:
    def label(n: str) -> str:
        return {"trust": "Trust in the Soviet"}.get(n, n)

    text = expr.explain(expr.parse("trust >= 2 and not visited('a.b')"), label, lambda s: "The March")
    assert text == "Trust in the Soviet at least 2 and not having been at ‘The March’"
    assert expr.explain(expr.parse("3 < trust"), label, str) == "Trust in the Soviet more than 3"


def test_limits() -> None:
    with pytest.raises(ExprError, match="too long"):
        expr.parse("1 + " * 1000 + "1")
    with pytest.raises(ExprError, match="nested too deeply"):
        expr.parse("(" * 150 + "1" + ")" * 150)
    with pytest.raises(ExprError, match="too large"):
        expr.parse("99999999999999999999")


def test_long_chains_are_refused_not_a_crash() -> None:
    with pytest.raises(ExprError, match="nested too deeply"):
        expr.parse("a" + "+1" * 490 + " >= 2")
    with pytest.raises(ExprError, match="nested too deeply"):
        expr.parse(" and ".join(["p"] * 300))
    tree = expr.parse(" or ".join(["marched"] * 50))  # ordinary long conditions still parse
    assert expr.check(tree, TYPES) == "bool"


def _reference(node: expr.Node, vars: dict[str, object]) -> object:
    """A plain tree walk, written apart from compile_node's closures, to hold them to."""
    import operator

    ops = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le, ">": operator.gt}
    ops.update({">=": operator.ge, "+": operator.add, "-": operator.sub, "*": operator.mul})
    if isinstance(node, (expr.Num, expr.Str, expr.Bool)):
        return node.value
    if isinstance(node, Name):
        return "worker" if node.name == "role" else vars[node.name]
    if isinstance(node, expr.Unary):
        inner = _reference(node.operand, vars)
        return (not inner) if node.op == "not" else -inner  # type: ignore[operator]
    assert isinstance(node, Binary)
    left = _reference(node.left, vars)
    if node.op == "and":
        return left and _reference(node.right, vars)
    if node.op == "or":
        return left or _reference(node.right, vars)
    return ops[node.op](left, _reference(node.right, vars))


@pytest.mark.parametrize("op", ["==", "!=", "<", "<=", ">", ">="])
def test_compiled_conditions_agree_with_a_plain_tree_walk(op: str) -> None:
    """`name <op> constant` and `not name` are compiled to one closure each (the commonest conditions, on the
    playtest's hot path); they, and the general forms around them, give what a plain tree walk gives."""
    texts = [f"bread {op} 2", f"2 {op} bread", f"bread + 1 {op} trust", "not marched", "not role == 'worker'"]
    texts.append(f"not marched and bread {op} 1 or arrested")
    if op in ("==", "!="):  # strings and booleans are only compared for (in)equality: the checker says so
        texts += [f"who {op} 'Anna'", f"who {op} 'Boris'", f"marched {op} true", f"role {op} 'worker'"]
    for text in texts:
        tree = expr.parse(text)
        expr.check(tree, TYPES)
        for bread in (0, 1, 2, 3):
            for marched in (False, True):
                vars = {"bread": bread, "trust": 1, "marched": marched, "arrested": False, "who": "Anna"}
                got = expr.evaluate(tree, vars, {}, role="worker")
                assert got == _reference(tree, vars), (text, vars)

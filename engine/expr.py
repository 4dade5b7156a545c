"""The condition language: tokenizer, recursive-descent parser, type check, compiler, printer. No eval().

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum (("==" | "!=" | "<" | "<=" | ">" | ">=") sum)?
    sum     := product (("+" | "-") product)*
    product := unary ("*" unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | "true" | "false" | NAME | NAME "(" [expr ("," expr)*] ")" | "(" expr ")"
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.text import InlineError, inline, placeholder_names

MAX_LENGTH = 2000
MAX_DEPTH = 100
MAX_INT = 10**12

Compiled = Callable[[Any], Any]


class ExprError(Exception):
    """A condition that cannot be parsed or does not type-check; `col` is 1-based within the text."""

    def __init__(self, message: str, col: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.col = col


@dataclass(frozen=True, slots=True)
class Num:
    value: int
    col: int = 1


@dataclass(frozen=True, slots=True)
class Str:
    value: str
    col: int = 1


@dataclass(frozen=True, slots=True)
class Bool:
    value: bool
    col: int = 1


@dataclass(frozen=True, slots=True)
class Name:
    name: str
    col: int = 1


@dataclass(frozen=True, slots=True)
class Call:
    func: str
    args: tuple[Node, ...]
    col: int = 1


@dataclass(frozen=True, slots=True)
class Unary:
    op: str
    operand: Node
    col: int = 1


@dataclass(frozen=True, slots=True)
class Binary:
    op: str
    left: Node
    right: Node
    col: int = 1


Node = Num | Str | Bool | Name | Call | Unary | Binary

KEYWORDS = {"and", "or", "not", "true", "false"}
COMPARISONS = ("==", "!=", "<=", ">=", "<", ">")
FUNCTIONS = {"visited": "bool", "visits": "int", "min": "int", "max": "int"}
"""Built-in functions with their result types: visited()/visits() take one scene id string, min()/max() two
numbers or more."""
NUMBER_FUNCTIONS = ("min", "max")

_TOKEN = re.compile(
    r"""(?P<ws>[ \t\r\n]+)
      | (?P<num>[0-9]+)
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<str>'[^'\n]*'|"[^"\n]*")
      | (?P<op>==|!=|<=|>=|<|>|\+|-|\*|\(|\)|,)""",
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    """'num', 'name', 'str', 'op', 'kw' or 'end'."""
    text: str
    col: int


def tokenize(text: str) -> list[Token]:
    if len(text) > MAX_LENGTH:
        raise ExprError(f"condition is too long ({len(text)} characters; at most {MAX_LENGTH})", 1)
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            if ch in "'\"":
                raise ExprError(f"unterminated string: close it with {ch}", pos + 1)
            if ch == ".":
                raise ExprError(
                    "unexpected '.': a scene id goes in quotes, as visited('worker.feb.march')", pos + 1
                )
            if ch == "=":
                raise ExprError("unexpected '=': write '==' to compare", pos + 1)
            if ch == "&" or ch == "|" or ch == "!":
                raise ExprError(f"unexpected {ch!r}: write 'and', 'or', 'not'", pos + 1)
            raise ExprError(f"unexpected character {ch!r}", pos + 1)
        kind = m.lastgroup or ""
        if kind != "ws":
            word = m.group()
            if kind == "name" and word in KEYWORDS:
                kind = "kw"
            tokens.append(Token(kind, word, pos + 1))
        pos = m.end()
    tokens.append(Token("end", "", len(text) + 1))
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def take(self) -> Token:
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def at(self, kind: str, *texts: str) -> bool:
        tok = self.tok
        return tok.kind == kind and (not texts or tok.text in texts)

    def expect(self, kind: str, text: str) -> Token:
        if not self.at(kind, text):
            raise ExprError(f"expected {text!r} but found {_describe(self.tok)}", self.tok.col)
        return self.take()

    def parse(self) -> Node:
        if self.at("end"):
            raise ExprError("empty condition", 1)
        node = self.or_()
        if not self.at("end"):
            raise ExprError(f"unexpected {_describe(self.tok)}", self.tok.col)
        return node

    def _nest(self) -> int:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"condition is nested too deeply (more than {MAX_DEPTH} levels)", self.tok.col)
        return 1

    # A chain `a + b + c ...` makes a tree as deep as it is long: each operator counts as a level of nesting,
    # so the tree walkers (check, compile, print) never recurse past MAX_DEPTH.

    def or_(self) -> Node:
        node, levels = self.and_(), 0
        while self.at("kw", "or"):
            tok = self.take()
            levels += self._nest()
            node = Binary("or", node, self.and_(), tok.col)
        self.depth -= levels
        return node

    def and_(self) -> Node:
        node, levels = self.not_(), 0
        while self.at("kw", "and"):
            tok = self.take()
            levels += self._nest()
            node = Binary("and", node, self.not_(), tok.col)
        self.depth -= levels
        return node

    def not_(self) -> Node:
        if self.at("kw", "not"):
            tok = self.take()
            self._nest()
            node = Unary("not", self.not_(), tok.col)
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        node = self.sum()
        if self.at("op", *COMPARISONS):
            tok = self.take()
            node = Binary(tok.text, node, self.sum(), tok.col)
            if self.at("op", *COMPARISONS):
                raise ExprError("comparisons cannot be chained: join them with 'and'", self.tok.col)
        return node

    def sum(self) -> Node:
        node, levels = self.product(), 0
        while self.at("op", "+", "-"):
            tok = self.take()
            levels += self._nest()
            node = Binary(tok.text, node, self.product(), tok.col)
        self.depth -= levels
        return node

    def product(self) -> Node:
        node, levels = self.unary(), 0
        while self.at("op", "*"):
            tok = self.take()
            levels += self._nest()
            node = Binary("*", node, self.unary(), tok.col)
        self.depth -= levels
        return node

    def unary(self) -> Node:
        if self.at("op", "-"):
            tok = self.take()
            self._nest()
            node = Unary("-", self.unary(), tok.col)
            self.depth -= 1
            return node
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "num":
            self.take()
            value = int(tok.text)
            if value > MAX_INT:
                raise ExprError(f"number {tok.text} is too large", tok.col)
            return Num(value, tok.col)
        if tok.kind == "str":
            self.take()
            return Str(tok.text[1:-1], tok.col)
        if tok.kind == "kw" and tok.text in ("true", "false"):
            self.take()
            return Bool(tok.text == "true", tok.col)
        if tok.kind == "name":
            self.take()
            if self.at("op", "("):
                self.take()
                args: list[Node] = []
                if not self.at("op", ")"):
                    self._nest()
                    args.append(self.or_())
                    while self.at("op", ","):
                        self.take()
                        args.append(self.or_())
                    self.depth -= 1
                self.expect("op", ")")
                return Call(tok.text, tuple(args), tok.col)
            return Name(tok.text, tok.col)
        if tok.kind == "op" and tok.text == "(":
            self.take()
            self._nest()
            node = self.or_()
            self.depth -= 1
            self.expect("op", ")")
            return node
        raise ExprError(f"expected a value but found {_describe(tok)}", tok.col)


def _describe(tok: Token) -> str:
    return "the end of the condition" if tok.kind == "end" else repr(tok.text)


def parse(text: str) -> Node:
    """Parse a condition into its syntax tree; raise ExprError with the column of the problem."""
    return _Parser(text).parse()


# --- static check -------------------------------------------------------------------------------


def check(node: Node, types: Mapping[str, str], scene_ids: Callable[[str], bool] | None = None) -> str:
    """Return the type of `node` ('int', 'bool' or 'str'); raise ExprError on unknown names or mixed types.

    `types` maps every declared variable (and `role`) to its type; `scene_ids`, when given, says whether a
    scene id named in visited()/visits() exists.
    """
    if isinstance(node, Num):
        return "int"
    if isinstance(node, Str):
        return "str"
    if isinstance(node, Bool):
        return "bool"
    if isinstance(node, Name):
        if node.name not in types:
            raise ExprError(_unknown(node.name, types), node.col)
        return types[node.name]
    if isinstance(node, Call):
        if node.func not in FUNCTIONS:
            raise ExprError(
                f"unknown function {node.func!r}: use {', '.join(sorted(FUNCTIONS)[:-1])} or {sorted(FUNCTIONS)[-1]}",
                node.col,
            )
        if node.func in NUMBER_FUNCTIONS:
            if len(node.args) < 2:
                raise ExprError(
                    f"{node.func}() takes two numbers or more, as {node.func}(bread, 3)", node.col
                )
            for arg in node.args:
                kind = check(arg, types, scene_ids)
                if kind != "int":
                    raise ExprError(f"{node.func}() works on numbers but this is {_a(kind)}", _col(arg))
            return "int"
        if len(node.args) != 1 or not isinstance(node.args[0], Str):
            raise ExprError(
                f"{node.func}() takes one scene id in quotes, as {node.func}('worker.feb.march')", node.col
            )
        target = node.args[0].value
        if scene_ids is not None and not scene_ids(target):
            raise ExprError(f"{node.func}() names an unknown scene {target!r}", node.args[0].col)
        return FUNCTIONS[node.func]
    if isinstance(node, Unary):
        inner = check(node.operand, types, scene_ids)
        want = "bool" if node.op == "not" else "int"
        if inner != want:
            raise ExprError(f"'{node.op}' needs {_a(want)} but this is {_a(inner)}", node.col)
        return want
    left = check(node.left, types, scene_ids)
    right = check(node.right, types, scene_ids)
    op = node.op
    if op in ("and", "or"):
        for side, kind in ((node.left, left), (node.right, right)):
            if kind != "bool":
                raise ExprError(f"'{op}' joins true/false tests but this side is {_a(kind)}", _col(side))
        return "bool"
    if op in ("==", "!="):
        if left != right:
            raise ExprError(f"cannot compare {_a(left)} with {_a(right)}", node.col)
        return "bool"
    if left != "int" or right != "int":
        bad = left if left != "int" else right
        raise ExprError(f"'{op}' works on numbers but one side is {_a(bad)}", node.col)
    return "bool" if op in COMPARISONS else "int"


def _a(kind: str) -> str:
    return {"int": "a number", "bool": "true/false", "str": "a string"}.get(kind, kind)


def _col(node: Node) -> int:
    if isinstance(node, Binary):
        return _col(node.left)
    return node.col


def _unknown(name: str, types: Mapping[str, str]) -> str:
    import difflib

    msg = f"unknown name {name!r}: declare it under variables: in story.yaml"
    close = difflib.get_close_matches(name, list(types), n=1)
    if close:
        msg += f" (did you mean {close[0]}?)"
    return msg


def names(node: Node) -> set[str]:
    """Every variable name the condition reads."""
    if isinstance(node, Name):
        return {node.name}
    if isinstance(node, Call):
        return set().union(*(names(a) for a in node.args)) if node.func in NUMBER_FUNCTIONS else set()
    if isinstance(node, Unary):
        return names(node.operand)
    if isinstance(node, Binary):
        return names(node.left) | names(node.right)
    return set()


def name_nodes(node: Node) -> list[Name]:
    """Every Name in the tree, with its column."""
    if isinstance(node, Name):
        return [node]
    if isinstance(node, Call) and node.func in NUMBER_FUNCTIONS:
        return [n for a in node.args for n in name_nodes(a)]
    if isinstance(node, Unary):
        return name_nodes(node.operand)
    if isinstance(node, Binary):
        return name_nodes(node.left) + name_nodes(node.right)
    return []


def calls(node: Node) -> list[Call]:
    """Every visited()/visits() call in the condition (the calls that name a scene)."""
    if isinstance(node, Call):
        if node.func in NUMBER_FUNCTIONS:
            return [c for a in node.args for c in calls(a)]
        return [node]
    if isinstance(node, Unary):
        return calls(node.operand)
    if isinstance(node, Binary):
        return calls(node.left) + calls(node.right)
    return []


def scene_named(call: Call) -> str | None:
    """The scene a visited()/visits() call names (its one text argument), or None when it names none so."""
    arg = call.args[0] if call.args else None
    return arg.value if isinstance(arg, Str) else None


# --- compile ------------------------------------------------------------------------------------

_BINOPS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
}


@dataclass(frozen=True, slots=True)
class TextReads:
    """What filling in a text reads (runtime.interpolate): its `{name}` placeholders and the variables of its
    inline conditions, the scenes those conditions ask visited()/visits() of, and whether its `{seq}`/`{cycle}`
    count the visits of the scene it is shown in."""

    names: frozenset[str]
    scenes: frozenset[str]
    counts: bool
    whole: bool
    """False when some markup or condition could not be read, or a scene is named by a computed value: then
    the sets may be short."""


def text_reads(text: str) -> TextReads:
    """The one reading of a text's markup, for check (what is read), playtest (what is live, what a count
    depends on) and the story tests."""
    found: set[str] = set()
    scenes: set[str] = set()
    counts = False
    whole = True

    def read(t: str) -> None:
        nonlocal counts, whole
        for body in placeholder_names(t):
            try:
                mark = inline(body)
            except InlineError:
                whole = False
                continue
            if mark is None:
                found.add(body)
                continue
            counts = counts or mark.kind != "if"
            if mark.cond:
                try:
                    tree = parse(mark.cond)
                except ExprError:
                    whole = False
                else:
                    found.update(names(tree))
                    for call in calls(tree):
                        target = scene_named(call)
                        if target is not None:
                            scenes.add(target)
                        else:
                            whole = False
            for part in mark.parts:
                read(part)

    read(text)
    return TextReads(frozenset(found), frozenset(scenes), counts, whole)


def compile_node(node: Node) -> Compiled:
    """Turn a checked tree into a closure `f(state)` reading `state.vars`, `state.visits`, `state.role`."""
    if isinstance(node, (Num, Str, Bool)):
        value = node.value
        return lambda st: value
    if isinstance(node, Name):
        name = node.name
        if name == "role":
            return lambda st: st.role
        return lambda st: st.vars[name]
    if isinstance(node, Call):
        if node.func in NUMBER_FUNCTIONS:
            parts = [compile_node(a) for a in node.args]
            pick = min if node.func == "min" else max
            return lambda st: pick([f(st) for f in parts])
        target = scene_named(node) or ""
        if node.func == "visited":
            return lambda st: st.visits.get(target, 0) > 0
        return lambda st: st.visits.get(target, 0)
    if isinstance(node, Unary):
        if node.op == "not" and isinstance(node.operand, Name) and node.operand.name != "role":
            name = node.operand.name
            return lambda st: not st.vars[name]
        inner = compile_node(node.operand)
        if node.op == "not":
            return lambda st: not inner(st)
        return lambda st: -inner(st)
    left = compile_node(node.left)
    right = compile_node(node.right)
    if node.op == "and":
        return lambda st: left(st) and right(st)
    if node.op == "or":
        return lambda st: left(st) or right(st)
    if isinstance(node.left, Name) and node.left.name != "role" and isinstance(node.right, (Num, Str, Bool)):
        one = _NAME_OP_VALUE.get(node.op)
        if one is not None:
            return one(node.left.name, node.right.value)
    fn = _BINOPS[node.op]
    return lambda st: fn(left(st), right(st))


def _eq(name: str, value: Any) -> Compiled:
    return lambda st: st.vars[name] == value


def _ne(name: str, value: Any) -> Compiled:
    return lambda st: st.vars[name] != value


def _lt(name: str, value: Any) -> Compiled:
    return lambda st: st.vars[name] < value


def _le(name: str, value: Any) -> Compiled:
    return lambda st: st.vars[name] <= value


def _gt(name: str, value: Any) -> Compiled:
    return lambda st: st.vars[name] > value


def _ge(name: str, value: Any) -> Compiled:
    return lambda st: st.vars[name] >= value


_NAME_OP_VALUE: dict[str, Callable[[str, Any], Compiled]] = {
    "==": _eq,
    "!=": _ne,
    "<": _lt,
    "<=": _le,
    ">": _gt,
    ">=": _ge,
}
"""`name <op> constant`, the commonest condition, as one closure (not three and an operator call)."""


def evaluate(
    node: Node, vars: Mapping[str, Any], visits: Mapping[str, int] | None = None, role: str = ""
) -> Any:
    """Evaluate a tree directly (for tests and tools; the game uses compile_node)."""

    class _St:
        pass

    st = _St()
    st.vars, st.visits, st.role = vars, visits or {}, role  # type: ignore[attr-defined]
    try:
        return compile_node(node)(st)
    except KeyError as exc:
        raise ExprError(f"unknown name {exc.args[0]!r}", _col(node)) from None
    except TypeError as exc:
        raise ExprError(f"cannot evaluate: {exc}", _col(node)) from None


# --- print --------------------------------------------------------------------------------------

_PREC = {
    "or": 1,
    "and": 2,
    "not": 3,
    "==": 4,
    "!=": 4,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
}


def unparse(node: Node) -> str:
    """Print a tree as condition text that parses back to the same tree (columns aside)."""
    return _unparse(node, 0)


def _unparse(node: Node, parent: int) -> str:
    if isinstance(node, Num):
        return str(node.value)
    if isinstance(node, Str):
        quote = '"' if "'" in node.value else "'"
        return f"{quote}{node.value}{quote}"
    if isinstance(node, Bool):
        return "true" if node.value else "false"
    if isinstance(node, Name):
        return node.name
    if isinstance(node, Call):
        return f"{node.func}({', '.join(_unparse(a, 0) for a in node.args)})"
    if isinstance(node, Unary):
        if node.op == "not":
            text = f"not {_unparse(node.operand, 3)}"
            return f"({text})" if parent > 3 else text
        return f"-{_unparse(node.operand, 7)}"
    prec = _PREC[node.op]
    # Left-associative: the right side needs brackets at equal precedence; comparisons never chain.
    left = _unparse(node.left, prec + (1 if prec == 4 else 0))
    right = _unparse(node.right, prec + 1)
    text = f"{left} {node.op} {right}"
    return f"({text})" if prec < parent else text


def strip_cols(node: Node) -> Node:
    """The same tree with every column set to 1 (to compare trees by shape)."""
    if isinstance(node, Num):
        return Num(node.value)
    if isinstance(node, Str):
        return Str(node.value)
    if isinstance(node, Bool):
        return Bool(node.value)
    if isinstance(node, Name):
        return Name(node.name)
    if isinstance(node, Call):
        return Call(node.func, tuple(strip_cols(a) for a in node.args))
    if isinstance(node, Unary):
        return Unary(node.op, strip_cols(node.operand))
    return Binary(node.op, strip_cols(node.left), strip_cols(node.right))


# --- words --------------------------------------------------------------------------------------

_WORDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than", "==": "exactly", "!=": "not"}
_FLIP = {">=": "<=", "<=": ">=", ">": "<", "<": ">", "==": "==", "!=": "!="}


def explain(node: Node, label: Callable[[str], str], scene_title: Callable[[str], str]) -> str:
    """Say a condition in words for a player: `trust_soviet >= 2` -> 'Trust in the Soviet at least 2'."""
    if isinstance(node, Binary):
        if node.op in ("and", "or"):
            return f"{explain(node.left, label, scene_title)} {node.op} {explain(node.right, label, scene_title)}"
        if node.op in _WORDS:
            left, right, op = node.left, node.right, node.op
            if isinstance(left, (Num, Str, Bool)) and not isinstance(right, (Num, Str, Bool)):
                left, right, op = right, left, _FLIP[op]
            return f"{_term(left, label, scene_title)} {_WORDS[op]} {_term(right, label, scene_title)}"
    if isinstance(node, Unary) and node.op == "not":
        inner = node.operand
        if isinstance(inner, Call) and inner.func == "visited":
            return f"not having been at {_term(inner, label, scene_title, bare=True)}"
        return f"not {explain(inner, label, scene_title)}"
    if isinstance(node, Call) and node.func == "visited":
        return f"having been at {_term(node, label, scene_title, bare=True)}"
    return _term(node, label, scene_title)


def _term(
    node: Node, label: Callable[[str], str], scene_title: Callable[[str], str], bare: bool = False
) -> str:
    if isinstance(node, Name):
        return "your role" if node.name == "role" else label(node.name)
    if isinstance(node, Call) and node.func in NUMBER_FUNCTIONS:
        return f"the {'least' if node.func == 'min' else 'most'} of {', '.join(_term(a, label, scene_title) for a in node.args)}"
    if isinstance(node, Call):
        target = scene_named(node)
        title = scene_title(target) if target is not None else "?"
        return f"‘{title}’" if bare else f"visits to ‘{title}’"
    if isinstance(node, Str):
        return node.value
    if isinstance(node, (Num, Bool)):
        return unparse(node)
    return unparse(node)

"""The story schema: what story.yaml, scene files, glossary.yaml and documents.yaml may hold, read from YAML nodes
into the model (roles, variables, scenes, choices, conditions, effects, paragraphs, terms, documents), every
problem a Diagnostic. The checks that need every file (targets of gotos, documents named) are collected here and
made by the loader (loader.py) once all files are read.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine import expr
from engine.diagnostics import Diagnostic, suggest
from engine.model import (
    RETURN,
    Choice,
    Condition,
    Document,
    Effect,
    Ending,
    Outcome,
    Paragraph,
    Role,
    Scene,
    Source,
    Term,
    Variable,
)
from engine.text import InlineError, has_braces, inline, split_paragraphs, tokens
from engine.yamlnodes import BOOL, FLOAT, INT, STR, AnyKeys, YamlFile, implicit_tag, is_null, key_table, short

STORY_KEYS = key_table(
    {
        "id": False,
        "title": True,
        "version": False,
        "author": False,
        "premise": False,
        "content_notes": False,
        "roles": True,
        "variables": False,
        "calendar": False,
    }
)
ROLE_KEYS = key_table({"name": True, "title": False, "blurb": False, "start": True})
VAR_KEYS = key_table(
    {
        "type": True,
        "start": False,
        "min": False,
        "max": False,
        "label": False,
        "show": False,
        "describe": False,
    }
)
SCENE_FILE_KEYS = key_table({"scenes": True})
SCENE_KEYS = key_table(
    {
        "id": True,
        "title": True,
        "date": False,
        "place": False,
        "text": True,
        "note": False,
        "documents": False,
        "on_enter": False,
        "choices": False,
        "ending": False,
    }
)
CHOICE_KEYS = key_table(
    {
        "text": True,
        "goto": False,
        "call": False,
        "chance": False,
        "response": False,
        "if": False,
        "show_locked": False,
        "set": False,
        "add": False,
        "once": False,
        "historical": False,
        "locked": False,
    }
)
EFFECT_KEYS = key_table({"set": False, "add": False})
EXPR_KEYS = key_table({"expr": True})
OUTCOME_KEYS = key_table({"weight": True, "goto": True, "set": False, "add": False, "response": False})
ENDING_KEYS = key_table({"title": True, "epilogue": True})
PARAGRAPH_KEYS = key_table({"if": True, "text": True})
TERM_KEYS = key_table({"term": True, "aliases": False, "text": True})
DOCUMENT_KEYS = key_table({"id": True, "title": True, "date": False, "source": True, "text": True})

NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
CALENDARS = ("julian", "gregorian", "none")
NO_DATE = _dt.date(1917, 1, 1)
"""The date a scene of a story with calendar: none carries (never shown)."""
SCENE_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")


# --- reading the story -------------------------------------------------------------------------


@dataclass
class StoryReader:
    """Reads one story's files into model objects, keeping what the cross-file checks need."""

    root: Path
    diags: list[Diagnostic] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    compiled: dict[str, tuple[expr.Node, expr.Compiled, list[expr.Call]]] = field(default_factory=dict)
    # Cross-file checks wait for every file; they keep positions, not YAML nodes, so each file's nodes can be
    # freed as soon as it is read.
    pending_calls: list[tuple[YamlFile, Source, str, str, int]] = field(default_factory=list)
    """(file, where, function, the scene it names, column offset) for each `visited('...')`-like call."""
    adopted_gotos: list[tuple[YamlFile, list[tuple[int, int, str]]]] = field(default_factory=list)
    """(file, its Part's gotos) for each file not read by this reader (the check cache's, the second process's)."""
    broken_ids: set[str] = field(default_factory=set)
    role_keys: set[str] = field(default_factory=set)
    names_unknown: bool = False
    calendar: str = "julian"

    # conditions and effects ---------------------------------------------------

    def condition(self, f: YamlFile, node: yaml.Node, what: str) -> Condition | None:
        text = f.string(node, what)
        if text is None:
            return None
        src = f.src(node)
        offset = 1 if getattr(node, "style", None) in ("'", '"') else 0
        try:
            # The same condition text is often written many times: parse, check and compile it once.
            cached = self.compiled.get(text)
            if cached is None:
                tree = expr.parse(text)
                for n in expr.name_nodes(tree):
                    if n.name not in self.types and n.name in self.role_keys:
                        raise expr.ExprError(
                            f"{n.name!r} is a role, not a variable: compare with it in quotes, as "
                            f"role == '{n.name}'",
                            n.col,
                        )
                kind = "bool" if self.names_unknown else expr.check(tree, self.types)
                if kind != "bool":
                    raise expr.ExprError(f"a condition must be true or false, but this is {expr._a(kind)}", 1)
                cached = self.compiled[text] = (tree, expr.compile_node(tree), expr.calls(tree))
            tree, test, calls = cached
        except expr.ExprError as exc:
            self._condition_error(f, src, offset, what, exc)
            return None
        for call in calls:
            self._pend(f, src, call, offset)
        return Condition(text, tree, test, src)

    def _condition_error(self, f: YamlFile, src: Source, offset: int, what: str, exc: expr.ExprError) -> None:
        """A condition's mistake, at its column in the file (`offset`: 1 past an opening quote)."""
        col = src.col + offset + exc.col - 1
        self.diags.append(Diagnostic(f.path, src.line, col, "error", "condition", f"{what}: {exc.message}"))

    def _pend(self, f: YamlFile, src: Source, call: expr.Call, offset: int) -> None:
        self.pending_calls.append((f, src, call.func, expr.scene_named(call) or "", offset + call.col - 1))

    def effects(self, f: YamlFile, node: yaml.Node, op: str, what: str) -> list[Effect]:
        entries = f.mapping(node, f"{what} {op}:", AnyKeys())
        out: list[Effect] = []
        for name, (knode, vnode) in (entries or {}).items():
            if name == "role":
                f.error(
                    knode,
                    f"{op}: role is the player's role, chosen at the start: it cannot be changed; "
                    "keep what changes in a variable of your own",
                    "wrong-type",
                )
                continue
            var = self.variables.get(name)
            if var is None and (name in self.types or self.names_unknown):
                continue  # declared, but its declaration has an error of its own (reported there)
            if var is None:
                f.error(
                    knode,
                    f"{op}: unknown variable {name!r}{suggest(name, self.variables)}; declare it "
                    "under variables: in story.yaml",
                    "undeclared",
                )
                continue
            if isinstance(vnode, yaml.MappingNode):
                computed = self.computed(f, vnode, name, "int" if op == "add" else var.type, f"{op}: {name}")
                if computed is not None:
                    out.append(
                        Effect(op, name, {"int": 0, "bool": False}.get(var.type, ""), f.src(knode), computed)
                    )
                continue
            value: int | bool | str | None
            if op == "add":
                if var.type != "int":
                    f.error(
                        knode,
                        f"add: {name} is {expr._a(var.type)}; only numbers can be added to (use set:)",
                        "wrong-type",
                    )
                    continue
                value = f.integer(vnode, f"add: {name}")
            elif var.type == "int":
                value = f.integer(vnode, f"set: {name}")
            elif var.type == "bool":
                value = f.boolean(vnode, f"set: {name}")
            else:
                value = self.text_value(f, vnode, f"set: {name}", name)
            if value is None:
                continue
            if op == "set" and var.type == "int" and not _in_bounds(var, value):  # type: ignore[arg-type]
                f.error(vnode, f"set: {name} = {value} is outside its bounds {_bounds(var)}", "out-of-bounds")
                continue
            out.append(Effect(op, name, value, f.src(knode)))
        return out

    def computed(self, f: YamlFile, node: yaml.Node, name: str, want: str, what: str) -> Condition | None:
        """A computed value, `{expr: "min(standing + 1, 5)"}`: parsed, type-checked against the variable's type
        and compiled once."""
        e = f.mapping(node, what, EXPR_KEYS)
        if e is None or "expr" not in e:
            return None
        text = f.string(e["expr"][1], f"{what}: expr")
        if text is None:
            return None
        vnode = e["expr"][1]
        src = f.src(vnode)
        offset = 1 if getattr(vnode, "style", None) in ("'", '"') else 0
        try:
            tree = expr.parse(text)
            for n in expr.name_nodes(tree):
                if n.name not in self.types and n.name in self.role_keys:
                    raise expr.ExprError(f"{n.name!r} is a role, not a variable", n.col)
            kind = want if self.names_unknown else expr.check(tree, self.types)
            if kind != want:
                raise expr.ExprError(
                    f"add: needs a number, but this expression gives {expr._a(kind)}"
                    if what.startswith("add")
                    else f"{name} is {expr._a(want)}, but this expression gives {expr._a(kind)}",
                    1,
                )
        except expr.ExprError as exc:
            self._condition_error(f, src, offset, what, exc)
            return None
        for call in expr.calls(tree):
            self._pend(f, src, call, offset)
        return Condition(text, tree, expr.compile_node(tree), src)

    def text_value(self, f: YamlFile, node: yaml.Node, what: str, name: str) -> str | None:
        """The value of a str variable: text, never a bare number or true/false (YAML reads `3` and `yes` as
        those, and the author most likely confused the variable's type)."""
        if isinstance(node, yaml.ScalarNode) and not is_null(node):
            tag = implicit_tag(node)
            if tag in (INT, BOOL, FLOAT):
                read = "true/false" if tag == BOOL else "a number"
                f.error(
                    node,
                    f"{what}: {name} is text (a str variable), but {node.value} is {read}; "
                    f"write it in quotes ({name}: '{node.value}') if you mean the text",
                    "wrong-type",
                )
                return None
        return f.string(node, what, empty_ok=True)

    def effect_block(self, f: YamlFile, entries: dict[str, tuple[Any, Any]], what: str) -> tuple[Effect, ...]:
        out: list[Effect] = []
        for op in ("set", "add"):
            if op in entries:
                out.extend(self.effects(f, entries[op][1], op, what))
        return tuple(out)

    def text(self, f: YamlFile, node: yaml.Node, what: str) -> str | None:
        value = f.string(node, what)
        if value is None or not has_braces(value):
            return value
        self.check_text(f, node, value, 0, what)
        return value

    def check_text(self, f: YamlFile, node: yaml.Node, value: str, base: int, what: str) -> None:
        """Check the placeholders and inline markup of `value`, which starts at offset `base` of node's text."""
        for span in tokens(value):
            if span.kind == "lone":
                token = span.value
                f.error(
                    node, f"{what}: a lone {token!r}; write {token * 2} for a literal brace", "placeholder"
                )
            elif span.kind != "field":
                continue
            elif NAME_RE.match(span.value):
                if span.value not in self.types and not self.names_unknown:
                    name = span.value
                    f.error(
                        node,
                        f"{what}: unknown variable {{{name}}} in the text{suggest(name, self.variables)}",
                        "placeholder",
                    )
            else:
                self.check_inline(f, node, span.value, base + span.start + 1, what)

    def check_inline(self, f: YamlFile, node: yaml.Node, body: str, at: int, what: str) -> None:
        try:
            mark = inline(body)
        except InlineError as exc:
            self._text_error(f, node, at + exc.offset, f"{what}: {exc.message}", "inline")
            return
        if mark is None:
            if not self.names_unknown:
                self._text_error(
                    f,
                    node,
                    at,
                    f"{what}: {{{short(body)}}} is neither a variable nor inline markup: write {{name}}, "
                    "{if COND: TEXT | OTHERWISE}, {seq: A | B} or {cycle: A | B}",
                    "placeholder",
                )
            return
        if mark.kind == "if":
            self.inline_condition(f, node, mark.cond, at + mark.cond_at, what)
        for part in mark.parts:
            if has_braces(part):
                self.check_text(f, node, part, at + body.find(part), what)

    def inline_condition(self, f: YamlFile, node: yaml.Node, text: str, at: int, what: str) -> None:
        try:
            tree = expr.parse(text)
            for n in expr.name_nodes(tree):
                if n.name not in self.types and n.name in self.role_keys:
                    raise expr.ExprError(
                        f"{n.name!r} is a role, not a variable: write role == '{n.name}'", n.col
                    )
            kind = "bool" if self.names_unknown else expr.check(tree, self.types)
            if kind != "bool":
                raise expr.ExprError(f"a condition must be true or false, but this is {expr._a(kind)}", 1)
        except expr.ExprError as exc:
            self._text_error(
                f, node, at + exc.col - 1, f"{what}: {{if}} condition: {exc.message}", "condition"
            )
            return
        src = self._text_at(f, node, at)
        for call in expr.calls(tree):
            self._pend(f, src, call, 0)

    def _text_error(self, f: YamlFile, node: yaml.Node, at: int, message: str, code: str) -> None:
        s = self._text_at(f, node, at)
        self.diags.append(Diagnostic(f.path, s.line, s.col, "error", code, message))

    @staticmethod
    def _text_at(f: YamlFile, node: yaml.Node, at: int) -> Source:
        """Where offset `at` of a scalar's text was written: exact for one-line and literal (|) scalars, the
        right line for folded ones."""
        start = f.src(node)
        value = node.value if isinstance(node, yaml.ScalarNode) else ""
        style = getattr(node, "style", None)
        before = value[:at]
        if style in ("|", ">"):
            line = start.line + 1 + before.count("\n")
            try:
                with open(f.path, encoding="utf-8") as fh:
                    row = fh.read().splitlines()[line - 1]
                indent = len(row) - len(row.lstrip(" "))
            except (OSError, IndexError, UnicodeDecodeError):
                indent = start.col - 1
            return Source(f.path, line, indent + 1 + len(before.rsplit("\n", 1)[-1]))
        return Source(f.path, start.line, start.col + (1 if style in ("'", '"') else 0) + at)

    # files ---------------------------------------------------------------------

    def story_header(self, f: YamlFile, node: yaml.Node) -> dict[str, Any] | None:
        entries = f.mapping(node, "story.yaml", STORY_KEYS)
        if entries is None:
            return None
        head: dict[str, Any] = {"roles": {}, "content_notes": ()}
        head["id"] = (
            f.string(entries["id"][1], "id") if "id" in entries else None
        ) or self.root.resolve().name
        head["title"] = f.string(entries["title"][1], "title") if "title" in entries else None
        head["version"] = f.integer(entries["version"][1], "version") if "version" in entries else 1
        head["calendar"] = "julian"
        if "calendar" in entries:
            cal = f.string(entries["calendar"][1], "calendar")
            if cal is not None and cal not in CALENDARS:
                f.error(
                    entries["calendar"][1],
                    f"calendar must be julian (Old Style dates, shown with their New Style twin), gregorian or "
                    f"none (no dates), not {short(cal)}{suggest(cal, CALENDARS)}",
                    "bad-date",
                )
            elif cal is not None:
                head["calendar"] = self.calendar = cal
        head["premise"] = (
            f.string(entries["premise"][1], "premise", empty_ok=True) if "premise" in entries else ""
        ) or ""
        if "content_notes" in entries:
            items = f.sequence(entries["content_notes"][1], "content_notes") or []
            head["content_notes"] = tuple(s for s in (f.string(n, "content note") for n in items) if s)
        if "variables" in entries:
            self.read_variables(f, entries["variables"][1])
        self.types["role"] = "str"
        if "roles" in entries:
            roles = f.mapping(entries["roles"][1], "roles", AnyKeys())
            for key, (knode, vnode) in (roles or {}).items():
                if not NAME_RE.match(key) or key in expr.KEYWORDS:
                    f.error(
                        knode,
                        f"role key {short(key)} is not allowed: use letters, digits and _, as worker",
                        "bad-name",
                    )
                    continue
                r = f.mapping(vnode, f"role {key}", ROLE_KEYS)
                if r is None:
                    continue
                name = f.string(r["name"][1], f"role {key}: name") if "name" in r else None
                start = f.string(r["start"][1], f"role {key}: start") if "start" in r else None
                title = (
                    f.string(r["title"][1], f"role {key}: title", empty_ok=True) if "title" in r else ""
                ) or ""
                blurb = (
                    f.string(r["blurb"][1], f"role {key}: blurb", empty_ok=True) if "blurb" in r else ""
                ) or ""
                if name and start:
                    head["roles"][key] = Role(key, name, title, blurb, start, f.src(knode))
                    head.setdefault("role_nodes", {})[key] = r["start"][1]
        return head

    def read_variables(self, f: YamlFile, node: yaml.Node) -> None:
        entries = f.mapping(node, "variables", AnyKeys())
        for name, (knode, vnode) in (entries or {}).items():
            if not NAME_RE.match(name) or name in expr.KEYWORDS or name == "role" or name in expr.FUNCTIONS:
                f.error(
                    knode,
                    f"variable name {name!r} is not allowed: use letters, digits and _ "
                    "(not a keyword such as and/or/not/true/false/role)",
                    "bad-name",
                )
                continue
            v = f.mapping(vnode, f"variable {name}", VAR_KEYS)
            if v is None:
                continue
            vtype = f.string(v["type"][1], f"variable {name}: type") if "type" in v else None
            if vtype not in ("int", "bool", "str"):
                if vtype is not None:
                    f.error(
                        v["type"][1],
                        f"variable {name}: type must be int, bool or str, not {vtype!r}"
                        f"{suggest(vtype, ('int', 'bool', 'str'))}",
                        "wrong-type",
                    )
                # Still declare the name, typed by its start value, so its uses are not reported too.
                self.types[name] = _guess_type(v["start"][1]) if "start" in v else "int"
                continue
            lo = f.integer(v["min"][1], f"variable {name}: min") if "min" in v else None
            hi = f.integer(v["max"][1], f"variable {name}: max") if "max" in v else None
            if vtype != "int" and ("min" in v or "max" in v):
                f.error(vnode, f"variable {name}: min and max apply only to int variables", "wrong-type")
            defaults: dict[str, int | bool | str] = {"int": 0, "bool": False, "str": ""}
            default = defaults[vtype]
            start: int | bool | str | None = default
            if "start" in v:
                snode = v["start"][1]
                what = f"variable {name}: start"
                if vtype == "int":
                    start = f.integer(snode, what)
                elif vtype == "bool":
                    start = f.boolean(snode, what)
                else:
                    start = self.text_value(f, snode, what, name)
            if start is None:
                continue
            label = (f.string(v["label"][1], f"variable {name}: label") if "label" in v else None) or name
            show = bool(f.boolean(v["show"][1], f"variable {name}: show")) if "show" in v else False
            describe = self.plain(f, v, "describe", f"variable {name}: describe") or ""
            var = Variable(name, vtype, start, lo, hi, label, show, f.src(knode), describe)
            if lo is not None and hi is not None and lo > hi:
                f.error(vnode, f"variable {name}: min {lo} is greater than max {hi}", "out-of-bounds")
            elif vtype == "int" and not _in_bounds(var, start):  # type: ignore[arg-type]
                f.error(
                    v["start"][1],
                    f"variable {name}: start {start} is outside {_bounds(var)}",
                    "out-of-bounds",
                )
            self.variables[name] = var
            self.types[name] = vtype

    def scene_file(self, f: YamlFile, node: yaml.Node) -> list[Scene]:
        entries = f.mapping(node, "scene file", SCENE_FILE_KEYS)
        if not entries or "scenes" not in entries:
            return []
        out: list[Scene] = []
        for snode in f.sequence(entries["scenes"][1], "scenes") or []:
            scene = self.scene(f, snode)
            if scene is not None:
                out.append(scene)
        return out

    def scene(self, f: YamlFile, node: yaml.Node) -> Scene | None:
        e = f.mapping(node, "scene", SCENE_KEYS)
        if e is None:
            return None
        sid = f.string(e["id"][1], "scene id") if "id" in e else None
        if sid is not None and not SCENE_ID_RE.match(sid):
            f.error(
                e["id"][1],
                f"scene id {short(sid)} may hold only letters, digits, '.', '_' and '-'",
                "bad-name",
            )
            sid = None
        elif sid == RETURN:
            f.error(e["id"][1], "a scene cannot be called 'return': goto: return ends a call", "bad-name")
            sid = None
        what = f"scene {sid}" if sid else "scene"
        title = f.string(e["title"][1], f"{what}: title") if "title" in e else None
        date = f.date(e["date"][1], f"{what}: date") if "date" in e else None
        if "date" not in e:
            if self.calendar == "none":
                date = NO_DATE
            else:
                f.error(
                    node,
                    f"{what}: missing required key 'date' (a story with no dates says calendar: none in "
                    "story.yaml)",
                    "missing-key",
                )
        place = (f.string(e["place"][1], f"{what}: place", empty_ok=True) if "place" in e else "") or ""
        note = (f.string(e["note"][1], f"{what}: note", empty_ok=True) if "note" in e else "") or ""
        paragraphs = self.paragraphs(f, e["text"][1], what) if "text" in e else None
        documents: tuple[str, ...] = ()
        if "documents" in e:
            items = f.sequence(e["documents"][1], f"{what}: documents") or []
            documents = tuple(d for d in (f.string(n, f"{what}: document id") for n in items) if d)
            self.document_refs.extend((f, f.src(n), n.value) for n in items if isinstance(n, yaml.ScalarNode))
        on_enter: tuple[Effect, ...] = ()
        if "on_enter" in e:
            eff = f.mapping(e["on_enter"][1], f"{what}: on_enter", EFFECT_KEYS)
            on_enter = self.effect_block(f, eff or {}, f"{what}: on_enter")
        choices: list[Choice] = []
        if "choices" in e:
            for i, cnode in enumerate(f.sequence(e["choices"][1], f"{what}: choices") or []):
                c = self.choice(f, cnode, what, i)
                if c is not None:
                    choices.append(c)
                    marked = [m for m in choices if m.historical]
                    if c.historical and len(marked) == 2:
                        f.warning(
                            cnode,
                            f"{what}: choices {marked[0].index + 1} and {i + 1} are both marked historical: "
                            "mark only the one most real people took (reports, the guide and the class "
                            "summary show the first)",
                            "historical-twice",
                        )
        ending = None
        if "ending" in e:
            en = f.mapping(e["ending"][1], f"{what}: ending", ENDING_KEYS)
            if en is not None:
                et = f.string(en["title"][1], f"{what}: ending title") if "title" in en else None
                ep = self.text(f, en["epilogue"][1], f"{what}: epilogue") if "epilogue" in en else None
                if et and ep:
                    ending = Ending(et, ep, f.src(e["ending"][0]))
            if "choices" in e:
                f.error(
                    e["choices"][0],
                    f"{what} has both an ending and choices: an ending scene ends the game, "
                    "so remove one of them",
                    "ending-with-choices",
                )
        elif (
            "choices" in e
            and not choices
            and isinstance(e["choices"][1], yaml.SequenceNode)
            and not e["choices"][1].value
        ):
            f.error(
                e["choices"][0],
                f"{what} has an empty choices list: add a choice or make it an ending",
                "dead-end",
            )
        elif "choices" not in e and sid:
            f.error(
                node,
                f"{what} has neither choices nor an ending: the player would be stuck here; "
                "add choices: or ending:",
                "dead-end",
            )
        if sid is not None and (title is None or date is None or paragraphs is None):
            self.broken_ids.add(sid)  # it exists, with errors of its own: gotos to it are not wrong too
        if sid is None or title is None or date is None or paragraphs is None:
            return None
        return Scene(
            sid,
            title,
            date,
            place,
            paragraphs,
            note,
            documents,
            on_enter,
            tuple(choices),
            ending,
            f.src(node),
        )

    def paragraphs(self, f: YamlFile, node: yaml.Node, what: str) -> tuple[Paragraph, ...] | None:
        if isinstance(node, yaml.ScalarNode):
            text = self.text(f, node, f"{what}: text")
            if text is None:
                return None
            return tuple(Paragraph(p, None, f.src(node)) for p in split_paragraphs(text))
        items = f.sequence(node, f"{what}: text")
        if items is None:
            return None
        out: list[Paragraph] = []
        for item in items:
            if isinstance(item, yaml.MappingNode):
                p = f.mapping(item, f"{what}: paragraph", PARAGRAPH_KEYS)
                if not p or "if" not in p or "text" not in p:
                    continue
                cond = self.condition(f, p["if"][1], f"{what}: paragraph if")
                text = self.text(f, p["text"][1], f"{what}: paragraph text")
                if text is not None:
                    out.extend(Paragraph(t, cond, f.src(item)) for t in split_paragraphs(text))
            else:
                text = self.text(f, item, f"{what}: paragraph")
                if text is not None:
                    out.extend(Paragraph(t, None, f.src(item)) for t in split_paragraphs(text))
        return tuple(out)

    def choice(self, f: YamlFile, node: yaml.Node, what: str, index: int) -> Choice | None:
        where = f"{what}: choice {index + 1}"
        c = f.mapping(node, where, CHOICE_KEYS)
        if c is None:
            return None
        text = self.text(f, c["text"][1], f"{what}: choice text") if "text" in c else None
        goto = f.string(c["goto"][1], f"{what}: goto") if "goto" in c else None
        cond = self.condition(f, c["if"][1], f"{where} if") if "if" in c else None
        once = bool(f.boolean(c["once"][1], "once")) if "once" in c else False
        locked = self.plain(f, c, "locked", f"{where}: locked")
        show_locked = (
            bool(f.boolean(c["show_locked"][1], "show_locked")) if "show_locked" in c else bool(locked)
        )
        if locked and "show_locked" in c and not show_locked:
            f.error(
                c["locked"][0],
                f"{where} has locked: text but show_locked: false, so the text is never shown; "
                "remove one of them (locked: alone shows the choice while it is locked)",
                "locked",
            )
        if locked and "if" not in c:
            f.error(
                c["locked"][0],
                f"{where} has locked: text but no if: condition, so it is never locked",
                "locked",
            )
        effects = self.effect_block(f, c, where) if "set" in c or "add" in c else ()
        # One sentence of evidence, as plain text (no {placeholders}: it is about history, not this game).
        historical = f.string(c["historical"][1], f"{where}: historical") if "historical" in c else ""
        historical = " ".join(historical.split()) if historical is not None else None
        response = self.paragraphs(f, c["response"][1], f"{where}: response") if "response" in c else ()
        call = f.string(c["call"][1], f"{where}: call") if "call" in c else None
        outcomes: tuple[Outcome, ...] = ()
        ok = True
        if "chance" in c:
            if "goto" in c:
                f.error(
                    c["goto"][0],
                    f"{where} has both goto: and chance: the outcomes of chance: say where each goes; "
                    "remove the goto",
                    "chance",
                )
                ok = False
            if "call" in c:
                f.error(c["call"][0], f"{where}: call: cannot be used with chance:", "chance")
                ok = False
            got = self.outcomes(f, c["chance"][1], where)
            if got is None:
                ok = False
            else:
                outcomes = got
            goto = goto or ""
        elif "goto" not in c:
            f.error(
                node,
                f"{where} needs goto: (the next scene) or chance: (outcomes drawn by weight)",
                "missing-key",
            )
        if call is not None:
            if goto == RETURN:
                f.error(
                    c["goto"][1], f"{where}: a call needs a goto: where play goes on after it returns", "call"
                )
                ok = False
            self.gotos.append((f, f.src(c["call"][1]), call))
        if text is None or goto is None or historical is None or response is None or not ok:
            return None
        if "call" in c and call is None:
            return None
        if goto and goto != RETURN:
            self.gotos.append((f, f.src(c["goto"][1]), goto))
        return Choice(
            text,
            goto,
            cond,
            effects,
            once,
            show_locked,
            index,
            f.src(node),
            historical,
            response=response,
            call=call or "",
            chance=outcomes,
            locked=locked or "",
        )

    def plain(self, f: YamlFile, m: dict[str, tuple[Any, Any]], key: str, what: str) -> str | None:
        """An optional key's one-line plain text (`locked:`, `describe:`): its words joined by single spaces,
        with no {placeholders} or inline markup (it is said outside the scene's own text); None if absent."""
        if key not in m:
            return None
        got = f.string(m[key][1], what)
        if got is None:
            return None
        if "{" in got or "}" in got:
            f.error(
                m[key][1], f"{what} is plain text: braces ({{ }}) and placeholders are not read there", "text"
            )
            return None
        return " ".join(got.split())

    def outcomes(self, f: YamlFile, node: yaml.Node, where: str) -> tuple[Outcome, ...] | None:
        items = f.sequence(node, f"{where}: chance")
        if items is None:
            return None
        if not items:
            f.error(node, f"{where}: chance: lists no outcomes; give each a weight: and a goto:", "chance")
            return None
        out: list[Outcome] = []
        ok = True
        for n, item in enumerate(items, 1):
            what = f"{where}: outcome {n}"
            o = f.mapping(item, what, OUTCOME_KEYS)
            if o is None or "weight" not in o or "goto" not in o:
                ok = False
                continue
            weight = f.integer(o["weight"][1], f"{what}: weight")
            if weight is not None and weight < 1:
                f.error(o["weight"][1], f"{what}: weight must be 1 or more, not {weight}", "chance")
                weight = None
            goto = f.string(o["goto"][1], f"{what}: goto")
            effects = self.effect_block(f, o, what) if "set" in o or "add" in o else ()
            response = self.paragraphs(f, o["response"][1], f"{what}: response") if "response" in o else ()
            if weight is None or goto is None or response is None:
                ok = False
                continue
            if goto != RETURN:
                self.gotos.append((f, f.src(o["goto"][1]), goto))
            out.append(Outcome(weight, goto, effects, response, f.src(item)))
        return tuple(out) if ok else None

    gotos: list[tuple[YamlFile, Source, str]] = field(default_factory=list)
    document_refs: list[tuple[YamlFile, Source, str]] = field(default_factory=list)

    def glossary(self, f: YamlFile, node: yaml.Node) -> list[Term]:
        e = f.mapping(node, "glossary.yaml", {"terms": True})
        out: list[Term] = []
        for tnode in (f.sequence(e["terms"][1], "terms") or []) if e and "terms" in e else []:
            t = f.mapping(tnode, "glossary term", TERM_KEYS)
            if not t:
                continue
            term = f.string(t["term"][1], "term") if "term" in t else None
            text = f.string(t["text"][1], "term text") if "text" in t else None
            aliases: list[str] = []
            if "aliases" in t:
                aliases = [
                    a
                    for a in (f.string(n, "alias") for n in f.sequence(t["aliases"][1], "aliases") or [])
                    if a
                ]
            if term and text:
                out.append(Term(term, tuple(aliases), text, f.src(tnode)))
        return out

    def documents(self, f: YamlFile, node: yaml.Node) -> dict[str, Document]:
        e = f.mapping(node, "documents.yaml", {"documents": True})
        out: dict[str, Document] = {}
        for dnode in (f.sequence(e["documents"][1], "documents") or []) if e and "documents" in e else []:
            d = f.mapping(dnode, "document", DOCUMENT_KEYS)
            if not d:
                continue
            did = f.string(d["id"][1], "document id") if "id" in d else None
            title = f.string(d["title"][1], "document title") if "title" in d else None
            date = f.date(d["date"][1], "document date") if "date" in d else None
            attribution = f.string(d["source"][1], "document source") if "source" in d else None
            text = f.string(d["text"][1], "document text") if "text" in d else None
            if did and did in out:
                f.error(d["id"][1], f"duplicate document id {did!r}", "duplicate-id")
            elif did and title and attribution and text:
                out[did] = Document(did, title, date, attribution, text, f.src(dnode))
        return out


def _guess_type(node: yaml.Node) -> str:
    tag = implicit_tag(node) if isinstance(node, yaml.ScalarNode) else STR
    return {INT: "int", BOOL: "bool"}.get(tag, "str")


def _in_bounds(var: Variable, value: int) -> bool:
    return (var.min is None or value >= var.min) and (var.max is None or value <= var.max)


def _bounds(var: Variable) -> str:
    return f"{'-inf' if var.min is None else var.min}..{'inf' if var.max is None else var.max}"

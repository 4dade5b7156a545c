"""Story folder -> Story. One pass over each file's YAML nodes, every problem collected as a Diagnostic.

Files are composed into nodes with PyYAML's C safe loader when present (the pure safe loader otherwise); the
nodes keep line and column marks, so every diagnostic can say where. Nothing here constructs arbitrary
Python objects: scalars are read by their resolved tag, and any tag outside plain YAML is an error.
"""

from __future__ import annotations

import datetime as _dt
import gc
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from engine import expr
from engine.diagnostics import Diagnostic, suggest
from engine.files import story_files
from engine.model import (
    Choice,
    Condition,
    Document,
    Effect,
    Ending,
    Paragraph,
    Role,
    Scene,
    Source,
    Story,
    Term,
    Variable,
)
from engine.text import TEXT_CONTROL_RE, first_control, has_braces, split_paragraphs, tokens


class _LazyResolver(yaml.resolver.BaseResolver):
    """Tags every untagged node 'str' and leaves YAML 1.1's implicit types (ints, bools, nulls) to be worked out
    by implicit_tag() for the few values whose type the loader needs (numbers, flags, empty values).

    The C parser calls these three methods once per node; doing no work in them is most of what makes loading
    a story cost little more than parsing it. Explicit tags never reach resolve(), so they are still seen.
    """

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        return STR


_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
NULL_WORDS = frozenset({"", "~", "null", "Null", "NULL"})


def implicit_tag(node: yaml.Node) -> str:
    """The tag YAML 1.1 gives a scalar as written (what yaml.safe_load would make of it)."""
    if node.tag != STR or node.style or not isinstance(node, yaml.ScalarNode):  # plain: '' (C) or None
        return node.tag
    value = node.value
    for tag, regexp in _IMPLICIT.get(value[:1], ()):
        if regexp.match(value):
            return tag
    return STR


def is_null(node: yaml.Node) -> bool:
    return node.tag == NULL or (node.tag == STR and not node.style and node.value in NULL_WORDS)


try:
    from yaml._yaml import CParser as _CParser

    class YamlLoader(_CParser, yaml.constructor.SafeConstructor, _LazyResolver):  # type: ignore[misc]
        """libyaml's parser and composer with the lazy resolver; constructs nothing by itself."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _LazyResolver.__init__(self)

except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as YamlLoader  # type: ignore[assignment]

MAX_FILE_BYTES = 16 * 1024 * 1024

T = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, SEQ, MAP = (
    T + "str",
    T + "int",
    T + "float",
    T + "bool",
    T + "null",
    T + "timestamp",
    T + "seq",
    T + "map",
)
PLAIN_TAGS = {STR, INT, FLOAT, BOOL, NULL, TIMESTAMP, SEQ, MAP}

STORY_KEYS = {
    "id": False,
    "title": True,
    "version": False,
    "author": False,
    "premise": False,
    "content_notes": False,
    "roles": True,
    "variables": False,
}
ROLE_KEYS = {"name": True, "title": False, "blurb": False, "start": True}
VAR_KEYS = {"type": True, "start": False, "min": False, "max": False, "label": False, "show": False}
SCENE_FILE_KEYS = {"scenes": True}
SCENE_KEYS = {
    "id": True,
    "title": True,
    "date": True,
    "place": False,
    "text": True,
    "note": False,
    "documents": False,
    "on_enter": False,
    "choices": False,
    "ending": False,
}
CHOICE_KEYS = {
    "text": True,
    "goto": True,
    "if": False,
    "show_locked": False,
    "set": False,
    "add": False,
    "once": False,
}
EFFECT_KEYS = {"set": False, "add": False}
ENDING_KEYS = {"title": True, "epilogue": True}
PARAGRAPH_KEYS = {"if": True, "text": True}
TERM_KEYS = {"term": True, "aliases": False, "text": True}
DOCUMENT_KEYS = {"id": True, "title": True, "date": False, "source": True, "text": True}

_REQUIRED = {
    id(t): tuple(k for k, r in t.items() if r)
    for t in (
        STORY_KEYS,
        ROLE_KEYS,
        VAR_KEYS,
        SCENE_FILE_KEYS,
        SCENE_KEYS,
        CHOICE_KEYS,
        EFFECT_KEYS,
        ENDING_KEYS,
        PARAGRAPH_KEYS,
        TERM_KEYS,
        DOCUMENT_KEYS,
    )
}


NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
SCENE_ID_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*\Z")
DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
DECIMAL_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,17})\Z")
TAG_HINT_RE = re.compile(r"(?:^|[\s\[{,])!", re.MULTILINE)


class LoadError(Exception):
    """The story could not be loaded; `diagnostics` says why."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        super().__init__(str(first) if first else "story could not be loaded")


@dataclass(slots=True)
class _File:
    """Diagnostics and position helpers for one file."""

    path: str
    diags: list[Diagnostic]
    check_control: bool = True
    """False when the file's text holds no control character and no backslash escape, so no value can."""

    def src(self, node: yaml.Node | Source | None) -> Source:
        if node is None:
            return Source(self.path, 1, 1)
        if isinstance(node, Source):
            return node
        mark = node.start_mark
        return Source(self.path, mark.line + 1, mark.column + 1)

    def error(self, node: yaml.Node | None, message: str, code: str) -> None:
        s = self.src(node)
        self.diags.append(Diagnostic(self.path, s.line, s.col, "error", code, message))

    def warning(self, node: yaml.Node | None, message: str, code: str) -> None:
        s = self.src(node)
        self.diags.append(Diagnostic(self.path, s.line, s.col, "warning", code, message))

    # --- shapes ---

    def mapping(self, node: yaml.Node, what: str, keys: dict[str, bool]) -> dict[str, tuple[Any, Any]] | None:
        """The mapping's entries by key; reports duplicate, unknown and missing keys."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} should be a mapping of keys to values, not {_kind(node)}", "wrong-type")
            return None
        out: dict[str, tuple[Any, Any]] = {}
        for knode, vnode in node.value:
            if not isinstance(knode, yaml.ScalarNode) or (knode.value in NULL_WORDS and is_null(knode)):
                self.error(knode, f"{what}: keys must be plain words", "wrong-type")
                continue
            key = knode.value
            if key in out:
                self.error(
                    knode,
                    f"{what}: duplicate key {key!r} (the first is at line {out[key][0].start_mark.line + 1})",
                    "duplicate-key",
                )
                continue
            if key not in keys:
                self.error(
                    knode,
                    f"{what}: unknown key {key!r}{suggest(key, keys)}; allowed: {', '.join(keys)}",
                    "unknown-key",
                )
                continue
            out[key] = (knode, vnode)
        required = _REQUIRED.get(id(keys))  # the module's key tables are alive, so their ids are theirs alone
        if required is None:
            required = tuple(k for k, r in keys.items() if r)
        for key in required:
            if key not in out:
                self.error(node, f"{what}: missing required key {key!r}", "missing-key")
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[Any] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error(
                node, f"{what} should be a list (lines starting with '- '), not {_kind(node)}", "wrong-type"
            )
            return None
        return list(node.value)

    def string(self, node: yaml.Node, what: str, *, empty_ok: bool = False) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in PLAIN_TAGS:
            self.error(node, f"{what} should be text, not {_kind(node)}", "wrong-type")
            return None
        if node.value in NULL_WORDS and is_null(node):
            if empty_ok:
                return ""
            self.error(node, f"{what} is empty", "empty")
            return None
        value = node.value
        if not empty_ok and not value.strip():
            self.error(node, f"{what} is empty", "empty")
            return None
        bad = first_control(value) if self.check_control else None
        if bad is not None:
            self.error(
                node,
                f"{what} contains a control character or terminal escape (U+{ord(bad):04X}); remove it",
                "control-char",
            )
            return None
        return value

    def integer(self, node: yaml.Node, what: str) -> int | None:
        if (
            isinstance(node, yaml.ScalarNode)
            and node.tag == STR
            and not node.style
            and DECIMAL_RE.match(node.value)
        ):
            return int(node.value)  # the common case; YAML 1.1's other forms (0x, 0o, 1_000, 0777) below
        if isinstance(node, yaml.ScalarNode) and implicit_tag(node) == INT:
            try:
                return int(_CONSTRUCTOR.construct_yaml_int(node))
            except (ValueError, TypeError):
                pass
        self.error(node, f"{what} should be a whole number, not {_kind(node)}", "wrong-type")
        return None

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and implicit_tag(node) == BOOL:
            return node.value.lower() in ("true", "yes", "on", "y")
        self.error(node, f"{what} should be true or false, not {_kind(node)}", "wrong-type")
        return None

    def date(self, node: yaml.Node, what: str) -> _dt.date | None:
        if isinstance(node, yaml.ScalarNode):
            m = DATE_RE.match(node.value.strip())
            if m and not 1900 <= int(m[1]) <= 2099:
                self.error(
                    node,
                    f"{what}: {node.value.strip()} is outside 1900-2099, where the New Style date "
                    "shown beside it is the Old Style one plus 13 days",
                    "bad-date",
                )
                return None
            if m:
                try:
                    return _dt.date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError as exc:
                    self.error(node, f"{what}: {exc} ({node.value})", "bad-date")
                    return None
        self.error(
            node, f"{what} should be a date written YYYY-MM-DD (Old Style), not {_kind(node)}", "bad-date"
        )
        return None


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if is_null(node):
        return "empty"
    return f"the value {_short(node.value)}"


def _short(value: str) -> str:
    value = TEXT_CONTROL_RE.sub("?", value)
    return repr(value if len(value) <= 40 else value[:37] + "...")


# --- reading files ------------------------------------------------------------------------------


def read_yaml(path: Path, diags: list[Diagnostic]) -> yaml.Node | None:
    """Compose one file into nodes, or report why it cannot be read. Never constructs objects."""
    read = read_text(path, diags)
    return None if read is None else compose(read[1], str(path), diags)


def read_text(
    path: Path, diags: list[Diagnostic], max_bytes: int = MAX_FILE_BYTES, too_large: str = ""
) -> tuple[bytes, str] | None:
    """A data file's bytes and UTF-8 text, or None with a diagnostic saying why it cannot be read."""
    spath = str(path)

    def problem(code: str, message: str, line: int = 1, col: int = 1) -> None:
        diags.append(Diagnostic(spath, line, col, "error", code, message))

    try:
        if path.is_dir():
            problem("unreadable", "this is a folder, not a file")
            return None
        size = path.stat().st_size
        if size > max_bytes:
            problem(
                "file-too-large",
                too_large
                or f"file is {size // (1024 * 1024)} MB; story files may be at "
                f"most {max_bytes // (1024 * 1024)} MB: split it into chapters",
            )
            return None
        data = path.read_bytes()
    except FileNotFoundError:
        problem("unreadable", "no such file: check its name and folder")
        return None
    except OSError as exc:
        problem("unreadable", f"cannot read the file: {exc.strerror or exc}")
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problem(
            "encoding", f"file is not UTF-8 text (byte 0x{data[exc.start]:02X}); save it as UTF-8", line, col
        )
        return None
    if "\x00" in text:
        problem("encoding", "file contains NUL bytes: it is not a text file")
        return None
    return data, text


def compose(text: str, spath: str, diags: list[Diagnostic]) -> yaml.Node | None:
    loader = YamlLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            problem = f"{problem} ({exc.context})"
        if "mapping values are not allowed" in problem:
            problem += "; a value holding ': ' must be put in quotes, as title: \"The Bakery: Shuttered\""
        elif "found character '\\t'" in problem:
            problem += "; indent with spaces, not tabs"
        diags.append(Diagnostic(spath, line, col, "error", "yaml-syntax", f"YAML syntax: {problem}"))
        return None
    except yaml.reader.ReaderError as exc:
        pos = max(0, min(exc.position, len(text)))
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        diags.append(
            Diagnostic(
                spath,
                line,
                col,
                "error",
                "control-char",
                f"the file holds a control character (U+{ord(exc.character) if isinstance(exc.character, str) else exc.character:04X}) that YAML does not allow; remove it",
            )
        )
        return None
    except yaml.YAMLError as exc:
        diags.append(Diagnostic(spath, 1, 1, "error", "yaml-syntax", f"YAML: {' '.join(str(exc).split())}"))
        return None
    except RecursionError:
        diags.append(Diagnostic(spath, 1, 1, "error", "too-deep", "YAML is nested too deeply"))
        return None
    finally:
        loader.dispose()
    if node is not None:
        # A tag needs a '!' at the start of a token; prose exclamation marks follow a word, so most files
        # skip the walk.
        if "!" in text and TAG_HINT_RE.search(text):
            _check_tags(node, _File(spath, diags))
        node.plain_text = "\\" not in text and not TEXT_CONTROL_RE.search(text)
    return node


def _check_tags(root: yaml.Node, f: _File) -> None:
    """Report every tag that is not plain YAML (e.g. !!python/object): story files are data, never code."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if node.tag not in PLAIN_TAGS:
            f.error(
                node,
                f"tag {node.tag!r} is not allowed: story files are plain data (remove the '!' tag)",
                "tag",
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.append(k)
                stack.append(v)


# --- building the story -------------------------------------------------------------------------


@dataclass
class _Builder:
    root: Path
    diags: list[Diagnostic] = field(default_factory=list)
    types: dict[str, str] = field(default_factory=dict)
    variables: dict[str, Variable] = field(default_factory=dict)
    scenes: dict[str, Scene] = field(default_factory=dict)
    compiled: dict[str, tuple[expr.Node, expr.Compiled, list[expr.Call]]] = field(default_factory=dict)
    # Cross-file checks wait for every file; they keep positions, not YAML nodes, so each file's nodes can be
    # freed as soon as it is read.
    pending_calls: list[tuple[_File, Source, expr.Call, int]] = field(default_factory=list)
    broken_ids: set[str] = field(default_factory=set)
    role_keys: set[str] = field(default_factory=set)
    names_unknown: bool = False

    # conditions and effects ---------------------------------------------------

    def condition(self, f: _File, node: yaml.Node, what: str) -> Condition | None:
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
            self.diags.append(
                Diagnostic(
                    f.path,
                    src.line,
                    src.col + offset + exc.col - 1,
                    "error",
                    "condition",
                    f"{what}: {exc.message}",
                )
            )
            return None
        for call in calls:
            self.pending_calls.append((f, src, call, offset))
        return Condition(text, tree, test, src)

    def effects(self, f: _File, node: yaml.Node, op: str, what: str) -> list[Effect]:
        entries = f.mapping(node, f"{what} {op}:", _AnyKeys())
        out: list[Effect] = []
        for name, (knode, vnode) in (entries or {}).items():
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
                value = f.string(vnode, f"set: {name}", empty_ok=True)
            if value is None:
                continue
            if op == "set" and var.type == "int" and not _in_bounds(var, value):  # type: ignore[arg-type]
                f.error(vnode, f"set: {name} = {value} is outside its bounds {_bounds(var)}", "out-of-bounds")
                continue
            out.append(Effect(op, name, value, f.src(knode)))
        return out

    def effect_block(self, f: _File, entries: dict[str, tuple[Any, Any]], what: str) -> tuple[Effect, ...]:
        out: list[Effect] = []
        for op in ("set", "add"):
            if op in entries:
                out.extend(self.effects(f, entries[op][1], op, what))
        return tuple(out)

    def text(self, f: _File, node: yaml.Node, what: str) -> str | None:
        value = f.string(node, what)
        if value is None or not has_braces(value):
            return value
        for span in tokens(value):
            if span.kind == "lone":
                token = span.value
                f.error(
                    node, f"{what}: a lone {token!r}; write {token * 2} for a literal brace", "placeholder"
                )
            elif span.kind == "field" and span.value not in self.types and not self.names_unknown:
                name = span.value
                f.error(
                    node,
                    f"{what}: unknown variable {{{name}}} in the text{suggest(name, self.variables)}",
                    "placeholder",
                )
        return value

    # files ---------------------------------------------------------------------

    def story_header(self, f: _File, node: yaml.Node) -> dict[str, Any] | None:
        entries = f.mapping(node, "story.yaml", STORY_KEYS)
        if entries is None:
            return None
        head: dict[str, Any] = {"roles": {}, "content_notes": ()}
        head["id"] = (
            f.string(entries["id"][1], "id") if "id" in entries else None
        ) or self.root.resolve().name
        head["title"] = f.string(entries["title"][1], "title") if "title" in entries else None
        head["version"] = f.integer(entries["version"][1], "version") if "version" in entries else 1
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
            roles = f.mapping(entries["roles"][1], "roles", _AnyKeys())
            for key, (knode, vnode) in (roles or {}).items():
                if not NAME_RE.match(key) or key in expr.KEYWORDS:
                    f.error(
                        knode,
                        f"role key {_short(key)} is not allowed: use letters, digits and _, as worker",
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

    def read_variables(self, f: _File, node: yaml.Node) -> None:
        entries = f.mapping(node, "variables", _AnyKeys())
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
            default: int | bool | str = {"int": 0, "bool": False, "str": ""}[vtype]
            start: int | bool | str | None = default
            if "start" in v:
                snode = v["start"][1]
                start = {"int": f.integer, "bool": f.boolean}.get(
                    vtype, lambda n, w: f.string(n, w, empty_ok=True)
                )(snode, f"variable {name}: start")
            if start is None:
                continue
            label = (f.string(v["label"][1], f"variable {name}: label") if "label" in v else None) or name
            show = bool(f.boolean(v["show"][1], f"variable {name}: show")) if "show" in v else False
            var = Variable(name, vtype, start, lo, hi, label, show, f.src(knode))
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

    def scene_file(self, f: _File, node: yaml.Node) -> list[Scene]:
        entries = f.mapping(node, "scene file", SCENE_FILE_KEYS)
        if not entries or "scenes" not in entries:
            return []
        out: list[Scene] = []
        for snode in f.sequence(entries["scenes"][1], "scenes") or []:
            scene = self.scene(f, snode)
            if scene is not None:
                out.append(scene)
        return out

    def scene(self, f: _File, node: yaml.Node) -> Scene | None:
        e = f.mapping(node, "scene", SCENE_KEYS)
        if e is None:
            return None
        sid = f.string(e["id"][1], "scene id") if "id" in e else None
        if sid is not None and not SCENE_ID_RE.match(sid):
            f.error(
                e["id"][1],
                f"scene id {_short(sid)} may hold only letters, digits, '.', '_' and '-'",
                "bad-name",
            )
            sid = None
        what = f"scene {sid}" if sid else "scene"
        title = f.string(e["title"][1], f"{what}: title") if "title" in e else None
        date = f.date(e["date"][1], f"{what}: date") if "date" in e else None
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
        ending = None
        if "ending" in e:
            en = f.mapping(e["ending"][1], f"{what}: ending", ENDING_KEYS)
            if en is not None:
                et = f.string(en["title"][1], f"{what}: ending title") if "title" in en else None
                ep = f.string(en["epilogue"][1], f"{what}: epilogue") if "epilogue" in en else None
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

    def paragraphs(self, f: _File, node: yaml.Node, what: str) -> tuple[Paragraph, ...] | None:
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

    def choice(self, f: _File, node: yaml.Node, what: str, index: int) -> Choice | None:
        where = f"{what}: choice {index + 1}"
        c = f.mapping(node, where, CHOICE_KEYS)
        if c is None:
            return None
        text = self.text(f, c["text"][1], f"{what}: choice text") if "text" in c else None
        goto = f.string(c["goto"][1], f"{what}: goto") if "goto" in c else None
        cond = self.condition(f, c["if"][1], f"{where} if") if "if" in c else None
        once = bool(f.boolean(c["once"][1], "once")) if "once" in c else False
        show_locked = bool(f.boolean(c["show_locked"][1], "show_locked")) if "show_locked" in c else False
        effects = self.effect_block(f, c, where) if "set" in c or "add" in c else ()
        if text is None or goto is None:
            return None
        self.gotos.append((f, f.src(c["goto"][1]), goto))
        return Choice(text, goto, cond, effects, once, show_locked, index, f.src(node))

    gotos: list[tuple[_File, Source, str]] = field(default_factory=list)
    document_refs: list[tuple[_File, Source, str]] = field(default_factory=list)

    def glossary(self, f: _File, node: yaml.Node) -> list[Term]:
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

    def documents(self, f: _File, node: yaml.Node) -> dict[str, Document]:
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


class _AnyKeys(dict):  # type: ignore[type-arg]
    """A key table that accepts every key (for maps whose keys are names: roles, variables)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> bool:
        return False


def _guess_type(node: yaml.Node) -> str:
    tag = implicit_tag(node) if isinstance(node, yaml.ScalarNode) else STR
    return {INT: "int", BOOL: "bool"}.get(tag, "str")


def _in_bounds(var: Variable, value: int) -> bool:
    return (var.min is None or value >= var.min) and (var.max is None or value <= var.max)


def _bounds(var: Variable) -> str:
    return f"{'-inf' if var.min is None else var.min}..{'inf' if var.max is None else var.max}"


def load(
    root: str | Path, on_file: Callable[[Path], None] | None = None
) -> tuple[Story | None, list[Diagnostic]]:
    """Load a story folder. Returns the story (None when there are errors) and every diagnostic found."""
    # Loading makes hundreds of thousands of short-lived, acyclic objects (YAML nodes): the cyclic garbage
    # collector would run over and over and find nothing, tripling the time. Pause it while we load.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(Path(root), on_file)
    finally:
        # The story lives as long as the program: move it out of the collector's sight for good, so later
        # collections (during play, playtests, checks) do not walk a large story over and over.
        gc.freeze()
        if was_enabled:
            gc.enable()


def _load(root: Path, on_file: Callable[[Path], None] | None) -> tuple[Story | None, list[Diagnostic]]:
    b = _Builder(root)
    header_path = root / "story.yaml"
    if not root.is_dir():
        return None, [Diagnostic(str(root), 1, 1, "error", "no-story", "no such story folder")]
    if not header_path.is_file():
        return None, [
            Diagnostic(
                str(header_path),
                1,
                1,
                "error",
                "no-story",
                "story.yaml is missing: a story folder needs one (see docs/authoring.md)",
            )
        ]
    files = story_files(root, b.diags)
    head_f = _File(str(header_path), b.diags)
    head_node = read_yaml(header_path, b.diags)
    head = b.story_header(head_f, head_node) if head_node is not None else None
    # Without a readable story.yaml no name is known: report the scenes' own mistakes, not every use of a name.
    b.names_unknown = head is None
    b.role_keys = set(head["roles"]) if head else set()
    glossary: list[Term] = []
    documents: dict[str, Document] = {}
    scene_sources: dict[str, Source] = {}
    used_files: list[str] = []
    for path in files:
        if path == header_path:
            continue
        before = len(b.diags)
        node = read_yaml(path, b.diags)
        if on_file:
            on_file(path)
        if node is None:
            if len(b.diags) == before:
                b.diags.append(
                    Diagnostic(str(path), 1, 1, "warning", "ignored-file", "ignored: the file is empty")
                )
            continue
        f = _File(str(path), b.diags, check_control=not getattr(node, "plain_text", False))
        rel = path.relative_to(root).as_posix()
        if rel == "glossary.yaml":
            glossary = b.glossary(f, node)
            continue
        if rel == "documents.yaml":
            documents = b.documents(f, node)
            continue
        if not (isinstance(node, yaml.MappingNode) and any(k.value == "scenes" for k, _ in node.value)):
            near = (
                [
                    k.value
                    for k, _ in node.value
                    if isinstance(k, yaml.ScalarNode) and suggest(k.value, ["scenes"])
                ]
                if isinstance(node, yaml.MappingNode)
                else []
            )
            hint = f" (is {near[0]!r} meant to be 'scenes'?)" if near else ""
            f.warning(node, f"ignored: this YAML file has no top-level 'scenes:' list{hint}", "ignored-file")
            continue
        used_files.append(str(path))
        for scene in b.scene_file(f, node):
            if scene.id in b.scenes:
                first = scene_sources[scene.id]
                b.diags.append(
                    Diagnostic(
                        scene.source.path,
                        scene.source.line,
                        scene.source.col,
                        "error",
                        "duplicate-id",
                        f"duplicate scene id {scene.id!r}: first defined at {first}",
                    )
                )
                continue
            b.scenes[scene.id] = scene
            scene_sources[scene.id] = scene.source
    _cross_check(b, head, head_f, documents)
    if head is None or any(d.severity == "error" for d in b.diags) or head.get("title") is None:
        return None, b.diags
    story = Story(
        id=head["id"],
        title=head["title"],
        version=head["version"] or 1,
        premise=head["premise"],
        content_notes=head["content_notes"],
        roles=head["roles"],
        variables=b.variables,
        scenes=b.scenes,
        glossary=tuple(glossary),
        documents=documents,
        root=root,
        files=tuple(used_files),
    )
    return story, b.diags


def _cross_check(
    b: _Builder, head: dict[str, Any] | None, head_f: _File, documents: dict[str, Document]
) -> None:
    ids = b.scenes
    for f, node, target in b.gotos:
        if target not in ids and target not in b.broken_ids:
            f.error(node, f"goto: unknown scene {target!r}{suggest(target, ids)}", "unknown-target")
    for f, s, call, offset in b.pending_calls:
        target = call.args[0].value if call.args and isinstance(call.args[0], expr.Str) else ""
        if target not in ids and target not in b.broken_ids:
            b.diags.append(
                Diagnostic(
                    f.path,
                    s.line,
                    s.col + offset + call.col - 1,
                    "error",
                    "unknown-target",
                    f"{call.func}(): unknown scene {target!r}{suggest(target, ids)}",
                )
            )
    for f, s, doc in b.document_refs:
        if doc not in documents:
            f.error(
                s,
                f"unknown document {doc!r}{suggest(doc, documents)}: documents are defined in documents.yaml",
                "unknown-document",
            )
    if head is not None:
        if not head["roles"] and not any(d.code == "missing-key" and d.path == head_f.path for d in b.diags):
            head_f.error(None, "story.yaml defines no roles", "no-roles")
        for key, role in head["roles"].items():
            if role.start not in ids and role.start not in b.broken_ids:
                head_f.error(
                    head["role_nodes"][key],
                    f"role {key}: start scene {role.start!r} does not exist{suggest(role.start, ids)}",
                    "unknown-target",
                )


def load_or_raise(root: str | Path) -> Story:
    story, diags = load(root)
    if story is None:
        raise LoadError([d for d in diags if d.severity == "error"] or diags)
    return story

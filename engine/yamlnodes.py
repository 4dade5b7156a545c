"""The YAML node layer: files composed into nodes (never constructed into objects), and typed readers of those
nodes that report every problem as a Diagnostic at file:line:col. The story schema (story_schema.py) and the
assignment reader (classroom/assignment.py) are written on top of it.

Files are composed with PyYAML's C safe loader when present (the pure safe loader otherwise) and a lean
resolver; the nodes keep line and column marks. Scalars are read by their resolved tag, and any tag outside plain
YAML is an error: data files are data, never code.
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from engine.diagnostics import Diagnostic, suggest
from engine.model import Source
from engine.text import TEXT_CONTROL_RE, first_control


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
    if node.tag != STR or cast(yaml.ScalarNode, node).style or not isinstance(node, yaml.ScalarNode):
        return node.tag  # plain style: '' (C) or None
    value = node.value
    for tag, regexp in _IMPLICIT.get(value[:1], ()):
        if regexp.match(value):
            return cast(str, tag)
    return STR


def is_null(node: yaml.Node) -> bool:
    return node.tag == NULL or (
        node.tag == STR and not cast(yaml.ScalarNode, node).style and node.value in NULL_WORDS
    )


try:
    from yaml._yaml import CParser as _CParser

    class YamlLoader(_CParser, yaml.constructor.SafeConstructor, _LazyResolver):
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

DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})\Z")
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
DECIMAL_RE = re.compile(r"[-+]?(?:0|[1-9][0-9]{0,17})\Z")
TAG_HINT_RE = re.compile(r"(?:^|[\s\[{,])!", re.MULTILINE)

_REQUIRED: dict[int, tuple[str, ...]] = {}


def key_table(keys: dict[str, bool]) -> dict[str, bool]:
    """Register a key table (key -> required) that lives as long as the program, so YamlFile.mapping works out
    its required keys once, not at every node. Returns the table."""
    _REQUIRED[id(keys)] = tuple(k for k, r in keys.items() if r)
    return keys


@dataclass(slots=True)
class YamlFile:
    """One file's diagnostics, and readers of its nodes by shape and type: each problem is a Diagnostic at the
    node's file:line:col, and the reader returns None."""

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

    def error(self, node: yaml.Node | Source | None, message: str, code: str) -> None:
        s = self.src(node)
        self.diags.append(Diagnostic(self.path, s.line, s.col, "error", code, message))

    def warning(self, node: yaml.Node | Source | None, message: str, code: str) -> None:
        s = self.src(node)
        self.diags.append(Diagnostic(self.path, s.line, s.col, "warning", code, message))

    # --- shapes ---

    def mapping(self, node: yaml.Node, what: str, keys: dict[str, bool]) -> dict[str, tuple[Any, Any]] | None:
        """The mapping's entries by key; reports duplicate, unknown and missing keys."""
        if not isinstance(node, yaml.MappingNode):
            self.error(node, f"{what} should be a mapping of keys to values, not {kind(node)}", "wrong-type")
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
        required = _REQUIRED.get(id(keys))  # registered tables are alive, so their ids are theirs alone
        if required is None:
            required = tuple(k for k, r in keys.items() if r)
        for key in required:
            if key not in out:
                self.error(node, f"{what}: missing required key {key!r}", "missing-key")
        return out

    def sequence(self, node: yaml.Node, what: str) -> list[Any] | None:
        if not isinstance(node, yaml.SequenceNode):
            self.error(
                node, f"{what} should be a list (lines starting with '- '), not {kind(node)}", "wrong-type"
            )
            return None
        return list(node.value)

    def string(self, node: yaml.Node, what: str, *, empty_ok: bool = False) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag not in PLAIN_TAGS:
            self.error(node, f"{what} should be text, not {kind(node)}", "wrong-type")
            return None
        if node.value in NULL_WORDS and is_null(node):
            if empty_ok:
                return ""
            self.error(node, f"{what} is empty", "empty")
            return None
        value: str = node.value
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
        self.error(node, f"{what} should be a whole number, not {kind(node)}", "wrong-type")
        return None

    def boolean(self, node: yaml.Node, what: str) -> bool | None:
        if isinstance(node, yaml.ScalarNode) and implicit_tag(node) == BOOL:
            return node.value.lower() in ("true", "yes", "on", "y")
        self.error(node, f"{what} should be true or false, not {kind(node)}", "wrong-type")
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
            node, f"{what} should be a date written YYYY-MM-DD (Old Style), not {kind(node)}", "bad-date"
        )
        return None


class AnyKeys(dict):  # type: ignore[type-arg]
    """A key table that accepts every key (for maps whose keys are names: roles, variables)."""

    def __contains__(self, key: object) -> bool:
        return True

    def __getitem__(self, key: str) -> bool:
        return False


def kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if is_null(node):
        return "empty"
    return f"the value {short(node.value)}"


def short(value: str) -> str:
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
        hint = None if "found character '\\t'" in problem else _indent_hint(text, line - 1)
        if hint is not None:
            line, col, problem = hint
        elif "mapping values are not allowed" in problem:
            problem += "; a value holding ': ' must be put in quotes, as title: \"The Bakery: Shuttered\""
        elif "found character '\\t'" in problem:
            problem += "; indent with spaces, not tabs"
        elif exc.context_mark is not None and exc.context in (
            "while scanning a quoted scalar",
            "while parsing a flow mapping",
            "while parsing a flow sequence",
        ):
            # The real cause is where the quote or bracket was opened, not where the file ran out.
            opened = exc.context_mark
            line, col = opened.line + 1, opened.column + 1
            if exc.context == "while scanning a quoted scalar":
                quote = text.split("\n")[opened.line][opened.column : opened.column + 1] or '"'
                message = (
                    f"this quote ({quote}) is never closed: add the closing {quote} at the end of the value"
                )
                diags.append(Diagnostic(spath, line, col, "error", "yaml-syntax", message))
                return None
            problem = (
                f"the bracket opened here is never closed ({exc.problem} further on); close it at the end "
                "of the value"
            )
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
            _check_tags(node, YamlFile(spath, diags))
        node.plain_text = "\\" not in text and not TEXT_CONTROL_RE.search(text)  # type: ignore[attr-defined]
    return node


_KEY_LINE = re.compile(r"( *)(- +)?([^\s#'\"{\[][^:#]*?|'[^']*'|\"[^\"]*\"):(?: +(\S.*))?$")


def _indent_hint(text: str, at: int) -> tuple[int, int, str] | None:
    """When a YAML syntax error at line index `at` comes from that line's indentation (it lines up with no key
    above it), the line, column and words that say so; else None."""
    lines = text.splitlines()
    if not 0 < at < len(lines) or not lines[at].strip() or lines[at].lstrip().startswith("#"):
        return None
    row = lines[at]
    indent = len(row) - len(row.lstrip(" "))
    if not _KEY_LINE.match(row):
        return None
    # The key columns of the mappings open above this line: the nearest key line, then each enclosing one.
    levels: list[tuple[int, int, str]] = []  # (column, line index, key)
    limit = None
    for i in range(at - 1, -1, -1):
        m = _KEY_LINE.match(lines[i])
        if not lines[i].strip() or lines[i].lstrip().startswith("#") or m is None:
            continue
        lead = len(m.group(1))
        col = lead + len(m.group(2) or "")
        if limit is None and m.group(4) is None and indent > col:
            return None  # the line above opens a block ('choices:'): a deeper line is its child, rightly
        if limit is None or col < limit:
            levels.append((col, i, m.group(3)))
            if m.group(2):  # a list item: its dash is a level too
                levels.append((lead, i, "-"))
            limit = lead if m.group(2) else col
            if lead == 0:
                break
    if not levels or indent in {c for c, _, _ in levels}:
        return None
    col, i, key = min(levels, key=lambda lv: (abs(lv[0] - indent), -lv[1]))
    near = f"'{key}:' on line {i + 1}" if key != "-" else f"the '-' on line {i + 1}"
    return (
        at + 1,
        indent + 1,
        f"line {at + 1} is indented {indent} spaces, which lines up with no key above it ({near} is at "
        f"{col}): keys of one mapping start in the same column, with spaces only",
    )


def _check_tags(root: yaml.Node, f: YamlFile) -> None:
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

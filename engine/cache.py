"""A cache of loaded stories, so a second start of an unchanged story skips the YAML.

The cache lives outside the story folder, in the user's cache directory ($XDG_CACHE_HOME/dualpower, else
~/.cache/dualpower), one JSON file per story folder. It is plain data (never pickle: reading it cannot run
code), keyed by every story file's path, size, modification time and content hash, and by the engine's version.
A cache that is missing, stale, unreadable or corrupt is ignored and rebuilt; failing to write it is harmless.
Set DUALPOWER_NO_CACHE=1 to bypass it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import enum
import functools
import gc
import hashlib
import json
import os
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from engine import __version__, expr
from engine.diagnostics import Diagnostic
from engine.files import atomic_write
from engine.model import Condition, Scene, Source, Story

FORMAT = 3
"""Bumped by hand only when the layout below changes (header keys, one line per scene); model changes are
caught by `schema_stamp`."""


def engine_stamp() -> str:
    """The engine's version and its loading code's modification times: a developer's edit to the loader (new
    checks, new keys) makes old caches stale, as a new release does."""
    here = Path(__file__).parent
    times = []
    for name in (
        "loader.py",
        "yamlnodes.py",
        "story_schema.py",
        "text.py",
        "model.py",
        "expr.py",
        "cache.py",
    ):
        try:
            times.append(str((here / name).stat().st_mtime_ns))
        except OSError:
            times.append("?")
    return f"{__version__}:{':'.join(times)}"


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "dualpower"


def cache_file(root: Path) -> Path:
    key = hashlib.sha256(str(root.resolve()).encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return cache_dir() / f"story-{key}.json"


def fingerprint(root: Path) -> list[list[Any]] | None:
    """[relative path, size, mtime_ns, sha256] for every YAML file the loader reads; None if one can't be read."""
    from engine.files import story_files

    out: list[list[Any]] = []
    for path in [root / "story.yaml", *story_files(root, [])]:
        try:
            st = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            return None
        out.append([path.relative_to(root).as_posix(), st.st_size, st.st_mtime_ns, digest])
    out.sort()
    return out


# --- rows from the model's dataclass fields ------------------------------------------------------

Encode = Callable[[Any, "Writer"], Any]
Decode = Callable[[Any, "Reader"], Any]
_PLAIN: tuple[type, ...] = (str, int, bool, float, type(None))


class Writer:
    """What encoding needs besides the value: the table of file paths, stored relative to the story folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.paths: list[str] = []
        self._index: dict[str, int] = {}

    def source(self, s: Source) -> list[Any]:
        i = self._index.get(s.path)
        if i is None:
            i = self._index[s.path] = len(self.paths)
            self.paths.append(s.path)
        return [i, s.line, s.col]

    def relative_paths(self) -> list[str]:
        # relative to the story folder, which may be named otherwise next time
        return [os.path.relpath(p, self.root) for p in self.paths]


class Reader:
    """What decoding needs: the file paths (under the folder as named now) and the variables' types, with which
    each condition text is parsed, checked and compiled once."""

    def __init__(self, paths: list[str], variable_types: Callable[[], dict[str, str]]) -> None:
        self.paths = paths
        self._variable_types = variable_types
        self._types: dict[str, str] | None = None
        self._compiled: dict[str, tuple[expr.Node, expr.Compiled]] = {}

    def source(self, row: list[Any]) -> Source:
        f, line, col = row
        return Source(self.paths[f], line, col)

    def condition(self, text: str, source: Source) -> Condition:
        hit = self._compiled.get(text)
        if hit is None:
            if self._types is None:
                self._types = {**self._variable_types(), "role": "str"}
            tree = expr.parse(text)
            expr.check(tree, self._types)
            hit = self._compiled[text] = (tree, expr.compile_node(tree))
        return Condition(text, hit[0], hit[1], source)


_MAKERS: dict[type, Callable[[dict[str, Any], Reader], Any]] = {
    Condition: lambda kw, r: r.condition(kw["text"], kw["source"]),
}
"""Classes with derived fields (declared `compare=False`: stored nowhere, rebuilt from the others)."""


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, localns={"Node": expr.Node, "Compiled": expr.Compiled})


class Rows:
    """Encode a dataclass as the list of its stored fields, in declaration order, and back.

    Every field is stored except the derived ones (`compare=False`, rebuilt by the class's entry in _MAKERS)
    and those named in `skip` (the caller supplies them)."""

    def __init__(self, cls: type, skip: frozenset[str] = frozenset()) -> None:
        self.cls = cls
        self.maker = _MAKERS.get(cls)
        hints = _hints(cls)
        stored = []
        for f in dataclasses.fields(cls):
            if f.name in skip or not f.init:
                continue
            if not f.compare:
                if self.maker is None:
                    raise TypeError(
                        f"{cls.__name__}.{f.name} is derived (compare=False): add a maker to _MAKERS"
                    )
                continue
            stored.append(f)
        self.names = [f.name for f in stored]
        init = [f for f in dataclasses.fields(cls) if f.init]
        # the stored fields are the constructor's arguments in order: build positionally (faster)
        self.positional = self.maker is None and stored == init and not any(f.kw_only for f in stored)
        self._types = [hints[f.name] for f in stored]
        self.encoders: list[Encode | None] = []
        self.decoders: list[Decode | None] = []

    def fill(self) -> None:
        for name, tp in zip(self.names, self._types, strict=True):
            e, d = codec(tp, f"{self.cls.__name__}.{name}")
            self.encoders.append(e)
            self.decoders.append(d)

    def encode(self, obj: Any, w: Writer) -> list[Any]:
        return [
            v if e is None else e(v, w)
            for e, v in zip(self.encoders, [getattr(obj, n) for n in self.names], strict=True)
        ]

    def values(self, row: list[Any], r: Reader) -> list[Any]:
        if type(row) is not list or len(row) != len(self.names):
            raise ValueError(f"a damaged {self.cls.__name__} row")
        return [v if d is None else d(v, r) for d, v in zip(self.decoders, row, strict=True)]

    def decode(self, row: list[Any], r: Reader) -> Any:
        vals = self.values(row, r)
        if self.positional:
            return self.cls(*vals)
        kw = dict(zip(self.names, vals, strict=True))
        return self.cls(**kw) if self.maker is None else self.maker(kw, r)


_ROWS: dict[type, Rows] = {}


def rows(cls: type) -> Rows:
    hit = _ROWS.get(cls)
    if hit is None:
        hit = _ROWS[cls] = Rows(cls)
        hit.fill()  # after registering it, so a class may (indirectly) contain itself
    return hit


def codec(tp: Any, where: str) -> tuple[Encode | None, Decode | None]:
    """How a value of type `tp` is stored: (encode, decode), None meaning "as it is" (JSON keeps it)."""
    if tp in _PLAIN or tp is Any:
        return None, None
    if tp is Source:
        return (lambda v, w: w.source(v)), (lambda v, r: r.source(v))
    if tp is _dt.date:
        return (lambda v, w: v.isoformat()), (lambda v, r: _dt.date.fromisoformat(v))
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        enum_cls = tp
        return (lambda v, w: v.value), (lambda v, r: enum_cls(v))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        rs = rows(tp)
        return rs.encode, rs.decode
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin is typing.Literal and all(type(a) in _PLAIN for a in args):
        return None, None
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return _sequence(codec(args[0], f"{where}[]"))
    if origin is tuple:
        return _fixed(tuple(codec(a, f"{where}[{i}]") for i, a in enumerate(args)))
    if origin in (dict, Mapping) and args and args[0] is str:
        return _mapping(codec(args[1], f"{where}[]"))
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not type(None)]
        if all(a in _PLAIN for a in options):
            return None, None
        if len(options) == 1:
            return _optional(codec(options[0], where))
        return _tagged(options, [codec(a, where) for a in options])
    raise TypeError(f"the cache cannot store {where} of type {tp!r}: teach cache.codec this type")


def _sequence(item: tuple[Encode | None, Decode | None]) -> tuple[Encode, Decode]:
    e, d = item
    return (
        (lambda v, w: list(v)) if e is None else (lambda v, w: [e(x, w) for x in v]),
        (lambda v, r: tuple(v)) if d is None else (lambda v, r: tuple(d(x, r) for x in v)),
    )


def _fixed(items: tuple[tuple[Encode | None, Decode | None], ...]) -> tuple[Encode, Decode]:
    def enc(v: Any, w: Writer) -> Any:
        return [x if e is None else e(x, w) for (e, _), x in zip(items, v, strict=True)]

    def dec(v: Any, r: Reader) -> Any:
        return tuple(x if d is None else d(x, r) for (_, d), x in zip(items, v, strict=True))

    return enc, dec


def _mapping(item: tuple[Encode | None, Decode | None]) -> tuple[Encode, Decode]:
    e, d = item
    return (
        (lambda v, w: dict(v)) if e is None else (lambda v, w: {k: e(x, w) for k, x in v.items()}),
        (lambda v, r: dict(v)) if d is None else (lambda v, r: {k: d(x, r) for k, x in v.items()}),
    )


def _optional(item: tuple[Encode | None, Decode | None]) -> tuple[Encode, Decode]:
    e, d = item
    return (
        (lambda v, w: v) if e is None else (lambda v, w: None if v is None else e(v, w)),
        (lambda v, r: v) if d is None else (lambda v, r: None if v is None else d(v, r)),
    )


def _tagged(options: list[Any], items: list[tuple[Encode | None, Decode | None]]) -> tuple[Encode, Decode]:
    """A union of several kinds: [position of the kind in the union, the value]."""
    kinds = [typing.get_origin(a) or a for a in options]

    def enc(v: Any, w: Writer) -> Any:
        if v is None:
            return None
        for i, (kind, (e, _)) in enumerate(zip(kinds, items, strict=True)):
            if isinstance(v, kind) and not (type(v) is bool and kind is int):
                return [i, v if e is None else e(v, w)]
        raise TypeError(f"no kind of {options!r} fits {v!r}")

    def dec(v: Any, r: Reader) -> Any:
        if v is None:
            return None
        i, x = v
        if type(i) is not int or not 0 <= i < len(items):
            raise ValueError("a damaged union value")
        d = items[i][1]
        return x if d is None else d(x, r)

    return enc, dec


def model_classes(root: type = Story) -> list[type]:
    """Every dataclass reachable from `root` through its stored fields' types (not the derived ones), `root`
    first."""
    seen: list[type] = []

    def visit(tp: Any) -> None:
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            if tp in seen:
                return
            seen.append(tp)
            hints = _hints(tp)
            for f in dataclasses.fields(tp):
                if f.compare:
                    visit(hints[f.name])
        for arg in typing.get_args(tp):
            visit(arg)

    visit(root)
    return seen


def schema_stamp(classes: list[type]) -> str:
    """A hash over each class's name and its fields' names and declared types: changes when a model class does."""
    h = hashlib.sha256()
    for cls in classes:
        h.update(f"{cls.__module__}.{cls.__qualname__}\n".encode())
        for f in dataclasses.fields(cls):
            h.update(f"  {f.name}: {f.type} compare={f.compare}\n".encode())
    return h.hexdigest()[:16]


_STORY_OWN = frozenset({"scenes", "root", "files"})
"""Story fields the cache keeps its own way: scenes one line each (parsed lazily), the folder as the caller names
it now, the file list relative to it."""


@functools.cache
def stamp() -> str:
    """What a cache must match besides the story's files: the cache's format, the engine, the model's shape."""
    return f"{FORMAT}:{engine_stamp()}:{schema_stamp([*model_classes(Story), Diagnostic])}"


def load(root: str | Path) -> tuple[Story | None, list[Diagnostic]]:
    """loader.load with the cache in front: the same result, faster the second time (without even importing
    the YAML loader)."""
    root = Path(root)
    prints = None
    if not os.environ.get("DUALPOWER_NO_CACHE") and (root / "story.yaml").is_file():
        prints = fingerprint(root)
    path = cache_file(root)
    if prints is not None:
        cached = read(path, prints, root)
        if cached is not None:
            return cached
    from engine import loader

    story, diags = loader.load(root)
    if story is not None and prints is not None:
        with contextlib.suppress(OSError, TypeError, ValueError):
            write(path, prints, story, diags)
    return story, diags


# --- writing ------------------------------------------------------------------------------------


def write(path: Path, prints: list[list[Any]], story: Story, diags: list[Diagnostic]) -> None:
    w = Writer(story.root)
    w.source(Source(str(story.root / "story.yaml"), 1, 1))
    scene_rows = rows(Scene)
    scenes = [scene_rows.encode(s, w) for s in story.scenes.values()]
    data = {
        "stamp": stamp(),
        "fingerprint": prints,
        "story": _story_rows().encode(story, w),
        "files": [os.path.relpath(f, story.root) for f in story.files],
        "scene_ids": list(story.scenes),
        "ending_ids": [s.id for s in story.endings],
        "paths": w.relative_paths(),
        "diagnostics": [rows(Diagnostic).encode(d, w) for d in diags],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    _prune(path.parent)
    # One line for the header, then one line per scene, so a game can parse only the scenes it visits.
    lines = [json.dumps(data, ensure_ascii=False, separators=(",", ":"))]
    lines.extend(json.dumps(sc, ensure_ascii=False, separators=(",", ":")) for sc in scenes)
    atomic_write(path, "\n".join(lines))


@functools.cache
def _story_rows() -> Rows:
    rs = Rows(Story, skip=_STORY_OWN)
    rs.fill()
    return rs


KEEP = 24
"""How many story caches (and check caches) to keep: the most recently written; older ones (folders long gone)
are removed."""


def _prune(folder: Path, prefix: str = "story-") -> None:
    try:
        entries = sorted(folder.glob(f"{prefix}*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    except OSError:
        return
    for old in entries[KEEP - 1 :]:
        with contextlib.suppress(OSError):
            old.unlink()


# --- reading ------------------------------------------------------------------------------------


def read(path: Path, prints: list[list[Any]], root: Path) -> tuple[Story, list[Diagnostic]] | None:
    """The cached story if the cache matches `prints` exactly; None for any mismatch or damage."""
    try:
        lines = path.read_bytes().split(b"\n")
        data = json.loads(lines[0])
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or data.get("stamp") != stamp():
        return None
    if data.get("fingerprint") != prints:
        return None
    was_enabled = gc.isenabled()
    gc.disable()  # many small acyclic objects: see loader.load
    try:
        return _rebuild(data, lines[1:], root)
    except (KeyError, IndexError, TypeError, ValueError, AttributeError, expr.ExprError):
        return None  # a damaged cache is ignored; the caller rebuilds it
    finally:
        gc.freeze()  # see loader.load
        if was_enabled:
            gc.enable()


class LazyScenes(Mapping[str, Scene]):
    """The story's scenes, each parsed from its cached line the first time it is looked up."""

    def __init__(
        self,
        ids: list[str],
        lines: list[bytes],
        ending_ids: list[str],
        build: Callable[[list[Any]], Scene],
        root: Path,
    ) -> None:
        if len(ids) != len(lines):
            raise ValueError("scene lines do not match the index")
        self._index = {sid: i for i, sid in enumerate(ids)}
        self._lines = lines
        self._built: dict[str, Scene] = {}
        self._build = build
        self._root = root
        self.ending_ids = ending_ids

    def __getitem__(self, key: str) -> Scene:
        scene = self._built.get(key)
        if scene is None:
            line = self._lines[self._index[key]]
            try:
                scene = self._build(json.loads(line))
                if scene.id != key:
                    raise ValueError(key)
            except (
                KeyError,
                IndexError,
                TypeError,
                ValueError,
                AttributeError,
                RecursionError,
                expr.ExprError,
            ):
                scene = self._from_files(key)
            self._built[key] = scene
        return scene

    def __contains__(self, key: object) -> bool:
        return key in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def _from_files(self, key: str) -> Scene:
        """A damaged cache line: drop the cache and read the scene from the story files themselves."""
        from engine import loader

        with contextlib.suppress(OSError):
            cache_file(self._root).unlink()
        story, _ = loader.load(self._root)
        if story is None or key not in story.scenes:
            raise KeyError(key)
        return story.scenes[key]


def _rebuild(data: dict[str, Any], lines: list[bytes], root: Path) -> tuple[Story, list[Diagnostic]]:
    story_rows = _story_rows()
    raw = data["story"]
    if type(raw) is not list or len(raw) != len(story_rows.names):
        raise ValueError("a damaged story row")
    raw_variables = raw[story_rows.names.index("variables")]

    decode_variables = story_rows.decoders[story_rows.names.index("variables")]
    if decode_variables is None:
        raise ValueError("variables are not a model field")
    decode: Decode = decode_variables

    def variable_types() -> dict[str, str]:
        return {n: v.type for n, v in decode(raw_variables, reader).items()}

    reader = Reader([str(root / p) for p in data["paths"]], variable_types)
    fields = dict(zip(story_rows.names, story_rows.values(raw, reader), strict=True))
    scene_rows = rows(Scene)
    scenes = LazyScenes(
        data["scene_ids"], lines, data["ending_ids"], lambda item: scene_rows.decode(item, reader), root
    )
    story = Story(
        **fields,
        scenes=scenes,
        root=root,  # as the caller named it now, not as it was named when the cache was written
        files=tuple(str(root / f) for f in data["files"]),
    )
    diags = [rows(Diagnostic).decode(d, reader) for d in data["diagnostics"]]
    return story, diags

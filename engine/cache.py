"""A cache of loaded stories, so a second start of an unchanged story skips the YAML.

The cache lives outside the story folder, in the user's cache directory ($XDG_CACHE_HOME/dualpower, else
~/.cache/dualpower), one JSON file per story folder. It is plain data (never pickle: reading it cannot run
code), keyed by every story file's path, size, modification time and content hash, and by the engine's version.
A cache that is missing, stale, unreadable or corrupt is ignored and rebuilt; failing to write it is harmless.
Set DUALPOWER_NO_CACHE=1 to bypass it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import gc
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from engine import __version__, expr
from engine.diagnostics import Diagnostic
from engine.files import atomic_write
from engine.model import (
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
    Story,
    Term,
    Variable,
)

FORMAT = 3


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
    files = sorted({s.source.path for s in story.scenes.values()} | {str(story.root / "story.yaml")})

    def rel(path: str) -> str:
        return os.path.relpath(path, story.root)

    index = {f: i for i, f in enumerate(files)}

    def src(s: Source) -> list[Any]:
        i = index.get(s.path)
        if i is None:
            i = index[s.path] = len(files)
            files.append(s.path)
        return [i, s.line, s.col]

    def effects(effs: tuple[Effect, ...]) -> list[Any]:
        return [[e.op, e.var, e.value, *src(e.source), cond(e.compute)] for e in effs]

    def cond(c: Condition | None) -> list[Any] | None:
        return None if c is None else [c.text, *src(c.source)]

    def paras(ps: tuple[Paragraph, ...]) -> list[Any]:
        return [[p.text, cond(p.cond), *src(p.source)] for p in ps]

    scenes = []
    for s in story.scenes.values():
        scenes.append(
            [
                s.id,
                s.title,
                s.date.isoformat(),
                s.place,
                paras(s.paragraphs),
                s.note,
                list(s.documents),
                effects(s.on_enter),
                [
                    [
                        c.text,
                        c.goto,
                        cond(c.cond),
                        effects(c.effects),
                        c.once,
                        c.show_locked,
                        c.index,
                        *src(c.source),
                        paras(c.response),
                        c.call,
                        [
                            [o.weight, o.goto, effects(o.effects), paras(o.response), *src(o.source)]
                            for o in c.chance
                        ],
                    ]
                    for c in s.choices
                ],
                None if s.ending is None else [s.ending.title, s.ending.epilogue, *src(s.ending.source)],
                *src(s.source),
            ]
        )
    data = {
        "format": FORMAT,
        "engine": engine_stamp(),
        "fingerprint": prints,
        "story": {
            "id": story.id,
            "title": story.title,
            "version": story.version,
            "premise": story.premise,
            "content_notes": list(story.content_notes),
            "calendar": story.calendar,
            "roles": [
                [r.key, r.name, r.title, r.blurb, r.start, *src(r.source)] for r in story.roles.values()
            ],
            "variables": [
                [v.name, v.type, v.start, v.min, v.max, v.label, v.show, *src(v.source)]
                for v in story.variables.values()
            ],
            "glossary": [[t.term, list(t.aliases), t.text, *src(t.source)] for t in story.glossary],
            "documents": [
                [d.id, d.title, d.date.isoformat() if d.date else None, d.attribution, d.text, *src(d.source)]
                for d in story.documents.values()
            ],
            "files": [rel(f) for f in story.files],
            "scene_ids": [sc[0] for sc in scenes],
            "ending_ids": [sc[0] for sc in scenes if sc[9] is not None],
        },
        "paths": [
            rel(f) for f in files
        ],  # relative to the story folder, which may be named otherwise next time
        "diagnostics": [[d.path, d.line, d.col, d.severity, d.code, d.message] for d in diags],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    _prune(path.parent)
    # One line for the header, then one line per scene, so a game can parse only the scenes it visits.
    lines = [json.dumps(data, ensure_ascii=False, separators=(",", ":"))]
    lines.extend(json.dumps(sc, ensure_ascii=False, separators=(",", ":")) for sc in scenes)
    atomic_write(path, "\n".join(lines))


KEEP = 24
"""How many story caches to keep: the most recently written; older ones (folders long gone) are removed."""


def _prune(folder: Path) -> None:
    try:
        entries = sorted(folder.glob("story-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
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
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("engine") != engine_stamp():
        return None
    if data.get("fingerprint") != prints:
        return None
    was_enabled = gc.isenabled()
    gc.disable()  # many small acyclic objects: see loader.load
    try:
        return _rebuild(data, lines[1:], root)
    except (KeyError, IndexError, TypeError, ValueError, expr.ExprError):
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
            except (IndexError, TypeError, ValueError, RecursionError, expr.ExprError):
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
    paths: list[str] = [str(root / p) for p in data["paths"]]
    st = data["story"]

    def src(f: int, line: int, col: int) -> Source:
        return Source(paths[f], line, col)

    variables = {
        n: Variable(n, t, s, lo, hi, lab, sh, src(*rest))
        for n, t, s, lo, hi, lab, sh, *rest in st["variables"]
    }
    types = {n: v.type for n, v in variables.items()}
    types["role"] = "str"
    compiled: dict[str, tuple[expr.Node, expr.Compiled]] = {}

    def cond(c: list[Any] | None) -> Condition | None:
        if c is None:
            return None
        text = c[0]
        hit = compiled.get(text)
        if hit is None:
            tree = expr.parse(text)
            expr.check(tree, types)
            hit = compiled[text] = (tree, expr.compile_node(tree))
        return Condition(text, hit[0], hit[1], src(*c[1:]))

    def effects(items: list[Any]) -> tuple[Effect, ...]:
        return tuple(
            Effect(op, var, value, src(f, line, col), cond(compute))
            for op, var, value, f, line, col, compute in items
        )

    def paras(items: list[Any]) -> tuple[Paragraph, ...]:
        return tuple(Paragraph(t, cond(c), src(*r)) for t, c, *r in items)

    def choice(item: list[Any]) -> Choice:
        t, g, c, e, o, sl, i, f, line, col, response, call, chance = item
        outcomes = tuple(Outcome(w, to, effects(ef), paras(r), src(*rest)) for w, to, ef, r, *rest in chance)
        return Choice(t, g, cond(c), effects(e), o, sl, i, src(f, line, col), paras(response), call, outcomes)

    date = _dt.date.fromisoformat

    def build(item: list[Any]) -> Scene:
        sid, title, d, place, paragraphs, note, docs, on_enter, choices, ending, *rest = item
        return Scene(
            sid,
            title,
            date(d),
            place,
            paras(paragraphs),
            note,
            tuple(docs),
            effects(on_enter),
            tuple(choice(c) for c in choices),
            None if ending is None else Ending(ending[0], ending[1], src(*ending[2:])),
            src(*rest),
        )

    scenes = LazyScenes(st["scene_ids"], lines, st["ending_ids"], build, root)
    story = Story(
        id=st["id"],
        title=st["title"],
        version=st["version"],
        premise=st["premise"],
        content_notes=tuple(st["content_notes"]),
        calendar=st["calendar"],
        roles={k: Role(k, n, t, b, s, src(*r)) for k, n, t, b, s, *r in st["roles"]},
        variables=variables,
        scenes=scenes,
        glossary=tuple(Term(t, tuple(a), x, src(*r)) for t, a, x, *r in st["glossary"]),
        documents={
            i: Document(i, t, date(d) if d else None, a, x, src(*r)) for i, t, d, a, x, *r in st["documents"]
        },
        root=root,  # as the caller named it now, not as it was named when the cache was written
        files=tuple(str(root / f) for f in st["files"]),
    )
    diags = [Diagnostic(*d) for d in data["diagnostics"]]
    return story, diags

"""The check cache: a second `dualpower check` reads only the scene files that changed.

For each scene file, a check keeps what reading and judging it alone gave: its scene ids and their places, its
own diagnostics, the references the cross-file checks resolve (gotos, `visited('...')`-like calls, documents),
each scene's Shape (where its choices lead, what it reads and changes: check.Shape) and the diagnostics of the
one-scene analyses (check.Judge). A later check takes these for every file whose size and modification time (or
else content hash) are unchanged and reads the rest; the cross-file checks and the whole-story analyses
(check.whole) are made again from the Shapes, which is cheap. A change to story.yaml (the variables and roles
every file is read against) or to the engine makes every entry stale.

The cache lives beside the play cache (engine/cache.py: same folder, same rules): plain JSON data, never pickle;
missing, stale, unreadable or damaged, it is ignored and rebuilt; failing to write it is harmless; written only
after a check of a story that loads, so a check that finds errors never spoils it; DUALPOWER_NO_CACHE=1
bypasses it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from engine import cache
from engine.check import Shape, Step
from engine.diagnostics import Diagnostic
from engine.files import atomic_write
from engine.loader import Part
from engine.model import Source

FORMAT = 1


def _stamp() -> str:
    here = Path(__file__).parent
    times = []
    for name in ("check.py", "checkcache.py", "graph.py"):
        try:
            times.append(str((here / name).stat().st_mtime_ns))
        except OSError:
            times.append("?")
    return f"{FORMAT}:{cache.stamp()}:{':'.join(times)}"


def cache_file(root: Path) -> Path:
    return cache.cache_file(root).with_name(cache.cache_file(root).name.replace("story-", "check-", 1))


class Store:
    """One story folder's check cache: `reuse` answers the loader, `analysed` the analysis, `save` writes."""

    def __init__(self, root: Path, header: str, files: dict[str, Any]) -> None:
        self.root = root
        self.header = header
        self._old = files
        self._new: dict[str, Any] = {}
        self.changed = False
        """True once a file was read (not reused), or one reused was touched: then save() writes."""

    @classmethod
    def open(cls, root: Path) -> Store | None:
        """The folder's cache (empty when there is none yet or it is stale); None when caching is off."""
        if os.environ.get("DUALPOWER_NO_CACHE"):
            return None
        try:
            header = hashlib.sha256((root / "story.yaml").read_bytes()).hexdigest()
        except OSError:
            return None
        files: dict[str, Any] = {}
        with contextlib.suppress(OSError, ValueError, RecursionError):
            data = json.loads(cache_file(root).read_bytes())
            if (
                isinstance(data, dict)
                and data.get("stamp") == _stamp()
                and data.get("header") == header
                and isinstance(data.get("files"), dict)
            ):
                files = data["files"]
        return cls(root, header, files)

    # --- the loader's question: is this file unchanged? ---

    def reuse(self, path: Path) -> Part | None:
        rel = self._rel(path)
        entry = self._old.get(rel)
        if not isinstance(entry, dict):
            return None
        try:
            st = path.stat()
            if [st.st_size, st.st_mtime_ns] != [entry["size"], entry["mtime"]]:
                if st.st_size != entry["size"] or _digest(path) != entry["sha"]:
                    return None
                entry = {**entry, "mtime": st.st_mtime_ns}  # touched, not changed
                self.changed = True
            part = _part(str(path), entry)
        except (OSError, KeyError, IndexError, TypeError, ValueError):
            return None
        self._new[rel] = entry
        return part

    # --- the analysis's question: what did judging this file alone give? ---

    def analysed(self, part: Part) -> tuple[list[Shape], list[Diagnostic]] | None:
        """The Shapes and one-scene diagnostics of a Part that `reuse` gave, else None."""
        entry = self._new.get(self._rel(Path(part.path)))
        if entry is None or part.scenes is not None:
            return None
        try:
            path = part.path
            return [_shape(path, row) for row in entry["shapes"]], [_diag(path, d) for d in entry["local"]]
        except (KeyError, IndexError, TypeError, ValueError):
            return None

    def keep(self, part: Part, shapes: list[Shape], local: list[Diagnostic]) -> None:
        """Remember a file that was read and judged now."""
        path = Path(part.path)
        if any(d.path != part.path for d in [*part.diags, *local]):
            return  # a diagnostic about another file: not this file's alone, so not kept
        try:
            st = path.stat()
            digest = _digest(path)
        except OSError:
            return
        self.changed = True
        self._new[self._rel(path)] = {
            "size": st.st_size,
            "mtime": st.st_mtime_ns,
            "sha": digest,
            "ids": [[sid, s.line, s.col] for sid, s in part.ids],
            "diags": [_diag_row(d) for d in part.diags],
            "gotos": [[s.line, s.col, t] for s, t in part.gotos],
            "calls": [[s.line, s.col, func, t, off] for s, func, t, off in part.calls],
            "docs": [[s.line, s.col, doc] for s, doc in part.docs],
            "shapes": [_shape_row(sh) for sh in shapes],
            "local": [_diag_row(d) for d in local],
        }

    def save(self) -> None:
        """Write the cache, if this check read a file or a file went away."""
        if not self.changed and self._new.keys() == self._old.keys():
            return
        data = {"stamp": _stamp(), "header": self.header, "files": self._new}
        with contextlib.suppress(OSError, TypeError, ValueError):
            path = cache_file(self.root)
            path.parent.mkdir(parents=True, exist_ok=True)
            cache._prune(path.parent, "check-")
            atomic_write(path, json.dumps(data, ensure_ascii=False, separators=(",", ":")))

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _part(path: str, e: dict[str, Any]) -> Part:
    return Part(
        path=path,
        ids=[(str(sid), Source(path, int(line), int(col))) for sid, line, col in e["ids"]],
        diags=[_diag(path, d) for d in e["diags"]],
        gotos=[(Source(path, line, col), str(t)) for line, col, t in e["gotos"]],
        calls=[(Source(path, line, col), str(f), str(t), int(off)) for line, col, f, t, off in e["calls"]],
        docs=[(Source(path, line, col), str(doc)) for line, col, doc in e["docs"]],
        scenes=None,
    )


def _diag_row(d: Diagnostic) -> list[Any]:
    return [d.line, d.col, d.severity, d.code, d.message]


def _diag(path: str, row: list[Any]) -> Diagnostic:
    line, col, severity, code, message = row
    return Diagnostic(path, int(line), int(col), str(severity), str(code), str(message))


def _shape_row(s: Shape) -> list[Any]:
    return [
        s.id,
        s.source.line,
        s.source.col,
        s.date.toordinal(),
        s.ending,
        sorted(s.reads),
        sorted(s.changes),
        [[c.pos, c.line, c.col, c.goto, c.call, list(c.chance)] for c in s.choices],
    ]


def _shape(path: str, row: list[Any]) -> Shape:
    sid, line, col, day, ending, reads, changes, steps = row
    return Shape(
        str(sid),
        Source(path, int(line), int(col)),
        _dt.date.fromordinal(int(day)),
        None if ending is None else str(ending),
        tuple(
            Step(int(i), path, int(ln), int(cl), str(goto), str(call), tuple(map(str, chance)))
            for i, ln, cl, goto, call, chance in steps
        ),
        frozenset(map(str, reads)),
        frozenset(map(str, changes)),
    )

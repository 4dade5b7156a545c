"""The check cache: a second `dualpower check` reads only the scene files that changed.

For each scene file, a check keeps what reading and judging it alone gave: its scene ids and their places, its
own diagnostics, the references the cross-file checks resolve (gotos, `visited('...')`-like calls, documents),
each scene's Shape (where its choices lead, what it reads and changes: check.Shape) and the diagnostics of the
one-scene analyses (check.Judge). A later check takes these for every file whose size and modification time (or
else content hash) are unchanged and reads the rest; the cross-file checks and the whole-story analyses
(check.whole) are made again from the Shapes, which is cheap, or, when no file's outlines changed but for their
lines and columns (an edit to prose: each entry keeps a digest of its outlines without positions), the last
whole-story diagnostics are taken again, each placed at its scene's or choice's new line. A change to story.yaml
(the variables and roles every file is read against) or to the engine makes every entry stale.

The file: a first line naming the stamp, story.yaml's hash, the files, a checksum of each file's line and the
last whole-story diagnostics; then one line per file, written back as it was read when unchanged. A line
whose checksum does not match is dropped (that file is read again), so what is taken is what this code wrote.
A file's line is two JSON texts joined by a tab (which JSON never writes raw): what the loader needs, then the
scenes' outlines, which are three quarters of the bytes and are needed only when the whole-story analyses are
made again, so they are decoded only then.

The cache lives beside the play cache (engine/cache.py: same folder, same rules): plain JSON data, never pickle;
missing, stale, unreadable or damaged, it is ignored and rebuilt; failing to write it is harmless; written only
after a check of a story that loads, so a check that finds errors never spoils it; DUALPOWER_NO_CACHE=1
bypasses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from engine import cache, loader
from engine.check import Shape, shape_from_row, shape_row
from engine.diagnostics import Diagnostic
from engine.files import atomic_write
from engine.loader import Part
from engine.model import Source

FORMAT = 5


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
    """Beside the folder's play cache: check-<key>.json for story-<key>.json."""
    play = cache.cache_file(root)
    return play.with_name(play.name.replace("story-", "check-", 1))


class Store:
    """One story folder's check cache: `reuse` answers the loader, `local_of`, `shapes_of` and `whole_again` the
    analysis, `keep` and `keep_whole` remember what was made now, `save` writes."""

    def __init__(self, root: Path, header: str, files: dict[str, bytes]) -> None:
        self.root = root
        self.header = header
        self._old = files
        """Relative path -> its entry as the cache file holds it (one JSON line, parsed when asked for)."""
        self._new: dict[str, bytes | dict[str, Any]] = {}
        """What the next save writes: an entry unchanged (its line as read) or made now."""
        self._parsed: dict[str, dict[str, Any]] = {}
        """Relative path -> its entry decoded (without "shapes" when taken from the file: see _outlines)."""
        self._outlines: dict[str, bytes] = {}
        """Relative path -> the JSON of its outlines, as read (decoded by shapes_of only when needed)."""
        self._sums: dict[bytes, str] = {}
        """An unchanged line -> its checksum, as the file gave it (save writes it again without hashing)."""
        self._whole: dict[str, Any] | None = None
        """The last whole-story diagnostics and every file's outline digest when they were made."""
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
        files: dict[str, bytes] = {}
        sums: dict[bytes, str] = {}
        whole: dict[str, Any] | None = None
        with contextlib.suppress(OSError, ValueError, RecursionError):
            # The first line names the stamp, story.yaml's hash and the files; then one line per file.
            lines = cache_file(root).read_bytes().split(b"\n")
            head = json.loads(lines[0])
            if (
                isinstance(head, dict)
                and head.get("stamp") == _stamp()
                and head.get("header") == header
                and isinstance(head.get("files"), list)
                and isinstance(head.get("sums"), list)
                and len(head["files"]) == len(head["sums"]) == len(lines) - 1
            ):
                # Each line's checksum: a line damaged or edited since it was written is dropped (that file is
                # read again), so what is taken can be trusted to be what this code wrote.
                for rel, line, sum_ in zip(head["files"], lines[1:], head["sums"], strict=True):
                    if _sum(line) == sum_:
                        files[str(rel)] = line
                        sums[line] = sum_
                if isinstance(head.get("whole"), dict) and head.get("whole_sum") == _sum(
                    json.dumps(head["whole"], ensure_ascii=False, sort_keys=True).encode()
                ):
                    whole = head["whole"]
        store = cls(root, header, files)
        store._whole = whole
        store._sums = sums
        return store

    # --- the loader's question: is this file unchanged? ---

    def reuse(self, path: Path) -> Part | None:
        rel = self._rel(path)
        line = self._old.get(rel)
        if line is None:
            return None
        try:
            head, tab, outlines = line.partition(b"\t")
            entry = json.loads(head)
            if not tab or not isinstance(entry, dict):
                return None
            st = path.stat()
            kept: bytes | dict[str, Any] = line
            if [st.st_size, st.st_mtime_ns] != [entry["size"], entry["mtime"]]:
                if st.st_size != entry["size"] or _digest(path) != entry["sha"]:
                    return None
                # touched, not changed: written again with the new time (and its outlines, decoded)
                entry = kept = {**entry, "mtime": st.st_mtime_ns, "shapes": json.loads(outlines)}
                self.changed = True
            part = loader.part_from_row(str(path), entry)
        except (OSError, KeyError, IndexError, TypeError, ValueError, RecursionError):
            return None
        self._new[rel] = kept
        self._parsed[rel] = entry
        self._outlines[rel] = outlines
        return part

    # --- the analysis's question: what did judging this file alone give? ---

    def local_of(self, part: Part) -> list[Diagnostic] | None:
        """The one-scene diagnostics of a Part that `reuse` gave, else None."""
        entry = self._parsed.get(self._rel(Path(part.path)))
        if entry is None or part.scenes is not None:
            return None
        return [loader.diag_from_row(part.path, d) for d in entry["local"]]

    def shapes_of(self, part: Part) -> list[Shape]:
        """The outlines of the scenes of a Part that `reuse` gave (needed only when the whole-story analyses
        are made again)."""
        rel = self._rel(Path(part.path))
        entry = self._parsed[rel]
        rows = entry.get("shapes")
        if rows is None:
            rows = entry["shapes"] = json.loads(self._outlines[rel])
        return [shape_from_row(part.path, row) for row in rows]

    # --- the whole-story analyses: the same as last time, when no outline changed but for its place ---

    def whole_again(self, fresh: dict[str, list[Shape]]) -> list[Diagnostic] | None:
        """The last check's whole-story diagnostics, if every file's outlines are what they were then, but for
        line and column (`fresh`: the outlines of the files read now, to place its diagnostics anew)."""
        last = self._whole
        if last is None or any(self._rel(Path(path)) not in self._parsed for path in fresh):
            return None  # no last result, or a file read now that the cache could not keep
        if self._ifaces() != last["ifaces"]:
            return None
        places: dict[tuple[str, int], Source] = {}
        for file_shapes in fresh.values():
            for sh in file_shapes:
                places[sh.id, -1] = sh.source
                places.update(((sh.id, c.pos), c.source) for c in sh.choices)
        out = []
        for rel, line, col, severity, code, message, sid, pos in last["diags"]:
            at = places.get((sid, pos)) if sid is not None else None
            path = at.path if at else str(self.root / rel)
            out.append(
                Diagnostic(path, at.line if at else line, at.col if at else col, severity, code, message)
            )
        return out

    def keep_whole(self, found: list[Diagnostic], shapes: dict[str, Shape]) -> None:
        """Remember the whole-story diagnostics, each with the scene (and choice) it is about, if any."""
        anchors: dict[tuple[str, int, int], tuple[str, int]] = {}
        for sh in shapes.values():
            anchors[sh.source.path, sh.source.line, sh.source.col] = (sh.id, -1)
            anchors.update(((c.path, c.line, c.col), (sh.id, c.pos)) for c in sh.choices)
        rows = []
        for d in found:
            sid, pos = anchors.get((d.path, d.line, d.col), (None, 0))
            rows.append([self._rel(Path(d.path)), d.line, d.col, d.severity, d.code, d.message, sid, pos])
        self._whole = {"ifaces": self._ifaces(), "diags": rows}
        self.changed = True

    def _ifaces(self) -> dict[str, str]:
        out = {}
        for rel in self._new:
            entry = self._parsed.get(rel)
            if entry is not None:
                out[rel] = entry["iface"]
        return out

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
        rows = [shape_row(sh) for sh in shapes]
        rel = self._rel(path)
        self._new[rel] = self._parsed[rel] = {
            "iface": _iface(rows),
            "size": st.st_size,
            "mtime": st.st_mtime_ns,
            "sha": digest,
            **loader.part_row(part),
            "shapes": rows,
            "local": [loader.diag_row(d, part.path) for d in local],
        }

    def save(self) -> None:
        """Write the cache, if this check read a file or a file went away (unchanged entries as they were read)."""
        if not self.changed and self._new.keys() == self._old.keys():
            return
        lines = [entry if isinstance(entry, bytes) else _line(entry) for entry in self._new.values()]
        head: dict[str, Any] = {
            "stamp": _stamp(),
            "header": self.header,
            "files": list(self._new),
            "sums": [self._sums.get(line) or _sum(line) for line in lines],
        }
        if self._whole is not None:
            head["whole"] = self._whole
            head["whole_sum"] = _sum(json.dumps(self._whole, ensure_ascii=False, sort_keys=True).encode())
        lines.insert(0, json.dumps(head, ensure_ascii=False).encode())
        with contextlib.suppress(OSError, TypeError, ValueError):
            path = cache_file(self.root)
            path.parent.mkdir(parents=True, exist_ok=True)
            cache._prune(path.parent, "check-")
            atomic_write(path, b"\n".join(lines))

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()


def _line(entry: dict[str, Any]) -> bytes:
    """A file's entry as its line: what the loader needs, a tab, its outlines (JSON never writes a raw tab)."""
    rest = {k: v for k, v in entry.items() if k != "shapes"}
    return f"{_dump(rest)}\t{_dump(entry['shapes'])}".encode()


_dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _iface(rows: list[list[Any]]) -> str:
    """A digest of a file's outlines without their lines and columns: equal when an edit moved text about but
    changed no scene's id, date, ending, reads, changes or where its choices lead."""
    bare = [[r[0], *r[3:7], [[c[0], *c[3:]] for c in r[7]]] for r in rows]
    return _sum(json.dumps(bare, ensure_ascii=False).encode())


def _sum(line: bytes) -> str:
    return hashlib.blake2b(line, digest_size=16).hexdigest()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()

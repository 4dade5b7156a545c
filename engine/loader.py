"""Story folder -> Story: the orchestration. Each file is composed into YAML nodes (yamlnodes.py), read by the
story schema (story_schema.py), then the checks that need every file are made; every problem is collected as a
Diagnostic. Nothing here constructs arbitrary Python objects.
"""

from __future__ import annotations

import gc
import itertools
import marshal
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import yaml

from engine import cores
from engine.diagnostics import Diagnostic, suggest
from engine.files import story_files
from engine.model import Document, Role, Scene, Source, Story, Term, Variable
from engine.story_schema import StoryReader
from engine.yamlnodes import YamlFile, read_yaml


class LoadError(Exception):
    """The story could not be loaded; `diagnostics` says why."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        super().__init__(str(first) if first else "story could not be loaded")


@dataclass(slots=True)
class Part:
    """What one scene file contributed to a load: its scenes (None when taken from the check cache, see
    engine/checkcache.py), their ids and places in order, its own diagnostics, and the references the
    cross-file checks resolve (gotos, `visited('...')`-like calls, documents)."""

    path: str
    ids: list[tuple[str, Source]]
    diags: list[Diagnostic]
    gotos: list[tuple[int, int, str]]
    """(line, column, target) of each goto: plain positions in this file (a Source is made only for a goto whose
    target is unknown, so taking a large file's Part from the check cache or the second process stays cheap)."""
    calls: list[tuple[Source, str, str, int]]
    docs: list[tuple[Source, str]]
    scenes: list[Scene] | None = None
    analysis: Any = None
    """What the check's one-scene analyses gave for this file, when a second process read it."""


Reuse = Callable[[Path], "Part | None"]


class Analysis(Protocol):
    """The check's one-scene analyses, which a second process may run on the files it reads (_read_in_child):
    `judge` makes the judge for the story's variables and roles; `pack` turns its result into plain data (lists,
    strings, numbers) to send back, and `unpack` turns that into the result again."""

    def judge(
        self, variables: Mapping[str, Variable], roles: Mapping[str, Role]
    ) -> Callable[[Part], Any]: ...
    def pack(self, result: Any) -> Any: ...
    def unpack(self, path: str, plain: Any) -> Any: ...


def part_row(part: Part) -> dict[str, Any]:
    """A Part as plain data (its scenes left out), for the check cache and the second process; positions are
    in the Part's own file."""
    return {
        "ids": [[sid, s.line, s.col] for sid, s in part.ids],
        "diags": [diag_row(d, part.path) for d in part.diags],
        "gotos": part.gotos,
        "calls": [[s.line, s.col, func, t, off] for s, func, t, off in part.calls],
        "docs": [[s.line, s.col, doc] for s, doc in part.docs],
    }


def part_from_row(path: str, e: dict[str, Any]) -> Part:
    return Part(
        path=path,
        ids=[(sid, Source(path, line, col)) for sid, line, col in e["ids"]],
        diags=[diag_from_row(path, d) for d in e["diags"]],
        gotos=e["gotos"],  # [line, col, target] lists, as the check cache's checksum or our own child vouch
        calls=[(Source(path, line, col), f, t, off) for line, col, f, t, off in e["calls"]],
        docs=[(Source(path, line, col), doc) for line, col, doc in e["docs"]],
        scenes=None,
    )


def diag_row(d: Diagnostic, path: str) -> list[Any]:
    """A diagnostic as plain data; its path only when it is not `path`."""
    row: list[Any] = [d.line, d.col, d.severity, d.code, d.message]
    return row if d.path == path else [*row, d.path]


def diag_from_row(path: str, row: list[Any]) -> Diagnostic:
    line, col, severity, code, message, *other = row
    return Diagnostic(other[0] if other else path, line, col, severity, code, message)


def load(
    root: str | Path, on_file: Callable[[Path], None] | None = None
) -> tuple[Story | None, list[Diagnostic]]:
    """Load a story folder. Returns the story (None when there are errors) and every diagnostic found."""
    story, diags, _ = load_parts(root, on_file)
    return story, diags


def load_parts(
    root: str | Path,
    on_file: Callable[[Path], None] | None = None,
    reuse: Reuse | None = None,
    analyse: Analysis | None = None,
) -> tuple[Story | None, list[Diagnostic], list[Part]]:
    """load(), also returning each scene file's Part; with `reuse`, unchanged files are not read again (their
    scenes are read from the file only if someone looks one up)."""
    # Loading makes hundreds of thousands of short-lived, acyclic objects (YAML nodes): the cyclic garbage
    # collector would run over and over and find nothing, tripling the time. Pause it while we load.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _load(Path(root), on_file, reuse, analyse)
    finally:
        # The story lives as long as the program: move it out of the collector's sight for good, so later
        # collections (during play, playtests, checks) do not walk a large story over and over.
        gc.freeze()
        if was_enabled:
            gc.enable()


def _load(
    root: Path, on_file: Callable[[Path], None] | None, reuse: Reuse | None, analyse: Analysis | None
) -> tuple[Story | None, list[Diagnostic], list[Part]]:
    b = StoryReader(root)
    header_path = root / "story.yaml"
    if not root.is_dir():
        return None, [Diagnostic(str(root), 1, 1, "error", "no-story", "no such story folder")], []
    if not header_path.is_file():
        return (
            None,
            [
                Diagnostic(
                    str(header_path),
                    1,
                    1,
                    "error",
                    "no-story",
                    "story.yaml is missing: a story folder needs one (see docs/authoring.md)"
                    + (
                        " (the header is always named story.yaml: rename story.yml)"
                        if (root / "story.yml").is_file()
                        else ""
                    ),
                )
            ],
            [],
        )
    files = story_files(root, b.diags)
    head_f = YamlFile(str(header_path), b.diags)
    head_node = read_yaml(header_path, b.diags)
    head = b.story_header(head_f, head_node) if head_node is not None else None
    # Without a readable story.yaml no name is known: report the scenes' own mistakes, not every use of a name.
    b.names_unknown = head is None
    b.role_keys = set(head["roles"]) if head else set()
    glossary: list[Term] = []
    documents: dict[str, Document] = {}
    ids: dict[str, Source] = {}  # every scene id, in story order, where it is first defined
    file_of: dict[str, Part] = {}
    parts: list[Part] = []
    used_files: list[str] = []
    # Phase 1: each file's result, unchanged files from `reuse`, the rest read here (half of them in a second
    # process when there is much to read and an analysis to share: see _read_in_child).
    results: dict[Path, Part | tuple[str, Any] | None] = {}
    todo: list[Path] = []
    for path in files:
        if path == header_path:
            continue
        part = reuse(path) if reuse is not None else None
        if part is not None:
            _adopt(b, part)
            results[path] = part
        else:
            todo.append(path)
    child, left = None, set()  # the second process and the files it reads
    if analyse is not None and head and on_file is None:
        theirs = _child_share(root, todo)
        if theirs:
            judge = analyse.judge(b.variables, head["roles"])
            child = _read_in_child(b, root, theirs, judge, analyse)
            left = set(theirs) if child is not None else set()
    for path in todo:
        if path not in left:
            res = results[path] = _read_one(b, root, path, on_file)
            if child is not None and isinstance(res, Part):
                res.analysis = judge(res)  # while the second process is busy with its share
    if child is not None and analyse is not None:
        got = _child_results(child)
        for path in theirs:
            if got is None or str(path) not in got:  # the second process failed: read its share here
                results[path] = _read_one(b, root, path, on_file)
                continue
            row, diags, broken, packed = got[str(path)]
            if row is not None:
                part = part_from_row(str(path), row)
                part.analysis = analyse.unpack(str(path), packed)
                _adopt(b, part)
                results[path] = part
            else:
                b.diags.extend(diag_from_row(str(path), d) for d in diags)
                results[path] = None
            b.broken_ids.update(broken)  # scenes that exist, with errors of their own
    # Phase 2: in story order, the scene files' ids (the first definition of an id wins).
    for path in files:
        res = results.get(path)
        if res is None:
            continue
        if isinstance(res, tuple):
            if res[0] == "glossary":
                glossary = res[1]
            else:
                documents = res[1]
            continue
        part = res
        used_files.append(part.path)
        parts.append(part)
        for sid, src in part.ids:
            if sid in ids:
                b.diags.append(
                    Diagnostic(
                        src.path,
                        src.line,
                        src.col,
                        "error",
                        "duplicate-id",
                        f"duplicate scene id {sid!r}: first defined at {ids[sid]}",
                    )
                )
                continue
            ids[sid] = src
            file_of[sid] = part
    _cross_check(b, ids, head, head_f, documents)
    if head is None or any(d.severity == "error" for d in b.diags) or head.get("title") is None:
        return None, b.diags, parts
    scenes: Mapping[str, Scene]
    if all(p.scenes is not None for p in parts):
        by_id = {s.id: s for p in parts for s in p.scenes or ()}
        scenes = {sid: by_id[sid] for sid in ids}
    else:
        scenes = FileScenes(list(ids), file_of, lambda path: _reread(b, path))
    story = Story(
        id=head["id"],
        title=head["title"],
        version=head["version"] or 1,
        premise=head["premise"],
        content_notes=head["content_notes"],
        calendar=head["calendar"],
        roles=head["roles"],
        variables=b.variables,
        scenes=scenes,
        glossary=tuple(glossary),
        documents=documents,
        root=root,
        files=tuple(used_files),
    )
    return story, b.diags, parts


def _read_one(
    b: StoryReader, root: Path, path: Path, on_file: Callable[[Path], None] | None
) -> Part | tuple[str, Any] | None:
    """Read one file: a scene file's Part, ("glossary", terms) or ("documents", documents), or None (its
    problems are in b.diags)."""
    marks = _marks(b)
    node = read_yaml(path, b.diags)
    if on_file:
        on_file(path)
    if node is None:
        if any(d.code == "yaml-syntax" for d in b.diags[marks[0] :]):
            # One syntax error is one error: the scenes this file was meant to hold exist, as far as the other
            # files' gotos and the roles' starts are concerned.
            b.broken_ids |= _ids_written(path)
        if len(b.diags) == marks[0]:
            b.diags.append(
                Diagnostic(str(path), 1, 1, "warning", "ignored-file", "ignored: the file is empty")
            )
        return None
    f = YamlFile(str(path), b.diags, check_control=not getattr(node, "plain_text", False))
    rel = path.relative_to(root).as_posix()
    if rel in ("glossary.yaml", "glossary.yml"):
        return ("glossary", b.glossary(f, node))
    if rel in ("documents.yaml", "documents.yml"):
        return ("documents", b.documents(f, node))
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
        return None
    return _part(b, f, b.scene_file(f, node), marks)


PARALLEL_BYTES = 2_000_000
"""Below this many bytes to read, one process reads everything: starting a second costs more than it saves."""


def _child_share(root: Path, todo: list[Path]) -> list[Path]:
    """The files a second process reads: every other one, when there is enough to read and two cores to read
    it on (never the glossary or the documents, which the main process needs whole)."""
    if not cores.second_core():
        return []
    scene_files = [p for p in todo if p.relative_to(root).as_posix() not in _SPECIAL]
    try:
        sizes = [p.stat().st_size for p in scene_files]
    except OSError:
        return []
    total = sum(sizes)
    if total < PARALLEL_BYTES:
        return []
    # Every other file, up to a little less than half the bytes: the second process also has to send its
    # results back, which the main one then takes in while it has nothing else to do.
    share, room = [], total * CHILD_SHARE
    for path, size in list(zip(scene_files, sizes, strict=True))[1::2]:
        if size <= room:
            share.append(path)
            room -= size
    return share


CHILD_SHARE = 0.46
"""The part of the bytes the second process reads (it also pickles its results: a little less than half)."""


_SPECIAL = {"glossary.yaml", "glossary.yml", "documents.yaml", "documents.yml"}


def _read_in_child(
    b: StoryReader, root: Path, paths: list[Path], judge: Callable[[Part], Any], analysis: Analysis
) -> cores.Child | None:
    """A forked process that reads `paths` and judges each Part with `judge` (the check's one-scene analyses),
    sending back each file's result as plain data (marshal: plain data only, and much quicker than pickle for
    it), without its scenes (they stay in the files: see FileScenes); None when none could be started."""

    def work() -> bytes:
        out: dict[str, Any] = {}
        for path in paths:
            d0, broken0 = len(b.diags), set(b.broken_ids)
            res = _read_one(b, root, path, None)
            broken = sorted(b.broken_ids - broken0)
            if isinstance(res, Part):
                out[str(path)] = (part_row(res), [], broken, analysis.pack(judge(res)))
            else:  # special files are never in the share: this is a file that could not be read
                out[str(path)] = (None, [diag_row(d, str(path)) for d in b.diags[d0:]], broken, None)
        return marshal.dumps(out)

    return cores.start(work)


def _child_results(child: cores.Child) -> dict[str, Any] | None:
    """What the second process sent (this program's own child: plain data it wrote), or None."""
    data = child.result()
    if data is None:
        return None
    try:
        got = marshal.loads(data)
    except (ValueError, EOFError, TypeError):
        return None
    return got if isinstance(got, dict) else None


def _marks(b: StoryReader) -> tuple[int, int, int, int]:
    return len(b.diags), len(b.gotos), len(b.pending_calls), len(b.document_refs)


def _part(b: StoryReader, f: YamlFile, scenes: list[Scene], marks: tuple[int, int, int, int]) -> Part:
    """What reading one scene file added to the reader since `marks`, as that file's Part."""
    d, g, c, r = marks
    return Part(
        path=f.path,
        ids=[(s.id, s.source) for s in scenes],
        diags=b.diags[d:],
        gotos=[(src.line, src.col, t) for _, src, t in b.gotos[g:]],
        calls=[(src, func, t, off) for _, src, func, t, off in b.pending_calls[c:]],
        docs=[(src, doc) for _, src, doc in b.document_refs[r:]],
        scenes=scenes,
    )


def _adopt(b: StoryReader, part: Part) -> None:
    """An unchanged file's Part, taken as if the file had been read again."""
    f = YamlFile(part.path, b.diags)
    b.diags.extend(part.diags)
    b.adopted_gotos.append((f, part.gotos))
    b.pending_calls.extend((f, src, func, t, off) for src, func, t, off in part.calls)
    b.document_refs.extend((f, src, doc) for src, doc in part.docs)


def _reread(b: StoryReader, path: str) -> list[Scene]:
    """The scenes of one file read again, as the load that adopted its Part would have read them."""
    scratch = replace(b, diags=[], gotos=[], pending_calls=[], document_refs=[], broken_ids=set())
    node = read_yaml(Path(path), scratch.diags)
    if node is None:
        return []
    f = YamlFile(path, scratch.diags, check_control=not getattr(node, "plain_text", False))
    return scratch.scene_file(f, node)


class FileScenes(Mapping[str, Scene]):
    """The scenes of a story whose unchanged files were not read (a check with the check cache): each such
    file is read the first time one of its scenes is looked up."""

    def __init__(self, ids: list[str], file_of: dict[str, Part], read: Callable[[str], list[Scene]]) -> None:
        self._ids = ids
        self._file_of = file_of
        self._read = read

    def __getitem__(self, key: str) -> Scene:
        part = self._file_of[key]
        if part.scenes is None:
            part.scenes = self._read(part.path)
        for s in part.scenes:
            if s.id == key:
                return s
        raise KeyError(key)  # the file changed since: the caller sees a missing scene, not a wrong one

    def __contains__(self, key: object) -> bool:
        return key in self._file_of

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


_ID_LINE = re.compile(r"""^[ \t]*(?:-[ \t]+)?\{?[ \t]*id:[ \t]*["']?([A-Za-z0-9_][A-Za-z0-9_.\-]*)""", re.M)


def _ids_written(path: Path) -> set[str]:
    """The scene ids a file that is not valid YAML seems to define (`id: ...` lines), read leniently."""
    try:
        return set(_ID_LINE.findall(path.read_text("utf-8", errors="replace")))
    except OSError:
        return set()


def _cross_check(
    b: StoryReader,
    ids: dict[str, Source],
    head: dict[str, Any] | None,
    head_f: YamlFile,
    documents: dict[str, Document],
) -> None:
    read_here = ((f, src.line, src.col, t) for f, src, t in b.gotos)
    adopted = ((f, line, col, t) for f, rows in b.adopted_gotos for line, col, t in rows)
    for f, line, col, target in itertools.chain(read_here, adopted):
        if target not in ids and target not in b.broken_ids:
            f.error(
                Source(f.path, line, col),
                f"goto: unknown scene {target!r}{suggest(target, ids)}",
                "unknown-target",
            )
    for f, s, func, target, offset in b.pending_calls:
        if target not in ids and target not in b.broken_ids:
            b.diags.append(
                Diagnostic(
                    f.path,
                    s.line,
                    s.col + offset,
                    "error",
                    "unknown-target",
                    f"{func}(): unknown scene {target!r}{suggest(target, ids)}",
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

"""Story folder -> Story: the orchestration. Each file is composed into YAML nodes (yamlnodes.py), read by the
story schema (story_schema.py), then the checks that need every file are made; every problem is collected as a
Diagnostic. Nothing here constructs arbitrary Python objects.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from engine import expr
from engine.diagnostics import Diagnostic, suggest
from engine.files import story_files
from engine.model import Document, Source, Story, Term
from engine.story_schema import StoryReader
from engine.yamlnodes import YamlFile, read_yaml


class LoadError(Exception):
    """The story could not be loaded; `diagnostics` says why."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        super().__init__(str(first) if first else "story could not be loaded")


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
    b = StoryReader(root)
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
                "story.yaml is missing: a story folder needs one (see docs/authoring.md)"
                + (
                    " (the header is always named story.yaml: rename story.yml)"
                    if (root / "story.yml").is_file()
                    else ""
                ),
            )
        ]
    files = story_files(root, b.diags)
    head_f = YamlFile(str(header_path), b.diags)
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
            if any(d.code == "yaml-syntax" for d in b.diags[before:]):
                # One syntax error is one error: the scenes this file was meant to hold exist, as far as the
                # other files' gotos and the roles' starts are concerned.
                b.broken_ids |= _ids_written(path)
            if len(b.diags) == before:
                b.diags.append(
                    Diagnostic(str(path), 1, 1, "warning", "ignored-file", "ignored: the file is empty")
                )
            continue
        f = YamlFile(str(path), b.diags, check_control=not getattr(node, "plain_text", False))
        rel = path.relative_to(root).as_posix()
        if rel in ("glossary.yaml", "glossary.yml"):
            glossary = b.glossary(f, node)
            continue
        if rel in ("documents.yaml", "documents.yml"):
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
        calendar=head["calendar"],
        roles=head["roles"],
        variables=b.variables,
        scenes=b.scenes,
        glossary=tuple(glossary),
        documents=documents,
        root=root,
        files=tuple(used_files),
    )
    return story, b.diags


_ID_LINE = re.compile(r"""^[ \t]*(?:-[ \t]+)?\{?[ \t]*id:[ \t]*["']?([A-Za-z0-9_][A-Za-z0-9_.\-]*)""", re.M)


def _ids_written(path: Path) -> set[str]:
    """The scene ids a file that is not valid YAML seems to define (`id: ...` lines), read leniently."""
    try:
        return set(_ID_LINE.findall(path.read_text("utf-8", errors="replace")))
    except OSError:
        return set()


def _cross_check(
    b: StoryReader, head: dict[str, Any] | None, head_f: YamlFile, documents: dict[str, Document]
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

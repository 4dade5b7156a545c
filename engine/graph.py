"""The branch map: scenes as nodes, choices as edges, as Graphviz DOT (laid out by chapter) or Mermaid text.
Pure: no I/O.

Also home to the scene graph's one shared question, which scenes the gotos reach from a set of starts, used by
`check`, `playtest` and `stats` alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from engine import expr
from engine.model import RETURN, Choice, Role, Scene, Story

LABEL_CHARS = 30
"""Edge labels are choice texts shortened to about this many characters."""
COND_CHARS = 40


class ChoiceShape(Protocol):
    """What the graph questions need of a choice (a model Choice, or check's Step)."""

    @property
    def goto(self) -> str: ...
    @property
    def call(self) -> str: ...
    @property
    def chance(self) -> tuple[object, ...]: ...
    @property
    def targets(self) -> tuple[str, ...]: ...


class SceneShape(Protocol):
    @property
    def choices(self) -> Sequence[ChoiceShape]: ...


class Graph(Protocol):
    """What the graph questions need of a story: a Story, or check's Outline of one (no text read)."""

    @property
    def scenes(self) -> Mapping[str, SceneShape]: ...
    @property
    def roles(self) -> Mapping[str, Role]: ...


def next_scenes(story: Graph, choice: ChoiceShape, returns: Iterable[str] = ()) -> list[str]:
    """The scenes a choice can lead to: its goto, a call's scene and where play goes on after it, each chance
    outcome's goto; a `goto: return` leads to `returns` (where the calls that lead to its scene go on:
    returns_by_scene)."""
    out: list[str] = []
    for target in choice.targets:
        if target == RETURN:
            out.extend(returns)
        elif target in story.scenes:
            out.append(target)
    return out


def within_call(choice: ChoiceShape) -> tuple[str, ...]:
    """Where a choice leads within one level of calls: a call goes on at its goto (once it returns)."""
    return (choice.goto,) if choice.call else choice.targets


def returns_by_scene(story: Graph) -> dict[str, list[str]]:
    """Scene -> where a `goto: return` in it can go on: the goto of each call whose scene leads to it within
    the call (a call made inside goes on at its own goto). Only those: a return never goes on at the goto of a
    call that cannot lead to its scene (a side scene of one role's never returns into another role's story)."""
    scenes = story.scenes
    out: dict[str, set[str]] = {}
    for s in scenes.values():
        for c in s.choices:
            if not c.call or c.call not in scenes:
                continue
            seen, todo = {c.call}, [c.call]
            while todo:
                sid = todo.pop()
                out.setdefault(sid, set()).add(c.goto)
                for d in scenes[sid].choices:
                    for t in within_call(d):
                        if t in scenes and t not in seen:
                            seen.add(t)
                            todo.append(t)
    return {sid: sorted(gotos) for sid, gotos in out.items()}


def successors(story: Graph) -> dict[str, list[str]]:
    """Scene -> the scenes its choices can lead to (see next_scenes and returns_by_scene)."""
    returns = returns_by_scene(story)
    return {
        sid: [t for c in s.choices for t in next_scenes(story, c, returns.get(sid, ()))]
        for sid, s in story.scenes.items()
    }


def reachable(story: Graph, starts: Iterable[str]) -> set[str]:
    """Every scene the gotos lead to from `starts` (conditions ignored: a choice may open some day)."""
    scenes = story.scenes
    seen: set[str] = set()
    todo = [s for s in starts if s in scenes]
    succ: dict[str, list[str]] | None = None
    while todo:
        sid = todo.pop()
        if sid in seen:
            continue
        seen.add(sid)
        choices = scenes[sid].choices
        for c in choices:
            if c.call or c.chance or c.goto == RETURN:  # calls, returns and chances: successors() says
                succ = succ or successors(story)
                todo.extend(succ[sid])
                break
        else:  # the common case, a plain goto per choice, without working out successors
            for c in choices:
                if c.goto not in seen and c.goto in scenes:
                    todo.append(c.goto)
    return seen


def components(story: Story) -> dict[str, int]:
    """Strongly connected components of the goto graph: scene -> component number, numbered so that every
    component a goto leads to from another comes first (Tarjan's order; iterative, so deep stories are fine)."""
    succ = successors(story)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    comp: dict[str, int] = {}
    count = 0
    for root in story.scenes:
        if root in index:
            continue
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        work = [(root, iter(succ[root]))]
        while work:
            v, it = work[-1]
            for w in it:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(succ[w])))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    u = work[-1][0]
                    low[u] = min(low[u], low[v])
                if low[v] == index[v]:
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp[w] = count
                        if w == v:
                            break
                    count += 1
    return comp


def role_starts(story: Graph, role: str | None = None) -> list[str]:
    """The start scenes of one role, or of every role."""
    return [r.start for k, r in story.roles.items() if role is None or k == role]


def scenes_for(story: Story, role: str | None) -> list[Scene]:
    """The scenes a map shows: all of them, or those a role can reach; in story order."""
    if role is None:
        return list(story.scenes.values())
    keep = reachable(story, role_starts(story, role))
    return [s for s in story.scenes.values() if s.id in keep]


def shorten(text: str, limit: int = LABEL_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def file_label(story: Story, path: str) -> str:
    """A scene file as the author knows it: relative to the story folder."""
    try:
        return Path(path).relative_to(story.root).as_posix()
    except ValueError:
        return Path(path).name


def _starts(story: Story, role: str | None) -> dict[str, str]:
    """Start scene -> the roles (comma-separated) that begin there."""
    out: dict[str, str] = {}
    for k, r in story.roles.items():
        if role is None or k == role:
            out[r.start] = f"{out[r.start]}, {k}" if r.start in out else k
    return out


def _by_file(story: Story, scenes: list[Scene]) -> dict[str, list[Scene]]:
    groups: dict[str, list[Scene]] = {}
    for s in scenes:
        groups.setdefault(s.file, []).append(s)
    return groups


def _edges(scenes: list[Scene], shown: Iterable[str]) -> Iterable[tuple[Scene, Choice, str, str | None]]:
    """Each choice between shown scenes, with its shortened text and (when conditional) shortened condition."""
    shown = set(shown)
    for s in scenes:
        for c in s.choices:
            cond = shorten(expr.unparse(c.cond.node), COND_CHARS) if c.cond is not None else None
            if not c.call and not c.chance:
                if c.goto in shown:
                    yield s, c, shorten(c.text), cond
                continue
            # A call is drawn to its scene (and on to where play goes on after it); a chance choice to each
            # outcome, with its share of the weights. (A goto: return has no one target: it is not drawn.)
            total = sum(o.weight for o in c.chance)
            for target, note in (
                [(o.goto, f"{o.weight}/{total}") for o in c.chance]
                if c.chance
                else [(c.call, "call"), (c.goto, "after the call")]
            ):
                if target in shown:
                    yield s, replace(c, goto=target), f"{shorten(c.text)} ({note})", cond


# --- DOT ----------------------------------------------------------------------------------------


def _dot_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


ROW = 4
"""Chapters side by side in one row of the map; more wrap to further rows, so a long role stays screen-shaped."""


def to_dot(story: Story, role: str | None = None, labels: bool = False) -> str:
    """The branch map as a Graphviz digraph, laid out by chapter: one cluster per scene file (a chapter, by the
    folder convention), chapters side by side in story order, ROW to a row; inside a chapter the scenes run
    top to bottom. Choices are edges, dashed when conditional; their texts are tooltips (shown on hover in an
    SVG), or edge labels with `labels`. Edges between chapters do not stretch the layout (constraint=false);
    `dot` alone may still reorder the chapters of a row to spare crossings: `dot_passes` keeps them in order."""
    frame, crossing = dot_passes(story, role, labels)
    cut = frame.rstrip().rfind("}")
    return frame[:cut] + "".join(line + "\n" for line in crossing) + "}\n"


def dot_passes(story: Story, role: str | None = None, labels: bool = False) -> tuple[str, list[str]]:
    """The map in two parts for a layout in two passes: the DOT graph without the edges between chapters (lay
    it out with `dot`, which then keeps the chapters in story order), and those edges' DOT lines (add them to the
    laid-out graph and draw with `neato -n2`, which keeps every node where `dot` put it)."""
    scenes = scenes_for(story, role)
    shown = {s.id for s in scenes}
    starts = _starts(story, role)
    out = [
        f"digraph {_dot_str(story.title)} {{",
        "  rankdir=TB;",
        "  newrank=true;",
        "  nodesep=0.2;",
        "  ranksep=0.3;",
        "  splines=true;",
        '  node [shape=box, style="rounded", fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    chapters = list(_by_file(story, scenes).items())
    chapter_of: dict[str, int] = {}
    for n, (path, group) in enumerate(chapters):
        out.append(f"  subgraph cluster_{n} {{")
        out.append(f"    label={_dot_str(file_label(story, path))};")
        out.append('    style="dashed"; color="#999999";')
        for s in group:
            chapter_of[s.id] = n
            label, style = f"{s.title}\n{s.id}", ""
            if s.ending is not None:
                label = f"{s.title}\nEnding: {s.ending.title}\n{s.id}"
                style = ', shape=doubleoctagon, style="filled", fillcolor="#f4d6d6"'
            if s.id in starts:
                label = f"START ({starts[s.id]})\n{label}"
                style = ', style="rounded,filled,bold", fillcolor="#d6e8f4", penwidth=2'
            out.append(f"    {_dot_str(s.id)} [label={_dot_str(label)}{style}];")
        out.append("  }")
    crossing: list[str] = []
    for s, c, text, cond in _edges(scenes, shown):
        shown_text = text if cond is None else f"{text}\n[if {cond}]"
        attrs = [f"label={_dot_str(shown_text)}" if labels else f"tooltip={_dot_str(shown_text)}"]
        if cond is not None:
            attrs.append("style=dashed")
        across = chapter_of[s.id] != chapter_of[c.goto]
        if across:
            attrs.append("constraint=false")
        (crossing if across else out).append(
            f"  {_dot_str(s.id)} -> {_dot_str(c.goto)} [{', '.join(attrs)}];"
        )
    # Rows: every scene of a chapter sits above the first scene of the chapter ROW places later (invisible).
    for n, (_path, group) in enumerate(chapters[:-ROW] if len(chapters) > ROW else []):
        below = chapters[n + ROW][1][0].id
        for s in group:
            out.append(f"  {_dot_str(s.id)} -> {_dot_str(below)} [style=invis];")
    # Chapters in story order along a row: their first scenes on one rank, chained left to right (invisible).
    for start in range(0, len(chapters), ROW):
        firsts = [_dot_str(group[0].id) for _path, group in chapters[start : start + ROW]]
        if len(firsts) > 1:
            out.append(f"  {{rank=same; {' -> '.join(firsts)} [style=invis];}}")
    out.append("}")
    return "\n".join(out) + "\n", crossing


# --- Mermaid ------------------------------------------------------------------------------------


def _mm_str(text: str) -> str:
    """A Mermaid label in double quotes: quotes and markup characters as entity codes, lines as <br/>."""
    for ch, code in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("|", "#124;")):
        text = text.replace(ch, code)
    return '"' + text.replace("\n", "<br/>") + '"'


def to_mermaid(story: Story, role: str | None = None) -> str:
    """The branch map as a Mermaid flowchart: subgraphs per file, endings as stadiums, starts as subroutines."""
    scenes = scenes_for(story, role)
    ids = {s.id: f"s{n}" for n, s in enumerate(scenes)}
    starts = _starts(story, role)
    out = ["flowchart LR"]
    for n, (path, group) in enumerate(_by_file(story, scenes).items()):
        out.append(f"  subgraph f{n}[{_mm_str(file_label(story, path))}]")
        for s in group:
            if s.ending is not None:
                out.append(f"    {ids[s.id]}([{_mm_str(f'{s.title}{chr(10)}Ending: {s.ending.title}')}])")
            elif s.id in starts:
                out.append(f"    {ids[s.id]}[[{_mm_str(f'START ({starts[s.id]}){chr(10)}{s.title}')}]]")
            else:
                out.append(f"    {ids[s.id]}[{_mm_str(s.title)}]")
        out.append("  end")
    for s, c, text, cond in _edges(scenes, ids):
        if cond is None:
            out.append(f"  {ids[s.id]} -->|{_mm_str(text)}| {ids[c.goto]}")
        else:
            out.append(f"  {ids[s.id]} -.->|{_mm_str(f'{text} [if {cond}]')}| {ids[c.goto]}")
    out.append("  classDef ending fill:#f4d6d6,stroke:#a33;")
    out.append("  classDef start fill:#d6e8f4,stroke:#236,stroke-width:2px;")
    endings = [ids[s.id] for s in scenes if s.ending is not None]
    begun = [ids[s.id] for s in scenes if s.id in starts]
    if endings:
        out.append(f"  class {','.join(endings)} ending;")
    if begun:
        out.append(f"  class {','.join(begun)} start;")
    return "\n".join(out) + "\n"

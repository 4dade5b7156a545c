"""`dualpower graph`: the branch map as DOT (checked by parsing, and by Graphviz when installed) and Mermaid."""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from engine import cli, graph, loader
from engine.model import Story

MINI = Path(__file__).parent / "data" / "mini"


def mini() -> Story:
    story, diags = loader.load(MINI)
    assert story is not None, diags
    return story


# --- a small DOT reader: enough of the grammar to see what we write ---------------------------------

_STR = r'"((?:[^"\\]|\\.)*)"'
_NODE = re.compile(rf"^\s*{_STR} \[(.*)\];$")
_EDGE = re.compile(rf"^\s*{_STR} -> {_STR} \[(.*)\];$")
_ATTR = re.compile(rf"(\w+)=(?:{_STR}|([^,\s]+))")


def _attrs(text: str) -> dict[str, str]:
    return {
        m[1]: (m[2] if m[2] is not None else m[3]).replace('\\"', '"').replace("\\n", "\n")
        for m in _ATTR.finditer(text)
    }


layout: list[tuple[str, str]] = []
"""The invisible edges of the last parse_dot (they put chapters in rows)."""
rows: list[list[str]] = []
"""The last parse_dot's rows: the first scene of each chapter of a row, left to right."""


def parse_dot(
    text: str,
) -> tuple[dict[str, dict[str, str]], list[tuple[str, str, dict[str, str]]], dict[str, list[str]]]:
    """(nodes by id with attributes, edges, cluster label -> node ids); fails on a line it does not know."""
    lines = text.strip().splitlines()
    assert lines[0].startswith("digraph ") and lines[0].endswith("{") and lines[-1] == "}"
    nodes: dict[str, dict[str, str]] = {}
    edges: list[tuple[str, str, dict[str, str]]] = []
    clusters: dict[str, list[str]] = {}
    current: list[str] | None = None
    layout.clear()
    rows.clear()
    depth = 1
    for line in lines[1:-1]:
        s = line.strip()
        if m := _EDGE.match(line):
            if _attrs(m[3]) == {"style": "invis"}:
                layout.append((m[1], m[2]))  # a layout helper (chapters in rows), not a choice
            else:
                edges.append((m[1], m[2], _attrs(m[3])))
        elif m := re.match(r"^\{rank=same; (.*) \[style=invis\];\}$", s):
            rows.append([x.strip('"') for x in m[1].split(" -> ")])
        elif m := _NODE.match(line):
            nodes[m[1]] = _attrs(m[2])
            assert current is not None, "every scene sits in a file's cluster"
            current.append(m[1])
        elif s.startswith("subgraph cluster_") and s.endswith("{"):
            depth += 1
            current = []
        elif s.startswith("label=") and current is not None and not current:
            clusters[_attrs(s)["label"]] = current
        elif s == "}":
            depth -= 1
            current = None
        else:
            assert re.match(
                r"^(rankdir=TB;|newrank=true;|nodesep=[\d.]+;|ranksep=[\d.]+;|splines=true;|node \[.*\];"
                r"|edge \[.*\];|style=.*;)$",
                s,
            ), f"unexpected DOT line {s!r}"
    assert depth == 1, "unbalanced braces"
    return nodes, edges, clusters


def test_dot_structure() -> None:
    story = mini()
    nodes, edges, clusters = parse_dot(graph.to_dot(story))
    assert set(nodes) == set(story.scenes)
    assert clusters == {
        "scenes/baker.yaml": ["baker.dawn", "baker.street", "baker.end.home", "baker.end.march"],
        "scenes/guard.yaml": ["guard.gate", "guard.end.stay"],
    }
    assert len(edges) == sum(len(s.choices) for s in story.scenes.values())
    assert nodes["baker.dawn"]["label"].startswith("START (baker)\nDawn")
    assert "bold" in nodes["baker.dawn"]["style"]
    assert nodes["baker.end.home"]["shape"] == "doubleoctagon"
    assert "Ending: Home Again" in nodes["baker.end.home"]["label"]
    assert nodes["baker.street"] == {"label": "The Street\nbaker.street"}
    march = [e for e in edges if e[1] == "baker.end.march"][0]
    assert march[2] == {"tooltip": "March with the crowd.\n[if courage >= 2]", "style": "dashed"}
    plain = [e for e in edges if e[1] == "baker.street"][0]
    assert plain[2] == {"tooltip": "Take heart."}
    _n, labelled, _c = parse_dot(graph.to_dot(story, labels=True))
    assert [e[2] for e in labelled if e[1] == "baker.street"][0] == {"label": "Take heart."}


def test_dot_for_one_role() -> None:
    nodes, edges, _clusters = parse_dot(graph.to_dot(mini(), role="guard"))
    assert set(nodes) == {"guard.gate", "guard.end.stay"}
    assert {(a, b) for a, b, _ in edges} == {("guard.gate", "guard.end.stay")}


TRICKY = """\
title: Quotes "and" back\\slashes
roles:
  a: {name: A, start: a.start}
"""
TRICKY_SCENES = """\
scenes:
  - id: a.start
    title: 'The "Red" Room \\ Hall'
    date: 1917-02-23
    text: Text.
    choices:
      - text: '"Down with the war!" she shouts, and the whole hall shouts with her'
        goto: a.end
  - id: a.end
    title: End <b>here</b> | now
    date: 1917-02-24
    text: End.
    ending: {title: "A & B", epilogue: Done.}
"""


def tricky(tmp_path: Path) -> Story:
    (tmp_path / "story.yaml").write_text(TRICKY, encoding="utf-8")
    (tmp_path / "scenes.yaml").write_text(TRICKY_SCENES, encoding="utf-8")
    story, diags = loader.load(tmp_path)
    assert story is not None, [str(d) for d in diags]
    return story


def test_dot_escapes_and_shortens_labels(tmp_path: Path) -> None:
    nodes, edges, _ = parse_dot(graph.to_dot(tricky(tmp_path), labels=True))
    assert nodes["a.start"]["label"].endswith('The "Red" Room \\\\ Hall\na.start')
    label = edges[0][2]["label"]
    assert label.startswith('"Down with the war!" she') and label.endswith("…") and len(label) <= 30


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_accepts_the_dot(tmp_path: Path) -> None:
    for story in (mini(), tricky(tmp_path)):
        done = subprocess.run(
            ["dot", "-Tsvg"], input=graph.to_dot(story).encode(), capture_output=True, timeout=60, check=False
        )
        assert done.returncode == 0, done.stderr.decode()
        assert b"<svg" in done.stdout


# --- Mermaid ----------------------------------------------------------------------------------

_LABEL = r'"[^"]*"'
MERMAID_LINES = [
    re.compile(r"^flowchart LR$"),
    re.compile(rf"^  subgraph f\d+\[{_LABEL}\]$"),
    re.compile(rf"^    s\d+(\[{_LABEL}\]|\(\[{_LABEL}\]\)|\[\[{_LABEL}\]\])$"),
    re.compile(r"^  end$"),
    re.compile(rf"^  s\d+ (-->|-\.->)\|{_LABEL}\| s\d+$"),
    re.compile(r"^  classDef \w+ [\w:#,.-]+;$"),
    re.compile(r"^  class s\d+(,s\d+)* \w+;$"),
]


def check_mermaid(text: str) -> list[str]:
    lines = text.rstrip("\n").split("\n")
    for line in lines:
        assert any(p.match(line) for p in MERMAID_LINES), f"not Mermaid flowchart syntax: {line!r}"
    assert sum(1 for x in lines if x.startswith("  subgraph")) == sum(1 for x in lines if x == "  end")
    return lines


def test_mermaid_syntax_and_content() -> None:
    story = mini()
    lines = check_mermaid(graph.to_mermaid(story))
    nodes = [x for x in lines if x.startswith("    s")]
    edges = [x for x in lines if re.match(r"^  s\d+ ", x)]
    assert len(nodes) == len(story.scenes)
    assert len(edges) == sum(len(s.choices) for s in story.scenes.values())
    assert '    s0[["START (baker)<br/>Dawn"]]' in lines
    assert '    s2(["Home<br/>Ending: Home Again"])' in lines
    assert '  s0 -.->|"March with the crowd. [if courage #gt;= 2]"| s3' in lines
    assert '  s0 -->|"Take heart."| s1' in lines
    assert "  class s2,s3,s5 ending;" in lines


def test_mermaid_escapes(tmp_path: Path) -> None:
    lines = check_mermaid(graph.to_mermaid(tricky(tmp_path)))
    assert '    s1(["End #lt;b#gt;here#lt;/b#gt; #124; now<br/>Ending: A #amp; B"])' in lines
    assert any("#quot;Down with the war!#quot;" in x for x in lines)


# --- command line -----------------------------------------------------------------------------


def test_cli_writes_text_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["graph", "--story", str(MINI), "-o", str(tmp_path / "map.mmd")]) == 0
    check_mermaid((tmp_path / "map.mmd").read_text(encoding="utf-8"))
    assert cli.main(["graph", "--story", str(MINI), "-o", str(tmp_path / "map.dot")]) == 0
    parse_dot((tmp_path / "map.dot").read_text(encoding="utf-8"))
    assert cli.main(["graph", "--story", str(MINI), "--format", "mermaid"]) == 0
    assert capsys.readouterr().out.startswith("flowchart LR\n")


def test_cli_svg_without_graphviz_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert cli.main(["graph", "--story", str(MINI), "-o", str(tmp_path / "map.svg")]) == 1
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert not (tmp_path / "map.svg").exists()


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_cli_renders_svg(tmp_path: Path) -> None:
    assert cli.main(["graph", "--story", str(MINI), "-o", str(tmp_path / "map.svg")]) == 0
    assert "<svg" in (tmp_path / "map.svg").read_text(encoding="utf-8")


def test_cli_refuses_unknown_extension_and_role(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["graph", "--story", str(MINI), "-o", str(tmp_path / "map.txt")]) == 2
    assert "name it .dot, .gv, .mmd, .svg, .png or .pdf" in capsys.readouterr().err
    assert cli.main(["graph", "--story", str(MINI), "--role", "tsar"]) == 2
    assert "unknown role 'tsar'" in capsys.readouterr().err


def test_reachable_follows_gotos_only_forward(tmp_path: Path) -> None:
    root = tmp_path / "s"
    root.mkdir()
    (root / "story.yaml").write_text("title: T\nroles:\n  a: {name: A, start: a.one}\n", encoding="utf-8")
    (root / "s.yaml").write_text(
        textwrap.dedent("""\
        scenes:
          - {id: a.one, title: One, date: 1917-01-01, text: x, choices: [{text: go, goto: a.two}]}
          - {id: a.two, title: Two, date: 1917-01-02, text: x, ending: {title: E, epilogue: e}}
          - {id: a.zero, title: Zero, date: 1917-01-01, text: x, choices: [{text: go, goto: a.one}]}
        """),
        encoding="utf-8",
    )
    story, diags = loader.load(root)
    assert story is not None, diags
    assert graph.reachable(story, ["a.one"]) == {"a.one", "a.two"}


def test_components_put_a_cycle_together_and_its_exits_first() -> None:
    story = mini()
    comp = graph.components(story)
    assert comp["baker.dawn"] == comp["baker.street"]  # they lead to each other
    assert comp["baker.end.home"] < comp["baker.dawn"] and comp["baker.end.march"] < comp["baker.dawn"]
    assert comp["guard.end.stay"] < comp["guard.gate"]
    assert len(set(comp.values())) == 5


# --- the map by chapter -----------------------------------------------------------------------

MONTHS = ("01-feb", "02-mar", "03-apr", "04-may", "05-jun", "06-jul")


def chaptered(tmp_path: Path) -> loader.Story:
    """Six chapter files of two scenes each, every chapter leading to the next; the last one ends."""
    root = tmp_path / "ch"
    (root / "scenes").mkdir(parents=True)
    (root / "story.yaml").write_text(
        "title: T\nroles:\n  a: {name: A, start: a.01-feb.x}\n", encoding="utf-8"
    )
    for n, m in enumerate(MONTHS):
        nxt = f"a.{MONTHS[n + 1]}.x" if n + 1 < len(MONTHS) else None
        tail = f"choices: [{{text: on, goto: {nxt}}}]" if nxt else "ending: {title: E, epilogue: e}"
        (root / "scenes" / f"{m}.yaml").write_text(
            "scenes:\n"
            f"  - {{id: a.{m}.x, title: X, date: 1917-0{n + 1}-01, text: t, choices: [{{text: go, goto: a.{m}.y}}]}}\n"
            f"  - {{id: a.{m}.y, title: Y, date: 1917-0{n + 1}-02, text: t, {tail}}}\n",
            encoding="utf-8",
        )
    story, diags = loader.load(root)
    assert story is not None, [str(d) for d in diags]
    return story


def test_chapters_are_clusters_in_rows_of_four_in_story_order(tmp_path: Path) -> None:
    nodes, edges, clusters = parse_dot(graph.to_dot(chaptered(tmp_path)))
    assert list(clusters) == [f"scenes/{m}.yaml" for m in MONTHS]
    assert rows == [[f"a.{m}.x" for m in MONTHS[:4]], [f"a.{m}.x" for m in MONTHS[4:]]]
    # the second row sits below the first: every scene of chapter k above chapter k+4's first scene
    assert set(layout) == {(f"a.{MONTHS[k]}.{s}", f"a.{MONTHS[k + 4]}.x") for k in (0, 1) for s in "xy"}
    across = [e for e in edges if e[0].split(".")[1] != e[1].split(".")[1]]
    within = [e for e in edges if e[0].split(".")[1] == e[1].split(".")[1]]
    assert len(across) == 5 and all(e[2].get("constraint") == "false" for e in across)
    assert within and all("constraint" not in e[2] for e in within)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_a_60_scene_role_is_drawn_screen_shaped_with_its_chapters_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    story = loader.load_or_raise(Path(__file__).parent.parent / "story")
    assert len(graph.scenes_for(story, "worker")) >= 60
    assert cli.main(["graph", "--role", "worker", "--format", "svg"]) == 0
    svg = capsys.readouterr().out
    width, height = (
        float(x) for x in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    )
    assert 1.2 <= width / height <= 2.6, (width, height)  # a landscape screen's shape, not a strip
    # chapter titles: the first four left to right along the top row, the next four below them, in order
    where = {
        m[3]: (float(m[1]), float(m[2]))
        for m in re.finditer(
            r'<text text-anchor="middle" x="([-\d.]+)" y="([-\d.]+)"[^>]*>(scenes/worker/[^<]+)<', svg
        )
    }
    names = sorted(where)
    assert len(names) == 8
    top, bottom = names[:4], names[4:]
    assert [where[n][0] for n in top] == sorted(where[n][0] for n in top)
    assert [where[n][0] for n in bottom] == sorted(where[n][0] for n in bottom)
    assert max(where[n][1] for n in top) < min(where[n][1] for n in bottom)
    assert cli.main(["graph", "--role", "worker", "-o", str(tmp_path / "w.png")]) == 0
    assert (tmp_path / "w.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert cli.main(["graph", "--format", "png"]) == 2
    assert "write it to a file with -o map.png" in capsys.readouterr().err

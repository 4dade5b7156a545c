"""`dualpower stats`: how big the story is, in all and per role, and how much a player reads on one run. Pure.

Words are those of scene text (every paragraph, conditional ones too), choice texts and ending epilogues;
titles and notes aside. A role's scenes are those its gotos can reach from its start, so a scene shared by two
roles counts for both.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine import graph, playtest, runtime
from engine.model import Scene, Story

WORDS_PER_MINUTE = 220


def scene_words(scene: Scene) -> int:
    n = sum(runtime.words(p.text) for p in scene.paragraphs)
    n += sum(runtime.words(c.text) + sum(runtime.words(p.text) for p in c.response) for c in scene.choices)
    if scene.ending is not None:
        n += runtime.words(scene.ending.epilogue)
    return n


def minutes(words: int) -> float:
    return round(words / WORDS_PER_MINUTE, 1)


def _totals(scenes: Iterable[Scene]) -> dict[str, Any]:
    scenes = list(scenes)
    words = sum(scene_words(s) for s in scenes)
    return {
        "scenes": len(scenes),
        "choices": sum(len(s.choices) for s in scenes),
        "endings": sum(1 for s in scenes if s.ending is not None),
        "words": words,
        "minutes": minutes(words),
    }


def _per_run(words: list[int]) -> dict[str, Any]:
    if not words:
        return {"runs": 0, "min": 0, "median": 0, "max": 0, "minutes": 0.0}
    median = playtest.median(words)
    return {
        "runs": len(words),
        "min": min(words),
        "median": median,
        "max": max(words),
        "minutes": minutes(median),
    }


def compute(story: Story, runs: int = playtest.RUNS, seed: int = 0) -> dict[str, Any]:
    """The numbers, as `stats --format json` prints them. `per_run` comes from a random playtest: words read on
    runs that reached an ending (min, median, max) and the median's reading time."""
    result = playtest.random_runs(story, runs, seed)
    out = _totals(story.scenes.values())
    everyone: list[int] = []
    roles: dict[str, Any] = {}
    for key, role in story.roles.items():
        mine = graph.reachable(story, [role.start])
        roles[key] = _totals(s for s in story.scenes.values() if s.id in mine)
        words = result.roles[key].words
        roles[key]["per_run"] = _per_run(words)
        everyone += words
    out["per_run"] = _per_run(everyone)
    out["playtest"] = {"runs": runs, "seed": seed}
    out["roles"] = roles
    return out


def format_text(data: dict[str, Any]) -> str:
    """The stats as an aligned table: one row per role, then the whole story."""
    head = (
        "",
        "scenes",
        "choices",
        "endings",
        "words",
        "minutes",
        "words per run (min-median-max)",
        "minutes per run",
    )
    rows = [head]
    for key, r in [*data["roles"].items(), ("all", data)]:
        p = r["per_run"]
        rows.append(
            (
                key,
                str(r["scenes"]),
                str(r["choices"]),
                str(r["endings"]),
                str(r["words"]),
                f"{r['minutes']:.1f}",
                f"{p['min']}-{p['median']}-{p['max']}" if p["runs"] else "-",
                f"{p['minutes']:.1f}" if p["runs"] else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    pt = data["playtest"]
    lines.append("")
    lines.append(
        f"Reading time at {WORDS_PER_MINUTE} words a minute. Words per run from {pt['runs']} random "
        f"playthroughs (seed {pt['seed']}), counting those that reached an ending;\n"
        "minutes per run are the median run's."
    )
    return "\n".join(line.rstrip() for line in lines) + "\n"

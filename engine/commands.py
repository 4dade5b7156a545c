"""Subcommands beyond play and check: each registers its parser and a function `func(args) -> exit code`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any


def add_subcommands(sub: Any, story_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the authoring and classroom subcommands on `sub` (argparse subparsers)."""
    _add_authoring(sub, story_arg)
    _add_classroom(sub, story_arg)


# --- classroom tools: report, verify, guide (engine/classroom/) ------------------------------------


def _add_classroom(sub: Any, story_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    r = sub.add_parser(
        "report",
        help="make a report of a saved game, for the teacher",
        description="Write a report of a saved game: the path, the answers, the ending, what "
        "really happened beside it, and a block that lets a teacher verify it.",
    )
    r.add_argument("save", metavar="SAVE", help="a slot name (e.g. july-days-anna) or a save file's path")
    r.add_argument(
        "--format",
        choices=("md", "html"),
        default=None,
        help="Markdown, or one printable HTML page (default: html when -o ends in .html, else md)",
    )
    r.add_argument("-o", "--output", metavar="FILE", type=Path, help="write to FILE instead of the screen")
    r.add_argument(
        "--saves", metavar="DIR", type=Path, help="saves folder (default: $DUALPOWER_SAVES or saves/)"
    )
    story_arg(r)
    r.set_defaults(func=cmd_report)

    v = sub.add_parser(
        "verify",
        help="check that a student's report is an unedited playthrough",
        description="Replay a report's recorded path against the story and its assignment and "
        "check that its text is exactly what that playthrough produces. Prints VALID "
        "(exit 0), or INVALID and the first difference (exit 1).",
    )
    v.add_argument("report", metavar="REPORT", type=Path, help="the report file (.md or .html)")
    story_arg(v)
    v.add_argument(
        "--assignment",
        metavar="FILE",
        type=Path,
        help="the assignment file (default: where the report says, else the story's assignments/)",
    )
    v.set_defaults(func=cmd_verify)

    t = sub.add_parser(
        "guide",
        help="write a teacher's guide to the story (Markdown)",
        description="A teacher's guide, chapter by chapter: events, historical notes, documents, "
        "content notes, glossary terms and discussion prompts.",
    )
    story_arg(t)
    t.add_argument("--assignment", metavar="FILE", type=Path, help="a guide for this assignment's path")
    t.add_argument("-o", "--output", metavar="FILE", type=Path, help="write to FILE instead of the screen")
    t.set_defaults(func=cmd_guide)


def cmd_report(args: argparse.Namespace) -> int:
    from engine.classroom import report

    return report.cmd_report(args)


def cmd_verify(args: argparse.Namespace) -> int:
    from engine.classroom import verify

    return verify.cmd_verify(args)


def cmd_guide(args: argparse.Namespace) -> int:
    from engine.classroom import guide

    return guide.cmd_guide(args)


# --- authoring tools: graph, playtest, stats --------------------------------------------------------


def _add_authoring(sub: Any, story_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    g = sub.add_parser(
        "graph",
        help="the branch map, as Graphviz DOT or Mermaid",
        description="Print the branch map: scenes as nodes, choices as edges (dashed when they "
        "have a condition), one cluster per scene file.",
    )
    story_arg(g)
    g.add_argument("--role", help="only the scenes this role can reach")
    g.add_argument(
        "--format",
        choices=("dot", "mermaid"),
        default=None,
        help="text format (default: from the -o file's extension, else dot)",
    )
    g.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help="write to FILE: .dot/.gv or .mmd as text, .svg/.png rendered with Graphviz",
    )
    g.set_defaults(func=cmd_graph)

    p = sub.add_parser(
        "playtest",
        help="play the story automatically; find stuck states and endless loops",
        description="Random playthroughs (by default choices not yet taken are preferred), or "
        "an exhaustive walk over distinct game states. Exit 1 when a stuck state "
        "or a loop that never reaches an ending is found.",
    )
    story_arg(p)
    p.add_argument(
        "--runs", type=_positive, default=None, help="random runs, split across the roles (default 100)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same result")
    p.add_argument("--role", help="only this role")
    p.add_argument(
        "--exhaustive", action="store_true", help="walk every distinct state instead of random runs"
    )
    p.add_argument(
        "--max-states",
        type=_positive,
        default=None,
        metavar="N",
        help="with --exhaustive: stop after N states per role (default 200,000)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_playtest)

    s = sub.add_parser(
        "stats", help="how big the story is, per role and in all, and how long a run takes to read"
    )
    story_arg(s)
    s.add_argument(
        "--runs", type=_positive, default=None, help="random runs for the words per run (default 100)"
    )
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.set_defaults(func=cmd_stats)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 10_000_000:
        raise argparse.ArgumentTypeError(f"{value} is out of range: give 1 to 10,000,000")
    return value


def _load(args: argparse.Namespace) -> Any:
    """The story, or None after printing why it cannot be loaded."""
    from engine import cli

    story, diags = cli.load_story(args.story)
    if story is None:
        cli.print_errors(diags)
    return story


def _check_role(story: Any, role: str | None) -> bool:
    if role is not None and role not in story.roles:
        print(f"dualpower: unknown role {role!r}; the roles are: {', '.join(story.roles)}", file=sys.stderr)
        return False
    return True


RENDERED = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
TEXT_FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}


def cmd_graph(args: argparse.Namespace) -> int:
    from engine import cli, graph

    story = _load(args)
    if story is None:
        return cli.EXIT_FAIL
    if not _check_role(story, args.role):
        return cli.EXIT_USAGE
    out: Path | None = args.output
    ext = out.suffix.lower() if out is not None else ""
    if out is not None and ext not in RENDERED and ext not in TEXT_FORMATS:
        print(
            f"dualpower: cannot tell the format of {out}: name it .dot, .gv, .mmd, .svg or .png",
            file=sys.stderr,
        )
        return cli.EXIT_USAGE
    fmt = args.format or TEXT_FORMATS.get(ext, "dot")
    if ext in RENDERED and fmt != "dot":
        print(f"dualpower: {ext} files are drawn by Graphviz from DOT; drop --format {fmt}", file=sys.stderr)
        return cli.EXIT_USAGE
    text = graph.to_mermaid(story, args.role) if fmt == "mermaid" else graph.to_dot(story, args.role)
    if out is None or ext not in RENDERED:
        return cli.write_output(text, out)
    return _render(text, out, RENDERED[ext])


def _render(dot_text: str, out: Path, fmt: str) -> int:
    """Draw DOT text into `out` with Graphviz's `dot`, or say how to install it."""
    import shutil
    import subprocess

    exe = shutil.which("dot")
    if exe is None:
        print(
            "dualpower: drawing an .svg or .png needs Graphviz's 'dot' program, which is not installed.\n"
            "  Install it: sudo apt-get install graphviz   (Debian/Ubuntu)\n"
            "              brew install graphviz           (macOS)\n"
            "  or write the DOT text instead: dualpower graph -o map.dot",
            file=sys.stderr,
        )
        return 1
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}", "-o", str(out)],
            input=dot_text.encode("utf-8"),
            capture_output=True,
            timeout=300,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"dualpower: Graphviz failed: {exc}", file=sys.stderr)
        return 1
    if done.returncode != 0:
        print(
            f"dualpower: Graphviz failed: {done.stderr.decode('utf-8', 'replace').strip()}", file=sys.stderr
        )
        return 1
    print(f"Wrote {out}")
    return 0


def cmd_playtest(args: argparse.Namespace) -> int:
    from engine import cli, graph, playtest

    story = _load(args)
    if story is None:
        return cli.EXIT_FAIL
    if not _check_role(story, args.role):
        return cli.EXIT_USAGE
    if args.exhaustive:
        if args.runs is not None:
            print("dualpower: --runs does not apply to --exhaustive (it walks every state)", file=sys.stderr)
            return cli.EXIT_USAGE
        result = playtest.exhaustive(story, args.role, args.max_states or playtest.STATE_CAP)
    else:
        result = playtest.random_runs(story, args.runs or playtest.RUNS, args.seed, args.role)
    if args.format == "json":
        cli.emit_json(result.to_dict())
    else:
        sys.stdout.write(playtest.format_text(result, story, lambda path: graph.file_label(story, path)))
    return cli.EXIT_OK if result.ok else cli.EXIT_FAIL


def cmd_stats(args: argparse.Namespace) -> int:
    from engine import cli, playtest, stats

    story = _load(args)
    if story is None:
        return cli.EXIT_FAIL
    data = stats.compute(story, args.runs or playtest.RUNS, args.seed)
    if args.format == "json":
        cli.emit_json(data)
    else:
        sys.stdout.write(stats.format_text(data))
    return cli.EXIT_OK

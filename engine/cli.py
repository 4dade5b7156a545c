"""The `dualpower` command: argparse subcommands, each a thin layer over the core."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from engine import __version__

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def default_story_dir() -> Path:
    """The shipped story: story/ of the checkout when run from one, else the copy installed with the wheel."""
    here = Path(__file__).resolve().parent.parent / "story"
    if (here / "story.yaml").is_file():
        return here
    import importlib.util

    # The installed story is a data-only (namespace) package: take the folder of it that holds story.yaml.
    spec = importlib.util.find_spec("dualpower_story")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (Path(folder) / "story.yaml").is_file():
            return Path(folder)
    return here


def _story_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--story", metavar="DIR", type=Path, default=None, help="story folder (default: the shipped story)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dualpower",
        description="Dual Power: Petrograd 1917. An interactive story, and the tools to write and teach with it.",
    )
    parser.add_argument("--version", action="version", version=f"dualpower {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    play = sub.add_parser("play", help="play the story (the default)")
    _play_args(play)

    check = sub.add_parser("check", help="check a story folder for mistakes")
    _story_arg(check)
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--assignment", metavar="FILE", type=Path, help="check an assignment file too")

    from engine import commands

    commands.add_subcommands(sub, _story_arg)
    from engine.server import command as serve_command

    serve_command.add_parser(sub, _story_arg)
    return parser


def _play_args(p: argparse.ArgumentParser) -> None:
    _story_arg(p)
    p.add_argument("--role", help="skip the role menu: worker, soldier, kadet, ...")
    p.add_argument("--load", metavar="SLOT", help="resume a saved game (e.g. autosave)")
    p.add_argument("--assignment", metavar="FILE", type=Path, help="play an assignment")
    p.add_argument("--student", metavar="NAME", help="the student's name (with --assignment)")
    p.add_argument("--seed", type=int, default=0, help="seed recorded with the game")
    p.add_argument(
        "--plain", action="store_true", help="plain text on stdin/stdout, for screen readers and pipes"
    )
    p.add_argument(
        "--saves", metavar="DIR", type=Path, help="saves folder (default: $DUALPOWER_SAVES or saves/)"
    )
    p.add_argument("--watch", action="store_true", help="reload the story by itself when a file changes")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv.insert(0, "play")
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "play":
            return cmd_play(args)
        if args.command == "check":
            return cmd_check(args)
        return int(args.func(args))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


def load_story(story_dir: Path | None) -> tuple[Any, list[Any]]:
    """Load a story folder, through the cache of unchanged stories (engine/cache.py)."""
    from engine import cache

    return cache.load(story_dir or default_story_dir())


def print_errors(diags: list[Any], stream: Any = None) -> None:
    from engine.diagnostics import summary

    stream = stream or sys.stderr
    errs = [d for d in diags if d.severity == "error"]
    for d in errs[:50]:
        print(d, file=stream)
    if len(errs) > 50:
        print(f"... and {len(errs) - 50} more", file=stream)
    print(
        f"The story cannot be played: {summary(diags)}. Run 'dualpower check' for the full list.", file=stream
    )


def cmd_check(args: argparse.Namespace) -> int:
    from engine import check

    story_dir = args.story or default_story_dir()
    diags = check.run(story_dir, assignment=args.assignment)
    return check.report(diags, args.format, args.strict, sys.stdout)


def saves_for(args: argparse.Namespace) -> Any:
    from engine.saves import Saves, default_dir

    return Saves(args.saves or default_dir())


def cmd_play(args: argparse.Namespace) -> int:
    story, diags = load_story(args.story)
    if story is None:
        print_errors(diags)
        return EXIT_FAIL
    saves = saves_for(args)
    saves.clean_stale()
    plain = args.plain or not (sys.stdin.isatty() and sys.stdout.isatty())
    # A save holding an assignment resumes as that assignment (its questions, its undo rule), not as free play.
    # (The classroom is imported only then: a plain new game starts faster without it.)
    if args.assignment is not None or args.load:
        from engine.classroom import play as assignment_play

        if args.assignment is not None or assignment_play.holds_assignment(saves, args.load):
            return assignment_play.run(args, story, saves, plain)
    if plain:
        return _play_plain(args, story, saves)
    from engine.ui import terminal

    return terminal.run(args, story, saves)


def make_reloader(story_dir: Path | None) -> Any:
    def reload() -> tuple[Any, str]:
        story, diags = load_story(story_dir)
        if story is None:
            errs = [str(d) for d in diags if d.severity == "error"]
            return None, "\n".join(errs[:10])
        return story, ""

    return reload


def _play_plain(args: argparse.Namespace, story: Any, saves: Any) -> int:
    from engine import runtime
    from engine.saves import SaveError
    from engine.ui.plain import PlainUI
    from engine.ui.session import Session

    ui = PlainUI()
    if args.load:
        try:
            state, _data = saves.load(args.load, story)
        except SaveError as exc:
            print(f"dualpower: {exc}", file=sys.stderr)
            return EXIT_FAIL
    else:
        role = args.role
        if role is None:
            ui.write(story.title)
            if story.premise:
                ui.para(story.premise)
            ui.write()
            if story.content_notes:
                ui.write("This story includes:")
                for note in story.content_notes:
                    ui.para(f"- {note}", indent="  ")
                ui.write()
            role = ui.choose_role([(k, r.name, r.title, r.blurb) for k, r in story.roles.items()])
            if role is None:
                return EXIT_OK
        if role not in story.roles:
            print(
                f"dualpower: unknown role {role!r}; choose one of: {', '.join(story.roles)}", file=sys.stderr
            )
            return EXIT_USAGE
        state = runtime.new_game(story, role, seed=args.seed)
    session = Session(story, state, saves, reload_story=make_reloader(args.story))
    if getattr(args, "watch", False):
        from engine import watch

        watch.watch_plain(ui, session, args.story or default_story_dir())
    return ui.run(session)


def emit_json(data: Any, stream: Any = None) -> None:
    json.dump(data, stream or sys.stdout, indent=2, ensure_ascii=False)
    (stream or sys.stdout).write("\n")


def write_output(text: str, out: Path | None) -> int:
    """Print, or write to a file named by -o (atomically, so a failed write leaves no half file). Returns the
    exit code: EXIT_FAIL, with a message, when the file cannot be written."""
    if out is None:
        sys.stdout.write(text)
        return EXIT_OK
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, out)
    except OSError as exc:
        print(f"dualpower: cannot write {out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    finally:
        if tmp.exists():
            tmp.unlink()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

"""The `dualpower` command: builds the argument parser and dispatches to engine/commands.py."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine import __version__, commands
from engine.app import EXIT_OK


def _story_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--story", metavar="DIR", type=Path, default=None, help="story folder (default: the shipped story)"
    )


class _Ignored:
    """What registering a command other than the one being run gives: a parser that takes every call and does
    nothing (see _OneCommand)."""

    def __getattr__(self, name: str) -> _Ignored:
        return self

    def __call__(self, *args: object, **kwargs: object) -> _Ignored:
        return self


class _OneCommand:
    """The subcommands as the registering functions see them when only `name` will be parsed: the others are
    not built (building every parser, with its arguments and help, is a tenth of a short command's start-up)."""

    def __init__(self, sub: Any, name: str) -> None:
        self.sub, self.name, self.found = sub, name, False

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        if name != self.name and self.name not in kwargs.get("aliases", ()):
            return _Ignored()
        self.found = True
        return self.sub.add_parser(name, **kwargs)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line's parser, or with `only` the parser of that one command (a name no command has
    gives the whole parser, so the error lists them all)."""
    parser = argparse.ArgumentParser(
        prog="dualpower",
        description="Dual Power: Petrograd 1917. An interactive story, and the tools to write and teach with it.",
    )
    parser.add_argument("--version", action="version", version=f"dualpower {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub: Any = subparsers if only is None else _OneCommand(subparsers, only)

    play = sub.add_parser("play", help="play the story (the default)")
    _play_args(play)

    check = sub.add_parser("check", help="check a story folder for mistakes")
    _story_arg(check)
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--assignment", metavar="FILE", type=Path, help="check an assignment file too")

    commands.add_subcommands(sub, _story_arg)
    from engine import commands_class

    commands_class.add_subcommands(sub, _story_arg)
    from engine.server import command as serve_command

    serve_command.add_parser(sub, _story_arg)
    if isinstance(sub, _OneCommand) and not sub.found:
        return build_parser()
    return parser


def _play_args(p: argparse.ArgumentParser) -> None:
    _story_arg(p)
    p.add_argument("--role", help="skip the role menu: worker, soldier, kadet, ...")
    p.add_argument("--load", metavar="SLOT", help="resume a saved game (e.g. autosave)")
    p.add_argument("--assignment", metavar="FILE", type=Path, help="play an assignment")
    p.add_argument("--student", metavar="NAME", help="the student's name (with --assignment)")
    p.add_argument("--seed", type=int, default=0, help="seed of a new game's chance draws (default 0)")
    p.add_argument(
        "--plain", action="store_true", help="plain text on stdin/stdout, for screen readers and pipes"
    )
    p.add_argument(
        "--decorate", action="store_true", help="plain mode: mark titles with == and ***, hints with ?"
    )
    p.add_argument(
        "--saves", metavar="DIR", type=Path, help="saves folder (default: $DUALPOWER_SAVES or saves/)"
    )
    p.add_argument("--watch", action="store_true", help="reload the story by itself when a file changes")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        argv.insert(0, "play")
    parser = build_parser(argv[0] if argv and not argv[0].startswith("-") else None)
    args = parser.parse_args(argv)
    try:
        if args.command == "play":
            return commands.cmd_play(args)
        if args.command == "check":
            return commands.cmd_check(args)
        return int(args.func(args))
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

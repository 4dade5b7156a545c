"""The command line as a user types it: each command parses with only its own parser built, and a command that
does not exist is answered with the list of those that do."""

from __future__ import annotations

import pytest

from engine import cli


def commands_of(parser: object) -> list[str]:
    sub = next(a for a in parser._actions if a.dest == "command")  # type: ignore[attr-defined]
    return list(sub.choices)


def test_only_the_command_typed_is_built_and_parses_as_in_the_whole_parser() -> None:
    whole = cli.build_parser()
    names = commands_of(whole)
    assert {"play", "check", "playtest", "report", "verify", "guide", "class", "serve"} <= set(names)
    argv = {
        "check": ["check", "--strict", "--format", "json"],
        "playtest": ["playtest", "--runs", "7", "--seed", "3"],
        "report": ["report", "anna", "--format", "html"],
        "play": ["play", "--plain", "--role", "worker"],
    }
    for name, args in argv.items():
        one = cli.build_parser(name)
        assert commands_of(one) == [name]
        assert vars(one.parse_args(args)) == vars(whole.parse_args(args))


def test_a_mistyped_command_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["chek"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'chek'" in err
    for name in ("play", "check", "playtest", "report", "serve"):
        assert f"'{name}'" in err


def test_a_command_s_help_is_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["check", "--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: dualpower check") and "--strict" in out

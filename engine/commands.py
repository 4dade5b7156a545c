"""Subcommands beyond play and check: each registers its parser and a function `func(args) -> exit code`."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any


def add_subcommands(sub: Any, story_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the authoring and classroom subcommands on `sub` (argparse subparsers)."""

"""The terminal interface (rich on screen, prompt_toolkit at the keyboard)."""

from __future__ import annotations

import argparse
from typing import Any


def run(args: argparse.Namespace, story: Any, saves: Any) -> int:
    from engine.cli import _play_plain

    return _play_plain(args, story, saves)

"""Whether this terminal can run the full-screen game, or plain mode should be used instead.

The terminal UI needs a terminal that moves the cursor and answers a cursor-position request (ESC [ 6 n);
TERM=dumb (Emacs shells, some screen-reader set-ups) promises neither. Imports no UI library, so it costs
nothing when the answer is "plain".
"""

from __future__ import annotations

import os
import re
import select
import sys

CPR_WAIT = 1.0
"""Seconds to wait for the terminal's answer to a cursor-position request."""
_CPR = re.compile(rb"\x1b\[\d+;\d+R")


def why_plain(env: dict[str, str] | None = None) -> str:
    """'' when the terminal UI can run; otherwise why not, in a few words."""
    env = dict(os.environ) if env is None else env
    term = env.get("TERM", "")
    if term in ("dumb", "unknown") or not term:
        return f"TERM={term or '(unset)'} cannot draw the game's screens"
    if not answers_cursor_position():
        return "this terminal does not answer a cursor-position request"
    return ""


def answers_cursor_position(wait: float = CPR_WAIT) -> bool:
    """Ask the terminal on stdin/stdout where the cursor is, and whether it answers within `wait` seconds.
    True where it cannot be asked (no termios: Windows consoles, which prompt_toolkit drives its own way)."""
    try:
        import termios
        import tty
    except ImportError:
        return True
    fd_in, fd_out = sys.stdin.fileno(), sys.stdout.fileno()
    try:
        saved = termios.tcgetattr(fd_in)
    except termios.error:
        return True
    got = b""
    try:
        tty.setcbreak(fd_in, termios.TCSANOW)
        os.write(fd_out, b"\x1b[6n")
        while not _CPR.search(got):
            ready, _, _ = select.select([fd_in], [], [], wait)
            if not ready:
                break
            got += os.read(fd_in, 64)
    finally:
        termios.tcsetattr(fd_in, termios.TCSAFLUSH, saved)
    return bool(_CPR.search(got))

"""A student's SSH terminal for tests and benchmarks: a real asyncssh client with a pty, read through pyte.

It answers the cursor-position requests prompt_toolkit sends, as a real terminal does, and keeps both the screen
(what the student sees now) and the transcript (everything drawn, escape sequences removed) to wait on.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from typing import Any

import asyncssh
import pyte

PROMPT = "\x1b[?2004h"
"""What prompt_toolkit sends as each prompt starts (bracketed paste on): the screen before it is complete."""
ESCAPES = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


class Terminal(asyncssh.SSHClientSession):  # type: ignore[misc]
    def __init__(self, cols: int, rows: int, screen: bool = True) -> None:
        self.cols, self.rows = cols, rows
        self.screen = pyte.Screen(cols, rows) if screen else None
        self.stream = pyte.Stream(self.screen) if self.screen is not None else None
        self.raw: list[str] = []
        self.text = ""
        self.seen = 0
        self.prompts = 0
        self._tail = ""
        self.changed = asyncio.Event()
        self.closed = asyncio.Event()
        self.chan: Any = None
        if self.screen is not None:
            self.screen.write_process_input = self._reply  # type: ignore[method-assign]

    def _reply(self, data: str) -> None:
        if self.chan is not None:
            self.chan.write(data)

    def connection_made(self, chan: Any) -> None:
        self.chan = chan

    def data_received(self, data: str, datatype: Any) -> None:
        self.raw.append(data)
        joined = self._tail + data
        self.prompts += joined.count(PROMPT)
        self._tail = joined[-(len(PROMPT) - 1) :]
        if self.stream is not None:
            self.stream.feed(data)
        elif "\x1b[6n" in data:
            self._reply("\x1b[1;1R")
        self.text += ESCAPES.sub("", data)
        self.changed.set()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()
        self.changed.set()

    # --- for the tests ---

    def display(self) -> str:
        assert self.screen is not None
        return "\n".join(line.rstrip() for line in self.screen.display)

    async def expect(self, text: str, timeout: float = 15.0) -> str:
        """Wait until `text` is drawn after what the last expect found; returns the transcript up to it."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while True:
            at = self.text.find(text, self.seen)
            if at >= 0:
                before = self.text[self.seen : at]
                self.seen = at + len(text)
                return before
            if self.closed.is_set():
                raise AssertionError(f"connection closed before {text!r}; last output:\n{self.text[-1500:]}")
            left = end - loop.time()
            if left <= 0:
                raise AssertionError(f"no {text!r} within {timeout} s; last output:\n{self.text[-1500:]}")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    async def prompt(self, count: int, timeout: float = 30.0) -> None:
        """Wait until the `count`-th prompt of the session is up (or the server closed the session)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        while self.prompts < count and not self.closed.is_set():
            left = end - loop.time()
            if left <= 0:
                raise AssertionError(f"prompt {count} not up within {timeout} s")
            self.changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    def type(self, line: str) -> None:
        self.chan.write(line + "\r")

    def send(self, data: str) -> None:
        self.chan.write(data)


async def connect(
    port: int,
    name: str,
    code: str,
    *,
    cols: int = 100,
    rows: int = 40,
    term: str = "xterm-256color",
    screen: bool = True,
    window: int = 2 * 1024 * 1024,
) -> tuple[asyncssh.SSHClientConnection, Terminal]:
    """Log in as `name` with the class code and open the game in a pty of `cols` x `rows`."""
    conn = await asyncssh.connect(
        "127.0.0.1",
        port,
        username=name,
        password=code,
        known_hosts=None,
        client_keys=None,
        agent_path=None,
        preferred_auth="password",
    )
    _chan, session = await conn.create_session(
        lambda: Terminal(cols, rows, screen), term_type=term, term_size=(cols, rows), window=window
    )
    return conn, session

"""A second core: work handed to a forked process while this one does its own share, the one fork-and-pipe
that `check` (loader._read_in_child) and `playtest` (playtest._in_two) both use. Pure library: no output.
"""

from __future__ import annotations

import os
from collections.abc import Callable


def second_core() -> bool:
    """Whether a second process can run beside this one: fork exists, there are two cores or more, and
    DUALPOWER_ONE_PROCESS is not set."""
    return hasattr(os, "fork") and (os.cpu_count() or 1) >= 2 and not os.environ.get("DUALPOWER_ONE_PROCESS")


class Child:
    """A forked process doing its work; `result()` waits for what it sent."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd

    def result(self) -> bytes | None:
        """The bytes the child sent, or None when it failed (the caller then does that work itself)."""
        with os.fdopen(self.fd, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(self.pid, 0)
        return data if status == 0 and data else None


def start(work: Callable[[], bytes]) -> Child | None:
    """Fork a process that runs `work` and sends its bytes back through a pipe; None when none could be
    started. The child never returns: it ends with os._exit (no cleanup of this process's state, no buffered
    output written twice), status 1 if `work` raised."""
    try:
        r, w = os.pipe()
        pid = os.fork()
    except OSError:
        return None
    if pid:
        os.close(w)
        return Child(pid, r)
    code = 1
    try:
        os.close(r)
        data = work()
        with os.fdopen(w, "wb") as pipe:
            pipe.write(data)
        code = 0
    finally:
        os._exit(code)

"""Live reload for `dualpower play --watch`: notice when a story file changes, by polling (no dependency).

`Watcher.changed()` answers at once whether any story file was added, removed or modified since the last
call (by modification time, size and a hash of the contents, so an edit that keeps the size and the mtime is
seen too). The play loop (engine/loop.py) asks the front end before each prompt and again when a line has
been typed; the plain mode answers from its Watcher, the terminal UI runs `watch_in_background`, whose
callback ends the waiting prompt so the game reloads at once.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.files import is_story_file

INTERVAL = 0.5
"""Seconds between polls in the background thread."""

_Snapshot = dict[str, tuple[int, int, bytes]]


def snapshot(root: Path) -> _Snapshot:
    """Every story file below `root` (the *.yaml the loader reads) -> (mtime in ns, size, content hash).
    Story files are small (the shipped story hashes in about a millisecond), so hashing on each poll is cheap."""
    out: _Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(root):
        # The same folders the loader skips: hidden ones and caches (assignments and tests are watched: they are story too).
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d != "__pycache__"]
        for name in filenames:
            if is_story_file(name):
                path = os.path.join(dirpath, name)
                try:
                    st = os.stat(path)
                    with open(path, "rb") as f:
                        digest = hashlib.blake2b(f.read(), digest_size=16).digest()
                except OSError:  # removed between the listing and the read: it will be missing next time
                    continue
                out[path] = (st.st_mtime_ns, st.st_size, digest)
    return out


class Watcher:
    """Remembers the story files' state and says when it has changed."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._last = snapshot(self.root)
        self._lock = threading.Lock()  # asked from a polling thread and the game's own loop

    def changed(self) -> bool:
        """True when a story file was added, removed or modified since the last call (or since creation)."""
        now = snapshot(self.root)
        with self._lock:
            if now == self._last:
                return False
            self._last = now
            return True


def reload_if_changed(watcher: Watcher, session: Any) -> list[Any]:
    """The views of a reload when the story files changed (the session keeps its game), else nothing."""
    if not watcher.changed():
        return []
    return list(session.cmd_reload(""))


def watch_in_background(
    root: str | Path | Watcher, on_change: Callable[[], None], interval: float = INTERVAL
) -> Callable[[], None]:
    """Poll `root` (or a Watcher's folder) every `interval` seconds in a daemon thread and call `on_change()`
    (in that thread) after each change. Returns a function that stops the thread. For a front end with its own
    event loop: from `on_change`, schedule the reload on that loop (prompt_toolkit: `app.loop.call_soon_threadsafe`)."""
    watcher = root if isinstance(root, Watcher) else Watcher(root)
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval):
            if watcher.changed():
                on_change()

    threading.Thread(target=loop, name="dualpower-watch", daemon=True).start()
    return stop.set

"""Save slots: JSON files written atomically in one folder, checked whole when read back."""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.files import TMP_PREFIX, atomic_write
from engine.model import Story, Variable
from engine.state import GameState, StateError, Step
from engine.text import first_control, strip_control

FORMAT = "dualpower-save"
FORMAT_VERSION = 2
"""2 added the random state (rng), the call stack (stack) and responses in the history; 1 still loads."""
MAX_SAVE_BYTES = 8 * 1024 * 1024
SLOT_RE = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
    "endings",
}
AUTOSAVE = "autosave"


class SaveError(Exception):
    """A save that cannot be written or read; the message says what and what to do, `reason` (when a write
    failed) just why, e.g. "the disk holding saves is full"."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason or message


def default_dir(cwd: Path | None = None) -> Path:
    """$DUALPOWER_SAVES, else saves/ when run from inside the project's checkout, else the user's data folder
    ($XDG_DATA_HOME/dualpower/saves, by default ~/.local/share/dualpower/saves). --saves DIR overrides all."""
    env = os.environ.get("DUALPOWER_SAVES")
    if env:
        return Path(env)
    here = Path(__file__).resolve().parent.parent
    if (here / "saves").is_dir() and (here / "pyproject.toml").is_file():
        # Run from inside the project's checkout (as `make play` does): its saves/ folder.
        try:
            (cwd or Path.cwd()).resolve().relative_to(here)
            return here / "saves"
        except (ValueError, OSError):
            pass
    return user_dir()


def user_dir() -> Path:
    """The user's own saves folder: $XDG_DATA_HOME/dualpower/saves (by default ~/.local/share/dualpower/saves)."""
    data = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data) / "dualpower" / "saves"


def cause(exc: OSError, folder: Path) -> str:
    """Why writing in `folder` failed, in words that name the real cause (permission, space, ...)."""
    if exc.errno in (errno.EACCES, errno.EPERM):
        return f"you are not allowed to write in {folder} (permission denied)"
    if exc.errno == errno.EROFS:
        return f"{folder} is on a read-only disk"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"the disk holding {folder} is full"
    if exc.errno in (errno.ENOTDIR, errno.EEXIST):
        return f"{folder} (or a folder above it) is a file, not a folder"
    return f"{exc.strerror or exc} ({folder})"


def fix_for(exc: OSError) -> str:
    """What to do about a failed write."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "free some space, or choose another folder with --saves DIR"
    return "choose a folder you can write to with --saves DIR"


def check_slot(slot: str) -> str:
    if not isinstance(slot, str) or not SLOT_RE.match(slot):
        raise SaveError(f"{_show(slot)} is not a slot name: use 1 to 64 letters, digits, '-' or '_'")
    if slot.lower() in RESERVED:
        raise SaveError(f"{slot!r} is a reserved name: choose another slot name")
    return slot


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 50 else text[:47] + "..."


@dataclass(frozen=True, slots=True)
class SaveInfo:
    slot: str
    role: str
    scene: str
    scene_title: str
    date: str
    saved_at: str


class Saves:
    """One saves folder. Nothing is ever written outside it."""

    def __init__(self, folder: Path, list_names: bool = True) -> None:
        self.folder = Path(folder)
        self.list_names = list_names
        """Whether a message about a missing save lists the others (never in class: they are other students')."""

    def path(self, slot: str) -> Path:
        return self.folder / f"{check_slot(slot)}.json"

    # --- writing ---

    def write_json(self, name: str, data: Any) -> Path:
        """Write `name` (a plain file name) atomically: temp file, flush, fsync, rename, fsync the folder."""
        if "/" in name or "\\" in name or name.startswith("."):
            raise SaveError(f"refusing to write {name!r}")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise SaveError(
                f"cannot create the saves folder {self.folder}: {cause(exc, self.folder)}; {fix_for(exc)}",
                cause(exc, self.folder),
            ) from None
        target = self.folder / name
        payload = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
        try:
            atomic_write(target, payload)
        except OSError as exc:
            raise SaveError(
                f"could not save to {target}: {cause(exc, self.folder)}. Your game is still running; "
                f"{fix_for(exc)}",
                cause(exc, self.folder),
            ) from None
        return target

    def unwritable(self) -> str | None:
        """None when a save can be written in the folder (tried for real: a file made and removed), else why
        not, naming the cause."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".json", dir=self.folder)
            os.close(fd)
            os.unlink(tmp)
        except OSError as exc:
            return cause(exc, self.folder)
        return None

    def save(self, slot: str, story: Story, state: GameState, extra: dict[str, Any] | None = None) -> Path:
        scene = story.scenes.get(state.scene)
        data = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "story": {"id": story.id, "title": story.title, "version": story.version},
            "saved_at": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "summary": {
                "role": state.role,
                "scene": state.scene,
                "title": scene.title if scene else state.scene,
                "date": scene.date.isoformat() if scene and story.calendar != "none" else "",
            },
            "state": state.to_dict(),
        }
        if extra:
            data.update(extra)
        return self.write_json(f"{check_slot(slot)}.json", data)

    # --- reading ---

    def read(self, slot_or_path: str | Path) -> dict[str, Any]:
        """Read and check a save's envelope; raise SaveError (the file is never touched) when it is not one."""
        path = self._resolve(slot_or_path)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            names = self.slot_names()[:8] if self.list_names else []
            listed = (
                f"; the saves there are: {', '.join(names)}"
                if names
                else "; there are no saves there yet"
                if self.list_names
                else ""
            )
            raise SaveError(f"there is no save {_name(slot_or_path)!r} in {path.parent}{listed}") from None
        except OSError as exc:
            raise SaveError(f"cannot read {path}: {exc.strerror or exc}") from None
        if size > MAX_SAVE_BYTES:
            raise SaveError(f"{path} is too large to be a save ({size} bytes)")
        try:
            raw = path.read_bytes()
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):  # ValueError: JSON errors, huge ints
            raise SaveError(
                f"{path} is damaged or not a save file (it is not valid JSON); it was left as it is"
            ) from None
        except OSError as exc:
            raise SaveError(f"cannot read {path}: {exc.strerror or exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SaveError(f"{path} is not a Dual Power save file")
        version = data.get("format_version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise SaveError(f"{path} has no format version")
        if version > FORMAT_VERSION:
            raise SaveError(
                f"{path} was written by a newer Dual Power (save format {version}; this one reads "
                f"{FORMAT_VERSION}): update the game to load it"
            )
        if not isinstance(data.get("story"), dict) or not isinstance(data.get("state"), dict):
            raise SaveError(f"{path} is damaged: it lacks the story or the game state")
        return data

    def load(self, slot_or_path: str | Path, story: Story) -> tuple[GameState, dict[str, Any]]:
        """A save's game state, checked against the story it is to be played with."""
        data = self.read(slot_or_path)
        return state_from_save(data, story, str(self._resolve(slot_or_path))), data

    def _resolve(self, slot_or_path: str | Path) -> Path:
        if isinstance(slot_or_path, Path):
            return slot_or_path
        if SLOT_RE.match(slot_or_path):
            return self.path(slot_or_path)
        if slot_or_path.endswith(".json") and "\x00" not in slot_or_path:
            return Path(slot_or_path)
        check_slot(slot_or_path)
        return self.path(slot_or_path)

    def slot_names(self) -> list[str]:
        """The slot names in the folder, without reading the saves (for completion and messages)."""
        try:
            return sorted(
                p.stem
                for p in self.folder.glob("*.json")
                if SLOT_RE.match(p.stem) and p.stem.lower() not in RESERVED
            )
        except OSError:
            return []

    def slots(self) -> list[SaveInfo]:
        """Every readable save in the folder, newest first."""
        out: list[SaveInfo] = []
        try:
            files = sorted(self.folder.glob("*.json"))
        except OSError:
            return out
        for p in files:
            if not SLOT_RE.match(p.stem) or p.stem.lower() in RESERVED:
                continue
            try:
                data = self.read(p)
            except SaveError:
                continue
            summary = data.get("summary")
            s: dict[str, Any] = summary if isinstance(summary, dict) else {}

            def text(value: Any, limit: int = 80) -> str:  # shown in menus: no escapes, nothing huge
                return strip_control(str(value))[:limit]

            out.append(
                SaveInfo(
                    p.stem,
                    text(s.get("role", "?")),
                    text(s.get("scene", "?")),
                    text(s.get("title", "?")),
                    text(s.get("date", "")),
                    text(data.get("saved_at", "")),
                )
            )
        out.sort(key=lambda i: i.saved_at, reverse=True)
        return out

    def exists(self, slot: str) -> bool:
        return self.path(slot).exists()

    def fresh_slot(self, prefix: str) -> str:
        """A readable new slot name: 'worker-23feb', then 'worker-23feb-2', ..."""
        base = re.sub(r"[^A-Za-z0-9_-]", "", prefix)[:50] or "save"
        name, n = base, 1
        while self.path(name).exists():
            n += 1
            name = f"{base}-{n}"
        return name

    def clean_stale(self) -> int:
        """Remove temporary files that a killed save left behind; returns how many."""
        n = 0
        with contextlib.suppress(OSError):
            for p in self.folder.glob(f"{TMP_PREFIX}*"):
                with contextlib.suppress(OSError):
                    p.unlink()
                    n += 1
        return n

    # --- endings found, across playthroughs ---

    def endings_found(self, story: Story) -> set[str]:
        try:
            data = json.loads((self.folder / "endings.json").read_text("utf-8"))
        except (OSError, ValueError):
            return set()
        found = data.get(story.id, []) if isinstance(data, dict) else []
        return (
            {e for e in found if isinstance(e, str) and e in story.scenes}
            if isinstance(found, list)
            else set()
        )

    def add_ending(self, story: Story, scene_id: str) -> set[str]:
        try:
            data = json.loads((self.folder / "endings.json").read_text("utf-8"))
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        found = self.endings_found(story) | {scene_id}
        data[story.id] = sorted(found)
        self.write_json("endings.json", data)
        return found


def _name(slot_or_path: str | Path) -> str:
    return slot_or_path.stem if isinstance(slot_or_path, Path) else slot_or_path


def state_from_save(data: dict[str, Any], story: Story, where: str) -> GameState:
    saved_story = data.get("story", {})
    if saved_story.get("id") not in (story.id, None):
        theirs, ours = saved_story.get("title"), story.title
        if theirs == ours:  # the same title in another story folder: name them by id
            theirs, ours = saved_story.get("id"), story.id
        raise SaveError(f"{where} belongs to another story ({theirs!r}), not {ours!r}")
    try:
        state = GameState.from_dict(data["state"])
    except StateError as exc:
        raise SaveError(f"{where} is damaged: {exc}") from None
    if state.role not in story.roles:
        raise SaveError(f"{where}: the role {state.role!r} is not in this story")
    if state.scene not in story.scenes:
        raise SaveError(
            f"{where}: the scene {state.scene!r} no longer exists in this version of the story "
            f"(saved with version {saved_story.get('version')}, this is version {story.version}); "
            "start a new game or load another save"
        )
    # Variables added since the save start at their declared value; removed ones, values of the wrong type and
    # text with control characters (a save is untrusted: nothing from it reaches the terminal raw) are dropped.
    state.vars = {
        name: fitting(var, state.vars.get(name), var.start) for name, var in story.variables.items()
    }
    state.initial = {
        name: value
        for name, value in state.initial.items()
        if name in story.variables and fitting(story.variables[name], value, None) is not None
    }
    state.history = [
        Step(
            h.scene,
            h.choice,
            strip_control(h.text, keep_layout=True),
            strip_control(h.response, keep_layout=True),
        )
        for h in state.history
    ]
    state.stack = [s for s in state.stack if s in story.scenes]
    state.visits = {k: v for k, v in state.visits.items() if k in story.scenes}
    if not state.start or state.start not in story.scenes:
        state.start = story.roles[state.role].start
    return state


def fitting(var: Variable, value: Any, default: Any) -> Any:
    """`value` when it has the variable's type (and, for text, no control characters); else `default`."""
    if var.type == "bool":
        ok = isinstance(value, bool)
    elif var.type == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    else:
        ok = isinstance(value, str) and first_control(value) is None
    return value if ok else default

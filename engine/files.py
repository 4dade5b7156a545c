"""Which files make up a story folder: shared by the loader and the story cache (which must not need YAML)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from engine.diagnostics import Diagnostic

TMP_PREFIX = ".tmp-"
"""Temporary files of atomic_write start with this (hidden; a saves listing skips them)."""
MAX_FILES = 5000
SKIP_DIRS = {"assignments", "tests"}
"""Folders right below the story folder that hold no scenes: assignments and story tests."""
SUFFIXES = (".yaml", ".yml")
"""A story file's name ends with one of these (both are YAML)."""


def is_story_file(name: str) -> bool:
    """Whether a file name is one the loader reads (`*.yaml` or `*.yml`, not hidden)."""
    return name.endswith(SUFFIXES) and not name.startswith(".")


def story_files(root: Path, diags: list[Diagnostic]) -> list[Path]:
    """Every *.yaml and *.yml below the story folder (not assignments/ or tests/, not hidden), refusing links
    that leave it."""
    out: list[Path] = []
    real_root = root.resolve()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        dirnames[:] = sorted(
            d
            for d in dirnames
            if not d.startswith(".") and not (here == root and d in SKIP_DIRS) and d != "__pycache__"
        )
        for d in list(dirnames):
            p = here / d
            if p.is_symlink():
                dirnames.remove(d)
                diags.append(
                    Diagnostic(
                        str(p),
                        1,
                        1,
                        "warning",
                        "symlink",
                        "linked folder skipped: story folders may not contain folder links",
                    )
                )
        for name in sorted(filenames):
            if not is_story_file(name):
                continue
            p = here / name
            if p.is_symlink():
                try:
                    target = p.resolve(strict=True)
                except (OSError, RuntimeError):
                    diags.append(Diagnostic(str(p), 1, 1, "error", "symlink", "broken symbolic link"))
                    continue
                if not target.is_relative_to(real_root):
                    diags.append(
                        Diagnostic(
                            str(p),
                            1,
                            1,
                            "error",
                            "symlink",
                            "symbolic link points outside the story folder; copy the file in",
                        )
                    )
                    continue
            out.append(p)
            if len(out) > MAX_FILES:
                diags.append(
                    Diagnostic(
                        str(root), 1, 1, "error", "too-many-files", f"more than {MAX_FILES} story files"
                    )
                )
                return out
    return out


def atomic_write(path: Path, data: bytes | str) -> None:
    """Write a whole file or nothing: a temporary file in the same folder, written, flushed and fsynced, then
    renamed over `path`, then the folder fsynced where the system allows it. On any failure the temporary file
    is removed, the old file (if any) is untouched, and an OSError naming `path` is raised."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    folder = path.parent
    fd = -1
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".part", dir=folder)
        with os.fdopen(fd, "wb") as fh:
            fd = -1
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = ""
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write {path}: {exc.strerror or exc}", str(path)) from exc
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable where the system supports fsync on a folder (not on every system: then skip)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)

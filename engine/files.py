"""Which files make up a story folder: shared by the loader and the story cache (which must not need YAML)."""

from __future__ import annotations

import os
from pathlib import Path

from engine.diagnostics import Diagnostic

MAX_FILES = 5000
SKIP_DIRS = {"assignments"}


def story_files(root: Path, diags: list[Diagnostic]) -> list[Path]:
    """Every *.yaml below the story folder (not assignments/, not hidden), refusing links that leave it."""
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
            if not name.endswith(".yaml") or name.startswith("."):
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

"""Draw the terminal's screens for the docs: docs/scene.svg (a scene, for the README), docs/answer.svg (a choice
answered: the echo, the response, what changed, the next scene) and docs/stats.svg (`stats`: each value on its
scale, with what it means). Run it again when the look changes.

    .venv/bin/python docs/make_picture.py [--story DIR] [--scene ID] [--width 80] [-o docs/scene.svg]

It uses the same renderers as the game (engine.ui.render), so the picture cannot drift from the real thing.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

from rich.console import Console
from rich.text import Text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import loader, runtime  # noqa: E402
from engine.app import default_story_dir  # noqa: E402
from engine.diagnostics import summary  # noqa: E402
from engine.saves import Saves  # noqa: E402
from engine.session import Session  # noqa: E402
from engine.ui import render  # noqa: E402


DEFAULT_OUTPUT = ROOT / "docs" / "scene.svg"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--story", type=Path, default=None, help="story folder (default: the shipped story)")
    parser.add_argument("--scene", help="scene id to draw (default: the first role's first scene)")
    parser.add_argument("--width", type=int, default=80, help="terminal width in columns (default 80)")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    story, diags = loader.load(args.story or default_story_dir())
    if story is None:
        for d in diags[:20]:
            print(d, file=sys.stderr)
        print(
            f"make_picture: the story cannot be loaded ({summary(diags)}); "
            "fix it or point --story at one that loads",
            file=sys.stderr,
        )
        return 1
    role = next(iter(story.roles))
    if args.scene:
        if args.scene not in story.scenes:
            print(f"make_picture: no scene {args.scene!r} in the story", file=sys.stderr)
            return 2
        role = story.role_of(args.scene) or role
    state = runtime.new_game(story, role, start=args.scene)
    # A Session only to build the same views the game shows; nothing is saved.
    session = Session(story, state, Saves(ROOT / "saves"))

    def draw(items: list[object], path: Path, with_bar: bool = True) -> None:
        console = Console(
            record=True,
            width=args.width,
            file=io.StringIO(),
            force_terminal=True,
            color_system="truecolor",
            no_color=False,
            highlight=False,
            emoji=False,
        )
        console.print()
        for item in items:
            console.print(item)
            console.print()
        console.print(Text("> ", style="bold"))
        if with_bar:
            console.print()
            console.print(render.toolbar_text(session.toolbar(), args.width, session.bearings()))
        path.parent.mkdir(parents=True, exist_ok=True)
        console.save_svg(str(path), title=story.title, unique_id="dualpower")
        print(f"wrote {path}")

    draw([render.scene(session.scene_view(), story)], args.output)
    if args.scene is None:
        # A choice answered: the first choice of the first scene, as the game shows it after the player types 1.
        answered = [r for v in session.handle("1") if (r := render.view(v, story)) is not None]
        draw(answered, args.output.with_name("answer.svg"))
        shown = [r for v in session.handle("stats") if (r := render.view(v, story)) is not None]
        draw(shown, args.output.with_name("stats.svg"), with_bar=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())

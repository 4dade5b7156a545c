"""Every subcommand: `cmd_<name>(args) -> exit code`, and the parsers of those beyond play and check.

A command turns argparse values into calls of library code (the core, the classroom, a front end) and its
result into output and an exit code; the shared edges (loading a story, messages, -o files) are engine.app.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine import app
from engine.app import EXIT_FAIL, EXIT_OK, EXIT_USAGE


def add_subcommands(sub: Any, story_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register the authoring and classroom subcommands on `sub` (argparse subparsers)."""
    _add_authoring(sub, story_arg)
    _add_classroom(sub, story_arg)


# --- classroom tools: report, verify, guide (engine/classroom/) ------------------------------------


def _add_classroom(sub: Any, story_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    r = sub.add_parser(
        "report",
        help="make a report of a saved game, for the teacher",
        description="Write a report of a saved game: the path, the answers, the ending, what "
        "really happened beside it, and a block that lets a teacher verify it.",
    )
    r.add_argument("save", metavar="SAVE", help="a slot name (e.g. july-days-anna) or a save file's path")
    r.add_argument(
        "--format",
        choices=("md", "html"),
        default=None,
        help="Markdown, or one printable HTML page (default: html when -o ends in .html, else md)",
    )
    r.add_argument("-o", "--output", metavar="FILE", type=Path, help="write to FILE instead of the screen")
    r.add_argument(
        "--saves", metavar="DIR", type=Path, help="saves folder (default: $DUALPOWER_SAVES or saves/)"
    )
    story_arg(r)
    r.set_defaults(func=cmd_report)

    v = sub.add_parser(
        "verify",
        help="check that a student's report is an unedited playthrough",
        description="Replay a report's recorded path against the story and its assignment and "
        "check that its text is exactly what that playthrough produces. Prints VALID "
        "(exit 0), or INVALID and the first difference (exit 1).",
    )
    v.add_argument("report", metavar="REPORT", type=Path, help="the report file (.md or .html)")
    story_arg(v)
    v.add_argument(
        "--assignment",
        metavar="FILE",
        type=Path,
        help="the assignment file (default: where the report says, else the story's assignments/)",
    )
    v.add_argument(
        "--complete",
        action="store_true",
        help="also fail (exit 1, INCOMPLETE) when the work is unfinished: stopped before the end, or a "
        "question it met is unanswered",
    )
    v.set_defaults(func=cmd_verify)

    t = sub.add_parser(
        "guide",
        help="write a teacher's guide to the story (Markdown)",
        description="A teacher's guide, chapter by chapter: events, historical notes, documents, "
        "content notes, glossary terms and discussion prompts.",
    )
    story_arg(t)
    t.add_argument("--assignment", metavar="FILE", type=Path, help="a guide for this assignment's path")
    t.add_argument(
        "--format",
        choices=("md", "html"),
        default=None,
        help="Markdown, or one printable HTML page (default: html when -o ends in .html, else md)",
    )
    t.add_argument(
        "--saves",
        metavar="DIR",
        type=Path,
        help="the class's saves folder, put into the commands the guide prints for students",
    )
    t.add_argument("-o", "--output", metavar="FILE", type=Path, help="write to FILE instead of the screen")
    t.set_defaults(func=cmd_guide)


def cmd_check(args: argparse.Namespace) -> int:
    from engine import check
    from engine.checkcache import Store
    from engine.classroom import assignment as assignments
    from engine.diagnostics import sort_key

    story_dir = args.story or app.default_story_dir()
    story, diags = check.load_and_analyse(story_dir, Store.open(story_dir))
    diags = diags + assignments.check_folder(story_dir, story)
    if args.assignment is not None:
        diags = diags + assignments.check_file(args.assignment, story)
    return check.report(sorted(diags, key=sort_key), args.format, args.strict, sys.stdout)


def cmd_play(args: argparse.Namespace) -> int:
    from engine import loop
    from engine.saves import AUTOSAVE
    from engine.session import Session, StartError

    story = app.load_or_complain(args.story)
    if story is None:
        return EXIT_FAIL
    saves = app.saves_folder(args.saves)
    # A folder given with --saves or $DUALPOWER_SAVES may be a class's: a mistyped --load must not list the
    # other students' saves (the user's own default folder still does).
    saves.list_names = not (args.saves or os.environ.get("DUALPOWER_SAVES"))
    saves.clean_stale()
    plain = args.plain or not (sys.stdin.isatty() and sys.stdout.isatty())
    if not plain:
        from engine.ui import probe

        why = probe.why_plain()  # TERM=dumb, or a terminal that does not answer a cursor-position request
        if why:
            print(f"({why}: playing in plain mode.)")
            plain = True
    story_dir = args.story or app.default_story_dir()
    reload_story = app.make_reloader(args.story)
    # A save holding an assignment resumes as that assignment (its questions, its undo rule), not as free play.
    # (The classroom is imported only then: a plain new game starts faster without it.)
    if args.assignment is not None or args.load:
        from engine.classroom import play as assignment_play

        if args.assignment is not None or assignment_play.holds_assignment(saves, args.load):
            return _play_assignment(args, story, saves, plain)
    if not plain:
        from engine.ui import terminal

        return terminal.run(
            story,
            saves,
            role=args.role,
            load=args.load,
            seed=args.seed,
            reload_story=reload_story,
            watch_root=story_dir if args.watch else None,
            options=app.hint_options(args.story, args.saves),
        )
    from engine.ui.plain import PlainUI
    from engine.watch import Watcher

    ui = PlainUI(
        watcher=Watcher(story_dir) if args.watch else None,
        options=app.hint_options(args.story, args.saves),
        decorate=args.decorate,
    )
    load = args.load
    if not load and args.role is None and saves.exists(AUTOSAVE):
        # As the title screen's Continue: a game in progress is offered first.
        keep = ui.ask_continue(_where(story, saves))
        if keep is None:
            return EXIT_OK
        load = AUTOSAVE if keep else None
    try:
        if load:
            session = Session.resume(story, load, saves, reload_story=reload_story)
        else:
            role = args.role if args.role is not None else _ask_role(ui, story)
            if role is None:
                return EXIT_OK
            session = Session.new(story, role, saves, seed=args.seed, reload_story=reload_story)
    except StartError as exc:
        app.error(str(exc))
        return EXIT_FAIL if args.load else EXIT_USAGE
    return loop.play(session, ui)


def _where(story: Any, saves: Any) -> str:
    """'Worker · 24 Feb 1917 · The Street': where the autosaved game stands (plain mode's Continue)."""
    from engine.saves import AUTOSAVE

    info = next((i for i in saves.slots() if i.slot == AUTOSAVE), None)
    if info is None:
        return AUTOSAVE
    import datetime as _dt

    role = story.roles.get(info.role)
    try:
        day = _dt.date.fromisoformat(info.date)
        date = f"{day.day} {day:%b %Y}"
    except ValueError:
        date = info.date
    return " · ".join(p for p in (role.name if role else info.role, date, info.scene_title) if p)


def _ask_role(ui: Any, story: Any) -> str | None:
    """Plain mode's title: the story, its content notes, the roles to choose from."""
    ui.write(story.title)
    if story.premise:
        ui.para(story.premise)
    ui.write()
    if story.content_notes:
        ui.write("This story includes:")
        for note in story.content_notes:
            ui.para(f"- {note}", indent="  ")
        ui.write()
    choice: str | None = ui.choose_role([(k, r.name, r.title, r.blurb) for k, r in story.roles.items()])
    return choice


def _play_assignment(args: argparse.Namespace, story: Any, saves: Any, plain: bool) -> int:
    from engine import loop
    from engine.classroom import play as assignment_play
    from engine.session import StartError
    from engine.ui.plain import PlainUI

    # Name, intro and messages before play are plain lines in both modes; the game itself is drawn by the
    # terminal UI unless plain mode was asked for (or stdin/stdout are not terminals).
    ui = PlainUI()
    saves.list_names = False  # a class shares the folder: never show a student the others' save names
    try:
        session = assignment_play.start(
            story,
            saves,
            ui,
            assignment_file=args.assignment,
            load=args.load,
            student=args.student,
            seed=args.seed,
            wait=sys.stdin.isatty(),
            saves_option=app.hint_options(args.story, args.saves),
        )
    except StartError as exc:
        for line in exc.details:
            print(line, file=sys.stderr)
        app.error(str(exc))
        return EXIT_FAIL
    if plain:
        return loop.play(session, ui)
    from engine.ui.terminal import Terminal

    Terminal(story, saves, seed=args.seed, options=app.hint_options(args.story, args.saves)).play(session)
    return EXIT_OK


def cmd_guide(args: argparse.Namespace) -> int:
    from engine.classroom import assignment as asg_mod
    from engine.classroom.guide import guide, guide_html

    story = app.load_or_complain(args.story)
    if story is None:
        return EXIT_FAIL
    assignment = None
    if args.assignment is not None:
        assignment, adiags = asg_mod.load(args.assignment, story)
        if assignment is None:
            for d in adiags:
                if d.severity == "error":
                    print(d, file=sys.stderr)
            print(
                "dualpower: the assignment has mistakes (above); fix them, then run the guide again",
                file=sys.stderr,
            )
            return EXIT_FAIL
    story_option = f" --story {shlex.quote(str(args.story or app.default_story_dir()))}"
    saves_option = f" --saves {shlex.quote(str(args.saves))}" if args.saves else ""
    text = guide(story, assignment, story_option=story_option, saves_option=saves_option)
    suffix = args.output.suffix.lower() if args.output else ""
    if (args.format or ("html" if suffix in (".html", ".htm") else "md")) == "html":
        title = f"Teacher's guide: {assignment.title if assignment else story.title}"
        text = guide_html(text, title)
    if app.write_output(text, args.output) != EXIT_OK:
        return EXIT_FAIL
    if args.output is not None:
        print(f"Guide written to {args.output}", file=sys.stderr)
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    from engine.classroom.report import ReportError, block_from_save, build, format_for_suffix, render
    from engine.saves import SaveError

    suffix = args.output.suffix.lower() if args.output else ""
    chosen = format_for_suffix(suffix)
    if args.format is None and chosen is None:
        print(
            f"dualpower: cannot write a {suffix} report: use -o report.html (one page that prints well, also "
            "to PDF from a browser) or -o report.md",
            file=sys.stderr,
        )
        return EXIT_USAGE
    fmt = args.format or (chosen.name if chosen else "md")
    story = app.load_or_complain(args.story)
    if story is None:
        return EXIT_FAIL
    saves = app.saves_folder(args.saves)
    saves.list_names = False  # a class shares the folder: the others' save names are theirs
    try:
        data = saves.read(args.save)
        report = build(block_from_save(data, story, args.save), story)
    except (SaveError, ReportError) as exc:
        print(f"dualpower: {exc}", file=sys.stderr)
        return EXIT_FAIL
    if app.write_output(render(report, fmt), args.output) != EXIT_OK:
        return EXIT_FAIL
    if args.output is not None:
        print(
            f"Report written to {args.output}. Hand in this file as it is: your teacher checks it with "
            f"'dualpower verify {args.output.name}{app.hint_options(args.story)}'.",
            file=sys.stderr,
        )
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    from engine.classroom.verify import MAX_REPORT_BYTES, story_version, verify_text

    path: Path = args.report
    try:
        size = path.stat().st_size
        if size > MAX_REPORT_BYTES:
            print(f"INVALID: {path} is too large to be a report ({size} bytes)")
            return EXIT_FAIL
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        print(f"dualpower: no such file: {path}", file=sys.stderr)
        return EXIT_FAIL
    except IsADirectoryError:
        print(f"dualpower: {path} is a folder; give the report file", file=sys.stderr)
        return EXIT_FAIL
    except OSError as exc:
        print(f"dualpower: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_FAIL
    except UnicodeDecodeError:
        print(
            f"INVALID: {path} is not a text file (not UTF-8): was it saved from a browser or a word "
            "processor? Verify the file the game wrote."
        )
        return EXIT_FAIL
    if args.assignment is not None and not args.assignment.is_file():
        # The teacher's typo must not count against the student: this is a usage error, not INVALID.
        print(f"dualpower: no such assignment file: {args.assignment}", file=sys.stderr)
        return EXIT_USAGE
    story = app.load_or_complain(args.story)
    if story is None:
        return EXIT_FAIL
    verdict = verify_text(text, story, args.assignment)
    print(verdict)
    if args.complete and verdict.unfinished and (verdict.valid or not verdict.checked):
        print(f"INCOMPLETE: the work in this report is not finished: {verdict.unfinished}.")
        return EXIT_FAIL
    if not verdict.checked:
        return EXIT_FAIL
    if not verdict.valid:
        made_with = story_version(text)
        if made_with is not None and made_with != story.version:
            print(
                f"Note: the report was made with version {made_with} of the story, and this is version "
                f"{story.version}: a changed story text also shows as a difference. Verify with the story "
                "version the student played (--story DIR)."
            )
    return EXIT_OK if verdict.valid else EXIT_FAIL


# --- authoring tools: graph, playtest, stats --------------------------------------------------------


def _add_authoring(sub: Any, story_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    g = sub.add_parser(
        "graph",
        help="the branch map, as Graphviz DOT or Mermaid, or drawn as SVG/PNG/PDF",
        description="Print the branch map: scenes as nodes, choices as edges (dashed when they "
        "have a condition), one cluster per chapter (scene file), chapters in story order, four to a row.",
    )
    story_arg(g)
    g.add_argument("--role", help="only the scenes this role can reach")
    g.add_argument(
        "--format",
        choices=("dot", "mermaid", "svg", "png", "pdf"),
        default=None,
        help="DOT or Mermaid text, or a picture drawn with Graphviz (default: from the -o file's extension, "
        "else dot)",
    )
    g.add_argument(
        "--labels",
        action="store_true",
        help="write each choice's text on its arrow (default: on hover, in SVG)",
    )
    g.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        type=Path,
        help="write to FILE: .dot/.gv or .mmd as text, .svg/.png rendered with Graphviz",
    )
    g.set_defaults(func=cmd_graph)

    p = sub.add_parser(
        "playtest",
        help="play the story automatically; find stuck states and endless loops",
        description="Random playthroughs (by default choices not yet taken are preferred), or "
        "an exhaustive walk over distinct game states. Exit 1 when a stuck state "
        "or a loop that never reaches an ending is found.",
    )
    story_arg(p)
    p.add_argument(
        "--runs", type=_positive, default=None, help="random runs, split across the roles (default 100)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed: the same seed gives the same result")
    p.add_argument("--role", help="only this role")
    p.add_argument(
        "--exhaustive", action="store_true", help="walk every distinct state instead of random runs"
    )
    p.add_argument(
        "--max-states",
        type=_positive,
        default=None,
        metavar="N",
        help="with --exhaustive: stop after N states per role (default 1,000,000)",
    )
    p.add_argument(
        "--strict",
        action="store_true",
        help="also exit 1 when a scene or ending is never reached (a gate for builds)",
    )
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_playtest)

    n = sub.add_parser(
        "new",
        help="make a new story folder to start from (it passes check, test and playtest as made)",
        description="Write a small, complete story folder: story.yaml, one scene file, one test file and "
        "an assignment, which passes 'check --strict', 'test' and 'playtest --strict' as made.",
    )
    n.add_argument("folder", metavar="DIR", nargs="?", type=Path, default=Path("my-story"))
    n.set_defaults(func=cmd_new)

    t = sub.add_parser(
        "test",
        help="run the story's tests (tests/*.yaml in the story folder)",
        description="Play every case in the story folder's tests/*.yaml through the game: the choices "
        "typed by number, then what must hold (scene, ending, vars, visited, text). Prints "
        "'N passed, M failed'; exit 1 on any failure or mistake in a test file.",
    )
    story_arg(t)
    t.set_defaults(func=cmd_test)

    s = sub.add_parser(
        "stats", help="how big the story is, per role and in all, and how long a run takes to read"
    )
    story_arg(s)
    s.add_argument(
        "--runs", type=_positive, default=None, help="random runs for the words per run (default 100)"
    )
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--format", choices=("text", "json"), default="text")
    s.set_defaults(func=cmd_stats)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if not 1 <= value <= 10_000_000:
        raise argparse.ArgumentTypeError(f"{value} is out of range: give 1 to 10,000,000")
    return value


def _load(args: argparse.Namespace) -> Any:
    """The story, or None after printing why it cannot be loaded."""
    return app.load_or_complain(args.story)


def _check_role(story: Any, role: str | None) -> bool:
    if role is not None and role not in story.roles:
        from engine.session import unknown_role  # only on a mistake: the session module is not light

        app.error(unknown_role(story, role))
        return False
    return True


RENDERED = {".svg": "svg", ".png": "png", ".pdf": "pdf"}
TEXT_FORMATS = {".dot": "dot", ".gv": "dot", ".mmd": "mermaid", ".mermaid": "mermaid"}


def cmd_graph(args: argparse.Namespace) -> int:
    from engine import graph

    story = _load(args)
    if story is None:
        return EXIT_FAIL
    if not _check_role(story, args.role):
        return EXIT_USAGE
    out: Path | None = args.output
    ext = out.suffix.lower() if out is not None else ""
    if out is not None and ext not in RENDERED and ext not in TEXT_FORMATS:
        print(
            f"dualpower: cannot tell the format of {out}: name it .dot, .gv, .mmd, .svg, .png or .pdf",
            file=sys.stderr,
        )
        return EXIT_USAGE
    fmt = args.format or RENDERED.get(ext) or TEXT_FORMATS.get(ext, "dot")
    wanted = RENDERED.get(ext) or TEXT_FORMATS.get(ext)
    if out is not None and wanted != fmt:
        print(
            f"dualpower: -o {out.name} is not {fmt}: name the file .{fmt} or drop --format", file=sys.stderr
        )
        return EXIT_USAGE
    if fmt == "mermaid":
        return app.write_output(graph.to_mermaid(story, args.role), out)
    if fmt == "dot":
        return app.write_output(graph.to_dot(story, args.role, args.labels), out)
    if out is None and fmt != "svg":
        print(
            f"dualpower: a {fmt} picture is not text: write it to a file with -o map.{fmt}", file=sys.stderr
        )
        return EXIT_USAGE
    again = f"dualpower graph{app.hint_options(args.story)}" + (f" --role {args.role}" if args.role else "")
    return _render(graph.dot_passes(story, args.role, args.labels), out, fmt, again)


def _render(passes: tuple[str, list[str]], out: Path | None, fmt: str, again: str) -> int:
    """Draw the map with Graphviz into `out` (or SVG on stdout), or say how to install it. Two passes: `dot`
    lays out the chapters in order, then `neato -n2` adds the edges between chapters without moving a node."""
    import shutil
    import subprocess

    dot, neato = shutil.which("dot"), shutil.which("neato")
    if dot is None or neato is None:
        print(
            f"dualpower: drawing a {fmt} picture needs Graphviz ('dot' and 'neato'), which is not installed.\n"
            "  Install it: sudo apt-get install graphviz   (Debian/Ubuntu)\n"
            "              brew install graphviz           (macOS)\n"
            f"  or write the DOT text instead: {again} -o map.dot",
            file=sys.stderr,
        )
        return EXIT_FAIL
    frame, crossing = passes

    def run(cmd: list[str], text: str) -> bytes | None:
        try:
            done = subprocess.run(
                cmd, input=text.encode("utf-8"), capture_output=True, timeout=300, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            print(f"dualpower: Graphviz failed: {exc}", file=sys.stderr)
            return None
        if done.returncode != 0:
            print(
                f"dualpower: Graphviz failed: {done.stderr.decode('utf-8', 'replace').strip()}",
                file=sys.stderr,
            )
            return None
        return done.stdout

    laid = run([dot, "-Tdot"], frame)
    if laid is None:
        return EXIT_FAIL
    text = laid.decode("utf-8")
    cut = text.rstrip().rfind("}")
    drawn = run([neato, "-n2", f"-T{fmt}"], text[:cut] + "".join(e + "\n" for e in crossing) + "}\n")
    if drawn is None:
        return EXIT_FAIL
    if out is None:
        sys.stdout.write(drawn.decode("utf-8"))
        return EXIT_OK
    try:
        from engine.files import atomic_write

        atomic_write(out, drawn)
    except OSError as exc:
        print(f"dualpower: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"Wrote {out}")
    return EXIT_OK


def cmd_playtest(args: argparse.Namespace) -> int:
    from engine import graph, playtest

    story = _load(args)
    if story is None:
        return EXIT_FAIL
    if not _check_role(story, args.role):
        return EXIT_USAGE
    if args.exhaustive:
        if args.runs is not None:
            print("dualpower: --runs does not apply to --exhaustive (it walks every state)", file=sys.stderr)
            return EXIT_USAGE
        result = playtest.exhaustive(story, args.role, args.max_states or playtest.STATE_CAP)
    else:
        result = playtest.random_runs(story, args.runs or playtest.RUNS, args.seed, args.role, settle=True)
    if args.format == "json":
        app.emit_json(result.to_dict())
    else:
        sys.stdout.write(
            playtest.format_text(result, story, lambda path: graph.file_label(story, path), args.strict)
        )
    ok = result.strict_ok() if args.strict else result.ok
    return EXIT_OK if ok else EXIT_FAIL


def cmd_stats(args: argparse.Namespace) -> int:
    from engine import playtest, stats

    story = _load(args)
    if story is None:
        return EXIT_FAIL
    data = stats.compute(story, args.runs or playtest.RUNS, args.seed)
    if args.format == "json":
        app.emit_json(data)
    else:
        sys.stdout.write(stats.format_text(data))
    return EXIT_OK


def cmd_test(args: argparse.Namespace) -> int:
    import tempfile

    from engine import storytest
    from engine.saves import Saves

    story_dir = args.story or app.default_story_dir()
    story = _load(args)
    if story is None:
        return EXIT_FAIL
    from engine.diagnostics import sort_key

    cases, diags = storytest.load(story_dir, story)
    for d in sorted(diags, key=sort_key):
        print(d)
    if diags:
        print(
            f"The test files have {len(diags)} mistake{'s' * (len(diags) != 1)} (above); fix them and run again."
        )
        return EXIT_FAIL
    if not cases:
        print(
            f"No story tests in {story_dir / 'tests'}: add a tests/NAME.yaml with a 'tests:' list "
            "(see docs/authoring-tools.md)."
        )
        return EXIT_FAIL
    failed = 0
    with tempfile.TemporaryDirectory(prefix="dualpower-test-") as tmp:
        saves = Saves(Path(tmp))
        for case in cases:
            failure = storytest.run(story, case, saves)
            if failure is not None:
                failed += 1
                print(f"FAIL {failure}")
    print(f"{len(cases) - failed} passed, {failed} failed")
    return EXIT_FAIL if failed else EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    import os
    import shlex

    from engine import scaffold

    folder: Path = args.folder
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        what = "a folder that is not empty" if folder.is_dir() else "a file"
        print(
            f"dualpower: {folder} is already {what}; give a new folder's name: dualpower new DIR",
            file=sys.stderr,
        )
        return EXIT_FAIL
    schema = Path(__file__).resolve().parent / "schema" / "scene.schema.json"
    try:
        schema_ref = os.path.relpath(schema, (folder / "scenes").resolve())
    except ValueError:  # another drive (Windows): the absolute path
        schema_ref = str(schema)
    quoted = shlex.quote(str(folder))
    made = scaffold.files(quoted, folder.resolve().name, Path(schema_ref).as_posix())
    try:
        for rel, text in made.items():
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("x", encoding="utf-8") as fh:
                fh.write(text)
    except OSError as exc:
        print(
            f"dualpower: cannot write the new story: {exc.strerror or exc} ({exc.filename or folder})",
            file=sys.stderr,
        )
        return EXIT_FAIL
    print(f"Made a new story in {folder}: {', '.join(made)}")
    print("Play it, then make it yours (docs/authoring.md); before each commit:")
    for command in ("play", "check", "test", "playtest"):
        extra = " --strict" if command in ("check", "playtest") else ""
        print(f"  dualpower {command} --story {quoted}{extra}")
    return EXIT_OK

"""`dualpower class import | summary | list | remove`: the class store from the command line.

The store (engine/classroom/store.py) and the summary data (engine/classroom/summary.py) are pure of the
terminal; this front end prints, asks for confirmation and draws the rich tables.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engine.classroom import DEFAULT_FILE

REPORT_SUFFIXES = (".md", ".markdown", ".html", ".htm")
FORMATS = ("table", "csv", "json", "html")


def _db_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        metavar="FILE",
        type=Path,
        default=Path(DEFAULT_FILE),
        help=f"the class store (default: {DEFAULT_FILE} in the current folder)",
    )


def add_subcommands(sub: Any, story_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    """Register `class` and its subcommands on `sub` (argparse subparsers)."""
    c = sub.add_parser(
        "class",
        help="a class's verified reports in one store: import, summary, list, remove",
        description="Keep a class's verified playthroughs in one SQLite file and see the class at a glance.",
    )
    csub = c.add_subparsers(dest="class_command", metavar="SUBCOMMAND", required=True)

    i = csub.add_parser(
        "import",
        help="verify reports and store the valid ones",
        description="Verify each report by replay (as 'dualpower verify' does) and store the valid ones. A "
        "folder imports every .md and .html report in it. Exit 1 when any report was refused.",
    )
    i.add_argument("reports", metavar="REPORT", nargs="+", type=Path, help="report files or folders of them")
    _db_arg(i)
    story_arg(i)
    i.add_argument(
        "--assignment",
        metavar="FILE",
        type=Path,
        help="the assignment file (default: where each report says, else the story's assignments/)",
    )
    i.set_defaults(func=cmd_import)

    s = csub.add_parser(
        "summary",
        help="the class at a glance: students, decisions beside history, answers",
        description="Per student (role, ending, scenes, choices matching history, answers), per decision "
        "(each option with who took it, the historical one marked) and per question (every answer).",
    )
    _db_arg(s)
    s.add_argument("--assignment", metavar="ID", help="only this assignment (its id, as 'class list' shows)")
    s.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="table (default), csv (one row per student), json (everything) or html (a printable page)",
    )
    s.add_argument("-o", "--output", metavar="FILE", type=Path, help="write to FILE instead of the screen")
    s.set_defaults(func=cmd_summary)

    li = csub.add_parser("list", help="the students in the store and where each stands")
    _db_arg(li)
    li.set_defaults(func=cmd_list)

    r = csub.add_parser("remove", help="remove a student and their playthroughs from the store")
    r.add_argument("student", metavar="STUDENT", help="the student's name (case and accents do not matter)")
    _db_arg(r)
    r.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    r.set_defaults(func=cmd_remove)


def _open(db: Path, create: bool = False) -> Any:
    from engine.classroom.store import ClassStore, StoreError

    try:
        return ClassStore.open(db, create=create)
    except StoreError as exc:
        print(f"dualpower: {exc}", file=sys.stderr)
        return None


def _report_files(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """The report files named or in the folders named; and messages for what is neither."""
    files: list[Path] = []
    problems: list[str] = []
    for p in paths:
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in REPORT_SUFFIXES)
            if not found:
                problems.append(f"{p}: no reports (.md or .html files) in this folder")
            files += found
        elif p.is_file():
            files.append(p)
        else:
            problems.append(f"{p}: no such file or folder")
    return files, problems


def _read_report(path: Path) -> tuple[str | None, str]:
    from engine.classroom.verify import MAX_REPORT_BYTES

    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None, "too large to be a report"
        return path.read_bytes().decode("utf-8"), ""
    except UnicodeDecodeError:
        return None, "not a text file (not UTF-8): hand in the file the game wrote"
    except OSError as exc:
        return None, f"cannot be read: {exc.strerror or exc}"


def cmd_import(args: argparse.Namespace) -> int:
    from engine.app import EXIT_FAIL, EXIT_OK, EXIT_USAGE, load_story, print_errors
    from engine.classroom.store import ImportOutcome, StoreError

    if args.assignment is not None and not args.assignment.is_file():
        print(f"dualpower: no such assignment file: {args.assignment}", file=sys.stderr)
        return EXIT_USAGE
    files, problems = _report_files(args.reports)
    for p in problems:
        print(f"dualpower: {p}", file=sys.stderr)
    if not files:
        return EXIT_FAIL
    story, diags = load_story(args.story)
    if story is None:
        print_errors(diags)
        return EXIT_FAIL
    store = _open(args.db, create=True)
    if store is None:
        return EXIT_FAIL
    counts: dict[str, int] = {}
    with store:
        for path in files:
            text, why = _read_report(path)
            if text is None:
                outcome = ImportOutcome("refused", "(unknown student)", why)
            else:
                try:
                    outcome = store.import_report(text, story, args.assignment)
                except StoreError as exc:
                    outcome = ImportOutcome("refused", "(unknown student)", str(exc))
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            print(_line(outcome, path))
    order = (("imported", "imported"), ("replaced", "replaced"), ("same", "already stored"))
    parts = [f"{counts[k]} {word}" for k, word in order if counts.get(k)]
    parts += [f"{counts['older']} older than the one stored" for _ in [0] if counts.get("older")]
    parts += [f"{counts['refused']} refused" for _ in [0] if counts.get("refused")]
    print(f"{', '.join(parts)}. Class store: {args.db}")
    if counts.get("refused"):
        print(
            "Refused reports are not stored: check each with 'dualpower verify FILE' and talk to the student.",
            file=sys.stderr,
        )
        return EXIT_FAIL
    return EXIT_OK


def _line(o: Any, path: Path) -> str:
    label = {
        "imported": "Imported",
        "replaced": "Replaced",
        "same": "Already stored",
        "older": "Not replaced",
        "refused": "REFUSED",
    }[o.status]
    if o.status == "imported":
        return f"{label}: {o.student} ({path})"
    return f"{label}: {o.student} ({path}): {o.message}"


def _format_for(args: argparse.Namespace) -> str:
    if args.format is not None:
        return str(args.format)
    suffix = args.output.suffix.lower() if args.output else ""
    return {".csv": "csv", ".json": "json", ".html": "html", ".htm": "html"}.get(suffix, "table")


def cmd_summary(args: argparse.Namespace) -> int:
    from engine.app import EXIT_FAIL, EXIT_OK, write_output
    from engine.classroom import summary, summary_render

    store = _open(args.db)
    if store is None:
        return EXIT_FAIL
    with store:
        try:
            summaries = summary.summarise(store, args.assignment)
        except LookupError as exc:
            print(f"dualpower: {exc.args[0]}", file=sys.stderr)
            return EXIT_FAIL
    fmt = _format_for(args)
    if fmt == "csv":
        if len(summaries) != 1:
            ids = ", ".join(s.id for s in summaries) or "none"
            print(
                "dualpower: a CSV holds one assignment: choose one with --assignment ID "
                f"(the store holds: {ids})",
                file=sys.stderr,
            )
            return EXIT_FAIL
        text = summary_render.to_csv(summaries[0])
    elif fmt == "json":
        text = summary_render.to_json(summaries)
    elif fmt == "html":
        text = summary_render.to_html(summaries)
    else:
        text = _tables(summaries, to_terminal=args.output is None)
    if write_output(text, args.output) != EXIT_OK:
        return EXIT_FAIL
    if args.output is not None:
        print(f"Summary written to {args.output}", file=sys.stderr)
    return EXIT_OK


def _console(to_terminal: bool) -> tuple[Any, io.StringIO]:
    from rich.console import Console

    buf = io.StringIO()
    tty = to_terminal and sys.stdout.isatty()
    return Console(file=buf, force_terminal=tty, width=None if tty else 120, highlight=False), buf


def _tables(summaries: list[Any], to_terminal: bool) -> str:
    from rich.table import Table
    from rich.text import Text

    from engine.classroom.summary_render import when

    console, buf = _console(to_terminal)
    if not summaries:
        console.print("No playthroughs are stored yet: import reports with 'dualpower class import'.")
    for s in summaries:
        console.print(Text(f"Class summary: {s.title}", style="bold"))
        console.print(f"{len(s.students)} student{'s' if len(s.students) != 1 else ''}, {s.done} done.")
        t = Table(title="Students", title_justify="left")
        for head in ("Student", "Role", "Ending", "Scenes", "Matched history"):
            t.add_column(head)
        for q in s.questions:
            t.add_column(f"Q{q.number}")
        for st in s.students:
            t.add_row(
                Text(st.name),
                Text(st.role),
                Text(st.outcome, style="" if st.done else "italic red"),
                str(st.scenes),
                f"{st.matched} of {st.marked}",
                *(Text(st.answers.get(q.number, "—")) for q in s.questions),
            )
        console.print(t)
        if any(st.reading for st in s.students):
            t = Table(title="What each student read", title_justify="left")
            t.add_column("Student")
            t.add_column("Notes, documents and glossary opened; time on the path")
            for st in s.students:
                t.add_row(Text(st.name), Text(st.reading or "— (report made before reading was recorded)"))
            console.print(t)
        for d in s.decisions:
            t = Table(title=f"{d.title} ({when(d.date)})", title_justify="left")
            t.add_column("Option")
            t.add_column("Students", justify="right")
            t.add_column("Who")
            for o in d.options:
                mark = " [what most real people did]" if o.historical else ""
                t.add_row(Text(f"{o.index + 1}. {o.text}{mark}"), str(o.count), Text(", ".join(o.students)))
            h = d.historical
            if h is not None:
                t.caption = f"What really happened: {h.historical}"
                t.caption_justify = "left"
            console.print(t)
        for q in s.questions:
            t = Table(title=f"Question {q.number} ({q.where}): {q.ask}", title_justify="left")
            t.add_column("Student")
            t.add_column("Answer")
            for name, answer in q.answers:
                t.add_row(Text(name), Text(answer))
            if not q.answers:
                t.add_row("—", "no answers yet")
            console.print(t)
    return buf.getvalue()


def cmd_list(args: argparse.Namespace) -> int:
    from rich.table import Table
    from rich.text import Text

    from engine.app import EXIT_FAIL, EXIT_OK, write_output

    store = _open(args.db)
    if store is None:
        return EXIT_FAIL
    with store:
        rows = store.students()
    console, buf = _console(True)
    if not rows:
        console.print("No students in the store yet: import reports with 'dualpower class import'.")
    else:
        t = Table(title=f"Students in {args.db}", title_justify="left")
        for head in ("Student", "Assignment", "Role", "Status", "Choices", "Answers"):
            t.add_column(head)
        for r in rows:
            if r.finish == "ending":
                status = f"done: {r.ending_title}"
            elif r.finish == "until":
                status = "done: reached the end of the assignment"
            else:
                status = f"not done (stopped at {r.last_title})"
            t.add_row(
                Text(r.name),
                Text(r.assignment_id),
                Text(r.role_name),
                Text(status),
                str(r.steps),
                f"{r.answers} of {r.questions}",
            )
        console.print(t)
    return EXIT_OK if write_output(buf.getvalue(), None) == EXIT_OK else EXIT_FAIL


def cmd_remove(args: argparse.Namespace) -> int:
    from engine.app import EXIT_FAIL, EXIT_OK

    store = _open(args.db)
    if store is None:
        return EXIT_FAIL
    with store:
        name = store.find_student(args.student)
        if name is None:
            print(
                f"dualpower: no student {args.student!r} in {args.db} (see 'dualpower class list')",
                file=sys.stderr,
            )
            return EXIT_FAIL
        if not args.yes:
            if not sys.stdin.isatty():
                print(
                    f"dualpower: not removing {name} without confirmation: run it in a terminal to be asked, "
                    "or add --yes",
                    file=sys.stderr,
                )
                return EXIT_FAIL
            try:
                reply = input(f"Remove {name} and all their playthroughs from {args.db}? [y/N] ")
            except EOFError:
                reply = ""
            if reply.strip().lower() not in ("y", "yes"):
                print("Nothing removed.")
                return EXIT_OK
        n, games = store.remove(name)
    also = " and their game in progress on the classroom server" if games else ""
    print(f"Removed {name} ({n} playthrough{'s' if n != 1 else ''}{also}) from {args.db}.")
    return EXIT_OK

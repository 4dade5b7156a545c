"""`dualpower verify REPORT`: replay a report's recorded path and check its text is exactly what that play gives.

The verification block names the role, start, starting values, the path (scene, choice) and the answers. The
path is replayed against the story, the assignment file (when found) is checked by its hash and settings, and
the report is rendered again from the replay: any line that differs (a choice, an answer, the ending, ...)
makes the report INVALID, and the first one is named.
"""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.classroom import assignment as asg_mod
from engine.classroom.report import ReportError, build, extract_block, normalise, render_lines
from engine.model import Story

MAX_REPORT_BYTES = 16 * 1024 * 1024
_TAG = re.compile(r"<[^>]*>")
PRIMARY = ("step ", "the answer", "question ", "the ending", "the epilogue")
"""Labels of the lines a student might edit to change what they did or said."""


@dataclass(frozen=True, slots=True)
class Verdict:
    valid: bool
    headline: str
    """'VALID: ...' or 'INVALID: ...'."""
    details: list[str] = field(default_factory=list)
    """Further lines: the two versions of a differing line, notes on what could not be checked."""
    checked: bool = True
    """False when the path and text fit the story but the answers could not be checked against the
    assignment (its file was not found): not VALID, not INVALID either."""

    def __str__(self) -> str:
        return "\n".join([self.headline, *self.details])


def _invalid(reason: str, details: list[str] | None = None) -> Verdict:
    return Verdict(False, f"INVALID: {reason}", details or [])


def _shown(line: str, fmt: str) -> str:
    """A report line as a person reads it (tags dropped from HTML), shortened."""
    text = html.unescape(_TAG.sub(" ", line)) if fmt == "html" else line
    text = " ".join(text.split())
    return repr(text if len(text) <= 160 else text[:157] + "...")


def verify_text(text: str, story: Story, assignment_file: Path | None = None) -> Verdict:
    """Check a report's text against the story (and its assignment: `assignment_file`, else where recorded,
    else under the story's assignments/ folder). Pure apart from looking for and reading that file."""
    try:
        fmt, block = extract_block(text)
    except ReportError as exc:
        return _invalid(str(exc))
    story_id = block.get("story", {}).get("id") if isinstance(block.get("story"), dict) else None
    if story_id != story.id:
        return _invalid(
            f"the report is for the story {story_id!r}, not {story.id!r}: give the right one with --story DIR"
        )
    notes: list[str] = []
    problem = _check_assignment(block, story, assignment_file, notes)
    checked = problem is None or problem.checked
    if problem is not None and problem.checked:
        return problem
    try:
        report = build(block, story, strict=False)
    except ReportError as exc:
        return _invalid(str(exc))
    expected = [(line.rstrip(), label) for line, label in render_lines(report, fmt)]
    actual = normalise(text).split("\n")
    found = _first_difference(actual, expected, fmt)
    if found is not None:
        return found
    answers = block.get("answers")
    if isinstance(answers, list) and answers and all(isinstance(a, dict) for a in answers):
        raw_path = block.get("path")
        path: list[Any] = raw_path if isinstance(raw_path, list) else []
        broken = asg_mod.seals_hold(str(block.get("student", "")), answers, path)
        if broken is not None:
            return _invalid(
                f"answer {broken} (or the name or path before it) is not what was typed in the game: "
                "its seal does not match"
            )
    if report.problems:
        return _invalid(report.problems[0])
    if block.get("assignment") is not None and block.get("seal") != asg_mod.seal_record(block):
        return _invalid(
            "the record was changed after it was played: the student's name, the dates, the path or the "
            "answers no longer match the seal made during play"
        )
    version = block["story"].get("version")
    if version != story.version:
        notes.append(
            f"Note: the report was made with version {version} of the story; it was checked against "
            f"version {story.version}, and it still matches."
        )
    who = f"{report.student}'s report" if report.student else "The report"
    answers = len(block["answers"])
    steps = len(block["path"])
    if report.finish == "ending":
        assert report.last.ending is not None
        end = f"ending {report.last.ending.title!r}"
    elif report.finish == "until":
        end = f"stopped as the assignment asks, at {report.last.title!r}"
    else:
        end = f"not finished (stopped at {report.last.title!r})"
    summary = (
        f"{who} on {report.title!r}: {steps} choice{'s' if steps != 1 else ''}, "
        f"{answers} answer{'s' if answers != 1 else ''}, {end}."
    )
    if not checked:
        return Verdict(
            False,
            f"NOT CHECKED: the path and text fit the story, but the answers could not be checked against "
            f"the assignment: {summary}",
            notes,
            checked=False,
        )
    return Verdict(True, f"VALID: {summary}", notes)


def _first_difference(actual: list[str], expected: list[tuple[str, str]], fmt: str) -> Verdict | None:
    """The first step, answer or ending that differs (else the first difference of any kind), or None.

    The two texts are aligned line by line as a diff would, so a line added or removed near the top does not
    make every later line look different.
    """
    want = [line for line, _label in expected]
    found: list[tuple[bool, int, Verdict]] = []
    matcher = difflib.SequenceMatcher(None, actual, want, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        if tag == "delete":
            if j1 == len(want):
                verdict = _invalid(f"the report has text added after its end (line {i1 + 1})")
            else:
                verdict = _invalid(
                    f"the report has text this playthrough does not produce (line {i1 + 1}), "
                    f"before {expected[j1][1]}",
                    [f"  in the report: {_shown(actual[i1], fmt)}"],
                )
            found.append((False, i1, verdict))
            continue
        for k, j in enumerate(range(j1, j2)):
            label = expected[j][1]
            i = i1 + k
            if tag == "replace" and i < i2:
                verdict = _invalid(
                    f"{label} differs from what this playthrough produces (line {i + 1})",
                    [
                        f"  in the report: {_shown(actual[i], fmt)}",
                        f"  the playthrough: {_shown(want[j], fmt)}",
                    ],
                )
            else:
                verdict = _invalid(
                    f"{label} is missing from the report (near line {i + 1})",
                    [f"  the playthrough: {_shown(want[j], fmt)}"],
                )
            found.append((label.startswith(PRIMARY), i, verdict))
    if not found:
        return None
    # A step, answer or ending first: the summary line near the top only repeats what they say.
    primary = [f for f in found if f[0]]
    return min(primary or found, key=lambda f: f[1])[2]


def _check_assignment(
    block: dict[str, Any], story: Story, given: Path | None, notes: list[str]
) -> Verdict | None:
    """Compare the block with its assignment file, when it can be found; None when all is well."""
    rec = block.get("assignment")
    if (
        not isinstance(rec, dict)
        or not isinstance(rec.get("sha256"), str)
        or not isinstance(rec.get("file"), str)
    ):
        if given is not None:
            return _invalid("the report was not made for an assignment, but an assignment file was given")
        return None
    if given is not None:
        path: Path | None = given
        assignment, diags = asg_mod.load(given, story)
    else:
        path = asg_mod.find(rec["file"], rec["sha256"], story.root)
        if path is None:
            other = asg_mod.find(rec["file"], None, story.root)
            if other is not None:
                # A file of that name with other contents: the report was played under a different version
                # (perhaps a student's own copy with easier questions).
                return _invalid(
                    f"the assignment file {other} is not the one this report was made with (its "
                    "contents differ): give the original with --assignment FILE"
                )
            notes.append(
                f"Note: the assignment file {Path(rec['file']).name!r} was not found (where the report "
                f"says, nor in {story.root / asg_mod.FOLDER}), so the report's questions and starting "
                "point were not checked against it; give it with --assignment FILE."
            )
            return Verdict(True, "", checked=False)
        assignment, diags = asg_mod.load(path, story)
    if assignment is None:
        errs = [str(d) for d in diags if d.severity == "error"]
        return _invalid(
            f"the assignment file {path} has errors, so the report cannot be checked against it",
            [f"  {e}" for e in errs[:10]],
        )
    if assignment.sha256 != rec["sha256"]:
        return _invalid(
            f"the assignment file {path} is not the one this report was made with (its contents "
            "differ): give the original with --assignment FILE"
        )
    start = assignment.start or story.roles[assignment.role].start
    wanted = {
        "role": assignment.role,
        "start": start,
        "initial": assignment.initial,
        "questions": [{"at": q.at, "ask": q.ask} for q in assignment.questions],
        "until": assignment.until,
    }
    found = {
        "role": block.get("role"),
        "start": block.get("start"),
        "initial": block.get("initial"),
        "questions": rec.get("questions"),
        "until": rec.get("until"),
    }
    for key, value in wanted.items():
        if found[key] != value:
            return _invalid(f"the verification block's {key} does not match the assignment file {path}")
    if rec.get("title") != assignment.title:
        return _invalid(f"the verification block's title does not match the assignment file {path}")
    notes.append(f"Checked against the assignment file {path}.")
    return None


def story_version(text: str) -> int | None:
    try:
        _fmt, block = extract_block(text)
    except ReportError:
        return None
    version = block.get("story", {}).get("version") if isinstance(block.get("story"), dict) else None
    return version if isinstance(version, int) else None

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.classroom import assignment as asg_mod
from engine.classroom.record import digest, texts_ok, unit_lines, unit_of, words
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
    unfinished: str = ""
    """Why the work in a report that fits is not finished ('' when it is): for `verify --complete`."""

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
    sealed_texts = texts_ok(block, fmt)
    try:
        report = build(block, story, strict=False)
    except ReportError as exc:
        if sealed_texts and str(exc).startswith("the recorded path does not replay") and _seals_hold(block):
            # Not edited (its seals hold), but the story has changed so much that this path is gone.
            return Verdict(
                False,
                "PATH NOT IN THIS STORY: the report's seals hold (it was not edited), but its path is not "
                f"possible in this version of the story ({exc.args[0].partition(': ')[2]}). The story was "
                "changed after the student played: verify with the story version they played (--story DIR).",
            )
        return _invalid(str(exc))
    expected = [(line.rstrip(), label) for line, label in render_lines(report, fmt)]
    actual = normalise(text).split("\n")
    matcher = difflib.SequenceMatcher(None, actual, [line for line, _ in expected], autojunk=False)
    opcodes = matcher.get_opcodes()
    if any(tag != "equal" for tag, *_ in opcodes):
        changed, unexplained = (
            _story_edits(actual, expected, opcodes, block, fmt)
            if sealed_texts
            else ([], {k for k, op in enumerate(opcodes) if op[0] != "equal"})
        )
        if unexplained:
            # The first difference the story's own changes do not explain: an edit of the report.
            found = _first_difference(
                actual, expected, fmt, [op for k, op in enumerate(opcodes) if k in unexplained]
            )
            assert found is not None
            return found
        notes.append(
            "Note: the story's text has changed since this report was made (the report itself was not "
            "edited: its text matches the digest sealed in it). The words that changed:"
        )
        notes.extend(f"  {line}" for line in changed)
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
    if sealed_texts is False:
        return _invalid(
            "the digests of the story text in the verification block were changed after the report was made"
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
    left = _unfinished(report)
    if not checked:
        return Verdict(
            False,
            f"NOT CHECKED: the path and text fit the story, but the answers could not be checked against "
            f"the assignment: {summary}",
            notes,
            checked=False,
            unfinished=left,
        )
    return Verdict(True, f"VALID: {summary}", notes, unfinished=left)


def _unfinished(report: Any) -> str:
    """Why the work is not finished: the path stops before the ending (or the assignment's `until`), or a
    question met on the path (or asked at the end) is unanswered. '' when it is finished."""
    reasons = []
    if report.finish == "unfinished":
        reasons.append(f"it stops at {report.last.title!r}, before the end of the assignment")
    on_path = {e.scene.id for e in report.entries}
    missing = [n for n, at, _ask in report.unreached if at is None or at in on_path]
    if missing and report.finish != "unfinished":
        reasons.append(
            f"question{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} "
            f"{'are' if len(missing) > 1 else 'is'} not answered"
        )
    return "; ".join(reasons)


def _seals_hold(block: dict[str, Any]) -> bool:
    """Whether the answers' seals and the record's seal (made during play) hold: checkable without the story."""
    answers: list[dict[str, Any]] = block["answers"] if isinstance(block.get("answers"), list) else []
    path: list[list[Any]] = block["path"] if isinstance(block.get("path"), list) else []
    if asg_mod.seals_hold(str(block.get("student", "")), answers, path) is not None:
        return False
    return block.get("assignment") is None or block.get("seal") == asg_mod.seal_record(block)


Opcodes = Sequence[tuple[str, int, int, int, int]]


def _story_edits(
    actual: list[str], expected: list[tuple[str, str]], opcodes: Opcodes, block: dict[str, Any], fmt: str
) -> tuple[list[str], set[int]]:
    """Which differences lie in the story's text (a scene, a note, a choice, the ending, the documents) with
    the report's version of that part matching the digest sealed in it: a story edited since, not the report.
    Returns the changed words, part by part, and the indices in `opcodes` of the differences not explained so."""
    layout = {line for line, label in expected if unit_of(label) is None}
    units: dict[str, list[str]] = {}  # the report's story text, part by part
    region_unit: dict[int, str | None] = {}
    for k, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            for i, j in zip(range(i1, i2), range(j1, j2), strict=True):
                unit = unit_of(expected[j][1])
                if unit is not None:
                    units.setdefault(unit, []).append(actual[i])
            continue
        labels = [label for _line, label in expected[j1:j2]]
        if tag == "delete":  # lines only the report has: they belong with the part just before them
            labels = [expected[j1 - 1][1]] if j1 > 0 else []
        in_region = {unit_of(label) for label in labels} - {None}
        if len(in_region) != 1 or any(
            unit_of(label) is None and label != "the report's layout" for label in labels
        ):
            region_unit[k] = None
            continue
        unit = in_region.pop()
        assert unit is not None
        region_unit[k] = unit
        units.setdefault(unit, []).extend(line for line in actual[i1:i2] if line not in layout)
    texts = block.get("texts")
    sealed: dict[str, str] = texts["units"] if isinstance(texts, dict) else {}
    new = unit_lines(expected)
    out: list[str] = []
    explained: set[str] = set()
    for unit in sorted(set(units) | set(new), key=_unit_order):
        old_lines, new_lines = units.get(unit, []), new.get(unit, [])
        if old_lines == new_lines or sealed.get(unit) != digest(unit, old_lines, fmt):
            continue
        explained.add(unit)
        before = [w for line in old_lines for w in words(line, fmt)]
        after = [w for line in new_lines for w in words(line, fmt)]
        out.append(f"{_unit_name(unit)}: {'; '.join(word_changes(before, after))}")
    return out, {k for k, unit in region_unit.items() if unit not in explained}


def _unit_order(unit: str) -> tuple[int, int]:
    if unit.startswith("step "):
        return (0, int(unit[5:]))
    return (1, ("end", "unreached", "docs").index(unit) if unit in ("end", "unreached", "docs") else 9)


def _unit_name(unit: str) -> str:
    return {"end": "the ending", "docs": "the documents", "unreached": "the questions not reached"}.get(
        unit, unit
    )


def _quote(ws: list[str], limit: int = 12) -> str:
    text = " ".join(ws if len(ws) <= limit else [*ws[: limit // 2], "…", *ws[-limit // 2 :]])
    return repr(text)


def word_changes(before: list[str], after: list[str]) -> list[str]:
    """The words that differ, e.g. ["'bread' became 'flour'", "'very' added"] (at most 6 changes listed)."""
    out: list[str] = []
    ops = [op for op in difflib.SequenceMatcher(None, before, after, autojunk=False).get_opcodes()]
    for tag, i1, i2, j1, j2 in ops:
        if tag == "replace":
            out.append(f"{_quote(before[i1:i2])} became {_quote(after[j1:j2])}")
        elif tag == "delete":
            out.append(f"{_quote(before[i1:i2])} removed")
        elif tag == "insert":
            out.append(f"{_quote(after[j1:j2])} added")
    if len(out) > 6:
        out = [*out[:6], f"and {len(out) - 6} more changes"]
    return out or ["only spacing or layout"]


def _side_by_side(a: str, b: str, fmt: str) -> list[str]:
    """Two versions of a line, as the words around where they differ (never two identical cut-off lines)."""
    wa, wb = words(a, fmt), words(b, fmt)
    ops = [
        op for op in difflib.SequenceMatcher(None, wa, wb, autojunk=False).get_opcodes() if op[0] != "equal"
    ]
    if not ops:
        return [f"  in the report: {_shown(a, fmt)}", f"  the playthrough: {_shown(b, fmt)}"]
    i1, j1 = ops[0][1], ops[0][3]
    i2, j2 = ops[-1][2], ops[-1][4]
    ctx = 6

    def window(ws: list[str], lo: int, hi: int) -> str:
        start, end = max(0, lo - ctx), min(len(ws), hi + ctx)
        if end - start > 40:  # far-apart changes: the first one, with its context
            end = min(len(ws), start + 40)
        return repr(("… " if start else "") + " ".join(ws[start:end]) + (" …" if end < len(ws) else ""))

    return [
        f"  in the report: {window(wa, i1, i2)}",
        f"  the playthrough: {window(wb, j1, j2)}",
        f"  the words that differ: {'; '.join(word_changes(wa, wb))}",
    ]


def _first_difference(
    actual: list[str], expected: list[tuple[str, str]], fmt: str, opcodes: Opcodes
) -> Verdict | None:
    """The first step, answer or ending that differs (else the first difference of any kind), or None.

    The two texts are aligned line by line as a diff would (`opcodes`), so a line added or removed near the top
    does not make every later line look different.
    """
    want = [line for line, _label in expected]
    found: list[tuple[bool, int, Verdict]] = []
    for tag, i1, i2, j1, j2 in opcodes:
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
                    _side_by_side(actual[i], want[j], fmt),
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

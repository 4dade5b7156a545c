"""The Markdown report: plain text a teacher can read anywhere, with the verification block in a fenced block.
Every line carries a label, so `verify` can name a difference precisely."""

from __future__ import annotations

from typing import Any

from engine.classroom.record import (
    Answer,
    Format,
    Lines,
    Report,
    block_json,
    documents_met,
    file_name,
    history_beside,
    played,
    reading_line,
    reading_summary,
    result,
    role_label,
    scene_title,
    when_where,
)
from engine.text import clean_paragraphs, md

MD_FENCE = "```dualpower-verification"


def markdown_lines(r: Report) -> Lines:
    out: Lines = []

    def add(line: str, label: str) -> None:
        out.append((line, label))

    def gap() -> None:
        out.append(("", "the report's layout"))

    add(f"# {md(r.title)}", "the title")
    gap()
    if r.has_assignment:
        add(f"- **Student:** {md(r.student) or '(no name)'}", "the student's name")
    add(f"- **Role:** {md(role_label(r))}", "the role")
    add(f"- **Played:** {md(played(r))}", "the date played")
    story = r.block["story"]
    add(f"- **Story:** {md(r.story.title)}, version {md(str(story.get('version')))}", "the story")
    if r.has_assignment:
        add(
            f"- **Assignment file:** {md(file_name(r))} (sha256 {md(r.block['assignment']['sha256'][:16])})",
            "the assignment file",
        )
    add(f"- **Result:** {md(result(r))}", "the result")
    if reading_summary(r):
        add(f"- **Reading:** {md(reading_summary(r))}", "the reading")
    gap()
    add("## The path", "the report's layout")
    for e in r.entries:
        label = f"step {e.number}"
        gap()
        add(f"### {e.number}. {md(e.scene.title)}", f"{label}: the scene")
        gap()
        add(f"*{md(when_where(e.scene, r.story.calendar))}*", f"{label}: the date and place")
        if e.choice is not None:
            gap()
            add(f"**Your choice:** {md(e.choice)}", f"{label}: the choice")
            for para in e.response.split("\n\n") if e.response else ():
                gap()
                add(f"*{md(para)}*", f"{label}: the response")
            beside = history_beside(e)
            if beside is not None:
                gap()
                add(f"**What most people did:** {md(beside)}", f"{label}: what most people did")
        for a in e.answers:
            _md_answer(add, gap, a)
        if reading_line(r, e):
            gap()
            add(f"*Reading: {md(reading_line(r, e))}*", f"{label}: the reading")
        if e.scene.note:
            gap()
            if e.seen_at is not None:
                add(f"> **What really happened:** see step {e.seen_at}.", f"{label}: the note")
            else:
                for i, p in enumerate(clean_paragraphs(e.scene.note)):
                    if i:
                        add(">", f"{label}: the note")
                    add(
                        f"> **What really happened:** {md(p)}" if i == 0 else f"> {md(p)}",
                        f"{label}: the note",
                    )
    gap()
    if r.finish == "ending":
        assert r.last.ending is not None
        add(f"## Ending: {md(r.last.ending.title)}", "the ending")
        for p in clean_paragraphs(r.last.ending.epilogue):
            gap()
            add(md(p), "the epilogue")
    elif r.finish == "until":
        add(f"## The assignment stopped at: {md(r.last.title)}", "the ending")
    else:
        add(f"## Not finished: stopped at {md(r.last.title)}", "the ending")
    if r.end_answers:
        gap()
        add("## Questions at the end", "the report's layout")
        for a in r.end_answers:
            _md_answer(add, gap, a)
    if r.unreached:
        gap()
        add("## Questions not reached on this path", "the report's layout")
        gap()
        for n, at, ask in r.unreached:
            where = scene_title(r.story, at)
            add(f"- **Question {n}** ({md(where)}): {md(ask)}", f"question {n}, not reached")
    docs = documents_met(r)
    if docs:
        gap()
        add("## Documents on this path", "the report's layout")
        gap()
        for title, source in docs:
            add(f"- **{md(title)}**: {md(source)}", "the documents")
    gap()
    add("## Verification", "the report's layout")
    gap()
    add(
        "Teachers: `dualpower verify` this file to check that it is exactly what this playthrough produces.",
        "the report's layout",
    )
    gap()
    add(MD_FENCE, "the verification block")
    # Backticks are escaped so no answer can close the fence early.
    for line in block_json(r.block).replace("`", "\\u0060").split("\n"):
        add(line, "the verification block")
    add("```", "the verification block")
    return out


def _md_answer(add: Any, gap: Any, a: Answer) -> None:
    name = f"question {a.number}" if a.number else "a question"
    gap()
    add(f"**Question {a.number}:** {md(a.ask)}" if a.number else f"**Question:** {md(a.ask)}", name)
    gap()
    add(f"**Answer:** {md(a.answer) or '(empty)'}", f"the answer to {name}")


FORMAT = Format("md", (".md", ".markdown", ".txt"), markdown_lines, MD_FENCE, "```")

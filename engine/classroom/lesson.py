"""The lesson part of a teacher's guide for an assignment: objectives, a timed lesson plan, the decision map,
notes and documents on the way, model answers and rubric, a debrief plan, content-note guidance, a note for
families and the commands students type. Markdown lines (guide.py renders the whole guide as Markdown or HTML).

Labels only: the story's variable names never reach the page (a `{name}` in a choice shows as its label).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from pathlib import Path

from engine import runtime
from engine.classroom.assignment import Assignment
from engine.model import Choice, Scene, Story
from engine.text import md as _md

WORDS_PER_MINUTE = 150
"""A careful student's pace through story text, choosing as they go."""
MINUTES_PER_QUESTION = 3
BEFORE_MINUTES = 5
AFTER_MINUTES = 15
MAX_DEBRIEF = 4
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

Add = Callable[[str], None]


def labelled(story: Story, text: str) -> str:
    """Text with `{variable}` shown as the variable's label, never its raw name."""

    def label(m: re.Match[str]) -> str:
        var = story.variables.get(m.group(1))
        return f"[{var.label}]" if var is not None and var.label else "[…]"

    return re.sub(r"\{(\w+)\}", label, text)


def _words(s: Scene) -> int:
    parts = [s.title, *(p.text for p in s.paragraphs), *(c.text for c in s.choices), s.note]
    if s.ending:
        parts += [s.ending.title, s.ending.epilogue]
    return sum(len(p.split()) for p in parts)


def path_words(story: Story, start: str, until: str | None, only: set[str]) -> tuple[int, int]:
    """The fewest and the most words a student reads on one path from `start` to an ending (or `until`);
    a choice that leads back to a scene already on the path is not followed (loops are read once)."""
    memo: dict[str, tuple[int, int]] = {}

    def walk(sid: str, stack: frozenset[str]) -> tuple[int, int]:
        if sid in memo:
            return memo[sid]
        scene = story.scenes[sid]
        own = _words(scene)
        nexts = (
            [] if sid == until else [c.goto for c in scene.choices if c.goto in only and c.goto not in stack]
        )
        if not nexts:
            result = (own, own)
        else:
            parts = [walk(n, stack | {sid}) for n in dict.fromkeys(nexts)]
            result = (own + min(p[0] for p in parts), own + max(p[1] for p in parts))
        memo[sid] = result
        return result

    return walk(start, frozenset())


def decisions(story: Story, only: set[str]) -> list[Scene]:
    """The scenes on the assignment's paths where the student chooses between two or more options."""
    scenes = [story.scenes[s] for s in only if len(story.scenes[s].choices) >= 2]
    return sorted(scenes, key=lambda s: (s.date, s.source.path, s.source.line))


def _historical(c: Choice) -> str:
    """The story's `historical:` mark on a choice (what most real people in the player's place did), as words;
    '' when the story does not mark it."""
    h = getattr(c, "historical", "")
    if not h:
        return ""
    return (
        f" **(what most real people did:** {_md(h)}**)**"
        if isinstance(h, str)
        else " **(what most real people did)**"
    )


def lesson_sections(
    add: Add, story: Story, a: Assignment, only: set[str], story_option: str, saves_option: str
) -> None:
    start = a.start or story.roles[a.role].start
    role = story.roles[a.role]
    if a.objectives:
        add("## Learning objectives")
        add("")
        add("By the end of the lesson, students can:")
        add("")
        for o in a.objectives:
            add(f"- {_md(o)}")
        add("")

    fewest, most = path_words(story, start, a.until, only)
    play_lo = math.ceil(fewest / WORDS_PER_MINUTE) + MINUTES_PER_QUESTION * len(a.questions)
    play_hi = math.ceil(most / WORDS_PER_MINUTE) + MINUTES_PER_QUESTION * len(a.questions)
    asg = Path(a.path).name
    play = f'dualpower play{story_option} --assignment {asg}{saves_option} --student "NAME"'
    add("## Lesson plan")
    add("")
    add(
        f"Timed from the words on the assignment's paths: {fewest} to {most} words, at {WORDS_PER_MINUTE} "
        f"words a minute, plus {MINUTES_PER_QUESTION} minutes for each of the {len(a.questions)} questions."
    )
    add("")
    add(
        f"1. **Before ({BEFORE_MINUTES} minutes).** Share the objectives and the content notes below. "
        f"Say who the students play ({_md(role.name)}, {_md(role.title)}) and that the notes (`note`) tell "
        "what really happened. Students start the game with the command below."
    )
    add(
        f"2. **During ({play_lo} to {play_hi} minutes).** Students play and answer; their work is saved "
        "after every step. Walk round: ask students to open the note at each scene before they answer."
    )
    add(
        f"3. **After ({AFTER_MINUTES} minutes).** The debrief below, built on who chose what; then students "
        "make their report (command below) and hand in the file."
    )
    add("")
    add("Commands for students (each on one line, as printed; replace NAME):")
    add("")
    add("```")
    add(play)
    add(f"dualpower report SAVE{story_option}{saves_option} -o SAVE.html")
    add("```")
    add("")
    add(
        "SAVE is the name the game prints when it starts and stops (the assignment's and the student's name, "
        "e.g. "
        + f"`{Path(a.path).stem}-anna-petrova`)."
        + (
            ""
            if saves_option.strip() != "--saves CLASS-FOLDER"
            else " Replace CLASS-FOLDER with your class's saves folder, or run the guide with --saves DIR."
        )
    )
    add("")

    add("## Decision map")
    add("")
    add("Each decision on the assignment's paths, its options, and where each leads.")
    add("")
    for s in decisions(story, only):
        add(f"**{_md(s.title)}** ({runtime.format_date(s.date)})")
        add("")
        for c in s.choices:
            target = story.scenes.get(c.goto)
            where = target.title if target else c.goto
            end = f" (ending: {_md(target.ending.title)})" if target and target.ending else ""
            cond = " *(open only on some paths)*" if c.cond is not None else ""
            add(f"- {_md(labelled(story, c.text))} → “{_md(where)}”{end}{cond}{_historical(c)}")
        add("")

    on_path = sorted((story.scenes[s] for s in only), key=lambda s: (s.date, s.source.path, s.source.line))
    noted = [s for s in on_path if s.note]
    with_docs = [s for s in on_path if s.documents]
    add("## Notes and documents on the way")
    add("")
    add(f"Scenes with a historical note (`note`): {len(noted)} of {len(on_path)}.")
    add("")
    for s in noted:
        docs = [story.documents[d].title for d in s.documents if d in story.documents]
        extra = f"; documents: {', '.join(f'“{_md(t)}”' for t in docs)}" if docs else ""
        add(f"- “{_md(s.title)}” ({runtime.format_date(s.date)}): note{extra}")
    for s in with_docs:
        if not s.note:
            docs = [story.documents[d].title for d in s.documents if d in story.documents]
            add(f"- “{_md(s.title)}”: documents: {', '.join(f'“{_md(t)}”' for t in docs)}")
    add("")

    if a.questions:
        add("## Questions, model answers and rubric")
        add("")
        for q in a.questions:
            where = f"asked at “{_md(story.scenes[q.at].title)}”" if q.at else "asked at the end"
            add(f"### Question {q.number} ({where})")
            add("")
            add(_md(q.ask))
            add("")
            if q.model_answer:
                add(f"**Model answer:** {_md(q.model_answer)}")
                add("")
            if q.rubric:
                add("**Rubric** (lowest first):")
                add("")
                for i, level in enumerate(q.rubric, 1):
                    add(f"{i}. {_md(level)}")
                add("")

    add("## Debrief plan")
    add("")
    add(
        "Build the discussion on the spread of choices: at each decision below, ask who chose each option "
        "(a show of hands, or the class summary), let one student from each group say why, then read the "
        "note together and ask what people in 1917 really did."
    )
    add("")
    for n, s in enumerate(decisions(story, only)[:MAX_DEBRIEF], 1):
        options = " or ".join(f"“{_md(labelled(story, c.text))}”" for c in s.choices)
        real = [c for c in s.choices if getattr(c, "historical", "")]
        then = (
            f" Then: most real people chose “{_md(labelled(story, real[0].text))}” (see the decision map)."
            if real
            else ""
        )
        add(f"{n}. At “{_md(s.title)}”: who chose {options}? What did each group know, and fear?{then}")
    add(
        f"{min(len(decisions(story, only)), MAX_DEBRIEF) + 1}. Close with the end questions: how did "
        f"different paths lead {_md(role.name)} to different endings, and which is closest to history?"
    )
    add("")

    notes = _content_notes(story, on_path)
    add("## Content notes: guidance")
    add("")
    if notes:
        add("This assignment's paths include:")
        add("")
        for cn in notes:
            add(f"- {_md(cn)}")
        add("")
    add(
        "Name these before the lesson, in the class's own words. Let a student who needs to step away do so: "
        "their work is saved after every step, and they can carry on later with the same command. Check on "
        "students afterwards, and keep the debrief about choices and evidence, not about the suffering itself."
    )
    add("")
    add("## A note for families")
    add("")
    add(
        f"In this lesson your child plays an interactive story set in Petrograd in 1917, as "
        f"{_md(role.name)} ({_md(role.title)}), and answers {len(a.questions)} questions about it. The story's "
        "people are mostly invented and marked so; its events, dates and documents are real, and the scenes "
        "carry notes saying what really happened. "
        + (f"It includes: {_md('; '.join(notes))}. " if notes else "")
        + "It runs on the school's computers, needs no account and sends nothing anywhere; the work is saved "
        "on the computer and handed in as a report file."
    )
    add("")


def _content_notes(story: Story, scenes: list[Scene]) -> list[str]:
    """The content notes that name a month of these scenes, and those that name no month."""
    months = {MONTHS[s.date.month - 1] for s in scenes}
    named = [n for n in story.content_notes if any(m in n for m in MONTHS)]
    return [
        n for n in story.content_notes if n not in named or any(re.search(rf"\b{m}\b", n) for m in months)
    ]

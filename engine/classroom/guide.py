"""`dualpower guide`: a teacher's guide in Markdown, chapter by chapter (one chapter per scene file).

Each chapter lists the events it covers (scene titles and dates), its historical notes, its documents, the
content notes that name its months, the glossary terms used in it, and discussion prompts: the assignment's
questions asked there, and prompts made from the chapter's own notes and documents. Pure apart from the command.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from engine import runtime
from engine.classroom.assignment import Assignment, reachable
from engine.classroom.lesson import MONTHS, lesson_sections
from engine.model import Scene, Story, Term
from engine.text import first_sentence
from engine.text import md as _md
from engine.text import md_paragraphs as _paras

MAX_PROMPTS = 5


@dataclass(frozen=True, slots=True)
class Chapter:
    path: str
    """The scene file, relative to the story folder."""
    role: str | None
    scenes: tuple[Scene, ...]

    def title(self, story: Story) -> str:
        role = story.roles[self.role].name if self.role else "Shared scenes"
        return f"{role}: {_span(self.scenes)}"


def _span(scenes: tuple[Scene, ...]) -> str:
    first, last = min(s.date for s in scenes), max(s.date for s in scenes)
    if first == last:
        return f"{first.day} {first:%B %Y}"
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day}–{last.day} {first:%B %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%B} – {last.day} {last:%B %Y}"
    return f"{first.day} {first:%B %Y} – {last.day} {last:%B %Y}"


def chapters(story: Story, only: set[str] | None = None) -> list[Chapter]:
    """The story's scene files in order, each with its scenes (only those in `only`, when given)."""
    by_file: dict[str, list[Scene]] = {}
    for s in story.scenes.values():
        if only is None or s.id in only:
            by_file.setdefault(s.source.path, []).append(s)
    order = {p: i for i, p in enumerate(story.files)}
    out: list[Chapter] = []
    for path in sorted(by_file, key=lambda p: (order.get(p, len(order)), p)):
        scenes = sorted(by_file[path], key=lambda s: s.source.line)
        roles = [story.role_of(s.id) for s in scenes]
        role = max(roles, key=roles.count) if roles else None
        try:
            rel = Path(path).relative_to(story.root).as_posix()
        except ValueError:
            rel = Path(path).name
        out.append(Chapter(rel, role, tuple(scenes)))
    return out


def _scene_words(s: Scene) -> str:
    parts = [s.title, *(p.text for p in s.paragraphs), *(c.text for c in s.choices), s.note]
    if s.ending:
        parts += [s.ending.title, s.ending.epilogue]
    return "\n".join(parts)


def terms_in(story: Story, text: str) -> list[Term]:
    """Glossary terms (by headword or alias) that occur in `text` as whole words."""
    out: list[Term] = []
    for t in story.glossary:
        for name in (t.term, *t.aliases):
            # Short names are acronyms (SR, RSDLP-like): match their case exactly; longer ones in any case.
            flags = 0 if len(name) <= 3 else re.IGNORECASE
            if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, flags):
                out.append(t)
                break
    return sorted(out, key=lambda t: t.term.lower())


def content_notes_for(story: Story, scenes: tuple[Scene, ...]) -> list[str]:
    """The story's content notes that name a month of these scenes (e.g. '... (February, July)')."""
    months = {MONTHS[s.date.month - 1] for s in scenes}
    return [n for n in story.content_notes if any(re.search(rf"\b{m}\b", n) for m in months)]


def prompts(story: Story, chapter: Chapter) -> list[str]:
    """Discussion prompts made from the chapter's notes and documents, and one about the chapter as a whole."""
    out: list[str] = []
    role = _someone(story, chapter.role)
    noted = [s for s in chapter.scenes if s.note]
    for i, s in enumerate(noted):
        when = runtime.format_date(s.date, calendar=story.calendar)
        lead = first_sentence(s.note)
        if re.search(r"\binvent", s.note, re.IGNORECASE) and i % 2 == 1:
            out.append(
                f"The note for “{_md(s.title)}” ({when}) says what in the scene is invented. Why might "
                "a writer invent people or events in a story about real history? What is gained, and "
                "what is risked?"
            )
        elif i % 2 == 0:
            out.append(
                f"The note for “{_md(s.title)}” ({when}) begins: “{_md(lead)}” How does the scene show "
                "this, and what does it leave out?"
            )
        else:
            out.append(
                f"“{_md(s.title)}” ({when}): {_md(lead)} What choices did people in this situation "
                "really have, and which did most of them make?"
            )
        if len(out) >= MAX_PROMPTS - 2:
            break
    for s in chapter.scenes:
        docs = [story.documents[d] for d in s.documents if d in story.documents]
        if docs:
            d = docs[0]
            out.append(
                f"Read “{_md(d.title)}” (in “{_md(s.title)}”, type `documents`). Who wrote it, for "
                f"whom, and why? Does it agree with what the player sees in the scene?"
            )
            break
    first = min(s.date for s in chapter.scenes)
    last = max(s.date for s in chapter.scenes)
    if first != last:
        out.append(
            f"Between {first.day} {first:%B} and {last.day} {last:%B %Y}, what changed for {role}? "
            "Name one thing that got better and one that got worse, with evidence from the notes."
        )
    return out[:MAX_PROMPTS]


def _someone(story: Story, role_key: str | None) -> str:
    """'a lathe hand on the Vyborg side' from the role's title when it reads that way, else 'a Worker'."""
    if role_key is None:
        return "someone in the story"
    role = story.roles[role_key]
    if re.match(r"(A|An) ", role.title):
        return role.title[0].lower() + role.title[1:]
    return f"a {role.name}"


def guide(
    story: Story, assignment: Assignment | None = None, *, story_option: str = "", saves_option: str = ""
) -> str:
    """The teacher's guide as Markdown: for the whole story, or for the scenes an assignment can reach (then
    with the lesson: objectives, plan, decision map, model answers, rubric, debrief). `story_option` and
    `saves_option` (' --story DIR', ' --saves DIR') go into every command printed for students."""
    lines: list[str] = []
    add = lines.append
    only: set[str] | None = None
    if assignment is not None:
        start = assignment.start or story.roles[assignment.role].start
        only = reachable(story, start, assignment.until)
        add(f"# Teacher's guide: {_md(assignment.title)}")
    else:
        add(f"# Teacher's guide: {_md(story.title)}")
    add("")
    if story.premise:
        add(_md(story.premise))
        add("")
    add(
        (
            "Dates are Old Style (the Julian calendar Russia used in 1917), each with its New Style twin. "
            if story.calendar == "julian"
            else ""
        )
        + "Chapters follow the story's files; each lists the events it covers, the historical notes (players "
        "read them with `note`), the documents (`documents`), content notes, glossary terms (`glossary`) and "
        "discussion prompts."
    )
    add("")
    if story.content_notes:
        add("## Content notes")
        add("")
        for n in story.content_notes:
            add(f"- {_md(n)}")
        add("")
    if assignment is not None:
        _assignment_section(add, story, assignment)
        assert only is not None
        lesson_sections(add, story, assignment, only, story_option, saves_option or " --saves CLASS-FOLDER")
    else:
        add("## Roles")
        add("")
        for role in story.roles.values():
            first = story.scenes.get(role.start)
            where = (
                f" First scene: “{_md(first.title)}”, {runtime.format_date(first.date, calendar=story.calendar)}"
                if first
                else ""
            )
            add(f"- **{_md(role.name)}**: {_md(role.title)}. {_md(role.blurb)}{where}")
        add("")
    for ch in chapters(story, only):
        _chapter(add, story, ch, assignment)
    if assignment is not None and assignment.questions_at(None):
        add("## At the end of the assignment")
        add("")
        add("Asked after the ending, or after the scene where the assignment stops:")
        add("")
        for q in assignment.questions_at(None):
            add(f"{q.number}. {_md(q.ask)}")
        add("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _assignment_section(add: Callable[[str], None], story: Story, a: Assignment) -> None:
    role = story.roles[a.role]
    start = story.scenes[a.start or role.start]
    add("## The assignment")
    add("")
    add(f"- **File:** `{Path(a.path).name}`")
    add(
        f"- **Role:** {_md(role.name)} ({_md(role.title)})" if role.title else f"- **Role:** {_md(role.name)}"
    )
    add(f"- **Starts at:** “{_md(start.title)}”, {runtime.format_date(start.date, calendar=story.calendar)}")
    if a.until:
        until = story.scenes[a.until]
        add(
            f"- **Stops at:** “{_md(until.title)}”, {runtime.format_date(until.date, calendar=story.calendar)} (or at any ending)"
        )
    else:
        add("- **Stops at:** any ending")
    if a.initial:
        # Labels only: a variable without a label of its own (its label is its raw name) is counted, not named.
        named = {k: v for k, v in a.initial.items() if story.variables[k].label not in ("", k)}
        values = [
            f"{_md(story.variables[k].label)} {('yes' if v else 'no') if isinstance(v, bool) else v}"
            for k, v in named.items()
        ]
        hidden = len(a.initial) - len(named)
        if hidden:
            values.append(f"{hidden} more of the story's hidden settings (for what happened before)")
        add(f"- **Starting values:** {', '.join(values)}")
    add(f"- **Undo:** {'allowed' if a.allow_undo else 'not allowed'}")
    add("")
    if a.intro:
        for p in _paras(a.intro):
            add(f"> {p}")
        add("")
    if a.questions:
        add("Questions:")
        add("")
        for q in a.questions:
            where = f" (asked at “{_md(story.scenes[q.at].title)}”)" if q.at else " (asked at the end)"
            add(f"{q.number}. {_md(q.ask)}{where}")
        add("")


def _chapter(add: Callable[[str], None], story: Story, ch: Chapter, assignment: Assignment | None) -> None:
    add(f"## {_md(ch.title(story))}")
    add("")
    endings = sum(1 for s in ch.scenes if s.ending)
    add(
        f"*File `{ch.path}` · {len(ch.scenes)} scene{'s' if len(ch.scenes) != 1 else ''}"
        + (f" · {endings} ending{'s' if endings != 1 else ''}" if endings else "")
        + "*"
    )
    add("")
    add("### Events covered")
    add("")
    for s in sorted(ch.scenes, key=lambda s: (s.date, s.source.line)):
        place = f", {_md(s.place)}" if s.place else ""
        end = f" (ending: {_md(s.ending.title)})" if s.ending else ""
        # The id is what an assignment's `at:` and `until:` name.
        add(
            f"- {runtime.format_date(s.date, calendar=story.calendar)}: **{_md(s.title)}**{place}{end} · `{s.id}`"
        )
    add("")
    noted = [s for s in ch.scenes if s.note]
    if noted:
        add("### Historical notes")
        add("")
        for s in noted:
            paras = _paras(s.note)
            add(
                f"**{_md(s.title)}** ({runtime.format_date(s.date, calendar=story.calendar)}). {paras[0] if paras else ''}"
            )
            for p in paras[1:]:
                add("")
                add(p)
            add("")
    marked = [(s, c) for s in ch.scenes for c in s.choices if c.historical]
    if marked:
        # The `historical:` marks: what most real people in the player's place did, beside the options.
        add("### What most people really did")
        add("")
        for s, c in marked:
            add(
                f"- **{_md(s.title)}** ({runtime.format_date(s.date, calendar=story.calendar)}): “{_md(c.text)}”. {_md(c.historical)}"
            )
        add("")
    docs: list[str] = []
    for s in ch.scenes:
        for did in s.documents:
            d = story.documents.get(did)
            if d is not None and did not in docs:
                docs.append(did)
    if docs:
        add("### Documents")
        add("")
        for did in docs:
            d = story.documents[did]
            date = f" ({runtime.format_date(d.date, calendar=story.calendar)})" if d.date else ""
            add(f"- **{_md(d.title)}**{date}: {_md(first_sentence(d.attribution, 300))}")
        add("")
    notes = content_notes_for(story, ch.scenes)
    if notes:
        add("### Content notes")
        add("")
        for n in notes:
            add(f"- {_md(n)}")
        add("")
    terms = terms_in(story, "\n".join(_scene_words(s) for s in ch.scenes))
    if terms:
        add("### Glossary terms")
        add("")
        for t in terms:
            add(f"- **{_md(t.term)}**: {_md(first_sentence(t.text))}")
        add("")
    add("### Discussion prompts")
    add("")
    number = 0
    ids = {s.id for s in ch.scenes}
    for q in assignment.questions if assignment else ():
        if q.at in ids:
            number += 1
            add(
                f"{number}. {_md(q.ask)} *(assignment question {q.number}, asked at “{_md(story.scenes[q.at].title)}”)*"
            )
    for p in prompts(story, ch):
        number += 1
        add(f"{number}. {p}")
    add("")


GUIDE_CSS = """
body { font-family: Georgia, "Times New Roman", serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
  line-height: 1.45; color: #111; }
h1, h2, h3 { font-family: "Helvetica Neue", Arial, sans-serif; line-height: 1.2; }
h2 { border-bottom: 1px solid #999; padding-bottom: .2rem; margin-top: 2rem; }
pre, code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: .9em; }
pre { background: #f3f3f3; padding: .6rem; white-space: pre; overflow-x: auto; }
blockquote { margin-left: 0; padding-left: 1rem; border-left: 3px solid #bbb; color: #333; }
@media print { body { margin: 0; max-width: none; } h2 { break-after: avoid; } pre { white-space: pre-wrap; } }
"""


def guide_html(markdown: str, title: str) -> str:
    """The guide as one printable HTML page (the Markdown rendered by markdown-it, raw HTML escaped)."""
    from html import escape

    from markdown_it import MarkdownIt

    body = MarkdownIt("commonmark", {"html": False}).render(markdown)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n<style>{GUIDE_CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )

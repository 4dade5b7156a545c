"""The HTML report: one self-contained page (its CSS inline) that prints well, also to PDF from a browser, with
the verification block in a JSON script element."""

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
from engine.text import clean_paragraphs
from engine.text import html as h

HTML_OPEN = '<script type="application/json" id="dualpower-verification">'
HTML_CLOSE = "</script>"


# No fixed page size: the same page prints on A4 (210 mm) and Letter (216 mm); 15 mm margins leave 180 mm.
CSS = """\
:root { --ink: #1b1b1b; --muted: #555; --rule: #d4d0c8; --note: #f5f1e8; --accent: #7a2020; --qa: #2b5d8a; }
* { box-sizing: border-box; }
p, dd, li, h3, pre { overflow-wrap: anywhere; }
body { font-family: Georgia, "Times New Roman", serif; color: var(--ink); line-height: 1.45; max-width: 52rem;
  margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.7rem; margin: 0 0 .6rem; }
h2 { font-size: 1.25rem; margin: 1.6rem 0 .5rem; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.05rem; margin: 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .15rem 1rem; margin: 0; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
.step { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 1.2rem; border-top: 1px solid var(--rule);
  padding: .6rem 0; break-inside: avoid; page-break-inside: avoid; }
.when { color: var(--muted); font-style: italic; margin: .1rem 0 .4rem; }
.choice { margin: .3rem 0; }
.qa { border-left: 3px solid var(--qa); padding-left: .6rem; margin: .5rem 0; }
.qa p { margin: .2rem 0; }
aside.history { font-size: .92rem; background: var(--note); border-left: 3px solid var(--accent);
  padding: .4rem .7rem; }
aside.history h4 { margin: 0 0 .2rem; font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; }
aside.history p { margin: .2rem 0; }
.epilogue { font-style: italic; }
.verification { color: var(--muted); font-size: .85rem; }
@page { margin: 15mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10.5pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  aside.history { background: none; border-left: 2px solid #888; }
  .step, .qa { break-inside: avoid; page-break-inside: avoid; }
}
@media (max-width: 40rem) { .step { grid-template-columns: 1fr; } }"""


def html_lines(r: Report) -> Lines:
    out: Lines = []

    def add(line: str, label: str = "the report's layout") -> None:
        out.append((line, label))

    add("<!DOCTYPE html>")
    add('<html lang="en">')
    add("<head>")
    add('<meta charset="utf-8">')
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(f"<title>{h(r.title)}{' · ' + h(r.student) if r.student else ''}</title>", "the title")
    add("<style>")
    for line in CSS.split("\n"):
        add(line)
    add("</style>")
    add("</head>")
    add("<body>")
    add("<header>")
    add(f"<h1>{h(r.title)}</h1>", "the title")
    add('<dl class="meta">')
    if r.has_assignment:
        add(f"<dt>Student</dt><dd>{h(r.student) or '(no name)'}</dd>", "the student's name")
    add(f"<dt>Role</dt><dd>{h(role_label(r))}</dd>", "the role")
    add(f"<dt>Played</dt><dd>{h(played(r))}</dd>", "the date played")
    add(
        f"<dt>Story</dt><dd>{h(r.story.title)}, version {h(str(r.block['story'].get('version')))}</dd>",
        "the story",
    )
    if r.has_assignment:
        add(
            f"<dt>Assignment file</dt><dd>{h(file_name(r))} (sha256 {h(r.block['assignment']['sha256'][:16])})"
            "</dd>",
            "the assignment file",
        )
    add(f"<dt>Result</dt><dd>{h(result(r))}</dd>", "the result")
    if reading_summary(r):
        add(f"<dt>Reading</dt><dd>{h(reading_summary(r))}</dd>", "the reading")
    add("</dl>")
    add("</header>")
    add("<main>")
    add("<h2>The path, and what really happened</h2>")
    for e in r.entries:
        label = f"step {e.number}"
        add('<section class="step">')
        add('<div class="path">')
        add(f"<h3>{e.number}. {h(e.scene.title)}</h3>", f"{label}: the scene")
        add(f'<p class="when">{h(when_where(e.scene, r.story.calendar))}</p>', f"{label}: the date and place")
        if e.choice is not None:
            add(f'<p class="choice"><b>Your choice:</b> {h(e.choice)}</p>', f"{label}: the choice")
            for para in e.response.split("\n\n") if e.response else ():
                add(f'<p class="response">{h(para)}</p>', f"{label}: the response")
            beside = history_beside(e)
            if beside is not None:
                add(
                    f'<p class="historical"><b>What most people did:</b> {h(beside)}</p>',
                    f"{label}: what most people did",
                )
        for a in e.answers:
            _html_answer(add, a)
        if reading_line(r, e):
            add(f'<p class="reading">Reading: {h(reading_line(r, e))}</p>', f"{label}: the reading")
        add("</div>")
        if e.scene.note:
            add('<aside class="history">')
            add("<h4>What really happened</h4>")
            if e.seen_at is not None:
                add(f"<p>See step {e.seen_at}.</p>", f"{label}: the note")
            else:
                for p in clean_paragraphs(e.scene.note):
                    add(f"<p>{h(p)}</p>", f"{label}: the note")
            add("</aside>")
        add("</section>")
    add('<section class="ending">')
    if r.finish == "ending":
        assert r.last.ending is not None
        add(f"<h2>Ending: {h(r.last.ending.title)}</h2>", "the ending")
        for p in clean_paragraphs(r.last.ending.epilogue):
            add(f'<p class="epilogue">{h(p)}</p>', "the epilogue")
    elif r.finish == "until":
        add(f"<h2>The assignment stopped at: {h(r.last.title)}</h2>", "the ending")
    else:
        add(f"<h2>Not finished: stopped at {h(r.last.title)}</h2>", "the ending")
    add("</section>")
    if r.end_answers:
        add('<section class="end-questions">')
        add("<h2>Questions at the end</h2>")
        for a in r.end_answers:
            _html_answer(add, a)
        add("</section>")
    if r.unreached:
        add('<section class="unreached">')
        add("<h2>Questions not reached on this path</h2>")
        add("<ul>")
        for n, at, ask in r.unreached:
            add(
                f"<li><b>Question {n}</b> ({h(scene_title(r.story, at))}): {h(ask)}</li>",
                f"question {n}, not reached",
            )
        add("</ul>")
        add("</section>")
    docs = documents_met(r)
    if docs:
        add('<section class="documents">')
        add("<h2>Documents on this path</h2>")
        add("<ul>")
        for title, source in docs:
            add(f"<li><b>{h(title)}</b>: {h(source)}</li>", "the documents")
        add("</ul>")
        add("</section>")
    add('<section class="verification">')
    add("<h2>Verification</h2>")
    add(
        "<p>This file holds the data to check it: teachers, run <code>dualpower verify</code> on this file "
        "(not on a printout or a copy saved from the browser).</p>"
    )
    add(HTML_OPEN, "the verification block")
    # Inside <script>, '<', '>' and '&' are written as JSON escapes so no answer can end the element.
    safe = block_json(r.block).replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    for line in safe.split("\n"):
        add(line, "the verification block")
    add(HTML_CLOSE, "the verification block")
    add("</section>")
    add("</main>")
    add("</body>")
    add("</html>")
    return out


def _html_answer(add: Any, a: Answer) -> None:
    name = f"question {a.number}" if a.number else "a question"
    add('<div class="qa">')
    add(
        f"<p><b>Question {a.number}:</b> {h(a.ask)}</p>"
        if a.number
        else f"<p><b>Question:</b> {h(a.ask)}</p>",
        name,
    )
    add(f"<p><b>Answer:</b> {h(a.answer) or '(empty)'}</p>", f"the answer to {name}")
    add("</div>")


FORMAT = Format("html", (".html", ".htm"), html_lines, HTML_OPEN, HTML_CLOSE)

"""The class summary as CSV (a gradebook row per student), JSON (everything) and one printable HTML page.

The HTML page is self-contained (inline CSS, an inline SVG bar chart per decision, no script) and every
student's name and answer is escaped with html.escape. The terminal table is in engine/commands_class.py.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import json
from html import escape

from engine import runtime
from engine.classroom.summary import AssignmentSummary, Decision, as_json


def when(iso: str) -> str:
    """A stored Old Style date as the story prints it (Old and New Style)."""
    try:
        return runtime.format_date(_dt.date.fromisoformat(iso))
    except ValueError:
        return iso


def cell(text: str) -> str:
    """A student's text made safe for a spreadsheet: a cell starting with = + - @ (or a tab or carriage
    return) would be read as a formula, so it gets a leading apostrophe, which spreadsheets hide."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(s: AssignmentSummary) -> str:
    """One row per student: student, role, ending, matched-history count, one column per question, reading."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        [
            "student",
            "role",
            "ending",
            "done",
            "scenes played",
            "choices matching history",
            *(f"Q{q.number}: {q.ask}" for q in s.questions),
            "reading",
        ]
    )
    for st in s.students:
        w.writerow(
            [
                cell(st.name),
                st.role,
                cell(st.outcome),
                "yes" if st.done else "no",
                st.scenes,
                st.matched,
                *(cell(st.answers.get(q.number, "")) for q in s.questions),
                st.reading,
            ]
        )
    return out.getvalue()


def to_json(summaries: list[AssignmentSummary]) -> str:
    return json.dumps(as_json(summaries), indent=2, ensure_ascii=False) + "\n"


CSS = """\
body { font-family: Georgia, "Times New Roman", serif; color: #1b1b1b; line-height: 1.4; max-width: 60rem;
  margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; border-bottom: 2px solid #7a2020; margin-top: 2rem; }
h3 { font-size: 1.05rem; margin: 1.2rem 0 .3rem; }
table { border-collapse: collapse; width: 100%; font-size: .92rem; }
th, td { border: 1px solid #d4d0c8; padding: .25rem .45rem; text-align: left; vertical-align: top; }
th { background: #f5f1e8; }
td.num { text-align: right; }
.notdone { color: #7a2020; font-style: italic; }
.decision, .question { break-inside: avoid; page-break-inside: avoid; }
.history { background: #f5f1e8; border-left: 3px solid #7a2020; padding: .3rem .6rem; font-size: .92rem; }
.who { color: #555; font-size: .88rem; }
svg text { font-family: Georgia, serif; font-size: 12px; }
@page { margin: 15mm; }
@media print { body { max-width: none; margin: 0; font-size: 10pt; } h2 { break-after: avoid; } }"""

BAR_W, ROW_H, LABEL_W = 360, 22, 40


def _chart(d: Decision) -> str:
    """A horizontal bar per option (its number and count), the historical one in the accent colour."""
    most = max((o.count for o in d.options), default=0) or 1
    height = ROW_H * len(d.options) + 4
    parts = [
        f'<svg role="img" aria-label="{escape(f"Choices at {d.title}")}" width="{LABEL_W + BAR_W + 60}" '
        f'height="{height}" viewBox="0 0 {LABEL_W + BAR_W + 60} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, o in enumerate(d.options):
        y = 2 + i * ROW_H
        w = round(BAR_W * o.count / most)
        colour = "#7a2020" if o.historical else "#2b5d8a"
        parts.append(f'<text x="0" y="{y + 15}">{o.index + 1}.</text>')
        parts.append(f'<rect x="{LABEL_W}" y="{y + 3}" width="{w}" height="{ROW_H - 6}" fill="{colour}"/>')
        parts.append(f'<text x="{LABEL_W + w + 6}" y="{y + 15}">{o.count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def to_html(summaries: list[AssignmentSummary]) -> str:
    """One self-contained page that prints well."""
    title = summaries[0].title if len(summaries) == 1 else "Class summary"
    out: list[str] = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Class summary: {escape(title)}</title>",
        f"<style>\n{CSS}\n</style>",
        "</head>",
        "<body>",
    ]
    if not summaries:
        out.append("<h1>Class summary</h1>")
        out.append("<p>No playthroughs are stored yet.</p>")
    for s in summaries:
        _assignment(out, s)
    out += ["</body>", "</html>"]
    return "\n".join(out) + "\n"


def _assignment(out: list[str], s: AssignmentSummary) -> None:
    out.append(f"<h1>Class summary: {escape(s.title)}</h1>")
    out.append(
        f"<p>{len(s.students)} student{'s' if len(s.students) != 1 else ''}, {s.done} done. "
        "Only verified reports are stored.</p>"
    )
    out.append("<h2>Students</h2>")
    out.append("<table>")
    heads = ["Student", "Role", "Ending", "Scenes played", "Choices matching history"]
    heads += [f"Q{q.number}" for q in s.questions] + ["Reading"]
    out.append("<thead><tr>" + "".join(f'<th scope="col">{escape(h)}</th>' for h in heads) + "</tr></thead>")
    out.append("<tbody>")
    for st in s.students:
        ending = escape(st.outcome)
        if not st.done:
            ending = f'<span class="notdone">{ending}</span>'
        cells = [
            f'<th scope="row">{escape(st.name)}</th>',
            f"<td>{escape(st.role)}</td>",
            f"<td>{ending}</td>",
            f'<td class="num">{st.scenes}</td>',
            f'<td class="num">{st.matched} of {st.marked}</td>',
            *(f"<td>{escape(st.answers.get(q.number, '—'))}</td>" for q in s.questions),
            f"<td>{escape(st.reading or '—')}</td>",
        ]
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody>")
    out.append("</table>")
    out.append("<h2>Decisions</h2>")
    for d in s.decisions:
        out.append('<section class="decision">')
        out.append(f"<h3>{escape(d.title)} <small>({escape(when(d.date))})</small></h3>")
        out.append(_chart(d))
        out.append("<ol>")
        for o in d.options:
            who = ", ".join(o.students) or "nobody"
            mark = " <b>(what most real people did)</b>" if o.historical else ""
            out.append(
                f"<li>{escape(o.text)}{mark} — {o.count} student{'s' if o.count != 1 else ''}"
                f' <span class="who">({escape(who)})</span></li>'
            )
        out.append("</ol>")
        h = d.historical
        if h is not None:
            out.append(f'<p class="history"><b>What really happened:</b> {escape(h.historical)}</p>')
        out.append("</section>")
    if s.questions:
        out.append("<h2>Answers</h2>")
    for q in s.questions:
        out.append('<section class="question">')
        out.append(f"<h3>Question {q.number} ({escape(q.where)}): {escape(q.ask)}</h3>")
        if q.answers:
            out.append("<table><tbody>")
            for name, answer in q.answers:
                out.append(f'<tr><th scope="row">{escape(name)}</th><td>{escape(answer)}</td></tr>')
            out.append("</tbody></table>")
        else:
            out.append("<p>No answers yet.</p>")
        out.append("</section>")

"""The class summary as plain data, from the class store: per student, per decision point, per question.

Per student: name, role, ending (an unfinished playthrough is marked not done), scenes played, how many choices
matched what most real people did, each answer. Per decision point: the scene, each option with how many
students took it and who, the `historical:` option marked with its sentence. Per question: every answer side
by side. Rendering (table, CSV, JSON, HTML) is elsewhere (summary_render.py, commands_class.py).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from engine.classroom.store import ClassStore

DONE = ("ending", "until")
"""Playthrough finishes that count as done; 'unfinished' is not done."""


@dataclass(frozen=True, slots=True)
class StudentLine:
    name: str
    role: str
    finish: str
    """'ending', 'until' or 'unfinished'."""
    last_title: str
    ending: str | None
    scenes: int
    """Scenes played (a scene passed through twice counts twice)."""
    choices: int
    matched: int
    """Choices that were the scene's historical option."""
    marked: int
    """Choices made where the scene has a historical option."""
    answers: dict[int, str]
    """Question number -> the answer."""
    reading: str = ""
    """Evidence of reading: notes, documents and glossary entries opened, minutes on the path ('' if unknown)."""

    @property
    def done(self) -> bool:
        return self.finish in DONE

    @property
    def outcome(self) -> str:
        """The ending as a teacher reads it: its title, where the assignment stopped, or not done."""
        if self.finish == "ending":
            return self.ending or self.last_title
        if self.finish == "until":
            return f"reached the end of the assignment ({self.last_title})"
        return f"not done (stopped at {self.last_title})"


@dataclass(slots=True)
class OptionCount:
    index: int
    text: str
    historical: str
    """The `historical:` sentence when this is what most real people did, else ''."""
    students: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.students)


@dataclass(slots=True)
class Decision:
    scene_id: str
    title: str
    chapter: str
    date: str
    options: list[OptionCount]

    @property
    def students(self) -> int:
        return len({s for o in self.options for s in o.students})

    @property
    def historical(self) -> OptionCount | None:
        return next((o for o in self.options if o.historical), None)


@dataclass(frozen=True, slots=True)
class QuestionAnswers:
    number: int
    at: str | None
    where: str
    """'at the end', or the title of the scene where it is asked."""
    ask: str
    answers: list[tuple[str, str]]
    """(student, answer), students without an answer left out."""


@dataclass(frozen=True, slots=True)
class AssignmentSummary:
    id: str
    title: str
    students: list[StudentLine]
    decisions: list[Decision]
    questions: list[QuestionAnswers]

    @property
    def done(self) -> int:
        return sum(1 for s in self.students if s.done)


def summarise(store: ClassStore, assignment: str | None = None) -> list[AssignmentSummary]:
    """The summary of each assignment in the store (or of the one whose id or title is `assignment`).
    Raises LookupError, naming the assignments there are, when `assignment` matches none."""
    known = store.assignments()
    if assignment is not None:
        chosen = [a for a in known if assignment in (a[0], a[1])]
        if not chosen:
            names = ", ".join(f"{i!r} ({t})" for i, t in known) or "none yet"
            raise LookupError(f"no assignment {assignment!r} in the store; it holds: {names}")
        known = chosen
    return [_one(store, aid, title) for aid, title in known]


def _one(store: ClassStore, aid: str, title: str) -> AssignmentSummary:
    plays = store.rows(
        "SELECT p.id, s.name, p.role_name, p.finish, p.last_title, p.ending_title, p.story_id, p.reading "
        "FROM playthroughs p JOIN students s ON s.id = p.student WHERE p.assignment = ? ORDER BY s.name_key",
        (aid,),
    )
    students: list[StudentLine] = []
    names = {p["id"]: p["name"] for p in plays}
    for p in plays:
        steps = store.rows("SELECT choice_index, historical FROM steps WHERE playthrough = ?", (p["id"],))
        answers = store.rows(
            "SELECT question, answer FROM answers WHERE playthrough = ? AND question IS NOT NULL", (p["id"],)
        )
        students.append(
            StudentLine(
                p["name"],
                p["role_name"],
                p["finish"],
                p["last_title"],
                p["ending_title"],
                len(steps),
                sum(1 for s in steps if s["choice_index"] is not None),
                sum(1 for s in steps if s["historical"] == 1),
                sum(1 for s in steps if s["historical"] is not None),
                {a["question"]: a["answer"] for a in answers},
                p["reading"],
            )
        )
    return AssignmentSummary(
        aid, title, students, _decisions(store, aid, names), _questions(store, aid, names)
    )


def _decisions(store: ClassStore, aid: str, names: dict[int, str]) -> list[Decision]:
    taken = store.rows(
        "SELECT t.playthrough, t.scene_id, t.scene_title, t.chapter, t.date, t.choice_index, t.choice_text, "
        "p.story_id FROM steps t JOIN playthroughs p ON p.id = t.playthrough "
        "WHERE p.assignment = ? AND t.choice_index IS NOT NULL ORDER BY t.date, t.n",
        (aid,),
    )
    decisions: dict[str, Decision] = {}
    for t in taken:
        d = decisions.get(t["scene_id"])
        if d is None:
            opts = store.rows(
                "SELECT idx, text, historical FROM options WHERE story_id = ? AND scene_id = ? ORDER BY idx",
                (t["story_id"], t["scene_id"]),
            )
            d = Decision(
                t["scene_id"],
                t["scene_title"],
                t["chapter"],
                t["date"],
                [OptionCount(o["idx"], o["text"], o["historical"]) for o in opts],
            )
            decisions[t["scene_id"]] = d
        option = next((o for o in d.options if o.index == t["choice_index"]), None)
        if (
            option is None
        ):  # an option the store has no text for (a story changed since): keep the chosen text
            option = OptionCount(t["choice_index"], t["choice_text"] or "", "")
            d.options.append(option)
            d.options.sort(key=lambda o: o.index)
        name = names[t["playthrough"]]
        if name not in option.students:
            option.students.append(name)
    for d in decisions.values():
        for o in d.options:
            o.students.sort(key=str.casefold)
    return sorted(decisions.values(), key=lambda d: (d.date, d.chapter))


def _questions(store: ClassStore, aid: str, names: dict[int, str]) -> list[QuestionAnswers]:
    out: list[QuestionAnswers] = []
    for q in store.rows("SELECT number, at, ask FROM questions WHERE assignment = ? ORDER BY number", (aid,)):
        where = "at the end"
        if q["at"] is not None:
            row = store.rows("SELECT scene_title FROM steps WHERE scene_id = ? LIMIT 1", (q["at"],))
            where = f"at {row[0]['scene_title']}" if row else f"at {q['at']}"
        answers = store.rows(
            "SELECT a.playthrough, a.answer FROM answers a JOIN playthroughs p ON p.id = a.playthrough "
            "WHERE p.assignment = ? AND a.question = ?",
            (aid, q["number"]),
        )
        pairs = sorted(
            ((names[a["playthrough"]], a["answer"]) for a in answers), key=lambda x: x[0].casefold()
        )
        out.append(QuestionAnswers(q["number"], q["at"], where, q["ask"], pairs))
    return out


def as_json(summaries: list[AssignmentSummary]) -> dict[str, Any]:
    """Everything in the summary, as JSON-ready data."""
    out = []
    for s in summaries:
        out.append(
            {
                "id": s.id,
                "title": s.title,
                "students": [
                    {
                        **{k: v for k, v in asdict(st).items() if k != "answers"},
                        "done": st.done,
                        "outcome": st.outcome,
                        "answers": {str(k): v for k, v in sorted(st.answers.items())},
                    }
                    for st in s.students
                ],
                "decisions": [
                    {
                        "scene": d.scene_id,
                        "title": d.title,
                        "chapter": d.chapter,
                        "date": d.date,
                        "students": d.students,
                        "options": [
                            {
                                "index": o.index,
                                "text": o.text,
                                "count": o.count,
                                "students": o.students,
                                "historical": o.historical or None,
                            }
                            for o in d.options
                        ],
                    }
                    for d in s.decisions
                ],
                "questions": [
                    {
                        "number": q.number,
                        "at": q.at,
                        "where": q.where,
                        "ask": q.ask,
                        "answers": [{"student": n, "answer": a} for n, a in q.answers],
                    }
                    for q in s.questions
                ],
            }
        )
    return {"format": "dualpower-class-summary", "format_version": 1, "assignments": out}

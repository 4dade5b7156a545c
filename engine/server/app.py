"""The classroom web server's pages: Starlette routes over a Classroom, HTML from Jinja2 (autoescape on).

Students: `/` (join), `/play` (one form posting `line`), `/resume/TOKEN`, `/report`. The teacher: `/teacher`
and everything under it, with `?token=...`. Static CSS/JS under `/static`. Every mistake a browser can make
(a huge field, a forged cookie, an unknown link, too many joins) is a short HTML page with a 4xx status.
"""

from __future__ import annotations

import hmac
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from engine.server.classroom import Classroom, JoinError
from engine.server.live import StudentRow, normal_code
from engine.session import AnswerView, EndingView, Message, SceneView, TableView, View
from engine.text import blocks
from engine.ui.render import term_pattern

MAX_BODY = 64 * 1024
"""Bytes in one form post: room for the longest answer (4,000 characters) however it is encoded."""
JOINS_PER_MINUTE = 60
"""Joins accepted from one address in a minute (a class of 28 behind one school router still gets in)."""
COOKIE = "dualpower_student"
STATIC = Path(__file__).parent / "static"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
}


class Credentials:
    """The class code and teacher token, as kept in the store (a restart keeps them)."""

    def __init__(self, code: str, token: str, secret: str) -> None:
        self.code, self.token, self.secret = code, token, secret


def create_app(
    room: Classroom,
    creds: Credentials,
    joins_per_minute: int = JOINS_PER_MINUTE,
    clock: Callable[[], float] = time.monotonic,
) -> Starlette:
    story, assignment = room.story, room.assignment
    env = Environment(
        loader=PackageLoader("engine.server"), autoescape=True, trim_blocks=True, lstrip_blocks=True
    )
    signer = URLSafeSerializer(creds.secret, salt="dualpower-student")
    pattern = term_pattern(story.glossary)
    tips = {}
    for t in story.glossary:
        tip = " ".join(t.text.split())
        tip = tip if len(tip) <= 300 else tip[:299] + "…"
        for word in (t.term, *t.aliases):
            tips[word] = tip
    joins: dict[str, deque[float]] = {}

    def glossed(text: str) -> Markup:
        """Escaped text with each glossary term a focusable <abbr> whose title explains it."""
        if pattern is None:
            return escape(text)
        out, last = [], 0
        for m in pattern.finditer(text):
            out.append(escape(text[last : m.start()]))
            out.append(
                Markup('<abbr class="term" tabindex="0" title="{}">{}</abbr>').format(
                    tips[m.group()], m.group()
                )
            )
            last = m.end()
        out.append(escape(text[last:]))
        return Markup("").join(out)

    def paras(text: str) -> Markup:
        return Markup("").join(
            Markup("<p>{}</p>").format(Markup("<br>").join(glossed(line) for line in b.split("\n")))
            for b in blocks(text)
        )

    env.filters["glossed"] = glossed
    env.filters["paras"] = paras
    env.globals.update(story=story, assignment=assignment)
    env.tests["scene"] = lambda v: isinstance(v, SceneView)
    env.tests["ending"] = lambda v: isinstance(v, EndingView)
    env.tests["table"] = lambda v: isinstance(v, TableView)
    env.tests["message"] = lambda v: isinstance(v, Message)
    env.tests["answer"] = lambda v: isinstance(v, AnswerView)

    for name in env.list_templates():  # compiled now, not while the first students wait
        env.get_template(name)

    def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return HTMLResponse(env.get_template(template).render(**context), status_code=status, headers=HEADERS)

    def problem(
        status: int, title: str, text: str, link: tuple[str, str] | None = ("/", "Back to the join page")
    ) -> HTMLResponse:
        return page("problem.html", status, title=title, text=text, link=link)

    # --- who is asking ---

    def student_of(request: Request) -> StudentRow | None:
        """The student whose signed cookie came with the request; HTTPException 403 for a forged one."""
        raw = request.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            value = signer.loads(raw)
        except BadSignature:
            raise HTTPException(403, "forged") from None
        if (
            not isinstance(value, dict)
            or value.get("a") != assignment.sha256[:16]
            or not isinstance(value.get("s"), int)
        ):
            raise HTTPException(403, "other class")
        return room.student(value["s"])

    def with_cookie(response: Response, row: StudentRow) -> Response:
        response.set_cookie(
            COOKIE,
            signer.dumps({"s": row.id, "a": assignment.sha256[:16]}),
            max_age=180 * 24 * 3600,
            httponly=True,
            samesite="lax",
        )
        return response

    def teacher(request: Request) -> None:
        token = request.query_params.get("token", "")
        if not token:
            raise HTTPException(401, "no token")
        if not hmac.compare_digest(token.encode(), creds.token.encode()):
            raise HTTPException(403, "wrong token")

    async def form_line(request: Request, field: str = "line") -> list[str]:
        """The values of one form field, after the size check (HTTPException 413/411)."""
        length = request.headers.get("content-length")
        if length is None:
            raise HTTPException(411, "length")
        if not length.isdecimal() or int(length) > MAX_BODY:
            raise HTTPException(413, "too large")
        form = await request.form(max_files=0, max_fields=20)
        return [v for v in form.getlist(field) if isinstance(v, str)]

    def resume_url(request: Request, row: StudentRow) -> str:
        return str(request.url_for("resume", token=row.resume))

    # --- students ---

    async def home(request: Request) -> Response:
        row = student_of(request)
        return page("join.html", row=row, message="", name="")

    async def join(request: Request) -> Response:
        addr = request.client.host if request.client else "?"
        now = clock()
        recent = joins.setdefault(addr, deque())
        while recent and now - recent[0] > 60:
            recent.popleft()
        if len(recent) >= joins_per_minute:
            return problem(
                429,
                "Too many joins",
                "Too many students joined from this address in the last minute: wait a minute and try again.",
            )
        recent.append(now)
        length = request.headers.get("content-length")
        if length is None or not length.isdecimal() or int(length) > MAX_BODY:
            raise HTTPException(413 if length else 411, "size")
        form = await request.form(max_files=0, max_fields=10)
        name, code = str(form.get("name", "")), str(form.get("code", ""))
        if normal_code(code) != creds.code:
            return page(
                "join.html",
                403,
                row=None,
                message="That is not the class code: check the board and type it again.",
                name=name,
            )
        try:
            row = room.join(name)
        except JoinError as exc:
            return page("join.html", exc.status, row=None, message=str(exc), name=name)
        return with_cookie(RedirectResponse("/play", status_code=303), row)

    async def resume(request: Request) -> Response:
        token = request.path_params["token"]
        row = room.live.by_resume(assignment.sha256, token) if len(token) <= 64 else None
        if row is None:
            return problem(
                404,
                "Unknown resume link",
                "This resume link is not one of this class's: check that you copied all of it, or join with the class code.",
            )
        return with_cookie(RedirectResponse("/play", status_code=303), row)

    def play_page(
        request: Request, row: StudentRow, views: list[View], draft: str = "", first: bool = False
    ) -> Response:
        session = room.session(row)
        q = session.pending()
        if q is not None:  # the page asks the question itself, with its answer field
            heading = f"Question {q.number} of {len(assignment.questions)}"
            views = [v for v in views if not (isinstance(v, Message) and v.title == heading)]
        return page(
            "play.html",
            row=row,
            views=views,
            question=q,
            done=session.done,
            ending=(lambda s: s.ending.title if s.ending else "")(story.scenes[session.state.scene]),
            draft=draft,
            bar=session.toolbar(),
            fresh=first and not session.state.history and not session.record["answers"],
            role=story.roles[assignment.role],
            resume=resume_url(request, row),
            undo=assignment.allow_undo,
        )

    async def play(request: Request) -> Response:
        row = student_of(request)
        if row is None:
            return RedirectResponse("/", status_code=303)
        if request.method == "GET":
            return play_page(request, row, room.current(row), first=True)
        values = await form_line(request)
        if not values:
            return play_page(
                request, row, [Message("Click a choice or a button.", "hint"), *room.current(row)]
            )
        # The clicked button comes after the answer field in the page, so its value is the last one; what was
        # typed in the field meanwhile is kept in it.
        line, draft = values[-1], (values[0] if len(values) > 1 else "")
        return play_page(request, row, room.play(row, line), draft=draft)

    async def report(request: Request) -> Response:
        row = student_of(request)
        if row is None:
            return problem(403, "Not joined", "Join the class first: your report is made from your own game.")
        fmt = "md" if request.query_params.get("format") == "md" else "html"
        name, text = room.report(row, fmt)
        kind = "text/html" if fmt == "html" else "text/markdown"
        return Response(
            text,
            media_type=f"{kind}; charset=utf-8",
            headers={**HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
        )

    # --- the teacher ---

    def dashboard_context(request: Request) -> dict[str, Any]:
        rows = room.live.students(assignment.sha256)
        return {
            "rows": [(row, room.where(row), resume_url(request, row)) for row in rows],
            "token": creds.token,
            "code": creds.code,
            "join_url": str(request.base_url),
            "finished": sum(1 for row in rows if row.finished),
            "questions": assignment.questions,
        }

    async def dashboard(request: Request) -> Response:
        teacher(request)
        return page("teacher.html", **dashboard_context(request))

    async def dashboard_table(request: Request) -> Response:
        teacher(request)
        return page("teacher_table.html", **dashboard_context(request))

    async def students_csv(request: Request) -> Response:
        teacher(request)
        return Response(
            room.csv_text(),
            media_type="text/csv; charset=utf-8",
            headers={**HEADERS, "Content-Disposition": 'attachment; filename="students.csv"'},
        )

    async def reports_zip(request: Request) -> Response:
        teacher(request)
        return Response(
            room.reports_zip(),
            media_type="application/zip",
            headers={**HEADERS, "Content-Disposition": 'attachment; filename="reports.zip"'},
        )

    async def summary(request: Request) -> Response:
        teacher(request)
        # The store's page is self-contained (its own inline style sheet), so it gets its own policy.
        policy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"
        return HTMLResponse(room.summary_html(), headers={**HEADERS, "Content-Security-Policy": policy})

    async def teacher_other(request: Request) -> Response:
        teacher(request)
        raise HTTPException(404, "unknown")

    # --- mistakes ---

    TEXTS = {
        401: (
            "Teacher's page",
            "This page is for the teacher: open the dashboard link printed when the server started.",
        ),
        403: (
            "Not allowed",
            "Your browser's pass for this class is not valid (it was changed, or it is another class's): join again with the class code.",
        ),
        404: ("Not found", "There is no such page here."),
        405: ("Not allowed", "This page cannot be used that way."),
        411: ("Length required", "The form was sent without its length."),
        413: (
            "Too long",
            f"What was sent is too long (at most {MAX_BODY // 1024} kB): shorten it and try again.",
        ),
    }

    async def http_error(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        title, text = TEXTS.get(status, ("Something went wrong", "The request could not be answered."))
        response = problem(status, title, text)
        if status == 403 and request.cookies.get(COOKIE):
            response.delete_cookie(COOKIE)
        return response

    async def server_error(request: Request, exc: Exception) -> Response:
        return problem(
            500,
            "Something went wrong",
            "The server could not answer this request; your work so far is saved. Try again.",
        )

    routes = [
        Route("/", home, methods=["GET"]),
        Route("/join", join, methods=["POST"]),
        Route("/play", play, methods=["GET", "POST"]),
        Route("/resume/{token}", resume, methods=["GET"], name="resume"),
        Route("/report", report, methods=["GET"]),
        Route("/teacher", dashboard, methods=["GET"]),
        Route("/teacher/table", dashboard_table, methods=["GET"]),
        Route("/teacher/students.csv", students_csv, methods=["GET"]),
        Route("/teacher/summary", summary, methods=["GET"]),
        Route("/teacher/reports.zip", reports_zip, methods=["GET"]),
        Route("/teacher/{rest:path}", teacher_other),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, exception_handlers={HTTPException: http_error, Exception: server_error})

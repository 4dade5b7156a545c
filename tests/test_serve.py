"""`dualpower serve`: students join and play in a browser's forms, the teacher's dashboard, nothing lost, bad input.

The pages are driven through Starlette's TestClient (real HTTP semantics, in process) or, for restarts and
kill -9, through a real `dualpower serve` process on 127.0.0.1 and httpx.
"""

from __future__ import annotations

import csv
import io
import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import warnings
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("starlette")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

import httpx  # noqa: E402

from engine import cli  # noqa: E402
from engine.app import load_story  # noqa: E402
from engine.classroom import assignment as asg_mod  # noqa: E402
from engine.server.app import Credentials, create_app  # noqa: E402
from engine.server.classroom import Classroom  # noqa: E402
from engine.server.live import CODE_ALPHABET, Live  # noqa: E402
from tests.conftest import MINI, ROOT  # noqa: E402

ASSIGNMENT = """\
title: A day at the bakery
role: baker
set: {courage: 1}
intro: Play the baker's day, then answer.
questions:
  - at: baker.street
    ask: Why is the street full?
  - ask: How did your day end?
allow_undo: false
"""
# The mini story: at Dawn, 2 'Take heart' leads to the Street (question 1); there 2 'Go home' is an ending.


@pytest.fixture
def asg_file(tmp_path: Path) -> Path:
    path = tmp_path / "bakery.yaml"
    path.write_text(ASSIGNMENT, encoding="utf-8")
    return path


def make_client(tmp_path: Path, asg_file: Path, db: str = "class.db", **kw) -> tuple[TestClient, Live]:
    story, _ = load_story(MINI)
    assignment, diags = asg_mod.load(asg_file, story)
    assert assignment is not None, diags
    live = Live(tmp_path / db)
    code, token, secret = live.credentials()
    app = create_app(Classroom(story, assignment, live), Credentials(code, token, secret), **kw)
    return TestClient(app, raise_server_exceptions=True), live


@pytest.fixture
def class_(tmp_path: Path, asg_file: Path) -> tuple[TestClient, Live]:
    return make_client(tmp_path, asg_file)


def code_of(live: Live) -> str:
    return live.credentials()[0]


def token_of(live: Live) -> str:
    return live.credentials()[1]


def main_text(html: str) -> str:
    """The page's main content as text, tags dropped, for assertions about what a reader sees."""
    body = html.split('<main id="main">', 1)[1]
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def join(client: TestClient, live: Live, name: str = "Anna Petrova") -> httpx.Response:
    return client.post("/join", data={"name": name, "code": code_of(live).lower()})


def buttons(html: str) -> dict[str, str]:
    """The page's submit buttons that post `line`: value -> label."""
    return {
        v: " ".join(re.sub(r"<[^>]+>", " ", label).split())
        for v, label in re.findall(
            r'<button type="submit" name="line" value="([^"]*)">(.*?)</button>', html, re.S
        )
    }


def test_a_student_plays_to_the_end_and_the_report_verifies(class_, tmp_path, asg_file, capsys):
    client, live = class_
    page = join(client, live)
    assert page.status_code == 200 and str(page.url).endswith("/play")
    text = main_text(page.text)
    assert "Dawn" in text and "23 February 1917" in text and "8 March" in text and "The corner bakery" in text
    assert "You have 3 loaves, Anna." in text
    assert "resume" in text.lower()
    assert page.text.count("<form") == 1 and '<form method="post" action="/play"' in page.text
    assert '<html lang="en">' in page.text and "<h1" in page.text and "<ol" in page.text
    choices = buttons(page.text)
    assert choices["2"] == "2 Take heart." and "note" in choices and "journal" in choices
    assert 'value="3" disabled' in page.text and "locked: needs Courage at least 2" in text

    page = client.post("/play", data={"line": "2"})
    assert "The Street" in main_text(page.text) and "Why is the street full?" in main_text(page.text)
    # The choice is answered on the page, as in the terminal: the chosen text echoed, then what changed.
    assert '<section class="answered"' in page.text and "» Take heart." in main_text(page.text)
    assert "Courage +1" in main_text(page.text)
    assert '<textarea id="answer" name="line"' in page.text
    assert "1" not in buttons(page.text), "no choice buttons while a question waits"
    # Looking at the journal first keeps the question open (and what was typed meanwhile stays in the field).
    page = client.post("/play", data={"line": ["Because of the", "journal"]})
    assert "Journal" in main_text(page.text) and ">Because of the</textarea>" in page.text
    page = client.post("/play", data={"line": "Because of the bread."})
    assert "Answer saved." in main_text(page.text)
    assert buttons(page.text)["2"] == "2 Go home."
    page = client.post("/play", data={"line": "2"})
    assert "Ending: Home Again" in main_text(page.text) and "How did your day end?" in main_text(page.text)
    page = client.post("/play", data={"line": "I went home to bake."})
    assert "The assignment is complete" in main_text(page.text) and "Your ending: Home Again" in main_text(
        page.text
    )

    report = client.get("/report")
    assert report.status_code == 200 and "attachment" in report.headers["content-disposition"]
    out = tmp_path / "anna.html"
    out.write_bytes(report.content)
    md = tmp_path / "anna.md"
    md.write_bytes(client.get("/report", params={"format": "md"}).content)
    for path in (out, md):
        capsys.readouterr()
        code = cli.main(["verify", str(path), "--story", str(MINI), "--assignment", str(asg_file)])
        assert code == 0, capsys.readouterr()

    board = client.get("/teacher", params={"token": token_of(live)})
    assert board.status_code == 200
    assert "/teacher/summary?token=" in board.text
    text = main_text(board.text)
    assert "Anna Petrova" in text and "Home" in text and "yes: Home Again" in text
    assert (
        "Because of the bread." in text and "I went home to bake." in text and "1 student, 1 finished" in text
    )

    # The finished playthrough is in the class store, as `dualpower class import` would have put it.
    summary = client.get("/teacher/summary", params={"token": token_of(live)})
    assert (
        summary.status_code == 200
        and "Anna Petrova" in summary.text
        and "I went home to bake." in summary.text
    )
    capsys.readouterr()
    db = str(tmp_path / "class.db")
    assert cli.main(["class", "summary", "--db", db, "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[1][0] == "Anna Petrova" and "I went home to bake." in rows[1]


def test_the_class_code_is_short_readable_and_a_wrong_one_lets_nobody_in(class_):
    client, live = class_
    code = code_of(live)
    assert len(code) == 6 and set(code) <= set(CODE_ALPHABET) and not set(code) & set("0O1I")
    assert len(token_of(live)) >= 40
    wrong = "".join("A" if c != "A" else "B" for c in code)
    page = client.post("/join", data={"name": "Mallory", "code": wrong}, follow_redirects=False)
    assert page.status_code == 403 and "not the class code" in page.text
    assert "dualpower_student" not in page.headers.get("set-cookie", "")
    assert live.db.execute("SELECT count(*) FROM web_students").fetchone()[0] == 0
    assert client.get("/play", follow_redirects=False).headers["location"] == "/"
    # Spaces, dashes and lower case are forgiven when typed.
    ok = client.post("/join", data={"name": "Ana", "code": f" {code[:3].lower()}-{code[3:]} "})
    assert ok.status_code == 200 and "Dawn" in ok.text


def test_the_teacher_pages_need_the_token(class_):
    client, live = class_
    join(client, live)
    for path in (
        "/teacher",
        "/teacher/table",
        "/teacher/students.csv",
        "/teacher/reports.zip",
        "/teacher/x/y",
    ):
        assert client.get(path).status_code == 401, path
        assert client.get(path, params={"token": "guess"}).status_code == 403, path
        assert "Anna" not in client.get(path, params={"token": "guess"}).text
    assert client.get("/teacher/table", params={"token": token_of(live)}).status_code == 200


def test_names_and_answers_are_escaped_on_the_dashboard_and_in_the_csv(class_):
    client, live = class_
    hostile = '<script>alert("x")</script>'
    join(client, live, hostile)
    client.post("/play", data={"line": "2"})
    client.post("/play", data={"line": '=HYPERLINK("http://x") <img src=x onerror=alert(1)>'})
    token = token_of(live)
    for path in ("/teacher", "/teacher/table"):
        html = client.get(path, params={"token": token}).text
        assert "<script>alert" not in html and "<img src=x" not in html
        assert (
            "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
            and "&lt;img src=x onerror=alert(1)&gt;" in html
        )
    play = client.get("/play").text
    assert "<script>alert" not in play
    rows = list(csv.reader(io.StringIO(client.get("/teacher/students.csv", params={"token": token}).text)))
    assert rows[0][:7] == ["student", "chapter", "date", "scene", "choices", "finished", "ending"]
    assert rows[0][7] == "Q1: Why is the street full?"
    assert (
        rows[1][0] == hostile
        and rows[1][3] == "The Street"
        and rows[1][7] == '\'=HYPERLINK("http://x") <img src=x onerror=alert(1)>'
    )


def test_every_report_comes_in_one_zip_and_each_verifies(class_, tmp_path, asg_file, capsys):
    client, live = class_
    for name in ("Anna", "Boris"):
        other = TestClient(client.app)
        join(other, live, name)
        other.post("/play", data={"line": "2"})
    data = client.get("/teacher/reports.zip", params={"token": token_of(live)})
    with zipfile.ZipFile(io.BytesIO(data.content)) as z:
        names = sorted(z.namelist())
        assert names == ["bakery-anna.html", "bakery-boris.html"]
        z.extractall(tmp_path / "reports")
    for name in names:
        capsys.readouterr()
        path = tmp_path / "reports" / name
        assert cli.main(["verify", str(path), "--story", str(MINI), "--assignment", str(asg_file)]) == 0


def test_resume_link_brings_the_game_to_another_browser(class_):
    client, live = class_
    page = join(client, live)
    link = re.search(r'href="(http://testserver/resume/[^"]+)"', page.text).group(1)
    client.post("/play", data={"line": "2"})
    other = TestClient(client.app)
    page = other.get(link.removeprefix("http://testserver"))
    assert page.status_code == 200 and "The Street" in main_text(page.text)
    assert "Why is the street full?" in main_text(page.text)


def test_bad_input_gets_a_clear_4xx_page_and_the_server_carries_on(class_, tmp_path, asg_file):
    client, live = class_
    join(client, live)
    huge = client.post("/play", data={"line": "x" * 200_000})
    assert huge.status_code == 413 and "too long" in main_text(huge.text)
    big_name = client.post("/join", data={"name": "x" * 200_000, "code": code_of(live)})
    assert big_name.status_code == 413

    forged = TestClient(client.app, cookies={"dualpower_student": "eyJzIjoxLCJhIjoiMDAifQ.forged"})
    page = forged.get("/play")
    assert page.status_code == 403 and "not valid" in main_text(page.text) and "Traceback" not in page.text

    other_client, other_live = make_client(tmp_path, asg_file, db="other.db")
    other_page = join(other_client, other_live, "Vera")
    foreign = re.search(r'href="http://testserver(/resume/[^"]+)"', other_page.text).group(1)
    page = client.get(foreign)
    assert page.status_code == 404 and "not one of this class" in main_text(page.text)
    # The other class's cookie is not this class's either (another secret signs it).
    stranger = TestClient(client.app, cookies=dict(other_client.cookies))
    assert stranger.get("/play").status_code == 403

    for path in (
        "/nowhere",
        "/static/../app.py",
        "/static/%2e%2e/app.py",
        "/static/..%2fapp.py",
        "/static/nope.css",
    ):
        page = client.get(path)
        assert page.status_code == 404, path
        assert "def create_app" not in page.text
    assert client.get("/static/style.css").status_code == 200
    assert client.put("/play").status_code == 405

    # The student's game went on undisturbed.
    assert "Dawn" in main_text(client.get("/play").text)
    assert client.post("/play", data={"line": "2"}).status_code == 200


def test_a_flood_of_joins_from_one_address_is_refused(tmp_path, asg_file):
    now = [1000.0]
    client, live = make_client(tmp_path, asg_file, joins_per_minute=3, clock=lambda: now[0])
    for i in range(3):
        assert (
            TestClient(client.app).post("/join", data={"name": f"S{i}", "code": code_of(live)}).status_code
            == 200
        )
    page = client.post("/join", data={"name": "S4", "code": code_of(live)})
    assert page.status_code == 429 and "wait a minute" in main_text(page.text)
    now[0] += 61
    assert client.post("/join", data={"name": "S4", "code": code_of(live)}).status_code == 200


def test_a_name_already_in_the_class_is_not_given_someone_elses_game(class_):
    client, live = class_
    join(client, live, "Anna")
    page = join(TestClient(client.app), live, "Anna")
    assert page.status_code == 409 and "already joined" in main_text(page.text)
    assert join(TestClient(client.app), live, "   ").status_code == 400


# --- the real process --------------------------------------------------------------------------


def start_server(
    db: Path, asg: Path, *extra: str, story: Path = MINI
) -> tuple[subprocess.Popen[str], str, str, str]:
    """A real `dualpower serve` on 127.0.0.1 and a free port: (process, base URL, class code, token)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "serve", "--assignment", str(asg), "--story", str(story)]
        + ["--db", str(db), "--port", "0", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    lines: list[str] = []
    reader = threading.Thread(
        target=lambda: lines.extend(proc.stdout.readline() for _ in range(2)), daemon=True
    )
    reader.start()
    reader.join(30)
    assert len(lines) == 2, (lines, proc.poll())
    m = re.fullmatch(
        r"Students join at (http://127\.0\.0\.1:\d+)/ with the class code ([A-Z2-9]{6})\n", lines[0]
    )
    t = re.fullmatch(r"Teacher's dashboard: (http://127\.0\.0\.1:\d+)/teacher\?token=(\S{40,})\n", lines[1])
    assert m and t and m.group(1) == t.group(1), lines
    return proc, m.group(1), m.group(2), t.group(2)


def test_kill_9_loses_nothing_and_a_restart_keeps_the_code(tmp_path, asg_file):
    db = tmp_path / "class.db"
    proc, base, code, token = start_server(db, asg_file)
    try:
        with httpx.Client(base_url=base, follow_redirects=True, timeout=10) as anna:
            page = anna.post("/join", data={"name": "Anna", "code": code})
            assert "Dawn" in page.text
            page = anna.post("/play", data={"line": "2"})
            assert "The Street" in page.text
            page = anna.post("/play", data={"line": "The bread ran out."})
            assert "Answer saved." in page.text
            cookies = dict(anna.cookies)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    proc, base2, code2, token2 = start_server(db, asg_file)
    try:
        assert (code2, token2) == (code, token)
        with httpx.Client(base_url=base2, cookies=cookies, timeout=10) as anna:
            page = anna.get("/play")
            text = main_text(page.text)
            assert "The Street" in text and "Go home." in text and "Why is the street full?" not in text
        board = httpx.get(f"{base2}/teacher", params={"token": token}, timeout=10)
        assert "The bread ran out." in board.text
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0, proc.stderr.read()
        assert "Traceback" not in proc.stderr.read()
    proc, base3, code3, token3 = start_server(db, asg_file, "--new-code")
    assert httpx.get(f"{base3}/", timeout=10).status_code == 200  # up and serving: Ctrl-C stops it cleanly
    proc.send_signal(signal.SIGINT)
    assert proc.wait(20) == 0
    assert code3 != code and token3 != token


def test_serve_without_the_web_packages_says_how_to_install_them(monkeypatch, capsys, asg_file, tmp_path):
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn now raises ImportError
    code = cli.main(
        ["serve", "--assignment", str(asg_file), "--story", str(MINI), "--db", str(tmp_path / "c.db")]
    )
    err = capsys.readouterr().err
    assert code == 1 and "pip install 'dual-power[serve]'" in err and "Traceback" not in err


def test_serve_refuses_a_foreign_db_and_a_bad_assignment(capsys, asg_file, tmp_path):
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database\n" * 100)
    code = cli.main(["serve", "--assignment", str(asg_file), "--story", str(MINI), "--db", str(foreign)])
    err = capsys.readouterr().err
    assert code == 1 and "is not a class store" in err and str(foreign) in err
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE notes (x)").connection.commit()
    code = cli.main(["serve", "--assignment", str(asg_file), "--story", str(MINI), "--db", str(other)])
    err = capsys.readouterr().err
    assert code == 1 and "another program" in err
    assert [r[0] for r in sqlite3.connect(other).execute("SELECT name FROM sqlite_master")] == ["notes"]
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\nrole: nobody\n")
    code = cli.main(["serve", "--assignment", str(bad), "--story", str(MINI), "--db", str(tmp_path / "c.db")])
    err = capsys.readouterr().err
    assert code == 1 and "bad.yaml" in err and "Traceback" not in err
    code = cli.main(["serve", "--assignment", str(asg_file), "--story", str(MINI), "--ssh-port", "70000"])
    assert code == 2 and "--ssh-port 70000 is not a port number" in capsys.readouterr().err


def test_undo_is_a_button_only_when_the_assignment_allows_it(tmp_path, class_):
    client, live = class_
    join(client, live)
    assert "undo" not in buttons(client.get("/play").text)
    page = client.post("/play", data={"line": "undo"})
    assert "Undo is not allowed" in main_text(page.text)
    allowed = tmp_path / "free.yaml"
    allowed.write_text(ASSIGNMENT.replace("allow_undo: false", "allow_undo: true"), encoding="utf-8")
    free, free_live = make_client(tmp_path, allowed, db="free.db")
    page = join(free, free_live)
    assert buttons(page.text)["undo"] == "Take back my last choice"
    free.post("/play", data={"line": "2"})
    page = free.post("/play", data={"line": "undo"})
    assert "Taken back: " in main_text(page.text) and "Dawn" in main_text(page.text)
    # The undo is in the store too: a fresh server process would resume at Dawn.
    [(save,)] = free_live.db.execute("SELECT save FROM web_students").fetchall()
    assert json.loads(save)["state"]["scene"] == "baker.dawn"


def test_documents_and_glossary_entries_are_buttons_and_do_not_answer_the_question(tmp_path):
    from tests.conftest import SHIPPED

    asg = tmp_path / "abdication.yaml"
    asg.write_text(
        "title: The abdication\nrole: worker\nstart: worker.mar.abdication\n"
        "questions:\n  - at: worker.mar.abdication\n    ask: What did the Tsar give up?\n",
        encoding="utf-8",
    )
    story, _ = load_story(SHIPPED)
    assignment, diags = asg_mod.load(asg, story)
    assert assignment is not None, diags
    live = Live(tmp_path / "class.db")
    code, token, secret = live.credentials()
    client = TestClient(create_app(Classroom(story, assignment, live), Credentials(code, token, secret)))
    client.post("/join", data={"name": "Anna", "code": code})
    page = client.post("/play", data={"line": "documents"})
    listed = re.findall(r'value="(documents \d)" class="link">([^<]+)</button>', page.text)
    assert [v for v, _ in listed] == ["documents 1", "documents 2"]
    page = client.post("/play", data={"line": "documents 2"})
    assert f"<h2>{listed[1][1]}</h2>" in page.text and 'id="answer"' in page.text
    page = client.post("/play", data={"line": "glossary"})
    long_term = "Committee for the Salvation of the Fatherland and the Revolution"
    assert f'value="glossary {long_term}" class="link"' in page.text
    page = client.post("/play", data={"line": f"glossary {long_term}"})
    assert f"<h2>{long_term}</h2>" in page.text and "Now type your answer to question 1." in main_text(
        page.text
    )
    assert 'id="answer"' in page.text  # still waiting: the click was not taken for the answer
    [(save,)] = live.db.execute("SELECT save FROM web_students").fetchall()
    assert json.loads(save)["assignment"]["answers"] == []


def test_class_remove_also_forgets_a_game_in_progress_so_the_name_can_join_again(class_, tmp_path, capsys):
    from engine import cli

    client, live = class_
    assert join(client, live, "Anna Kovač").status_code == 200
    assert join(TestClient(client.app), live, "Anna Kovač").status_code == 409
    assert cli.main(["class", "remove", "anna  KOVAC", "--yes", "--db", str(tmp_path / "class.db")]) == 0
    assert "Removed Anna Kovač" in capsys.readouterr().out
    fresh = make_client(tmp_path, tmp_path / "bakery.yaml")[0]
    assert join(fresh, live, "Anna Kovač").status_code == 200

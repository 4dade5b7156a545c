"""`dualpower class`: reports made through the real play path, imported, summarised, listed and removed."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import MINI, ROOT

ASSIGNMENT = """\
title: A day at the bakery
role: baker
questions:
  - at: baker.street
    ask: Why is the street full?
  - ask: How did your day end?
"""
SENTENCE = "Most bakers went home that night, as the bread ran out."

# (student, lines typed): at Dawn 2 'Take heart' -> the Street (question 1); there 2 'Go home' (the historical
# option) ends the game (question 2), 1 'Go back to the bakery' returns to Dawn.
PLAYS = {
    "Anna Petrova": ["note", "2", "Bread, said Anna.", "2", "I went home."],
    "Boris Ivanov": ["2", "Bread, said Boris.", "1", "2", "2", "Home at last."],
    "Ana Kovač": ["2", '<b>Bread</b> & "queues"', "2", "Fine."],
    "Vera Zaitseva": ["2", '=HYPERLINK("http://evil")', "1", "q"],
}


def run(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "engine", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(),
        timeout=120,
    )


def _env() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT)
    return env


@pytest.fixture(scope="module")
def lesson(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A story with one historical mark, an assignment, and a folder of reports played by four students
    (Vera stopped early); Boris's report is then tampered with."""
    root = tmp_path_factory.mktemp("lesson")
    story = root / "story"
    shutil.copytree(MINI, story)
    scenes = story / "scenes" / "baker.yaml"
    text = scenes.read_text("utf-8")
    text = text.replace(
        "      - text: Go home.\n", f"      - text: Go home.\n        historical: {SENTENCE}\n"
    )
    scenes.write_text(text, "utf-8")
    (root / "bakery.yaml").write_text(ASSIGNMENT, "utf-8")
    reports = root / "reports"
    reports.mkdir()
    for n, (student, lines) in enumerate(PLAYS.items()):
        played = run(
            "--plain",
            "--story",
            str(story),
            "--saves",
            str(root / "saves"),
            "--assignment",
            str(root / "bakery.yaml"),
            "--student",
            student,
            stdin="".join(f"{line}\n" for line in lines),
        )
        assert played.returncode == 0, played.stderr
        slot = next(
            p.stem for p in (root / "saves").glob("bakery-*.json") if student.split()[0].lower()[:3] in p.stem
        )
        ext = "html" if n % 2 else "md"
        made = run(
            "report",
            slot,
            "--story",
            str(story),
            "--saves",
            str(root / "saves"),
            "-o",
            str(reports / f"{slot}.{ext}"),
        )
        assert made.returncode == 0, made.stderr
    boris = reports / "bakery-boris-ivanov.html"
    boris.write_text(boris.read_text("utf-8").replace("Bread, said Boris.", "The Tsar fled."), "utf-8")
    return root


def imp(lesson: Path, db: Path, *paths: Path) -> subprocess.CompletedProcess[str]:
    return run("class", "import", *map(str, paths), "--db", str(db), "--story", str(lesson / "story"))


def summary(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run("class", "summary", "--db", str(db), *args)


def dump(db: Path) -> list[tuple[object, ...]]:
    con = sqlite3.connect(db)
    try:
        out: list[tuple[object, ...]] = []
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            out += [(table, *row) for row in con.execute(f"SELECT * FROM {table} ORDER BY 1, 2")]
        return out
    finally:
        con.close()


@pytest.fixture(scope="module")
def imported(lesson: Path) -> tuple[Path, subprocess.CompletedProcess[str]]:
    db = lesson / "class.db"
    return db, imp(lesson, db, lesson / "reports")


def test_import_stores_the_valid_reports_and_refuses_the_tampered_one_by_name(imported):
    db, result = imported
    assert result.returncode == 1
    out = result.stdout
    for name in ("Anna Petrova", "Ana Kovač", "Vera Zaitseva"):
        assert f"Imported: {name}" in out
    refused = next(line for line in out.splitlines() if line.startswith("REFUSED"))
    assert "Boris Ivanov" in refused and "bakery-boris-ivanov.html" in refused and "answer" in refused
    assert "3 imported, 1 refused" in out
    con = sqlite3.connect(db)
    names = {r[0] for r in con.execute("SELECT name FROM students")}
    assert names == {"Anna Petrova", "Ana Kovač", "Vera Zaitseva"}
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    con.close()


def test_importing_the_same_reports_again_changes_nothing(lesson, imported):
    db, _ = imported
    before = dump(db)
    again = imp(lesson, db, *sorted((lesson / "reports").glob("*.md")))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("Already stored") == 2 and "nothing new" in again.stdout
    assert dump(db) == before


def test_the_table_summary_holds_students_counts_and_history(imported):
    db, _ = imported
    result = summary(db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for name in ("Anna Petrova", "Ana Kovač", "Vera Zaitseva"):
        assert name in out
    assert "not done (stopped at" in out  # Vera quit at Dawn
    assert SENTENCE in " ".join(out.split())
    assert "Boris" not in out
    # Each option with its count: two went home (the historical option), one went back to the bakery.
    assert re.search(r"2\. Go home\. \[what most real people did\]\s*│\s*2\s*│", out), out
    assert re.search(r"1\. Go back to the bakery\.\s*│\s*1\s*│ Vera Zaitseva", out), out


def test_the_csv_is_one_gradebook_row_per_student(imported):
    db, _ = imported
    result = summary(db, "--format", "csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    by = {r["student"]: r for r in rows}
    assert set(by) == {"Anna Petrova", "Ana Kovač", "Vera Zaitseva"}
    assert by["Anna Petrova"]["ending"] == "Home Again"
    assert by["Anna Petrova"]["choices matching history"] == "1"
    assert by["Vera Zaitseva"]["done"] == "no" and by["Vera Zaitseva"]["ending"].startswith("not done")
    assert by["Vera Zaitseva"]["choices matching history"] == "0"
    # A formula typed as an answer stays text in a spreadsheet.
    assert by["Vera Zaitseva"]["Q1: Why is the street full?"] == '\'=HYPERLINK("http://evil")'
    assert by["Ana Kovač"]["Q1: Why is the street full?"] == '<b>Bread</b> & "queues"'
    assert by["Anna Petrova"]["Q2: How did your day end?"] == "I went home."
    # Evidence of reading, from each report's sealed record: Anna opened the note at Dawn.
    assert by["Anna Petrova"]["reading"].startswith("opened 1 note, 0 documents and 0 glossary entries")
    assert by["Ana Kovač"]["reading"].startswith("opened 0 notes")


def test_the_json_holds_every_option_count_and_the_historical_sentence(imported):
    db, _ = imported
    result = summary(db, "--format", "json")
    data = json.loads(result.stdout)
    (asg,) = data["assignments"]
    street = next(d for d in asg["decisions"] if d["scene"] == "baker.street")
    options = {o["text"]: o for o in street["options"]}
    assert options["Go home."]["count"] == 2
    assert sorted(options["Go home."]["students"]) == ["Ana Kovač", "Anna Petrova"]
    assert options["Go home."]["historical"] == SENTENCE
    assert options["Go back to the bakery."]["count"] == 1
    assert options["Go back to the bakery."]["students"] == ["Vera Zaitseva"]
    assert options["Go back to the bakery."]["historical"] is None
    q1 = asg["questions"][0]
    assert {a["student"] for a in q1["answers"]} == {"Anna Petrova", "Ana Kovač", "Vera Zaitseva"}


def test_the_html_page_is_self_contained_escaped_and_charts_each_decision(lesson, imported):
    db, _ = imported
    out = lesson / "summary.html"
    result = summary(db, "-o", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page
    assert "<link" not in page and "src=" not in page and "url(" not in page  # nothing fetched from elsewhere
    assert page.count("<svg") == 2  # Dawn and the Street
    assert SENTENCE in page
    assert "&lt;b&gt;Bread&lt;/b&gt; &amp; &quot;queues&quot;" in page and "<b>Bread</b>" not in page
    for name in ("Anna Petrova", "Ana Kovač", "Vera Zaitseva"):
        assert name in page
    assert "2 students (Ana Kovač, Anna Petrova)" not in page  # counts and names are separate
    assert ">Go home. <b>(what most real people did)</b> — 2 students" in page


def test_a_newer_playthrough_of_the_same_student_replaces_the_older(lesson, tmp_path):
    db = tmp_path / "class.db"
    saves = tmp_path / "saves"
    common = ["--story", str(lesson / "story"), "--saves", str(saves)]
    asg = ["--assignment", str(lesson / "bakery.yaml"), "--student", "Anna Petrova"]
    first = run("--plain", *common, *asg, stdin="2\nFirst try.\n1\nq\n")
    assert first.returncode == 0, first.stderr
    run("report", "bakery-anna-petrova", *common, "-o", str(tmp_path / "first.md"))
    assert imp(lesson, db, tmp_path / "first.md").returncode == 0
    # The same student carries on next lesson (as "anna  petrova": the same student) and finishes.
    more = run("--plain", *common, "--load", "bakery-anna-petrova", stdin="2\n2\nDone now.\n")
    assert more.returncode == 0, more.stderr
    run("report", "bakery-anna-petrova", *common, "-o", str(tmp_path / "second.md"))
    second = imp(lesson, db, tmp_path / "second.md")
    assert second.returncode == 0, second.stderr
    assert "Replaced: Anna Petrova" in second.stdout and "newer" in second.stdout
    older = imp(lesson, db, tmp_path / "first.md")
    assert "Not replaced: Anna Petrova" in older.stdout
    con = sqlite3.connect(db)
    assert con.execute("SELECT count(*), max(finish) FROM playthroughs").fetchone() == (1, "ending")
    con.close()


def test_a_kill_during_an_import_leaves_the_store_as_before(lesson, tmp_path):
    db = tmp_path / "class.db"
    assert imp(lesson, db, lesson / "reports" / "bakery-anna-petrova.md").returncode == 0
    before = dump(db)
    # The process kills itself (SIGKILL) after the playthrough row is written, before its steps.
    script = (
        "import os, signal, sys\n"
        "from engine.classroom import store\n"
        "def die(*a, **k):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "store.ClassStore._put_steps = die\n"
        "from engine.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            "class",
            "import",
            str(lesson / "reports"),
            "--db",
            str(db),
            "--story",
            str(lesson / "story"),
        ],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert killed.returncode == -9
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert (
        con.execute(
            "SELECT count(*) FROM playthroughs p WHERE NOT EXISTS "
            "(SELECT 1 FROM steps s WHERE s.playthrough = p.id)"
        ).fetchone()[0]
        == 0
    )
    con.close()
    assert dump(db) == before


def test_a_foreign_db_is_refused_untouched_and_a_missing_one_is_not_created(lesson, tmp_path):
    foreign = tmp_path / "other.db"
    con = sqlite3.connect(foreign)
    con.execute("CREATE TABLE grades (name TEXT)")
    con.commit()
    con.close()
    data = foreign.read_bytes()
    for result in (
        summary(foreign),
        imp(lesson, foreign, lesson / "reports"),
        run("class", "list", "--db", str(foreign)),
    ):
        assert result.returncode == 1
        assert "another program, not a Dual Power class store" in result.stderr
        assert "Traceback" not in result.stderr
    assert foreign.read_bytes() == data
    text = tmp_path / "notes.txt"
    text.write_text("not a database at all, just some words " * 50, "utf-8")
    result = summary(text)
    assert result.returncode == 1 and "not a class store" in result.stderr
    missing = tmp_path / "missing.db"
    for result in (summary(missing), run("class", "list", "--db", str(missing))):
        assert result.returncode == 1
        assert "no class store at" in result.stderr and "dualpower class import" in result.stderr
    assert not missing.exists()


def test_list_and_remove_with_confirmation(lesson, tmp_path):
    db = tmp_path / "class.db"
    imp(lesson, db, lesson / "reports")
    listed = run("class", "list", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    assert "Vera Zaitseva" in listed.stdout and "not done" in listed.stdout
    assert "done: Home Again" in listed.stdout
    refused = run("class", "remove", "ana kovac", "--db", str(db))  # no terminal, no --yes
    assert refused.returncode == 1 and "--yes" in refused.stderr
    assert "Ana Kovač" in run("class", "list", "--db", str(db)).stdout
    removed = run("class", "remove", "ana kovac", "--db", str(db), "--yes")
    assert removed.returncode == 0 and "Removed Ana Kovač (1 playthrough)" in removed.stdout
    after = run("class", "list", "--db", str(db)).stdout
    assert "Kovač" not in after and "Anna Petrova" in after
    con = sqlite3.connect(db)
    assert (
        con.execute(
            "SELECT count(*) FROM answers a WHERE NOT EXISTS "
            "(SELECT 1 FROM playthroughs p WHERE p.id = a.playthrough)"
        ).fetchone()[0]
        == 0
    )
    con.close()
    unknown = run("class", "remove", "Nobody", "--db", str(db), "--yes")
    assert unknown.returncode == 1 and "no student 'Nobody'" in unknown.stderr


def test_remove_asks_on_a_terminal(lesson, tmp_path, monkeypatch, capsys):
    from engine import cli

    db = tmp_path / "class.db"
    imp(lesson, db, lesson / "reports" / "bakery-anna-petrova.md")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: "n")
    assert cli.main(["class", "remove", "Anna Petrova", "--db", str(db)]) == 0
    assert "Nothing removed." in capsys.readouterr().out
    monkeypatch.setattr("builtins.input", lambda prompt: "y")
    assert cli.main(["class", "remove", "Anna Petrova", "--db", str(db)]) == 0
    assert "Removed Anna Petrova" in capsys.readouterr().out


def test_the_report_shows_what_most_people_did_beside_the_choice(lesson):
    md = (lesson / "reports" / "bakery-anna-petrova.md").read_text("utf-8")
    assert f"**What most people did:** the same as you. {SENTENCE}" in md
    vera = (lesson / "reports" / "bakery-vera-zaitseva.html").read_text("utf-8")
    assert f"<b>What most people did:</b> “Go home.”. {SENTENCE}" in vera


def test_two_imports_at_once_both_land_and_the_store_stays_whole(lesson, tmp_path):
    db = tmp_path / "class.db"
    reports = sorted((lesson / "reports").glob("*"))
    cmd = [
        sys.executable,
        "-m",
        "engine",
        "class",
        "import",
        "--db",
        str(db),
        "--story",
        str(lesson / "story"),
    ]
    procs = [
        subprocess.Popen(
            [*cmd, str(p)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
        )
        for p in reports
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert "database is locked" not in "".join(o[1] for o in outs)
    assert "Traceback" not in "".join(o[1] for o in outs)
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert con.execute("SELECT count(*) FROM playthroughs").fetchone()[0] == 3  # Boris's is refused
    assert con.execute("SELECT count(*) FROM assignments").fetchone()[0] == 1
    con.close()


def test_migrations_run_forward_and_a_newer_store_is_refused(lesson, tmp_path, monkeypatch):
    from engine.classroom.store import ClassStore, StoreError

    db = tmp_path / "class.db"
    assert imp(lesson, db, lesson / "reports" / "bakery-anna-petrova.md").returncode == 0

    def add_seats(con: sqlite3.Connection) -> None:
        con.execute("CREATE TABLE seats (student INTEGER, seat TEXT)")

    shipped = len(ClassStore.migrations)
    monkeypatch.setattr(ClassStore, "migrations", [*ClassStore.migrations, add_seats])
    with ClassStore.open(db) as store:
        assert store.rows("PRAGMA user_version")[0][0] == shipped + 1
        assert store.rows("SELECT count(*) FROM seats")[0][0] == 0
        assert [s.name for s in store.students()] == ["Anna Petrova"]  # the data came through
        store.set_setting("class_code", "K7Q-2M")
        store.set_setting("class_code", "K7Q-3M")
        assert store.get_setting("class_code") == "K7Q-3M" and store.get_setting("nothing") is None
    monkeypatch.undo()
    with pytest.raises(StoreError, match="newer Dual Power"):
        ClassStore.open(db)
    result = summary(db)
    assert result.returncode == 1 and "newer Dual Power" in result.stderr


def test_summary_choices_of_assignment_and_format_are_checked(lesson, imported):
    db, _ = imported
    unknown = summary(db, "--assignment", "nope")
    assert (
        unknown.returncode == 1 and "no assignment 'nope'" in unknown.stderr and "'bakery'" in unknown.stderr
    )
    by_id = summary(db, "--assignment", "bakery", "--format", "json")
    by_title = summary(db, "--assignment", "A day at the bakery", "--format", "json")
    assert by_id.returncode == 0 and json.loads(by_id.stdout) == json.loads(by_title.stdout)


def test_a_free_play_report_is_refused(lesson, tmp_path):
    saves = tmp_path / "saves"
    common = ["--story", str(lesson / "story"), "--saves", str(saves)]
    assert run("--plain", *common, "--role", "baker", stdin="2\n2\n").returncode == 0
    made = run("report", "autosave", *common, "-o", str(tmp_path / "free.md"))
    assert made.returncode == 0, made.stderr
    result = imp(lesson, tmp_path / "class.db", tmp_path / "free.md")
    assert result.returncode == 1 and "free play" in result.stdout

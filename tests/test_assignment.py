"""Assignment files: read, checked against the story, every mistake reported as file:line:col."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from engine import loader
from engine.classroom import assignment
from tests.conftest import MINI

GOOD = """\
title: A day at the bakery
role: baker
start: baker.street
set: {courage: 1, sold: true, name: Vera}
intro: |
  Play the baker's day.
questions:
  - at: baker.street
    ask: Why is the street
      full?
  - ask: How did your day end?
allow_undo: false
until: baker.end.home
"""


@pytest.fixture(scope="module")
def mini():
    story, diags = loader.load(MINI)
    assert story is not None, diags
    return story


def write(tmp_path: Path, text: str, name: str = "a.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def messages(tmp_path: Path, text: str, story) -> list[str]:
    path = write(tmp_path, text)
    return [str(d).replace(str(path), "A") for d in assignment.check_file(path, story)]


def test_a_good_assignment_loads_with_every_field(tmp_path, mini):
    path = write(tmp_path, GOOD)
    asg, diags = assignment.load(path, mini)
    assert diags == []
    assert asg is not None
    assert (asg.title, asg.role, asg.start, asg.until, asg.allow_undo) == (
        "A day at the bakery",
        "baker",
        "baker.street",
        "baker.end.home",
        False,
    )
    assert asg.initial == {"courage": 1, "sold": True, "name": "Vera"}
    assert asg.intro.strip() == "Play the baker's day."
    assert [(q.number, q.at, q.ask) for q in asg.questions] == [
        (1, "baker.street", "Why is the street full?"),
        (2, None, "How did your day end?"),
    ]
    assert asg.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_defaults_undo_allowed_role_start_no_until(tmp_path, mini):
    asg, _ = assignment.load(write(tmp_path, "title: T\nrole: guard\nquestions: [{ask: Why?}]\n"), mini)
    assert asg is not None
    assert (asg.allow_undo, asg.start, asg.until, asg.initial, asg.intro) == (True, None, None, {}, "")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: T\nrole: bakr\n", "A:2:7: error: unknown role 'bakr' (did you mean baker?)"),
        (
            "title: T\nrole: baker\nstart: baker.streat\n",
            "A:3:8: error: start: unknown scene 'baker.streat' (did you mean baker.street, “The Street”?)",
        ),
        ("title: T\nrole: baker\nuntil: nowhere\n", "A:3:8: error: until: unknown scene 'nowhere'"),
        (
            "title: T\nrole: baker\nquestions:\n  - at: baker.dawm\n    ask: Q?\n",
            "A:4:9: error: question 1: at: unknown scene 'baker.dawm' (did you mean baker.dawn, “Dawn”?)",
        ),
        (
            "title: T\nrole: baker\nset: {curage: 1}\n",
            "A:3:7: error: set: unknown variable 'curage' (did you mean courage?)",
        ),
        (
            "title: T\nrole: baker\nset: {bread: 9}\n",
            "A:3:14: error: set: bread = 9 is outside its bounds 0..5",
        ),
        ("title: T\nrole: baker\nset: {sold: 3}\n", "A:3:13: error: set: sold should be true or false"),
        ("title: T\nrole: baker\nallow_undo: maybe\n", "A:3:13: error: allow_undo should be true or false"),
        (
            "title: T\nrole: baker\nquestion: []\n",
            "A:3:1: error: assignment: unknown key 'question' (did you mean questions?)",
        ),
        ("role: baker\n", "A:1:1: error: assignment: missing required key 'title'"),
        (
            "title: T\nrole: baker\nquestions:\n  - ask: Q?\n  - ask: Q?\n",
            "A:5:5: error: question 2 repeats question 1",
        ),
        (
            "title: T\nrole: baker\nquestions:\n  - at: baker.dawn\n",
            "A:4:5: error: question 1: missing required key 'ask'",
        ),
        ("title: [T\nrole: baker\n", "A:1:8: error: YAML syntax: the bracket opened here is never closed"),
        ("- just\n- a list\n", "A:1:1: error: assignment should be a mapping"),
        ("title: T\nrole: !!python/object:os.system baker\n", "error: tag 'tag:yaml.org,2002:python/object"),
    ],
)
def test_mistakes_are_reported_with_file_line_and_column(tmp_path, mini, text, expected):
    found = messages(tmp_path, text, mini)
    assert any(m.startswith(expected) or expected in m for m in found), found


def test_warnings_for_questions_that_can_never_be_asked(tmp_path, mini):
    found = messages(tmp_path, "title: T\nrole: baker\nquestions:\n  - at: guard.gate\n    ask: Q?\n", mini)
    assert any(
        "A:4:9: warning: question 1 will never be asked: 'guard.gate' cannot be reached from "
        "'baker.dawn'" in m
        for m in found
    ), found
    found = messages(tmp_path, "title: T\nrole: baker\nuntil: guard.gate\nquestions: [{ask: Q?}]\n", mini)
    assert any("error: until: 'guard.gate' cannot be reached" in m for m in found), found
    found = messages(tmp_path, "title: T\nrole: baker\n", mini)
    assert any("warning: this assignment has no questions" in m for m in found), found


def test_a_question_past_until_is_never_asked(tmp_path, mini):
    text = "title: T\nrole: baker\nuntil: baker.street\nquestions:\n  - at: baker.end.home\n    ask: Q?\n"
    found = messages(tmp_path, text, mini)
    assert any("question 1 will never be asked" in m and "before 'baker.street'" in m for m in found), found


def test_a_warning_alone_still_loads(tmp_path, mini):
    asg, diags = assignment.load(write(tmp_path, "title: T\nrole: baker\n"), mini)
    assert asg is not None
    assert [d.severity for d in diags] == ["warning"]


def test_unreadable_files_are_reported_not_raised(tmp_path, mini):
    bad = tmp_path / "latin1.yaml"
    bad.write_bytes("title: caf\xe9\nrole: baker\n".encode("latin-1"))
    assert "not UTF-8" in str(assignment.check_file(bad, mini)[0])
    assert "no such file" in str(assignment.check_file(tmp_path / "missing.yaml", mini)[0])
    assert "folder" in str(assignment.check_file(tmp_path, mini)[0])
    empty = write(tmp_path, "", "empty.yaml")
    assert "empty" in str(assignment.check_file(empty, mini)[0])


def test_without_a_story_only_the_files_own_shape_is_checked(tmp_path):
    path = write(tmp_path, "title: T\nrole: anything\nset: {x: 1}\nquestions: [{at: nowhere, ask: Q?}]\n")
    assert [d for d in assignment.check_file(path, None) if d.severity == "error"] == []
    path = write(tmp_path, "title: T\nrole: r\nwhen: now\n")
    assert any(d.code == "unknown-key" for d in assignment.check_file(path, None))


def test_check_folder_checks_every_shipped_assignment(tmp_path, mini):
    folder = tmp_path / "story" / "assignments"
    folder.mkdir(parents=True)
    (folder / "good.yaml").write_text(GOOD, encoding="utf-8")
    (folder / "bad.yaml").write_text("title: T\nrole: nobody\n", encoding="utf-8")
    (folder / ".hidden.yaml").write_text("junk: [", encoding="utf-8")
    (folder / "notes.txt").write_text("not yaml", encoding="utf-8")
    diags = assignment.check_folder(tmp_path / "story", mini)
    assert [Path(d.path).name for d in diags if d.severity == "error"] == ["bad.yaml"]
    assert assignment.check_folder(tmp_path / "nothing-here", mini) == []


def test_the_story_loader_does_not_read_assignments_as_scenes(write_story):
    root = write_story(
        {
            "scenes/a.yaml": """\
        scenes:
          - id: a.start
            title: Start
            date: 1917-02-23
            text: Hi.
            ending: {title: E, epilogue: Done.}
        """,
            "assignments/x.yaml": "title: T\nrole: hero\n",
        }
    )
    story, diags = loader.load(root)
    assert story is not None
    assert diags == []


def test_find_prefers_the_recorded_file_then_the_story_folder_by_hash(tmp_path):
    story_dir = tmp_path / "story"
    (story_dir / "assignments").mkdir(parents=True)
    shipped = story_dir / "assignments" / "july.yaml"
    shipped.write_text(GOOD, encoding="utf-8")
    sha = hashlib.sha256(shipped.read_bytes()).hexdigest()
    # Recorded on another computer: found by name under the story's assignments folder.
    assert assignment.find("/home/student/july.yaml", sha, story_dir) == shipped
    # Renamed: found by its hash.
    assert assignment.find("/elsewhere/renamed.yaml", sha, story_dir) == shipped
    # Different bytes: not found.
    assert assignment.find("/elsewhere/july.yaml", "0" * 64, story_dir) is None


def test_the_shipped_assignments_check_clean_against_the_shipped_story():
    from tests.conftest import SHIPPED

    story, _ = loader.load(SHIPPED)
    if story is None:
        pytest.skip("the shipped story does not load yet")
    shipped = assignment.files(SHIPPED)
    assert {story.roles[assignment.load(p, story)[0].role].key for p in shipped} >= {
        "worker",
        "soldier",
        "kadet",
    }
    assert [str(d) for d in assignment.check_folder(SHIPPED, story)] == []

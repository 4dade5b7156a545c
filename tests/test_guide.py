"""`dualpower guide`: the teacher's guide, chapter by chapter, for the whole story or one assignment."""

from __future__ import annotations

import pytest

from engine import cli, loader
from engine.classroom import assignment, guide
from tests.conftest import MINI
from tests.test_classroom_play import write_assignment

HEADER = """\
title: Guide Story
version: 1
content_notes:
  - Shooting of crowds (February)
  - Hunger and poverty
  - The death penalty (July)
roles:
  worker: {name: Worker, title: A lathe hand on the Vyborg side, blurb: You work., start: worker.feb.queue}
variables:
  trust: {type: int, start: 0}
"""

FEBRUARY = """\
scenes:
  - id: worker.feb.queue
    title: The Bread Queue
    date: 1917-02-23
    place: Vyborg side
    text: The women talk about the Soviet and the bread.
    note: >-
      On 23 February (8 March N.S.) women textile workers struck over bread. Dunya is invented.
    documents: [leaflet]
    choices:
      - {text: March., goto: worker.feb.march}
  - id: worker.feb.march
    title: The March
    date: 1917-02-25
    place: Nevsky Prospekt
    text: Cossacks watch the crowd.
    note: The strike became general on 25 February. The sergeant is invented.
    choices:
      - {text: Go on., goto: worker.jul.days}
"""

JULY = """\
scenes:
  - id: worker.jul.days
    title: The July Days
    date: 1917-07-03
    text: Armed soldiers in the street.
    ending: {title: July, epilogue: The Bolsheviks were blamed.}
"""

GLOSSARY = """\
terms:
  - term: Soviet
    aliases: [soviets]
    text: A council of deputies. It met in the Tauride Palace.
  - term: Cossacks
    text: Cavalry from the frontier.
  - term: SR
    text: A Socialist Revolutionary.
  - term: Bolsheviks
    text: Lenin's party.
"""

DOCUMENTS = """\
documents:
  - id: leaflet
    title: A Strike Leaflet
    date: 1917-02-23
    source: Vyborg district committee, 23 February 1917. Reprinted in many collections.
    text: Bread! Down with the war!
"""


@pytest.fixture
def story(write_story):
    root = write_story(
        {
            "scenes/worker/01-february.yaml": FEBRUARY,
            "scenes/worker/05-july.yaml": JULY,
            "glossary.yaml": GLOSSARY,
            "documents.yaml": DOCUMENTS,
        },
        header=HEADER,
    )
    loaded, diags = loader.load(root)
    assert loaded is not None, diags
    return loaded


def section(text: str, heading: str) -> str:
    """The text of one '## ' chapter."""
    start = text.index(heading)
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def test_each_chapter_lists_events_notes_documents_terms_and_prompts(story):
    text = guide.guide(story)
    assert text.startswith("# Teacher's guide: Guide Story")
    feb = section(text, "## Worker: 23–25 February 1917")
    assert "*File `scenes/worker/01-february.yaml` · 2 scenes*" in feb
    assert "- 23 February 1917 · 8 March N.S.: **The Bread Queue**, Vyborg side" in feb
    assert "- 25 February 1917 · 10 March N.S.: **The March**, Nevsky Prospekt" in feb
    assert "On 23 February (8 March N.S.) women textile workers struck over bread." in feb
    assert "- **A Strike Leaflet** (23 February 1917 · 8 March N.S.): Vyborg district committee" in feb
    # Content notes naming the chapter's month, and glossary terms used in it (whole words, any case).
    assert "- Shooting of crowds (February)" in feb
    assert "death penalty" not in feb
    assert "- **Soviet**: A council of deputies." in feb
    assert "- **Cossacks**:" in feb
    assert "**SR**" not in feb and "**Bolsheviks**" not in feb
    prompts = feb.split("### Discussion prompts")[1]
    assert "The note for “The Bread Queue”" in prompts
    assert "Read “A Strike Leaflet”" in prompts
    assert "what changed for a lathe hand on the Vyborg side?" in prompts
    jul = section(text, "## Worker: 3 July 1917")
    assert "(ending: July) · `worker.jul.days`" in jul
    assert "- The death penalty (July)" in jul
    assert "**Bolsheviks**" in jul  # from the epilogue
    # Story-wide content notes at the top, all of them.
    assert "- Hunger and poverty" in section(text, "## Content notes")


def test_a_guide_for_an_assignment_holds_its_questions_and_only_its_scenes(story, tmp_path):
    path = write_assignment(
        tmp_path,
        """\
        title: February in the queue
        role: worker
        until: worker.feb.march
        set: {trust: 2}
        intro: Think about bread.
        questions:
          - at: worker.feb.march
            ask: Why did the Cossacks hold back?
          - ask: What would you do next?
        """,
    )
    asg, diags = assignment.load(path, story)
    assert asg is not None, diags
    text = guide.guide(story, asg)
    assert text.startswith("# Teacher's guide: February in the queue")
    assert "- **Stops at:** “The March”, 25 February 1917 · 10 March N.S. (or at any ending)" in text
    assert "- **Undo:** allowed" in text
    # Labels only: a variable with no label of its own is counted, never named.
    assert "- **Starting values:** 1 more of the story's hidden settings" in text
    assert "trust 2" not in text
    assert "> Think about bread." in text
    assert "1. Why did the Cossacks hold back? (asked at “The March”)" in text
    feb = section(text, "## Worker: 23–25 February 1917")
    assert "1. Why did the Cossacks hold back? *(assignment question 1, asked at “The March”)*" in feb
    assert "The July Days" not in text  # past `until`: not part of this assignment
    assert "## At the end of the assignment" in text and "2. What would you do next?" in text


def test_the_mini_story_guide_and_the_command(capsys, tmp_path):
    target = tmp_path / "guide.md"
    code = cli.main(["guide", "--story", str(MINI), "-o", str(target)])
    assert code == 0
    assert "Guide written to" in capsys.readouterr().err
    text = target.read_text("utf-8")
    assert "## Baker: 23–25 February 1917" in text
    assert "## Guard: 23–24 February 1917" in text
    assert "**Dawn** (23 February 1917 · 8 March N.S.). The bakery is invented." in text
    assert "- Nothing frightening" in text
    asg = write_assignment(tmp_path)
    code = cli.main(["guide", "--story", str(MINI), "--assignment", str(asg)])
    out = capsys.readouterr().out
    assert code == 0
    assert "Why is the street full? *(assignment question 1, asked at “The Street”)*" in out
    assert "## Guard" not in out


def test_a_broken_assignment_is_reported_not_raised(capsys, tmp_path):
    asg = write_assignment(tmp_path, "title: T\nrole: nobody\n")
    code = cli.main(["guide", "--story", str(MINI), "--assignment", str(asg)])
    err = capsys.readouterr().err
    assert code == 1
    assert "unknown role 'nobody'" in err


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Edited by Milyukov and I. V. Gessen. Read daily.", "Edited by Milyukov and I. V. Gessen."),
        ("Order No. 1 was issued. It said more.", "Order No. 1 was issued."),
        ("One sentence only", "One sentence only"),
    ],
)
def test_first_sentence_is_not_fooled_by_initials(text, first):
    assert guide.first_sentence(text) == first

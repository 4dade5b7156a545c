"""Render tests: each screen drawn into a Console writing to a StringIO, checked for what a player reads."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest
from rich.console import Console, RenderableType

from engine import loader, runtime
from engine.model import Source, Story, Term
from engine.saves import Saves
from engine.session import EndingView, Message, OptionView, SceneView, Session, TableView
from engine.ui import render
from engine.ui.render import MenuItem

MINI = Path(__file__).parent / "data" / "mini"
GLOSSARY = """\
terms:
  - term: Soviet
    aliases: [soviets]
    text: A council of deputies.
  - term: Petrograd Soviet
    text: The council of the capital's workers and soldiers.
  - term: K-D
    text: The Kadets' initials.
  - term: Soviet Executive
    text: The Soviet's standing committee.
"""


@pytest.fixture(scope="module")
def story(tmp_path_factory: pytest.TempPathFactory) -> Story:
    """The mini story with a glossary, and a paragraph that uses its terms."""
    folder = tmp_path_factory.mktemp("story")
    shutil.copytree(MINI, folder, dirs_exist_ok=True)
    (folder / "glossary.yaml").write_text(GLOSSARY, encoding="utf-8")
    scenes = folder / "scenes" / "baker.yaml"
    text = scenes.read_text(encoding="utf-8").replace(
        "      - You have {bread} loaves, {name}.",
        "      - You have {bread} loaves, {name}. The Petrograd Soviet and the soviets [bold]meet[/bold].",
    )
    scenes.write_text(text, encoding="utf-8")
    loaded, diags = loader.load(folder)
    assert loaded is not None, [str(d) for d in diags]
    return loaded


def draw(renderable: RenderableType, width: int = 80, **kwargs: object) -> str:
    console = Console(width=width, file=io.StringIO(), highlight=False, **kwargs)  # type: ignore[arg-type]
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def session_for(story: Story, tmp_path: Path, role: str = "baker") -> Session:
    return Session(story, runtime.new_game(story, role), Saves(tmp_path))


def test_scene_shows_title_date_text_and_numbered_choices(story: Story, tmp_path: Path) -> None:
    out = draw(render.scene(session_for(story, tmp_path).scene_view(), story))
    lines = out.splitlines()
    assert re.fullmatch(r"─+ Dawn ─+", lines[0])
    assert lines[1].strip() == "Thursday 23 February 1917 · 8 March N.S. · The corner bakery"
    assert "You have 3 loaves, Anna." in out
    assert re.search(r"^\s+1  Sell a loaf\.$", out, re.M)
    assert re.search(r"^\s+2  Take heart\.$", out, re.M)
    # The locked choice is still numbered, and says what it needs in words.
    assert re.search(r"^\s+3  March with the crowd\.\s+\(locked: needs Courage at least 2\)$", out, re.M)
    assert "Type 1-3 to choose" in out and "'note'" in out


def test_story_text_is_never_read_as_markup(story: Story, tmp_path: Path) -> None:
    out = draw(render.scene(session_for(story, tmp_path).scene_view(), story))
    assert "[bold]meet[/bold]" in out


@pytest.mark.parametrize("width", [50, 80, 120, 200])
def test_text_keeps_a_reading_width_and_fits_the_terminal(story: Story, tmp_path: Path, width: int) -> None:
    view = SceneView(
        "x",
        "A Long Scene",
        "Monday 27 February 1917 · 12 March N.S.",
        "Tauride Palace",
        ("word " * 200,),
        (OptionView(1, "Go on " * 30, None),),
        True,
        0,
    )
    lines = draw(render.scene(view, story), width).splitlines()
    longest = max(len(line) for line in lines)
    assert longest <= width
    body = [line for line in lines[1:] if line.strip()]
    assert max(len(line) for line in body) <= min(72, width - 4) + 2
    assert all(line.startswith("  ") for line in body)  # the text sits in an indented column
    if width >= 80:
        assert max(len(line) for line in body) >= 68  # and uses the reading width when there is room


def test_glossary_terms_are_highlighted_whole_words_longest_first(story: Story) -> None:
    pattern = render.term_pattern(story.glossary)
    text = render.marked(
        "The Petrograd Soviet met the Soviet Executive; Sovietskaya street; a soviet; the soviets; K-D.",
        pattern,
    )
    marked = [text.plain[span.start : span.end] for span in text.spans if span.style == render.TERM]
    assert marked == ["Petrograd Soviet", "Soviet Executive", "soviets", "K-D"]


def test_glossary_pattern_is_built_once_per_glossary(story: Story) -> None:
    assert render.term_pattern(story.glossary) is render.term_pattern(story.glossary)
    other = (Term("Duma", (), "The parliament.", Source("g", 1, 1)),)
    assert render.term_pattern(other) is not render.term_pattern(story.glossary)
    assert render.term_pattern(()) is None


def test_highlight_shows_in_colour_on_a_terminal(
    story: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    out = draw(
        render.scene(session_for(story, tmp_path).scene_view(), story),
        force_terminal=True,
        color_system="standard",
    )
    assert "\x1b[1;36mPetrograd Soviet\x1b[0m" in out


def test_no_color_is_respected(story: Story, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    views = [
        render.scene(session_for(story, tmp_path).scene_view(), story),
        render.message(Message("Something broke", "error")),
        render.message(Message("Try again", "hint")),
    ]
    for renderable in views:
        out = draw(renderable, force_terminal=True)
        assert not re.search(r"\x1b\[[0-9;]*3[0-9]m", out), "a foreground colour under NO_COLOR"
        assert not re.search(r"\x1b\[[0-9;]*4[0-9]m", out), "a background colour under NO_COLOR"


def test_ending_shows_title_epilogue_and_count(story: Story, tmp_path: Path) -> None:
    session = session_for(story, tmp_path)
    session.handle("2")
    views = session.handle("2")
    ending = next(v for v in views if isinstance(v, EndingView))
    out = draw(render.ending(ending, story, hint="Press Enter for the title screen."))
    assert "You go home." in out
    assert "Home Again" in out and "You kept baking." in out
    assert "Endings found: 1/3" in out
    assert "Press Enter for the title screen." in out
    assert "1  " not in out  # an ending offers no choices


def test_messages_by_kind(story: Story) -> None:
    assert draw(render.message(Message("Saved as 'x'."))).strip() == "Saved as 'x'."
    assert draw(render.message(Message("No such slot", "error"))).strip() == "! No such slot"
    assert draw(render.message(Message("Type a number", "hint"))).strip() == "Type a number"
    note = draw(
        render.message(Message("First part.\n\nSecond part about the Soviet.", "text", "Note: Dawn"), story)
    )
    lines = note.splitlines()
    assert re.fullmatch(r"─+ Note: Dawn ─+", lines[0])
    assert lines[1:] == ["  First part.", "", "  Second part about the Soviet."]


def test_table_lists_rows_and_says_when_empty() -> None:
    view = TableView(
        "Journal",
        ("date", "scene", "your choice"),
        (("23 Feb 1917", "Dawn", "Take heart."), ("24 Feb 1917", "The Street", "(you are here)")),
    )
    out = draw(render.table(view))
    assert "Journal" in out.splitlines()[0]
    assert re.search(r"date\s+scene\s+your choice", out)
    assert re.search(r"23 Feb 1917\s+Dawn\s+Take heart\.", out)
    empty = draw(render.table(TableView("Saved games", ("slot",), ())))
    assert "(none yet)" in empty


def test_session_views_all_render(story: Story, tmp_path: Path) -> None:
    session = session_for(story, tmp_path)
    for line in [
        "help",
        "journal",
        "stats",
        "note",
        "glossary",
        "glossary soviet",
        "endings",
        "load",
        "save",
        "load",
        "xyzzy",
        "9",
        "undo",
        "documents",
    ]:
        for item in session.handle(line):
            renderable = render.view(item, story)
            assert renderable is not None
            assert all(len(row) <= 50 for row in draw(renderable, 50).splitlines())


def test_title_screen_and_content_notes(story: Story) -> None:
    out = draw(render.title_screen(story))
    assert "Mini Story" in out and "A small story for the tests." in out
    notes = draw(render.content_notes(story) or "")
    assert "Before you begin" in notes and "• Nothing frightening" in notes


def test_content_notes_wrap_under_their_bullet(story: Story) -> None:
    long = Story(
        **{
            **{f: getattr(story, f) for f in story.__dataclass_fields__},
            "content_notes": ("Street violence and lynching during the July Days in Petrograd",),
        }
    )
    lines = [line for line in draw(render.content_notes(long) or "", 50).splitlines() if line.strip()]
    bullet = next(i for i, line in enumerate(lines) if "•" in line)
    start = lines[bullet].index("Street")
    assert lines[bullet + 1].index(lines[bullet + 1].strip()) == start


def plain(fragments: list[tuple[str, str]]) -> str:
    return "".join(text for _style, text in fragments)


def test_menu_numbers_items_and_points_at_the_selected_one() -> None:
    items = [
        MenuItem("new", "New game"),
        MenuItem("continue", "Continue", "Baker · 24 Feb 1917 · The Street"),
        MenuItem("quit", "Quit"),
    ]
    frags = render.menu_fragments(items, 1, 80, back=False)
    text = plain(frags)
    assert "   1  New game" in text
    assert "❯ 2  Continue   Baker · 24 Feb 1917 · The Street" in text
    assert "↑/↓ and Enter, or type 1-3." in text and "Esc" not in text
    # The hidden cursor sits on the selected item so a long list scrolls to it.
    cursor = [i for i, (style, _t) in enumerate(frags) if style == "[SetCursorPosition]"]
    assert len(cursor) == 1 and "Continue" in frags[cursor[0] + 1][1]


def test_role_menu_wraps_blurbs_under_each_role(story: Story) -> None:
    items = [
        MenuItem(k, f"{r.name}: {r.title}", "A long blurb about this role " * 4)
        for k, r in story.roles.items()
    ]
    text = plain(render.menu_fragments(items, 0, 50, long=True, message="Choose your role"))
    lines = text.splitlines()
    assert "Choose your role" in text
    assert any("1  Baker: A baker on the corner" in line for line in lines)
    assert all(len(line) <= 50 for line in lines)
    blurb = [line for line in lines if "blurb" in line]
    assert len(blurb) > 2 and all(line.startswith("       ") for line in blurb)


def test_toolbar_fits_the_width_and_keeps_role_and_date() -> None:
    items = [
        ("Worker", "23 Feb 1917"),
        ("Bread", "3"),
        ("Trust in the Soviet", "0"),
        ("Trust in the Government", "1"),
    ]
    wide = plain(render.toolbar_fragments(items, 120))
    assert (
        wide.strip() == "Worker · 23 Feb 1917 │ Bread 3 │ Trust in the Soviet 0 │ Trust in the Government 1"
    )
    narrow = plain(render.toolbar_fragments(items, 50)).splitlines()
    assert all(len(line) < 50 for line in narrow)
    assert narrow[0].startswith(" Worker · 23 Feb 1917")
    assert "Trust in the Government 1" in narrow[-1]  # wrapped between values, nothing lost
    assert all(row.cell_len == 60 for row in render.toolbar_text(items, 60).split())


def test_toolbar_keeps_the_bearings_and_every_value_at_80_columns() -> None:
    items = [("Worker", "23 Feb 1917")] + [
        (label, "0")
        for label in (
            "Bread",
            "Trust in the Soviet",
            "Trust in the Government",
            "Danger",
            "What you have built",
            "Standing among your own",
        )
    ]
    where = "The Erickson works · 23 Feb 1917 · Vyborg side"
    lines = plain(render.toolbar_fragments(items, 80, where)).splitlines()
    assert lines[0] == f" {where}"
    assert len(lines) == 3 and all(len(line) < 80 for line in lines)
    shown = " ".join(lines[1:])
    assert all(f"{label} 0" in shown for label, _ in items[1:])
    # At 50 columns the bearings are cut with '…' and the values take at most three lines.
    narrow = plain(render.toolbar_fragments(items, 50, where + " and far beyond the river")).splitlines()
    assert narrow[0].endswith("…") and len(narrow) <= 4 and all(len(line) < 50 for line in narrow)


@pytest.mark.parametrize("width", [50, 80, 120])
def test_stats_show_each_value_whole_with_its_meaning_under_it(tmp_path, width: int) -> None:
    shipped = loader.load_or_raise(Path(__file__).parent.parent / "story")
    session = Session.new(shipped, "worker", Saves(tmp_path))
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(render.view(session.handle("stats")[0], shipped))
    lines = out.getvalue().splitlines()
    assert all(len(line) <= width for line in lines)
    for label, word in [("Danger", "very low"), ("Standing among", "low"), ("Bread", "low")]:
        row = next(line for line in lines if line.strip().startswith(label))
        assert row.rstrip().endswith(word)  # the number, its bar and its word on the label's line, whole
    danger = next(i for i, line in enumerate(lines) if line.strip().startswith("Danger"))
    said = " ".join(line.strip() for line in lines[danger + 1 : danger + 4])
    assert said.startswith("How exposed you are: to arrest")  # what it means, under it, across the width

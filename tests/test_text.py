"""engine/text.py: each promise about text kept in one place, seen where a player, author or teacher sees it."""

from __future__ import annotations

import html

import pytest
from markdown_it import MarkdownIt

from engine import loader, text
from engine.classroom import guide
from engine.diagnostics import display_path
from tests.test_classroom_play import play

SCENE = """\
scenes:
  - id: a.start
    title: Braces
    date: 1917-02-23
    text: |-
      Write {{gold}} to get a brace. You are {role} with {gold} gold, brave {brave}. A }} closes.
    choices:
      - {text: "Pay {{1}} of {gold}", goto: a.end}
  - id: a.end
    title: The End
    date: 1917-02-24
    text: Done, {role}.
    ending: {title: Over, epilogue: Closed.}
"""


def test_placeholders_as_a_player_sees_them_in_plain_mode(write_story, monkeypatch, capsys, tmp_path):
    root = write_story({"scenes/a.yaml": SCENE})
    code, out, err = play(monkeypatch, capsys, tmp_path, ["1"], "--role", "hero", story=root)
    assert code == 0, err
    flat = " ".join(out.split())
    assert "Write {gold} to get a brace. You are Hero with 1 gold, brave no. A } closes." in flat
    assert "Pay {1} of 1" in flat
    assert "Done, Hero." in flat


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("a { alone", "a lone '{'; write {{ for a literal brace"),
        ("a } alone", "a lone '}'; write }} for a literal brace"),
        ("{golf} coins", "unknown variable {golf} in the text (did you mean gold?)"),
    ],
)
def test_a_broken_placeholder_is_a_load_error_saying_how_to_write_it(write_story, value, message):
    root = write_story({"scenes/a.yaml": SCENE.replace("Done, {role}.", f'"{value}"')})
    story, diags = loader.load(root)
    assert story is None
    assert [d.message for d in diags if d.code == "placeholder"] == [f"scene a.end: text: {message}"]


def test_the_placeholder_tokenizer_reads_every_span():
    spans = list(text.tokens("a {{b}} {c} } {d e}"))
    assert [(s.kind, s.value) for s in spans] == [
        ("text", "a "),
        ("brace", "{"),
        ("text", "b"),
        ("brace", "}"),
        ("text", " "),
        ("field", "c"),
        ("text", " "),
        ("lone", "}"),
        ("text", " "),
        ("field", "d e"),
    ]
    assert "".join(s.raw for s in spans) == "a {{b}} {c} } {d e}"
    assert text.placeholder_names("x {{y}} {z} {role}") == ["z", "role"]


# The one set of control characters: C0, DEL, C1, direction marks, embeddings, overrides and isolates.
UNSAFE = ["\x07", "\x1b", "\x7f", "\x9b", "\u200e", "\u200f", "\u202e", "\u2067"]


@pytest.mark.parametrize("char", UNSAFE)
def test_one_set_of_control_characters_everywhere(write_story, monkeypatch, capsys, tmp_path, char):
    # In story text (written as a YAML escape): a load error naming the character.
    escaped = f"\\u{ord(char):04x}"
    root = write_story({"scenes/a.yaml": SCENE.replace("title: Braces", f'title: "Bra{escaped}ces"')})
    story, diags = loader.load(root)
    assert story is None
    assert [d.message for d in diags if d.code == "control-char"] == [
        f"scene a.start: title contains a control character or terminal escape (U+{ord(char):04X}); remove it"
    ]
    # Typed by a player and echoed back: stripped.
    good = write_story({"scenes/a.yaml": SCENE})
    code, out, _ = play(monkeypatch, capsys, tmp_path, [f"flo{char}rb"], "--role", "hero", story=good)
    assert "florb" in out and char not in out
    # In a path shown in a diagnostic: masked.
    assert display_path(f"/tmp/x{char}y.yaml") == "/tmp/x?y.yaml"


def test_tab_and_newline_are_layout_not_control_in_story_text():
    assert text.first_control("one\ttwo\nthree") is None
    assert text.first_control("one\rtwo") == "\r"
    assert text.one_line("a\tb\nc\u202ed") == "a b c d"


def test_a_paragraph_starting_with_a_year_is_not_a_list_in_the_guide(write_story):
    note = "The strike began on 23 February.\\n\\n1917. The year is named first here.\\n\\n- not a bullet"
    root = write_story(
        {
            "scenes/a.yaml": SCENE.replace(
                "    date: 1917-02-23\n", f'    date: 1917-02-23\n    note: "{note}"\n'
            )
        }
    )
    story, diags = loader.load(root)
    assert story is not None, diags
    page = MarkdownIt().render(guide.guide(story))
    assert "<li>The year is named" not in page and "<li>not a bullet" not in page
    assert "<p>1917. The year is named first here.</p>" in page
    assert "<p>- not a bullet</p>" in page


@pytest.mark.parametrize(
    "prose",
    [
        "1917. A year",
        "- a dash",
        "+ a plus",
        "# a hash",
        "> a quote",
        "**bold** _it_ `code` [l](u) <b>",
        "a | b ~ !",
    ],
)
def test_markdown_escaping_shows_text_as_written(prose):
    assert MarkdownIt().render(text.md(prose)) == f"<p>{html.escape(prose, quote=False)}</p>\n"


def test_html_escaping_is_one_clean_line():
    assert text.html("<a href='x'>\n&\x1b") == "&lt;a href=&#x27;x&#x27;&gt; &amp;"


def test_paragraphs_split_at_blank_lines_only():
    assert text.split_paragraphs("one\ntwo\n  \nthree\n\n\n") == ["one two", "three"]
    assert text.split_paragraphs("  ") == []
    assert text.blocks("one\ntwo\n\nthree") == ["one\ntwo", "three"]
    assert text.clean_paragraphs("a\x1bb\n\nc") == ["a b", "c"]


def test_the_in_game_glossary_list_shows_first_sentences_not_fooled_by_initials(
    write_story, monkeypatch, capsys, tmp_path
):
    glossary = """\
    terms:
      - term: Rech
        text: The Kadet daily, edited by I. V. Gessen. It was closed in October.
      - term: Order No. 1
        text: Order No. 1 was issued by the Soviet. It said more.
    """
    root = write_story({"scenes/a.yaml": SCENE, "glossary.yaml": glossary})
    code, out, _ = play(monkeypatch, capsys, tmp_path, ["glossary"], "--role", "hero", story=root)
    flat = " ".join(out.split())
    assert "The Kadet daily, edited by I. V. Gessen." in flat and "It was closed" not in flat
    assert "Order No. 1 was issued by the Soviet." in flat and "It said more" not in flat


def test_first_sentence_cuts_long_text_at_a_word():
    long = "word " * 60
    cut = text.first_sentence(long, 110)
    assert cut.endswith("word…") and len(cut) <= 111


def test_story_text_refuses_the_same_set_except_tab_and_newline():
    for code in range(0x3000):
        c = chr(code)
        assert (text.first_control(c) is not None) == (
            text.CONTROL_RE.match(c) is not None and c not in "\t\n"
        )

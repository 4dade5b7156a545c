from __future__ import annotations

from pathlib import Path

import pytest

from engine import loader
from tests.conftest import HEADER as HEADER_TEXT
from tests.conftest import MINI

GOOD = """\
scenes:
  - id: a.start
    title: Start
    date: 1917-02-23
    text: You have {gold} gold.
    choices:
      - text: Go on.
        goto: a.end
  - id: a.end
    title: End
    date: 1917-02-24
    text: The end.
    ending: {title: Done, epilogue: It ended.}
"""


def messages(root: Path) -> list[str]:
    story, diags = loader.load(root)
    return [str(d) for d in diags]


def only(root: Path, code: str) -> str:
    story, diags = loader.load(root)
    found = [d for d in diags if d.code == code]
    assert found, f"no {code} in {[str(d) for d in diags]}"
    return str(found[0])


def test_a_good_story_loads(write_story) -> None:
    story, diags = loader.load(write_story({"scenes/a.yaml": GOOD}))
    assert diags == []
    assert story is not None
    assert list(story.scenes) == ["a.start", "a.end"]
    s = story.scenes["a.start"]
    assert (Path(s.source.path).name, s.source.line, s.source.col) == ("a.yaml", 2, 5)
    assert s.choices[0].source.line == 7
    assert story.roles["hero"].start == "a.start"


def test_mini_story_loads() -> None:
    story, diags = loader.load(MINI)
    assert story is not None, [str(d) for d in diags]
    assert len(story.endings) == 3


def test_yaml_syntax_error_has_line(write_story) -> None:
    root = write_story({"scenes/a.yaml": GOOD.replace("    title: End", "    title: [End")})
    msg = only(root, "yaml-syntax")
    assert "scenes/a.yaml:" in msg and "YAML syntax" in msg
    line = int(msg.split(":")[1])
    assert 10 <= line <= 12


def test_unknown_key_suggests(write_story) -> None:
    root = write_story(
        {"scenes/a.yaml": GOOD.replace("      - text: Go on.", "      - txt: Go on.\n        text: x")}
    )
    msg = only(root, "unknown-key")
    assert "a.yaml:7:9: error: " in msg and "'txt'" in msg and "did you mean text?" in msg


def test_missing_and_mistyped_fields(write_story) -> None:
    root = write_story(
        {"scenes/a.yaml": GOOD.replace("    title: Start\n", "").replace("date: 1917-02-24", "date: soon")}
    )
    assert "missing required key 'title'" in only(root, "missing-key")
    assert "a.yaml:10:11:" in only(root, "bad-date")


def test_duplicate_ids_across_files(write_story) -> None:
    root = write_story({"scenes/a.yaml": GOOD, "scenes/b.yaml": GOOD.replace("a.start", "b.other")})
    msg = only(root, "duplicate-id")
    assert "b.yaml:" in msg and "'a.end'" in msg and "a.yaml:9:5" in msg


def test_goto_unknown_suggests_nearest(write_story) -> None:
    root = write_story({"scenes/a.yaml": GOOD.replace("goto: a.end", "goto: a.edn")})
    msg = only(root, "unknown-target")
    assert "a.yaml:8:15:" in msg and "did you mean a.end?" in msg


def test_condition_syntax_error_column(write_story) -> None:
    root = write_story(
        {"scenes/a.yaml": GOOD.replace("        goto: a.end", "        goto: a.end\n        if: gold >")}
    )
    msg = only(root, "condition")
    # "if: gold >" starts at column 13; the missing value is after '>', at column 13 + 6
    assert "a.yaml:9:19:" in msg and "expected a value" in msg


def test_condition_type_error(write_story) -> None:
    root = write_story(
        {"scenes/a.yaml": GOOD.replace("        goto: a.end", "        goto: a.end\n        if: brave > 1")}
    )
    assert "works on numbers" in only(root, "condition")


def test_undeclared_variables(write_story) -> None:
    text = GOOD.replace(
        "        goto: a.end", "        goto: a.end\n        if: silver > 1\n        add: {golf: 1}"
    )
    text = text.replace("You have {gold} gold.", "You have {gild} gold.")
    root = write_story({"scenes/a.yaml": text})
    msgs = "\n".join(messages(root))
    assert "unknown name 'silver'" in msgs
    assert "unknown variable 'golf'" in msgs and "did you mean gold?" in msgs
    assert "unknown variable {gild}" in msgs


def test_scene_without_choices_or_ending(write_story) -> None:
    root = write_story(
        {"scenes/a.yaml": GOOD.replace("    ending: {title: Done, epilogue: It ended.}\n", "")}
    )
    msg = only(root, "dead-end")
    assert "a.yaml:9:5:" in msg and "neither choices nor an ending" in msg


def test_role_start_missing(write_story) -> None:
    root = write_story({"scenes/a.yaml": GOOD.replace("id: a.start", "id: a.strat")})
    msg = only(root, "unknown-target")
    assert "story.yaml:" in msg and "start scene 'a.start'" in msg and "did you mean a.strat?" in msg


def test_tags_are_refused_and_nothing_runs(write_story, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = GOOD.replace("title: Start", f"title: !!python/object/apply:os.system ['touch {marker}']")
    root = write_story({"scenes/a.yaml": text})
    msg = only(root, "tag")
    assert "a.yaml:3:12:" in msg and "not allowed" in msg
    assert not marker.exists()
    root = write_story({"scenes/a.yaml": GOOD.replace("title: Start", "title: !custom Start")})
    assert "'!custom'" in only(root, "tag")


def test_effects_are_type_checked(write_story) -> None:
    text = GOOD.replace(
        "        goto: a.end",
        "        goto: a.end\n        set: {brave: 3, gold: 99}\n        add: {brave: 1}",
    )
    msgs = "\n".join(messages(write_story({"scenes/a.yaml": text})))
    assert "set: brave should be true or false" in msgs
    assert "outside its bounds 0..9" in msgs
    assert "only numbers can be added" in msgs


def test_all_problems_in_one_pass(write_story) -> None:
    text = GOOD.replace("goto: a.end", "goto: nowhere").replace("title: End", "titel: End")
    story, diags = loader.load(write_story({"scenes/a.yaml": text, "scenes/b.yaml": "scenes: [{id: x}]\n"}))
    assert story is None
    codes = {d.code for d in diags}
    assert {"unknown-target", "unknown-key", "missing-key"} <= codes
    assert len({d.path for d in diags}) >= 2


def test_non_scene_yaml_is_ignored_with_a_warning(write_story) -> None:
    story, diags = loader.load(write_story({"scenes/a.yaml": GOOD, "notes.yaml": "hello: world\n"}))
    assert story is not None
    assert [d.code for d in diags] == ["ignored-file"]


def test_assignments_folder_is_not_read_as_scenes(write_story) -> None:
    story, diags = loader.load(
        write_story({"scenes/a.yaml": GOOD, "assignments/x.yaml": "title: T\nrole: hero\n"})
    )
    assert story is not None and diags == []


def test_tests_folder_is_not_read_as_scenes(write_story) -> None:
    story, diags = loader.load(
        write_story(
            {"scenes/a.yaml": GOOD, "tests/t.yaml": "tests:\n  - {name: x, role: hero, choices: [1]}\n"}
        )
    )
    assert story is not None and diags == []


def test_yml_files_load_like_yaml(write_story) -> None:
    first, rest = GOOD.split("  - id: a.end\n")
    story, diags = loader.load(
        write_story(
            {
                "scenes/a.yml": first,
                "scenes/b.yml": "scenes:\n  - id: a.end\n" + rest,
                "glossary.yml": "terms:\n  - {term: Duma, text: The parliament.}\n",
            }
        )
    )
    assert story is not None, [str(d) for d in diags]
    assert set(story.scenes) == {"a.start", "a.end"}
    assert story.scenes["a.end"].source.path.endswith("b.yml")
    assert [t.term for t in story.glossary] == ["Duma"]


def test_a_header_named_story_yml_is_explained(write_story) -> None:
    root = write_story({"scenes/a.yaml": GOOD})
    (root / "story.yaml").rename(root / "story.yml")
    assert "rename story.yml" in only(root, "no-story")


def test_text_paragraphs_and_conditions(write_story) -> None:
    text = GOOD.replace(
        "    text: You have {gold} gold.\n",
        "    text:\n      - |\n        One line\n        and two.\n\n        Second.\n"
        "      - if: brave\n        text: Brave words.\n",
    )
    story, diags = loader.load(write_story({"scenes/a.yaml": text}))
    assert story is not None, diags
    paras = story.scenes["a.start"].paragraphs
    assert [p.text for p in paras] == ["One line and two.", "Second.", "Brave words."]
    assert paras[2].cond is not None and paras[2].cond.text == "brave"


def test_control_characters_are_refused(write_story) -> None:
    root = write_story({"scenes/a.yaml": GOOD.replace("title: End", 'title: "End\\e[31m"')})
    assert "control character" in only(root, "control-char")


def test_not_utf8(write_story) -> None:
    root = write_story({"scenes/a.yaml": GOOD})
    (root / "scenes" / "a.yaml").write_bytes(GOOD.encode() + b"\n# caf\xe9\n")
    assert "not UTF-8" in only(root, "encoding")


def test_symlink_outside_is_refused(write_story, tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text(GOOD)
    root = write_story({})
    (root / "scenes").mkdir()
    (root / "scenes" / "a.yaml").symlink_to(outside)
    assert "outside the story folder" in only(root, "symlink")


@pytest.mark.parametrize("name", ["story.yaml"])
def test_missing_story_yaml(tmp_path: Path, name: str) -> None:
    story, diags = loader.load(tmp_path)
    assert story is None and "story.yaml is missing" in diags[0].message


def test_an_empty_epilogue_is_an_error_not_a_silent_dead_end(write_story) -> None:
    root = write_story({"scenes/a.yaml": GOOD.replace("epilogue: It ended.", 'epilogue: ""')})
    assert "epilogue is empty" in only(root, "empty")


def test_one_mistake_gives_one_message(write_story) -> None:
    # a mistyped declaration: its uses are not reported as well, and story.yaml comes first
    header = HEADER_TEXT.replace("gold: {type: int", "gold: {type: integer")
    root = write_story(
        {"scenes/a.yaml": GOOD.replace("        goto: a.end", "        goto: a.end\n        if: gold > 0")},
        header=header,
    )
    story, diags = loader.load(root)
    assert [d.code for d in diags] == ["wrong-type"] and "did you mean int?" in diags[0].message
    # a scene with an error of its own: the gotos to it are not wrong too
    root = write_story({"scenes/a.yaml": GOOD.replace("date: 1917-02-24", "date: 1917-02-30")})
    story, diags = loader.load(root)
    assert [d.code for d in diags] == ["bad-date"]
    # story.yaml that cannot be read: no flood of unknown names from the scenes
    root = write_story(
        {"scenes/a.yaml": GOOD.replace("        goto: a.end", "        goto: a.end\n        if: gold > 0")},
        header=HEADER_TEXT.replace("variables:", "variables: {"),
    )
    story, diags = loader.load(root)
    assert [d.code for d in diags] == ["yaml-syntax"] and "story.yaml" in diags[0].path


def test_hints_for_common_mistakes(write_story) -> None:
    text = GOOD.replace("title: Start", "title: The Bakery: Shuttered")
    assert "must be put in quotes" in only(write_story({"scenes/a.yaml": text}), "yaml-syntax")
    text = GOOD.replace("        goto: a.end", "        goto: a.end\n        if: role == hero")
    assert "'hero' is a role, not a variable" in only(write_story({"scenes/a.yaml": text}), "condition")
    text = GOOD.replace("        goto: a.end", "        goto: a.end\n        if: visited(a.start)")
    assert "goes in quotes" in only(write_story({"scenes/a.yaml": text}), "condition")
    root = write_story({"scenes/a.yaml": GOOD, "scenes/b.yaml": "scene:\n  - id: x\n", "scenes/c.yaml": ""})
    story, diags = loader.load(root)
    msgs = [d.message for d in diags if d.code == "ignored-file"]
    assert any("'scene' meant to be 'scenes'" in m for m in msgs) and any("empty" in m for m in msgs)

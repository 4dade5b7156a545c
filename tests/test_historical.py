"""`historical:` on a choice: loaded, checked, cached, and shown in the teacher's guide."""

from __future__ import annotations

from engine import cache, cli, loader

STORY = """\
scenes:
  - id: a.start
    title: The Square
    date: 1917-02-23
    text: A crowd.
    choices:
      - text: Join the crowd.
        historical: Most people on the square joined the crowd that morning.
        goto: a.end
      - text: Go home.
        goto: a.end
  - id: a.end
    title: End
    date: 1917-02-24
    text: The end.
    ending: {title: Done, epilogue: It ended.}
"""


def test_historical_is_loaded_and_survives_the_cache(write_story, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("DUALPOWER_NO_CACHE", raising=False)
    root = write_story({"scenes/a.yaml": STORY})
    story, diags = loader.load(root)
    assert story is not None, diags
    join, home = story.scenes["a.start"].choices
    assert join.historical == "Most people on the square joined the crowd that morning."
    assert home.historical == ""
    cache.load(root)
    cached, _ = cache.load(root)
    assert isinstance(cached.scenes, cache.LazyScenes)
    assert [c.historical for c in cached.scenes["a.start"].choices] == [join.historical, ""]


def test_check_accepts_it_and_names_where_a_wrong_one_is(write_story, capsys):
    root = write_story({"scenes/a.yaml": STORY})
    assert cli.main(["check", "--story", str(root)]) == 0
    capsys.readouterr()
    bad = STORY.replace(
        "historical: Most people on the square joined the crowd that morning.", "historical: [yes]"
    )
    root = write_story({"scenes/a.yaml": bad})
    assert cli.main(["check", "--story", str(root)]) == 1
    out = capsys.readouterr().out
    assert "a.yaml:8:21" in out and "historical should be text" in out
    root = write_story(
        {"scenes/a.yaml": STORY.replace("Most people on the square joined the crowd that morning.", "''")}
    )
    assert cli.main(["check", "--story", str(root)]) == 1
    assert "historical is empty" in capsys.readouterr().out


def test_the_guide_lists_what_most_people_did(write_story, capsys):
    root = write_story({"scenes/a.yaml": STORY})
    assert cli.main(["guide", "--story", str(root)]) == 0
    out = capsys.readouterr().out
    assert "### What most people really did" in out
    assert "**The Square** (23 February 1917" in out
    assert "“Join the crowd.”. Most people on the square joined the crowd that morning." in out


def test_two_marks_in_one_scene_are_a_warning(write_story, capsys):
    twice = STORY.replace(
        "      - text: Go home.\n", "      - text: Go home.\n        historical: Others went home.\n"
    )
    root = write_story({"scenes/a.yaml": twice})
    assert cli.main(["check", "--story", str(root)]) == 0
    assert cli.main(["check", "--story", str(root), "--strict"]) == 1
    out = capsys.readouterr().out
    assert "choices 1 and 2 are both marked historical" in out and "a.yaml:10:" in out

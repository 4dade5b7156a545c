"""Hostile story files: the loader answers with a diagnostic, in bounded time and memory, and runs nothing."""

from __future__ import annotations

from pathlib import Path

from engine import loader
from tests.conftest import MINI

BOMB = """\
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
scenes: [{id: x, title: *i, date: 1917-02-23, text: *i, choices: *i}]
"""


def story_with(tmp_path: Path, name: str, content: bytes | str) -> Path:
    root = tmp_path / "story"
    (root / "scenes").mkdir(parents=True)
    (root / "story.yaml").write_bytes((MINI / "story.yaml").read_bytes())
    for f in (MINI / "scenes").iterdir():
        (root / "scenes" / f.name).write_bytes(f.read_bytes())
    path = root / "scenes" / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return root


def codes(root: Path) -> dict[str, str]:
    story, diags = loader.load(root)
    assert story is None
    return {d.code: str(d) for d in diags}


def test_billion_laughs_is_a_type_error_not_an_explosion(tmp_path: Path) -> None:
    story, diags = loader.load(story_with(tmp_path, "bomb.yaml", BOMB))
    assert story is None
    shown = [str(d) for d in diags]
    assert any("unknown key 'a'" in d for d in shown)  # a..i are not scene file keys
    assert any("title should be text, not a list" in d for d in shown)
    assert len(diags) < 100  # nine lists of nine are not expanded into 9**9 messages


def test_deep_nesting(tmp_path: Path) -> None:
    found = codes(story_with(tmp_path, "deep.yaml", "scenes: " + "[" * 50_000 + "]" * 50_000 + "\n"))
    assert "nesting" in found["yaml-syntax"] or "too-deep" in found


def test_huge_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    root = story_with(tmp_path, "big.yaml", "")
    with open(root / "scenes" / "big.yaml", "wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: 50 MB on paper, nothing on disk
    assert "at most 16 MB" in codes(root)["file-too-large"]


def test_binary_junk(tmp_path: Path) -> None:
    found = codes(story_with(tmp_path, "junk.yaml", bytes(range(256)) * 4))
    assert "encoding" in found


def test_wrong_encoding(tmp_path: Path) -> None:
    found = codes(story_with(tmp_path, "latin.yaml", "scenes: []\n# Tschüß\n".encode("latin-1")))
    assert "not UTF-8" in found["encoding"] and "latin.yaml:2:" in found["encoding"]


def test_utf16_is_refused_clearly(tmp_path: Path) -> None:
    found = codes(story_with(tmp_path, "utf16.yaml", "scenes: []\n".encode("utf-16")))
    assert "encoding" in found


def test_tags_of_any_kind(tmp_path: Path) -> None:
    for tag in ("!!python/object/apply:os.system ['true']", "!!binary aGVsbG8=", "!local x", "!!set {a}"):
        root = story_with(
            tmp_path / tag.split()[0].strip("!").replace("/", "_"),
            "t.yaml",
            f"scenes:\n  - id: t.x\n    title: {tag}\n    date: 1917-02-23\n    text: x\n"
            "    ending: {title: a, epilogue: b}\n",
        )
        assert "tag" in codes(root), tag


def test_escape_sequences_in_ids_and_text_are_refused(tmp_path: Path) -> None:
    text = (
        'scenes:\n  - id: "t.\\e[2J"\n    title: "Hi\\x07"\n    date: 1917-02-23\n'
        '    text: "\\u202eevil"\n    ending: {title: a, epilogue: b}\n'
    )
    story, diags = loader.load(story_with(tmp_path, "esc.yaml", text))
    assert story is None
    shown = "\n".join(str(d) for d in diags)
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown
    assert sum(d.code == "control-char" for d in diags) == 3


def test_symlinked_folder_is_skipped(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text("scenes: []\n")
    root = story_with(tmp_path, "ok.yaml", "scenes: []\n")
    (root / "scenes" / "linked").symlink_to(outside, target_is_directory=True)
    story, diags = loader.load(root)
    assert any(d.code == "symlink" for d in diags)
    assert all("outside/x.yaml" not in d.path for d in diags)

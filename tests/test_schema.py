"""The JSON Schemas for editors: in step with the loader's key tables, and right about real and broken files.

Files are read as an editor's YAML language server reads them (dates stay strings) and validated with the
`jsonschema` library (a test dependency), as the editor would.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from engine import loader, story_schema

SCHEMAS = Path(loader.__file__).parent / "schema"
MINI = Path(__file__).parent / "data" / "mini"
EVERY = Path(__file__).parent / "data" / "every-feature"
SHIPPED = Path(__file__).parent.parent / "story"


def schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


class _Loader(yaml.SafeLoader):
    """YAML as an editor's language server reads it: dates stay strings."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def validate(value: Any, name: str) -> list[str]:
    """Every problem jsonschema finds, with those inside anyOf/oneOf branches, as '/path: message'."""
    sch = schema(name)
    out: list[str] = []

    def add(errs: Any) -> None:
        for e in errs:
            out.append(f"/{'/'.join(str(p) for p in e.absolute_path)}: {e.message}")
            add(e.context or [])

    add(jsonschema.Draft202012Validator(sch).iter_errors(value))
    return out


# --- the schemas --------------------------------------------------------------------------------


def test_schemas_declare_their_draft() -> None:
    for name in ("scene.schema.json", "story.schema.json"):
        assert schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize(
    "name, path, table",
    [
        ("scene.schema.json", (), story_schema.SCENE_FILE_KEYS),
        ("scene.schema.json", ("$defs", "scene"), story_schema.SCENE_KEYS),
        ("scene.schema.json", ("$defs", "choice"), story_schema.CHOICE_KEYS),
        ("scene.schema.json", ("$defs", "effects"), story_schema.EFFECT_KEYS),
        ("scene.schema.json", ("$defs", "ending"), story_schema.ENDING_KEYS),
        ("scene.schema.json", ("$defs", "paragraph"), story_schema.PARAGRAPH_KEYS),
        ("story.schema.json", (), story_schema.STORY_KEYS),
        ("story.schema.json", ("$defs", "role"), story_schema.ROLE_KEYS),
        ("story.schema.json", ("$defs", "variable"), story_schema.VAR_KEYS),
    ],
)
def test_schema_keys_match_the_loader(name: str, path: tuple[str, ...], table: dict[str, bool]) -> None:
    node = schema(name)
    for part in path:
        node = node[part]
    assert set(node["properties"]) == set(table)
    assert set(node.get("required", [])) == {k for k, required in table.items() if required}
    assert node["additionalProperties"] is False


def scene_files(root: Path) -> list[Path]:
    """The scene files the loader reads (story_files, without the header and the two named files)."""
    from engine.files import story_files

    named = {"story.yaml", "glossary.yaml", "glossary.yml", "documents.yaml", "documents.yml"}
    return [p for p in story_files(root, []) if p.relative_to(root).as_posix() not in named]


@pytest.mark.parametrize("root", [MINI, EVERY, SHIPPED], ids=["mini", "every-feature", "shipped"])
def test_real_story_files_are_valid(root: Path) -> None:
    assert validate(read_yaml((root / "story.yaml").read_text(encoding="utf-8")), "story.schema.json") == []
    files = scene_files(root)
    assert files
    for path in files:
        assert validate(read_yaml(path.read_text(encoding="utf-8")), "scene.schema.json") == [], path


def _keys_used(value: Any, where: str, found: dict[str, set[str]]) -> None:
    """Which keys the fixture uses, by the key table they belong to."""
    if isinstance(value, dict):
        found.setdefault(where, set()).update(value)
        for k, v in value.items():
            _keys_used(v, f"{where}.{k}", found)
    elif isinstance(value, list):
        for item in value:
            _keys_used(item, f"{where}[]", found)


def test_the_every_feature_story_uses_every_key_and_plays() -> None:
    """The fixture keeps up with the format: a key added to the loader must be added to it (and so be
    validated against the schema above)."""
    scenes: dict[str, set[str]] = {}
    for path in scene_files(EVERY):
        _keys_used(read_yaml(path.read_text(encoding="utf-8")), "", scenes)
    header: dict[str, set[str]] = {}
    _keys_used(read_yaml((EVERY / "story.yaml").read_text(encoding="utf-8")), "", header)
    used = {
        "scene file": scenes[""],
        "scene": scenes[".scenes[]"],
        "choice": scenes[".scenes[].choices[]"],
        "paragraph": scenes[".scenes[].text[]"],
        "ending": scenes[".scenes[].ending"],
        "on_enter": scenes[".scenes[].on_enter"],
        "story": header[""],
        "role": set().union(*(v for k, v in header.items() if k.startswith(".roles."))),
        "variable": set().union(*(v for k, v in header.items() if k.startswith(".variables."))),
    }
    tables = {
        "scene file": story_schema.SCENE_FILE_KEYS,
        "scene": story_schema.SCENE_KEYS,
        "choice": story_schema.CHOICE_KEYS,
        "paragraph": story_schema.PARAGRAPH_KEYS,
        "ending": story_schema.ENDING_KEYS,
        "on_enter": story_schema.EFFECT_KEYS,
        "story": story_schema.STORY_KEYS,
        "role": story_schema.ROLE_KEYS,
        "variable": story_schema.VAR_KEYS,
    }
    for what, table in tables.items():
        assert set(table) <= used[what], (
            f"tests/data/every-feature uses no {what} key {set(table) - used[what]}"
        )
    story, diags = loader.load(EVERY)
    assert story is not None and diags == [], [str(d) for d in diags]


@pytest.mark.parametrize(
    "scene, problem",
    [
        (
            "{id: a.b, title: T, date: 1917-02-23, text: x, choices: [{text: go, goot: a.c}]}",
            "'goot' was unexpected",
        ),
        (
            "{id: a.b, title: T, date: 1917-02-23, text: x, choices: [{text: go}]}",
            "is not valid under any of the given schemas",
        ),
        (
            "{id: a.b, title: T, date: 23 Feb 1917, text: x, ending: {title: E, epilogue: e}}",
            "'23 Feb 1917' does not match",
        ),
        ("{id: a.b, title: T, date: 1917-02-23, text: x}", "is not valid under any of the given schemas"),
        (
            "{id: a.b, title: T, date: 1917-02-23, text: x, choices: [{text: go, goto: a.c}], "
            "ending: {title: E, epilogue: e}}",
            "should not be valid under",
        ),
        (
            "{id: a.b, title: T, date: 1917-02-23, text: x, choices: [{text: go, goto: a.c, add: {bread: lots}}]}",
            "is not valid under any of the given schemas",
        ),
        (
            "{id: a.b, title: T, date: 1917-02-23, text: [{if: x}], ending: {title: E, epilogue: e}}",
            "is not valid under any of the given schemas",
        ),
    ],
)
def test_broken_scene_files_are_caught(scene: str, problem: str) -> None:
    found = validate(read_yaml(f"scenes:\n  - {scene}\n"), "scene.schema.json")
    assert any(problem in e for e in found), found


@pytest.mark.parametrize(
    "header, problem",
    [
        ("title: T\nroles: {a: {name: A}}\n", "'start' is a required property"),
        (
            "title: T\nroles: {a: {name: A, start: s}}\nvariables: {x: {type: float}}\n",
            "'float' is not one of",
        ),
        (
            "title: T\nroles: {a: {name: A, start: s}}\nvariables: {x: {type: bool, start: 3}}\n",
            "3 is not of type 'boolean'",
        ),
        (
            "title: T\nroles: {a: {name: A, start: s}}\nvariables: {x: {type: bool, max: 3}}\n",
            "should not be valid under",
        ),
        (
            "title: T\nroles: {a: {name: A, start: s}}\nvariables: {role: {type: int}}\n",
            "should not be valid under",
        ),
        ("roles: {a: {name: A, start: s}}\n", "'title' is a required property"),
    ],
)
def test_broken_headers_are_caught(header: str, problem: str) -> None:
    found = validate(read_yaml(header), "story.schema.json")
    assert any(problem in e for e in found), found


def test_schemas_ship_with_the_package() -> None:
    text = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"schema/*.json"' in text

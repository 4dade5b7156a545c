"""The JSON Schemas for editors: in step with the loader's key tables, and right about real and broken files.

No JSON Schema library is a dependency, so a small validator for the keywords the schemas use lives here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from engine import loader, story_schema

SCHEMAS = Path(loader.__file__).parent / "schema"
MINI = Path(__file__).parent / "data" / "mini"


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


# --- a small JSON Schema validator (the keywords our schemas use) -----------------------------------

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}


def _is(value: Any, kind: str) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, _TYPES[kind])


def errors(value: Any, sch: dict[str, Any], root: dict[str, Any], at: str = "") -> list[str]:
    out: list[str] = []
    if "$ref" in sch:
        ref = sch["$ref"]
        assert ref.startswith("#/$defs/"), ref
        out += errors(value, root["$defs"][ref[len("#/$defs/") :]], root, at)
    if "type" in sch:
        kinds = sch["type"] if isinstance(sch["type"], list) else [sch["type"]]
        if not any(_is(value, k) for k in kinds):
            return out + [f"{at}: expected {sch['type']}, got {value!r}"]
    if "enum" in sch and value not in sch["enum"]:
        out.append(f"{at}: {value!r} not in {sch['enum']}")
    if "const" in sch and value != sch["const"]:
        out.append(f"{at}: {value!r} is not {sch['const']!r}")
    if isinstance(value, str):
        if "pattern" in sch and not re.search(sch["pattern"], value):
            out.append(f"{at}: {value!r} does not match {sch['pattern']}")
        if len(value) < sch.get("minLength", 0):
            out.append(f"{at}: too short")
    if isinstance(value, list):
        if len(value) < sch.get("minItems", 0):
            out.append(f"{at}: too few items")
        for i, item in enumerate(value):
            if "items" in sch:
                out += errors(item, sch["items"], root, f"{at}/{i}")
    if isinstance(value, dict):
        for key in sch.get("required", []):
            if key not in value:
                out.append(f"{at}: missing {key}")
        if len(value) < sch.get("minProperties", 0):
            out.append(f"{at}: too few properties")
        props = sch.get("properties", {})
        for key, item in value.items():
            if "propertyNames" in sch:
                out += errors(key, sch["propertyNames"], root, f"{at}/{key} (name)")
            if key in props:
                out += errors(item, props[key], root, f"{at}/{key}")
            elif sch.get("additionalProperties") is False:
                out.append(f"{at}: unknown key {key}")
            elif isinstance(sch.get("additionalProperties"), dict):
                out += errors(item, sch["additionalProperties"], root, f"{at}/{key}")
    for sub in sch.get("allOf", []):
        out += errors(value, sub, root, at)
    if "anyOf" in sch and all(errors(value, s, root, at) for s in sch["anyOf"]):
        out.append(f"{at}: matches none of anyOf")
    if "not" in sch and not errors(value, sch["not"], root, at):
        out.append(f"{at}: matches what 'not' forbids")
    if "if" in sch and not errors(value, sch["if"], root, at) and "then" in sch:
        out += errors(value, sch["then"], root, at)
    return out


def validate(value: Any, name: str) -> list[str]:
    sch = schema(name)
    return errors(value, sch, sch)


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


def test_mini_story_is_valid() -> None:
    assert validate(read_yaml((MINI / "story.yaml").read_text(encoding="utf-8")), "story.schema.json") == []
    for path in sorted((MINI / "scenes").glob("*.yaml")):
        assert validate(read_yaml(path.read_text(encoding="utf-8")), "scene.schema.json") == [], path


@pytest.mark.parametrize(
    "scene, problem",
    [
        (
            "{id: a.b, title: T, date: 1917-02-23, text: x, choices: [{text: go, goot: a.c}]}",
            "unknown key goot",
        ),
        ("{id: a.b, title: T, date: 1917-02-23, text: x, choices: [{text: go}]}", "matches none of anyOf"),
        (
            "{id: a.b, title: T, date: 23 Feb 1917, text: x, ending: {title: E, epilogue: e}}",
            "does not match",
        ),
        ("{id: a.b, title: T, date: 1917-02-23, text: x}", "matches none of anyOf"),
        (
            "{id: a.b, title: T, date: 1917-02-23, text: x, choices: [{text: go, goto: a.c}], "
            "ending: {title: E, epilogue: e}}",
            "matches what 'not' forbids",
        ),
        (
            "{id: a.b, title: T, date: 1917-02-23, text: x, choices: [{text: go, goto: a.c, add: {bread: lots}}]}",
            "matches none of anyOf",
        ),
        (
            "{id: a.b, title: T, date: 1917-02-23, text: [{if: x}], ending: {title: E, epilogue: e}}",
            "matches none of anyOf",
        ),
    ],
)
def test_broken_scene_files_are_caught(scene: str, problem: str) -> None:
    found = validate(read_yaml(f"scenes:\n  - {scene}\n"), "scene.schema.json")
    assert any(problem in e for e in found), found


@pytest.mark.parametrize(
    "header, problem",
    [
        ("title: T\nroles: {a: {name: A}}\n", "missing start"),
        ("title: T\nroles: {a: {name: A, start: s}}\nvariables: {x: {type: float}}\n", "not in"),
        (
            "title: T\nroles: {a: {name: A, start: s}}\nvariables: {x: {type: bool, start: 3}}\n",
            "expected boolean",
        ),
        (
            "title: T\nroles: {a: {name: A, start: s}}\nvariables: {x: {type: bool, max: 3}}\n",
            "'not' forbids",
        ),
        ("title: T\nroles: {a: {name: A, start: s}}\nvariables: {role: {type: int}}\n", "'not' forbids"),
        ("roles: {a: {name: A, start: s}}\n", "missing title"),
    ],
)
def test_broken_headers_are_caught(header: str, problem: str) -> None:
    found = validate(read_yaml(header), "story.schema.json")
    assert any(problem in e for e in found), found


def test_schemas_ship_with_the_package() -> None:
    text = (Path(__file__).parent.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert '"schema/*.json"' in text

"""`dualpower new`: the files of a new story folder, small and complete.

The scaffold is a story of its own (one role, five scenes in one file, three endings, two variables, a locked
choice and a conditional paragraph), with story tests and a classroom assignment, that passes
`dualpower check --strict`, `dualpower test` and `dualpower playtest --strict` as made; tests/test_scaffold.py
runs all three on it. Pure: `files` returns the texts; the command writes them.
"""

from __future__ import annotations

import re

STORY = """\
# The story's header: its title, its roles, and every variable a condition or effect may use.
# The format is in docs/authoring.md; check the story with: dualpower check --story {folder}
id: {slug}
title: "{title}"
version: 1
premise: >-
  A courier, a sealed letter, and one evening to carry it across the city. (An invented story to start
  from: change everything.)
roles:
  courier:
    name: Courier
    title: A courier with a sealed letter
    blurb: You carry a letter across the river before the bridges are raised for the night.
    start: courier.lamp
variables:
  time: {{type: int, start: 3, min: 0, max: 3, label: Hours before the bridges rise, show: true,
          describe: The hours left before the bridges are raised for the night.}}
  read_letter: {{type: bool, start: false}}
"""

SCENES = """\
# yaml-language-server: $schema={schema}
# Scenes: any *.yaml (or *.yml) file below the story folder with a top-level `scenes:` list.
scenes:
  - id: courier.lamp
    title: Under the Lamp
    date: 1917-10-01
    place: A courtyard on the wrong side of the river
    text: >-
      The letter is sealed with plain wax and addressed in a hand you do not know. The man who gave it to
      you said only: before the bridges rise.
    choices:
      - text: Break the seal and read it under the lamp.
        set: {{read_letter: true}}
        add: {{time: -1}}
        goto: courier.river
      - text: Keep it sealed and set off.
        goto: courier.river

  - id: courier.river
    title: The River
    date: 1917-10-01
    place: The embankment
    text:
      - The wind comes off the water. Across the river the lamps are already lit.
      - if: read_letter
        text: You know what the letter says now, and you walk faster.
    choices:
      - text: Cross by the near bridge while it is still down.
        add: {{time: -1}}
        goto: courier.door
      - text: Walk round by the far bridge, where no one knows your face.
        if: time >= 3
        locked: The long way takes three hours, and you have not got them.
        add: {{time: -3}}
        goto: courier.door
      - text: Turn back and go home.
        goto: courier.end.home

  - id: courier.door
    title: The Door
    date: 1917-10-01
    place: A door on the far side
    text: A woman opens the door before you knock. She has been waiting; you have {{time}} hours left.
    choices:
      - text: Hand her the letter.
        if: time >= 1
        show_locked: true
        goto: courier.end.delivered
      - text: Tell her what the letter says.
        if: read_letter
        goto: courier.end.told
      - text: Keep the letter and walk away.
        goto: courier.end.home

  - id: courier.end.delivered
    title: Delivered
    date: 1917-10-01
    text: She takes the letter, and the door closes.
    ending:
      title: The Letter Delivered
      epilogue: You never learn what it said. The bridges rise behind you.

  - id: courier.end.told
    title: Told
    date: 1917-10-01
    text: She listens to the end, then thanks you, and burns the letter unopened.
    ending:
      title: The Message, Not the Letter
      epilogue: Some messages are safer carried in the head.

  - id: courier.end.home
    title: Home
    date: 1917-10-01
    text: You climb your own stairs with the letter still in your coat.
    ending:
      title: The Letter Kept
      epilogue: In the morning you wonder who waited for it.
"""

TESTS = """\
# Story tests: run them with `dualpower test --story {folder}` (see docs/authoring-tools.md).
# choices are the numbers the player types, in order, as shown on screen.
tests:
  - name: the letter goes by the near bridge
    role: courier
    choices: [2, 1, 1]
    expect: {{ending: courier.end.delivered, vars: {{time: 2, read_letter: false}}}}

  - name: a letter read can be told instead
    role: courier
    choices: [1, 1, 2]
    expect: {{ending: courier.end.told, vars: {{read_letter: true}}, visited: [courier.river, courier.door]}}

  - name: the far bridge costs the time to hand it over
    role: courier
    choices: [2, 2]
    expect: {{scene: courier.door, vars: {{time: 0}}, text: "you have 0 hours left"}}

  - name: turning back keeps the letter
    role: courier
    choices: [2, 3]
    expect: {{ending: courier.end.home}}
"""

ASSIGNMENT = """\
# A classroom assignment: play it with `dualpower play --story {folder} --assignment {folder}/assignments/courier.yaml`
# (the format is in docs/teaching.md).
title: "The courier's choice"
role: courier
intro: >-
  You are a courier with a sealed letter. Play until you reach an ending, then answer the question.
questions:
  - at: courier.door
    ask: Did you read the letter? Why, or why not?
  - ask: Would you choose the same way again? What would change your mind?
allow_undo: true
"""


def slug(name: str) -> str:
    """A story id from a folder name: lower case, words joined by hyphens ('story' when nothing is left)."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "story"


def files(folder: str, name: str, schema: str) -> dict[str, str]:
    """Relative path -> text of every file of a new story folder named `name` (`folder` as the user wrote it,
    for the hints in comments; `schema`: the scene schema's path as seen from the scene file)."""
    title = " ".join(w.capitalize() for w in slug(name).split("-"))
    values = {"folder": folder, "slug": slug(name), "title": title, "schema": schema}
    return {
        "story.yaml": STORY.format(**values),
        "scenes/courier.yaml": SCENES.format(**values),
        "tests/courier.yaml": TESTS.format(**values),
        "assignments/courier.yaml": ASSIGNMENT.format(**values),
    }

"""Evidence of reading: the notes, documents and glossary entries opened and the time per scene, sealed in
the report (issue 20, item 11)."""

from __future__ import annotations

import json
import re
import time

from engine import cli
from tests.conftest import MINI
from tests.test_classroom_play import play, save_data, write_assignment


def test_what_was_opened_and_the_time_per_scene_are_in_the_report_and_sealed(monkeypatch, capsys, tmp_path):
    clock = iter(range(0, 10_000, 40))  # every look at the clock is 40 seconds later
    monkeypatch.setattr(time, "monotonic", lambda: float(next(clock)))
    asg = write_assignment(tmp_path)
    lines = ["note", "2", "Because of the bread.", "2", "I went home to bake."]
    code, _, err = play(monkeypatch, capsys, tmp_path, lines, "--assignment", str(asg), "--student", "Anna")
    assert code == 0, err
    reading = save_data(tmp_path, "bakery-anna")["assignment"]["reading"]
    assert reading["opened"] == [[0, "note", "baker.dawn"]]
    assert len(reading["seconds"]) == 3 and all(s > 0 for s in reading["seconds"][:2])
    report = tmp_path / "anna.md"
    saves = str(tmp_path / "saves")
    assert cli.main(["report", "bakery-anna", "--story", str(MINI), "--saves", saves, "-o", str(report)]) == 0
    text = report.read_text("utf-8")
    assert re.search(r"\*Reading: \d+ s on this scene; opened: the note\*", text)
    assert "- **Reading:** opened 1 note, 0 documents and 0 glossary entries" in text
    capsys.readouterr()
    assert cli.main(["verify", str(report), "--story", str(MINI)]) == 0
    capsys.readouterr()
    # A student who claims to have read more: the line alone, then the line and the block together.
    edited = tmp_path / "edited.md"
    claim = text.replace("opened: nothing", "opened: the note", 1)
    assert claim != text
    edited.write_text(claim, "utf-8")
    assert cli.main(["verify", str(edited), "--story", str(MINI)]) == 1
    assert "INVALID: step 2: the reading differs" in capsys.readouterr().out
    block = json.dumps([[0, "note", "baker.dawn"]])
    both = claim.replace(
        block[1:-1], block[1:-1] + ',\n  [1, "note", "baker.street"]'.replace("\n  ", " "), 1
    )
    edited.write_text(both, "utf-8")
    assert cli.main(["verify", str(edited), "--story", str(MINI)]) == 1
    assert "INVALID" in capsys.readouterr().out

"""engine/cores.py: the one fork-and-pipe that check and playtest hand work to a second core with."""

from __future__ import annotations

import os

import pytest

from engine import cores


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this system")
def test_a_child_sends_its_bytes_and_a_failed_one_sends_none() -> None:
    child = cores.start(lambda: b"x" * 200_000)  # more than a pipe holds at once
    assert child is not None and child.result() == b"x" * 200_000
    failed = cores.start(lambda: bytes(1 // 0))
    assert failed is not None and failed.result() is None  # the caller then does that work itself


def test_one_process_when_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DUALPOWER_ONE_PROCESS", "1")
    assert not cores.second_core()

"""The classroom server over SSH: real asyncssh clients with a pty log in over 127.0.0.1 and play."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import stat
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from engine.app import load_story
from engine.server import ssh
from tests.conftest import MINI
from tests.e2e.sshclient import connect

CODE = "BREAD7"
ASSIGNMENT = """\
title: A day at the bakery
role: baker
set: {courage: 1}
intro: Play the baker's day, then answer.
questions:
  - at: baker.street
    ask: Why is the street full?
  - ask: How did your day end?
allow_undo: false
"""
# The mini story: at Dawn, 2 'Take heart' leads to the Street (question 1); there 2 'Go home' is an ending.


async def listen(tmp_path: Path, lines: list[str] | None = None, **options: Any) -> ssh.Listener:
    """The SSH listener on a free port of 127.0.0.1, serving the bakery assignment of the mini story."""
    (tmp_path / "bakery.yaml").write_text(ASSIGNMENT, encoding="utf-8")
    story, _ = load_story(MINI)
    return await ssh.start_ssh(
        "127.0.0.1",
        0,
        story=story,
        assignment=tmp_path / "bakery.yaml",
        db_path=tmp_path / "class.db",
        class_code=CODE,
        on_ready=(lines if lines is not None else []).append,
        **options,
    )


@contextlib.asynccontextmanager
async def server(tmp_path: Path, **options: Any) -> AsyncIterator[tuple[int, list[str]]]:
    """The SSH listener on a free port of 127.0.0.1: (port, the start-up lines)."""
    lines: list[str] = []
    acceptor = await listen(tmp_path, lines, **options)
    try:
        yield acceptor.get_port(), lines
    finally:
        acceptor.close()
        await asyncio.wait_for(acceptor.wait_closed(), 10)


async def to_the_street(term: Any, name: str = "", timeout: float = 15.0) -> None:
    """Past the name question (`name`: the login name it offers), Dawn's 2 'Take heart', to the Street's
    question."""
    await term.expect(f"Name> {name}", timeout)
    term.type("")
    await term.expect("Take heart.", timeout)
    term.type("2")
    await term.expect("Why is the street full?", timeout)


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(test(), 60))


def record(tmp_path: Path, slot: str = "bakery-ana") -> dict[str, Any]:
    data = json.loads((tmp_path / "class-saves" / f"{slot}.json").read_text("utf-8"))
    return data  # type: ignore[no-any-return]


def test_a_student_logs_in_and_plays_to_the_end_with_answers(tmp_path):
    async def test() -> None:
        async with server(tmp_path) as (port, lines):
            assert (
                lines[0]
                == f"Students with a terminal: ssh -p {port} NAME@127.0.0.1 (password: the class code)"
            )
            conn, term = await connect(port, "ana", CODE.lower())  # letter case does not matter
            async with conn:
                await term.expect("Name> ana")  # the login name, to keep or correct
                term.type(" Petrova")
                await term.expect("You play: Baker")
                await term.expect("Play the baker's day, then answer.")
                await term.expect("Dawn")
                await term.expect("Take heart.")
                # The status bar at the bottom of the screen: where and when, then the role and its values.
                await term.expect("Dawn · 23 Feb 1917 · The corner bakery")
                bottom = term.display().splitlines()
                assert bottom[-2].startswith(" Dawn · 23 Feb 1917 · The corner bakery")
                assert bottom[-1].startswith(" Baker │ Bread 3")
                term.type("2")
                await term.expect("The Street")
                await term.expect("Why is the street full?")
                term.type("Because of the bread.")
                await term.expect("Answer saved.")
                term.type("2")
                await term.expect("Home Again")
                await term.expect("How did your day end?")
                term.type("I went home to bake.")
                await term.expect("The assignment is complete")
                await asyncio.wait_for(term.closed.wait(), 10)  # the server ends the session
            # Colours and styles reached the terminal (a 256-colour xterm), not plain text.
            assert "\x1b[1m" in "".join(term.raw) or "\x1b[0;1m" in "".join(term.raw)
        data = record(tmp_path, "bakery-ana-petrova")["assignment"]
        assert data["student"] == "ana Petrova"
        assert [a["answer"] for a in data["answers"]] == ["Because of the bread.", "I went home to bake."]
        assert "completed" in data

    run(test)


def test_a_wrong_class_code_and_public_keys_are_refused(tmp_path):
    async def test() -> None:
        async with server(tmp_path) as (port, _lines):
            with pytest.raises(asyncssh.PermissionDenied):
                await connect(port, "ana", "WRONG1")
            key = asyncssh.generate_private_key("ssh-ed25519")
            with pytest.raises(asyncssh.PermissionDenied):
                await asyncssh.connect(
                    "127.0.0.1",
                    port,
                    username="ana",
                    known_hosts=None,
                    client_keys=[key],
                    agent_path=None,
                    password=None,
                    preferred_auth="publickey",
                )
        assert not (tmp_path / "class-saves").exists()  # nobody got in

    run(test)


def test_only_the_game_no_commands_forwarding_or_sftp(tmp_path):
    async def test() -> None:
        async with server(tmp_path) as (port, _lines):
            conn, _term = await connect(port, "ana", CODE)
            async with conn:
                with pytest.raises(asyncssh.ChannelOpenError):
                    await conn.run("cat /etc/passwd", check=True)
                with pytest.raises((asyncssh.ChannelOpenError, asyncssh.SFTPError)):
                    await conn.start_sftp_client()
                with pytest.raises(asyncssh.ChannelOpenError):
                    await conn.open_connection("127.0.0.1", port)  # port forwarding
            # No pty: a message, not a broken screen.
            conn = await asyncssh.connect(
                "127.0.0.1", port, username="bo", password=CODE, known_hosts=None, client_keys=None
            )
            async with conn:
                result = await conn.run(term_type=None, timeout=10)
                assert "needs a terminal" in str(result.stdout)

    run(test)


def test_the_host_key_is_kept_owner_only_and_the_same_after_a_restart(tmp_path):
    async def test() -> None:
        seen = []
        for _ in range(2):
            async with server(tmp_path) as (port, lines):
                conn, _term = await connect(port, "ana", CODE)
                async with conn:
                    key = conn.get_server_host_key()
                    assert key is not None
                    seen.append((key.get_fingerprint("sha256"), lines[1]))
        assert seen[0] == seen[1]
        assert seen[0][1] == f"SSH host key fingerprint: {seen[0][0]}"
        path = tmp_path / "class.ssh_host_ed25519_key"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

    run(test)


def test_a_damaged_host_key_is_a_clear_message(tmp_path):
    (tmp_path / "class.ssh_host_ed25519_key").write_text("not a key", encoding="utf-8")

    async def test() -> None:
        with pytest.raises(ssh.SSHSetupError, match="cannot read the SSH host key .*remove the file"):
            async with server(tmp_path):
                pass

    run(test)


def test_twenty_students_at_once_all_reach_their_first_scene(tmp_path):
    async def test() -> None:
        async with server(tmp_path) as (port, _lines):

            async def student(n: int) -> None:
                conn, term = await connect(port, f"student{n}", CODE, screen=False)
                async with conn:
                    await to_the_street(term, timeout=30)

            await asyncio.gather(*(student(n) for n in range(20)))
        assert len(list((tmp_path / "class-saves").glob("bakery-student*.json"))) == 20

    run(test)


def test_a_dropped_connection_resumes_at_the_same_scene(tmp_path):
    async def test() -> None:
        async with server(tmp_path) as (port, _lines):
            conn, term = await connect(port, "ana", CODE)
            await to_the_street(term)
            conn.abort()  # the link drops: no goodbye
            conn, term = await connect(port, "ana", CODE)
            async with conn:
                await term.expect("Name> ")
                term.type("")
                await term.expect("Welcome back, ana. Carrying on where you stopped: 1 choice made")
                await term.expect("The Street")
                await term.expect("Why is the street full?")

    run(test)


def test_ctrl_d_leaves_with_the_place_kept(tmp_path):
    async def test() -> None:
        async with server(tmp_path) as (port, _lines):
            conn, term = await connect(port, "ana", CODE)
            async with conn:
                await to_the_street(term)
                term.send("\x04")
                await term.expect("Stopped. Your place is kept: log in again the same way")
                await asyncio.wait_for(term.closed.wait(), 10)
        assert record(tmp_path)["state"]["scene"] == "baker.street"

    run(test)


def test_a_resized_window_draws_the_next_scene_at_its_new_width(tmp_path):
    async def test() -> None:
        async with server(tmp_path) as (port, _lines):
            conn, term = await connect(port, "ana", CODE, cols=100)
            async with conn:
                await term.expect("Name> ")
                term.type("")
                await term.expect("Take heart.")
                wide = max(len(line) for line in term.text.splitlines() if "Dawn" in line)
                term.chan.change_terminal_size(50, 30)
                term.screen.resize(30, 50)
                term.type("2")
                await term.expect("Why is the street full?")
                header = next(line for line in term.text.splitlines() if "The Street" in line)
                assert len(header) <= 50 < wide

    run(test)


def test_output_taller_than_a_small_window_is_written_whole_and_the_game_goes_on(tmp_path):
    # The terminal pages long output with '— more —' at home; over SSH it must not (that prompt cannot run
    # inside the server's event loop), and the game must carry on after it.
    async def test() -> None:
        async with server(tmp_path) as (port, _lines):
            conn, term = await connect(port, "ana", CODE, cols=60, rows=12)
            async with conn:
                await term.expect("Name> ")
                term.type("")
                await term.expect("Take heart.")
                term.type("help")
                await term.expect("quit")
                term.type("2")
                await term.expect("Why is the street full?")
                assert "failed" not in term.text.lower()
        assert record(tmp_path)["state"]["scene"] == "baker.street"

    run(test)


def test_an_idle_connection_times_out_keeping_its_place(tmp_path):
    async def test() -> None:
        async with server(tmp_path, idle_timeout=1.0) as (port, _lines):
            conn, term = await connect(port, "ana", CODE)
            async with conn:
                await to_the_street(term)
                await term.expect("Nothing typed for", timeout=10)
                await asyncio.wait_for(term.closed.wait(), 10)
        assert record(tmp_path)["state"]["scene"] == "baker.street"

    run(test)


def test_junk_pastes_and_escape_sequences_are_harmless(tmp_path):
    async def test() -> None:
        async with server(tmp_path) as (port, _lines):
            conn, term = await connect(port, "ana", CODE)
            other, watcher = await connect(port, "bo", CODE)
            async with conn, other:
                await term.expect("Name> ")
                term.type("")
                await term.expect("Take heart.")
                start = len(term.raw)
                # Bytes that are not UTF-8, a pasted screen-clearing and title-setting sequence, a 200 kB line.
                term.chan.write(b"\xff\xfe\xc3(junk\r".decode("latin-1"))
                term.send("\x1b[200~\x1b]0;owned\x07\x1b[2Jhello\x1b[201~\r")
                term.send("x" * 200_000 + "\r")
                # Meanwhile another student is served as usual.
                await watcher.expect("Name> ")
                watcher.type("")
                await watcher.expect("Take heart.")
                # And the first one still plays: the long line is refused with a message, not drawn back whole.
                await term.expect("That line is too long", timeout=30)
                term.type("2")
                await term.expect("Why is the street full?", timeout=30)
                echoed = "".join(term.raw[start:])
                assert "\x1b]0;owned" not in echoed and "\x1b[2J" not in echoed
                assert len(echoed) < 100_000  # the long paste was cut, not drawn back whole

    run(test)


def test_a_client_that_never_reads_is_disconnected_and_blocks_nobody(tmp_path, monkeypatch):
    monkeypatch.setattr(ssh, "MAX_UNREAD", 16_384)
    monkeypatch.setattr(ssh, "DRAIN_WAIT", 1.0)

    async def test() -> None:
        async with server(tmp_path) as (port, _lines):
            # A small window: once it is full the server must keep what it writes, and stop at MAX_UNREAD.
            conn, term = await connect(port, "ana", CODE, screen=False, window=8192)
            await term.expect("Name> ")
            term.type("")
            await term.expect("Take heart.")
            term.chan.pause_reading()  # never reads again: the server's window fills up
            for _ in range(60):
                term.type("help")
            other, watcher = await connect(port, "bo", CODE)
            async with other:
                await watcher.expect("Name> ")
                watcher.type("")
                await watcher.expect("Take heart.")
                watcher.type("2")
                await watcher.expect("Why is the street full?")
            await asyncio.wait_for(term.closed.wait(), 15)  # the server let it go
            conn.close()

    run(test)


def test_a_host_key_file_is_not_readable_by_others_even_when_copied_loosely(tmp_path):
    path = tmp_path / "k"
    ssh.load_host_key(path)
    os.chmod(path, 0o644)
    first = ssh.fingerprint(ssh.load_host_key(path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first == ssh.fingerprint(ssh.load_host_key(path))


def test_a_full_class_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(ssh, "MAX_STUDENTS", 1)

    async def test() -> None:
        async with server(tmp_path) as (port, _lines):
            conn, term = await connect(port, "ana", CODE)
            async with conn:
                await term.expect("Name> ")
                late, other = await connect(port, "bo", CODE)
                async with late:
                    await other.expect("The class is full (1 at once over SSH). Try again later.")
                    await asyncio.wait_for(other.closed.wait(), 10)

    run(test)


def test_dualpower_serve_with_ssh_port_puts_ssh_students_on_the_dashboard(tmp_path):
    import re
    import signal
    import subprocess
    import sys
    import threading

    import httpx

    from tests.conftest import ROOT

    (tmp_path / "bakery.yaml").write_text(ASSIGNMENT, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "engine", "serve", "--assignment", str(tmp_path / "bakery.yaml")]
        + ["--story", str(MINI), "--db", str(tmp_path / "class.db"), "--port", "0", "--ssh-port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        lines: list[str] = []
        reader = threading.Thread(
            target=lambda: lines.extend(proc.stdout.readline() for _ in range(4)),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(30)
        assert len(lines) == 4, (lines, proc.poll())
        code = re.search(r"with the class code (\S+)", lines[0]).group(1)  # type: ignore[union-attr]
        board = re.search(r"(http://\S+/teacher\?token=\S+)", lines[1]).group(1)  # type: ignore[union-attr]
        port = int(
            re.fullmatch(
                r"Students with a terminal: ssh -p (\d+) NAME@127.0.0.1 \(password: the class code\)\n",
                lines[2],
            ).group(1)
        )  # type: ignore[union-attr]
        assert lines[3].startswith("SSH host key fingerprint: SHA256:")

        async def test() -> None:
            conn, term = await connect(port, "ana", code)
            async with conn:
                await to_the_street(term)
                term.type("Because of the bread.")
                await term.expect("Answer saved.")
                term.send("\x04")  # stop here; the next login carries on
                await term.expect("Stopped. Your place is kept")
            conn, term = await connect(port, "ana", code)
            async with conn:
                await term.expect("Name> ")
                term.type("")
                await term.expect("Welcome back, ana.")
                await term.expect("Go home.")
                term.type("2")
                await term.expect("How did your day end?")
                term.type("I went home to bake.")
                await term.expect("The assignment is complete. Your teacher has your work")
                await asyncio.wait_for(term.closed.wait(), 10)
            assert "dualpower report" not in term.text

        run(test)
        page = httpx.get(board, timeout=10).text
        assert "ana" in page and "Because of the bread." in page and "I went home to bake." in page
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
        err = proc.stderr.read()  # type: ignore[union-attr]
        assert "Traceback" not in err, err


def test_stopping_the_server_ends_each_game_with_a_goodbye_and_keeps_the_place(tmp_path, capsys):
    """The teacher stops the server while a student is mid-game: the student reads that it is stopping, the
    game is saved, the session closes by itself, and nothing is left running to fail after the loop ends."""

    async def test() -> None:
        listener = await listen(tmp_path)
        conn, term = await connect(listener.get_port(), "ana", CODE)
        async with conn:
            await to_the_street(term, "ana")
            listener.close()
            await asyncio.wait_for(listener.wait_closed(), 10)
            await term.expect("The server is stopping; your place is kept.")
            await asyncio.wait_for(term.closed.wait(), 10)
            assert not listener.classroom.active
        assert record(tmp_path)["state"]["scene"] == "baker.street"

    run(test)
    assert "Traceback" not in capsys.readouterr().err

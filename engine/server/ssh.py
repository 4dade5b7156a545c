"""The classroom server's SSH listener: `dualpower serve --ssh-port N`.

A student logs in with their name as the SSH user and the class code as the password, and plays the assignment
in the game's own terminal interface (rich scenes, the prompt_toolkit prompt with its toolbar and completion),
drawn over their channel at their own terminal's size. Nothing else is offered: no shell, no commands, no
forwarding of ports, agents or X11, no SFTP or SCP.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import socket
import threading
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import asyncssh
from prompt_toolkit.contrib.ssh import PromptToolkitSSHServer, PromptToolkitSSHSession
from rich.console import Console

from engine import loop
from engine.classroom import assignment as asg_mod
from engine.classroom.assignment import Assignment
from engine.classroom.play import MAX_NAME, AssignmentSession
from engine.classroom.play import start as start_assignment
from engine.model import Story
from engine.saves import SaveError, Saves
from engine.server.classroom import Classroom as WebClassroom
from engine.server.classroom import JoinError
from engine.server.live import StudentRow
from engine.session import Message, Session, StartError, View
from engine.text import clean
from engine.ui.terminal import Terminal

log = logging.getLogger(__name__)
_T = TypeVar("_T")

IDLE_TIMEOUT = 20 * 60.0
"""Seconds a prompt waits for a key before the connection is closed (the place is kept: every step is saved)."""
MAX_TYPEAHEAD = 8192
"""Characters a client may send ahead of one prompt; beyond that, text is dropped (Enter, Ctrl-C, Ctrl-D pass)."""
MAX_UNREAD = 1 << 20
"""Bytes of output a client may leave unread; past that it has DRAIN_WAIT seconds to read, or is disconnected."""
DRAIN_WAIT = 60.0
LINE_RATE = 10.0
LINE_BURST = 20.0
"""Typed lines handled per connection: a burst of 20 at once, then 10 a second (a flood cannot starve others)."""
MAX_STUDENTS = 200
"""Open SSH games at once; one more is told the class is full."""
FAILED_LOGIN_DELAY = 1.0
"""Seconds before a wrong class code is answered, so guessing the short code takes a long time."""
KEEPALIVE = 30.0
"""Seconds between keep-alive probes; three unanswered ones end a dropped connection."""
_KEEP = "\r\x03\x04"  # Enter, Ctrl-C, Ctrl-D: still taken once the typeahead is full

HOST_KEY_SUFFIX = ".ssh_host_ed25519_key"


class SSHSetupError(Exception):
    """The listener cannot start (host key unreadable, port taken): the message says what to do."""


# --- the host key ---------------------------------------------------------------------------------


def host_key_path(db_path: Path) -> Path:
    """The host key kept beside the class store: `class.db` -> `class.ssh_host_ed25519_key`."""
    return db_path.with_name(db_path.stem + HOST_KEY_SUFFIX)


def load_host_key(path: Path) -> asyncssh.SSHKey:
    """The listener's host key: read from `path`, or made once (ed25519) and written there, owner-only (0600).

    The same key after every restart means students never see a changed-key warning.
    """
    if path.exists():
        try:
            key = asyncssh.read_private_key(str(path))
        except (OSError, asyncssh.KeyImportError, ValueError) as exc:
            raise SSHSetupError(
                f"cannot read the SSH host key {path}: {exc}; remove the file to make a new key (students "
                "who connected before will then see a warning that the server's key changed)"
            ) from None
        with contextlib.suppress(OSError):
            if path.stat().st_mode & 0o077:
                os.chmod(path, 0o600)  # a copy made with looser rights: the private key is the owner's only
        return key
    key = asyncssh.generate_private_key("ssh-ed25519", comment="dualpower classroom")
    data = key.export_private_key()
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise SSHSetupError(
            f"cannot write the SSH host key {path}: {exc.strerror or exc}; choose a writable --db folder"
        ) from None
    return key


def fingerprint(key: asyncssh.SSHKey) -> str:
    """'SHA256:...', as `ssh` shows it the first time a student connects."""
    return str(key.get_fingerprint("sha256"))


def code_matches(typed: str, code: str) -> bool:
    """Whether a typed class code is the class's (spaces around it and letter case do not matter)."""
    a = unicodedata.normalize("NFKC", typed).strip().upper().encode("utf-8")
    b = unicodedata.normalize("NFKC", code).strip().upper().encode("utf-8")
    return hmac.compare_digest(a, b)


def login_line(host: str, port: int) -> str:
    """The start-up line for the teacher's board."""
    shown = host if host not in ("", "0.0.0.0", "::") else socket.gethostname()
    return f"Students with a terminal: ssh -p {port} NAME@{shown} (password: the class code)"


# --- what the listener serves ---------------------------------------------------------------------


@dataclass
class Classroom:
    """The lesson the listener serves, shared by every connection."""

    story: Story
    assignment: Path
    """The assignment file (read again at each login, as `dualpower play --assignment` does)."""
    class_code: str
    saves: Saves
    login: str = ""
    """How to log in again ('ssh -p N NAME@HOST'), for the goodbye message."""
    idle_timeout: float = IDLE_TIMEOUT
    seed: int = 0
    web: WebClassroom | None = None
    """The web server's lesson when `dualpower serve` runs both: then SSH students are in its class store,
    beside the browser students (same rows, same dashboard), instead of the saves folder."""
    active: set[StudentChannel] = field(default_factory=set)


class StudentChannel(PromptToolkitSSHSession):
    """One student's SSH session: prompt_toolkit's, bounded against floods and clients that never read."""

    def __init__(self, classroom: Classroom) -> None:
        super().__init__(self._run, enable_cpr=True)
        self.classroom = classroom
        self.channel: Any = None
        self.console: Console | None = None
        self.gone = asyncio.Event()
        self.writable = asyncio.Event()
        self.writable.set()
        self.typeahead = 0
        self.tokens = LINE_BURST
        self.last_line = 0.0
        self.unreadable = False
        """Set when the client stopped reading: its connection is dropped, not closed politely (which waits)."""
        # Written straight to the channel (the server runs without asyncssh's line editor, which would
        # track the cursor and translate newlines a second time): rich and prompt_toolkit draw everything.
        self.stdout: _ChannelWriter = _ChannelWriter(self)  # type: ignore[assignment]

    # asyncssh callbacks
    def connection_made(self, chan: Any) -> None:
        super().connection_made(chan)
        self.channel = chan
        chan.set_write_buffer_limits(high=MAX_UNREAD)

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Any) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        return False  # only the game: no commands

    def subsystem_requested(self, subsystem: str) -> bool:
        return False  # no SFTP or any other subsystem

    def connection_lost(self, exc: Exception | None) -> None:
        # The student's link dropped (or they closed the window): end the waiting prompt as Ctrl-D would.
        self.gone.set()
        self.writable.set()
        if self._input is not None:
            self._input.close()

    def stop(self) -> None:
        """The server is stopping: end the waiting prompt as Ctrl-D would (the game says goodbye and keeps
        the student's place), so the session closes itself instead of being cut off mid-step."""
        with contextlib.suppress(Exception):
            self.stdout.write("\r\nThe server is stopping; your place is kept.\r\n")
        if self._input is not None:
            self._input.close()

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    def terminal_size_changed(self, width: int, height: int, pixwidth: object, pixheight: object) -> None:
        if self.console is not None:
            self.console.size = _size(width, height)
        super().terminal_size_changed(width, height, pixwidth, pixheight)

    def data_received(self, data: str, datatype: object) -> None:
        if self.typeahead + len(data) > MAX_TYPEAHEAD:
            room = max(0, MAX_TYPEAHEAD - self.typeahead)
            rest = data[room:]
            kept = "".join(dict.fromkeys(c for c in rest if c in _KEEP))  # each key at most once
            data = data[:room] + kept
        self.typeahead += len(data)
        super().data_received(data, datatype)

    # the game
    async def _run(self, _session: PromptToolkitSSHSession) -> None:
        classroom = self.classroom
        try:
            if len(classroom.active) >= MAX_STUDENTS:
                self.stdout.write(f"The class is full ({MAX_STUDENTS} at once over SSH). Try again later.\n")
                return
            classroom.active.add(self)
            await self._play()
        except asyncio.CancelledError:
            pass  # the server is stopping: every step is already saved
        except Exception:  # a bug must end this student's connection only, never the server
            log.exception("SSH game of %r failed", self.login_name())
            with contextlib.suppress(Exception):
                self.stdout.write("\nSomething went wrong on the server; your place is kept. Log in again.\n")
        finally:
            classroom.active.discard(self)
            self.stdout.send()  # the last words, before prompt_toolkit's session closes the channel
            if self.unreadable:
                self.channel.get_extra_info("connection").abort()

    def login_name(self) -> str:
        return " ".join(clean(str(self.channel.get_extra_info("username") or ""), MAX_NAME).split())

    async def _play(self) -> None:
        classroom, chan = self.classroom, self.channel
        if chan.get_terminal_type() is None:
            self.stdout.write(
                "This is a game and needs a terminal: connect with `ssh -t`, without a command.\n"
            )
            return
        width, height, _pw, _ph = chan.get_terminal_size()
        self.console = _console(self.stdout, chan.get_terminal_type(), chan.get_environment(), width, height)
        term = SSHTerminal(self, classroom.story, classroom.saves, console=self.console)
        session = await _start(term, classroom)
        if session is None:
            return
        term.session = session  # for the toolbar and completion
        await loop.play_async(session, term)


class _ChannelWriter:
    """The file rich and prompt_toolkit write to: the student's channel, with terminal newlines."""

    def __init__(self, student: StudentChannel) -> None:
        self.student = student
        self.pending: list[str] = []
        self.lock = threading.Lock()
        self.loop = asyncio.get_running_loop()

    def write(self, data: str) -> int:
        # Gathered and sent once the current step yields: one encrypted SSH packet for a screen, not one for
        # every piece rich and prompt_toolkit write (which made encryption the server's biggest cost). Safe to
        # call from any thread: the channel itself is written in the event loop's.
        with self.lock:
            first = not self.pending
            self.pending.append(data)
        if first:
            self.loop.call_soon_threadsafe(self.send)
        return len(data)

    def send(self) -> None:
        with self.lock:
            data, self.pending = "".join(self.pending), []
        chan = self.student.channel
        if data and chan is not None and not self.student.gone.is_set():
            with contextlib.suppress(BrokenPipeError, OSError):
                chan.write(data.replace("\n", "\r\n"))

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True

    @property
    def encoding(self) -> str:
        return "utf-8"


def _size(width: int, height: int) -> tuple[int, int]:
    """A terminal size, with 80x24 for a client that sends none (0x0)."""
    return (width if width > 0 else 80, height if height > 0 else 24)


def _console(stdout: Any, term: str, env: Mapping[str, str], width: int, height: int) -> Console:
    """A rich Console drawing into the channel, with the client's terminal type, size and NO_COLOR."""
    environ = {"TERM": term or "xterm"}
    for name in ("NO_COLOR", "COLORTERM"):
        if name in env:
            environ[name] = str(env[name])
    colours = "truecolor" if environ.get("COLORTERM") in ("truecolor", "24bit") else None
    if colours is None:
        colours = "256" if "256" in environ["TERM"] else "standard"
    cols, rows = _size(width, height)
    return Console(
        file=stdout,
        force_terminal=True,
        color_system=None if environ["TERM"] == "dumb" else colours,  # type: ignore[arg-type]
        no_color="NO_COLOR" in environ,
        width=cols,
        height=rows,
        highlight=False,
        emoji=False,
        legacy_windows=False,
        _environ=environ,
    )


class SSHTerminal(Terminal):
    """The terminal interface over one SSH channel: the same screens, driven by `engine.loop.play_async`
    (engine.loop.AsyncFrontEnd)."""

    def __init__(self, student: StudentChannel, story: Story, saves: Saves, console: Console) -> None:
        super().__init__(story, saves, console=console)
        self.student = student
        self.row: StudentRow | None = None
        """The student's row in the web server's class store, when SSH shares it."""

    def run(self, step: Callable[[], _T]) -> Awaitable[_T]:
        # In the event loop itself. (Worker threads were tried, so that a save's fsync would not hold up the
        # others; with the GIL they made the slowest steps several times slower under load: ssh_bench.py.)
        return _now(step)

    def show(self, views: Sequence[View]) -> None:
        # A session of the web server's class speaks of `dualpower report` at the end: over SSH the teacher
        # has the work already.
        super().show([_SSH_DONE if _about_the_report(v) else v for v in views])

    def page(self, text: str) -> None:
        # Over SSH the output is written whole, not paged: the loop's steps run inside the event loop, where
        # the terminal's synchronous '— more —' prompt cannot run. Where and when the player is stays in view
        # all the same, in the status bar's first line; the client's scrollback keeps the rest.
        self.console.file.write(text)
        self.console.file.flush()

    def farewell(self, session: Session, reason: str) -> None:
        web = self.student.classroom.web
        if web is not None and self.row is not None and reason == "done" and self.row.id not in web.imported:
            web.import_finished(self.row)  # into the class store's results, as the web server does
        if isinstance(session, AssignmentSession) and session.done:
            return
        again = f" ({self.student.classroom.login})" if self.student.classroom.login else ""
        self.show([Message(f"Stopped. Your place is kept: log in again the same way{again} to carry on.")])

    def reload_pending(self) -> bool:
        return False  # the story files of a lesson do not change under the students

    async def ask_async(self, prompt: str = "> ", default: str = "") -> str | None:
        """One typed line; None for Ctrl-C, Ctrl-D, a dropped link, an idle timeout or a client that never reads."""
        student = self.student
        loop = asyncio.get_running_loop()
        if not student.writable.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(student.writable.wait(), DRAIN_WAIT)
            if not student.writable.is_set():
                log.info("SSH client %r reads nothing: disconnected", student.login_name())
                student.unreadable = True
                return None
        if student.gone.is_set():
            return None
        student.typeahead = 0
        try:
            line = await asyncio.wait_for(
                self.prompt.prompt_async([("class:prompt", prompt)], default=default),
                self.student.classroom.idle_timeout,
            )
        except (KeyboardInterrupt, EOFError):
            return None
        except TimeoutError:
            minutes = round(self.student.classroom.idle_timeout / 60)
            self.show([Message(f"Nothing typed for {minutes} minutes, so the connection is closed.", "hint")])
            return None
        # A token bucket: a burst of LINE_BURST lines goes at once, then LINE_RATE a second. A person typing
        # never waits; a pasted flood of lines waits its turn, so it cannot starve the other students.
        now = loop.time()
        student.tokens = min(LINE_BURST, student.tokens + (now - student.last_line) * LINE_RATE)
        student.last_line = now
        if student.tokens < 1:
            await asyncio.sleep((1 - student.tokens) / LINE_RATE)
            student.tokens = 1.0
            student.last_line = loop.time()
        student.tokens -= 1
        return line


DONE = (
    "The assignment is complete. Your teacher has your work, answers and all: there is nothing more to do. "
    "Goodbye!"
)
_SSH_DONE = Message(DONE)


class SSHAssignmentSession(AssignmentSession):
    """The assignment as played over SSH: the teacher, not the student, collects the work."""

    def done_message(self) -> str:
        return DONE


def _about_the_report(view: View) -> bool:
    return isinstance(view, Message) and "dualpower report" in view.text


async def _now(step: Callable[[], _T]) -> _T:
    return step()


class _Lines:
    """What comes before the game (the assignment's title, the intro, a welcome back), gathered as messages."""

    def __init__(self) -> None:
        self.blocks: list[list[str]] = [[]]

    def write(self, text: str = "") -> None:
        if text:
            self.blocks[-1].append(text)
        elif self.blocks[-1]:
            self.blocks.append([])

    def para(self, text: str, indent: str = "") -> None:
        self.write(text)

    def ask(self, prompt: str) -> str | None:
        return None  # the name is asked before (asynchronously)

    def views(self) -> list[View]:
        return [Message("\n".join(b)) for b in self.blocks if b]


async def _start(term: SSHTerminal, classroom: Classroom) -> AssignmentSession | None:
    """Name (the login name, which the student may correct), then the assignment: resumed, or new."""
    term.show([Message("Your name, as your teacher should see it on your report (press Enter to keep it):")])
    name = ""
    while not name:
        line = await term.ask_async("Name> ", default=term.student.login_name())
        if line is None:
            return None
        name = " ".join(clean(unicodedata.normalize("NFC", line), MAX_NAME).split())
        if not name:
            term.show([Message("Type your name, then press Enter.", "hint")])
    if classroom.web is not None:
        return _start_in_store(term, classroom.web, name)
    lines = _Lines()

    def begin() -> AssignmentSession:
        return start_assignment(
            classroom.story,
            classroom.saves,
            lines,
            assignment_file=classroom.assignment,
            student=name,
            seed=classroom.seed,
            session_type=SSHAssignmentSession,
        )

    try:
        session = await term.run(begin)
    except StartError as exc:
        term.show([Message(f"The assignment cannot start: {exc}. Tell your teacher.", "error")])
        log.warning("SSH: the assignment cannot start: %s", exc)
        return None
    term.show(lines.views())
    return session


def _intro(story: Story, assignment: Assignment, student: str) -> list[View]:
    """What a new student reads before the first scene (the store's game: no save slot to name)."""
    role = story.roles[assignment.role]
    who = f"Student: {student}\nYou play: {role.name}" + (f", {role.title}" if role.title else "")
    views: list[View] = [Message(who)]
    if assignment.intro:
        views.append(Message(assignment.intro.strip()))
    lines = [
        f"There are {len(assignment.questions)} questions; each is asked when you reach its scene, or at the "
        "end. The next line you type after a question is your answer (to read the note, a document or the "
        "glossary again first, type note, documents or glossary)."
    ]
    if not assignment.allow_undo:
        lines.append("Undo is not allowed in this assignment: think before you choose.")
    lines.append(
        "Your work is saved after every step. To stop, type 'quit' (or press Ctrl-D); log in again the same "
        "way to carry on."
    )
    views.append(Message("\n".join(lines)))
    return views


def _start_in_store(term: SSHTerminal, web: WebClassroom, name: str) -> AssignmentSession | None:
    """The student's game in the web server's class store: carried on when the name is there, else joined."""
    story, assignment = web.story, web.assignment
    row = web.live.by_name(web.key, name)
    views: list[View] = [Message(f"{story.title}\nAssignment: {assignment.title}")]
    if row is None:
        try:
            row = web.join(name)
        except JoinError as exc:
            term.show([Message(str(exc), "error")])
            return None
        views.extend(_intro(story, assignment, name))
    try:
        session = web.session(row)
    except SaveError as exc:
        term.show([Message(f"{exc}. Tell your teacher.", "error")])
        return None
    if session.state.history or session.record["answers"]:
        n = len(session.state.history)
        views.append(
            Message(
                f"Welcome back, {row.name}. Carrying on where you stopped: {n} choice{'s' if n != 1 else ''} "
                f"made, {len(session.record['answers'])} of {len(assignment.questions)} questions answered."
            )
        )
    term.show(views)
    term.row = row
    return session


# --- the listener ---------------------------------------------------------------------------------


class _Server(PromptToolkitSSHServer):
    """One SSH connection: the class code as password, nothing but one game session."""

    def __init__(self, classroom: Classroom) -> None:
        super().__init__(interact=_unused, enable_cpr=False)
        self.classroom = classroom
        self.sessions = 0

    def begin_auth(self, username: str) -> bool:
        return True  # everyone authenticates

    def password_auth_supported(self) -> bool:
        return True

    def public_key_auth_supported(self) -> bool:
        return False

    def host_based_auth_supported(self) -> bool:
        return False

    async def validate_password(self, username: str, password: str) -> bool:
        if code_matches(password, self.classroom.class_code):
            return True
        await asyncio.sleep(FAILED_LOGIN_DELAY)
        return False

    def session_requested(self) -> StudentChannel | bool:  # type: ignore[override]
        self.sessions += 1
        if self.sessions > 1:
            return False  # one game per connection
        return StudentChannel(self.classroom)


async def _unused(session: PromptToolkitSSHSession) -> None:  # StudentChannel brings its own
    raise NotImplementedError


async def start_ssh(
    host: str,
    port: int,
    *,
    story: Story,
    assignment: Path,
    db_path: Path,
    class_code: str,
    saves: Saves | None = None,
    key_path: Path | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
    seed: int = 0,
    web: WebClassroom | None = None,
    on_ready: Callable[[str], None] | None = None,
) -> Listener:
    """Add the SSH listener to the running event loop; returns it (`.close()` stops it and ends every open
    game, `await .wait_closed()` waits for them).

    `web`: the web server's lesson, whose class store then keeps the SSH students' games too (without it,
    a saves folder beside `db_path`). `on_ready` receives the start-up lines (the login line and the host
    key's fingerprint).
    """
    checked, diags = asg_mod.load(assignment, story)
    if checked is None:
        errors = "; ".join(str(d) for d in diags if d.severity == "error")
        raise SSHSetupError(
            f"the assignment has mistakes: {errors}; check it with: dualpower check --assignment FILE"
        )
    key = load_host_key(key_path or host_key_path(db_path))
    classroom = Classroom(
        story,
        assignment,
        class_code,
        saves or Saves(db_path.with_name(db_path.stem + "-saves")),
        idle_timeout=idle_timeout,
        seed=seed,
        web=web,
    )
    try:
        acceptor = await asyncssh.create_server(
            lambda: _Server(classroom),
            host,
            port,
            server_host_keys=[key],
            # Only the game: no forwarding of agents, X11 or ports (the server refuses port requests by
            # default), no SFTP or SCP; and junk bytes become U+FFFD instead of breaking the channel.
            agent_forwarding=False,
            x11_forwarding=False,
            allow_scp=False,
            sftp_factory=None,
            allow_pty=True,
            line_editor=False,
            errors="replace",
            keepalive_interval=KEEPALIVE,
            keepalive_count_max=3,
            login_timeout=60,
        )
    except OSError as exc:
        raise SSHSetupError(
            f"cannot listen for SSH on {host}:{port}: {exc.strerror or exc}; choose another --ssh-port"
        ) from None
    bound = acceptor.get_port()
    classroom.login = (
        f"ssh -p {bound} NAME@{host if host not in ('', '0.0.0.0', '::') else socket.gethostname()}"
    )
    if on_ready is not None:
        on_ready(login_line(host, bound))
        on_ready(f"SSH host key fingerprint: {fingerprint(key)}")
    return Listener(acceptor, classroom)


@dataclass
class Listener:
    """The SSH listener and the games it serves."""

    acceptor: asyncssh.SSHAcceptor
    classroom: Classroom

    def get_port(self) -> int:
        return int(self.acceptor.get_port())

    def close(self) -> None:
        """Stop listening, and end every open game (each saves and says goodbye)."""
        self.acceptor.close()
        for student in list(self.classroom.active):
            student.stop()

    async def wait_closed(self, timeout: float = 5.0) -> None:
        """Until the listener is closed and the games have ended (at most `timeout` seconds for them: a
        student's link that does not take the goodbye is then cut, as before)."""
        await self.acceptor.wait_closed()
        deadline = asyncio.get_running_loop().time() + timeout
        while self.classroom.active and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)

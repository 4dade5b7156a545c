"""`dualpower serve`: one process serving a lesson to a class in their browsers (uvicorn running engine.server.app).

Only argparse is imported at start-up (not even socket: every command registers its parser here): the web packages (the optional extra `serve`) are imported when the
command runs, and their absence is a message saying how to install them.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import socket

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
DEFAULT_PORT = 8017
INSTALL_HINT = (
    "dualpower serve needs the web server packages, which are not installed. Install them with\n"
    "  pip install 'dual-power[serve]'\n"
    "(in a checkout: make serve ASSIGNMENT=FILE, or .venv/bin/pip install -e '.[serve]')"
)


def add_parser(sub: Any, story_arg: Callable[[argparse.ArgumentParser], None]) -> None:
    p = sub.add_parser(
        "serve",
        help="serve an assignment to a class in their browsers, with a teacher's dashboard",
        description="Start the classroom server: students join in a browser with the class code; the teacher "
        "watches the dashboard. Everything is kept in the class store (--db), so a restart loses nothing.",
    )
    p.add_argument("--assignment", metavar="FILE", type=Path, required=True, help="the assignment to play")
    story_arg(p)
    p.add_argument(
        "--db", metavar="FILE", type=Path, default=Path("class.db"), help="class store (default: class.db)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this computer only; "
        "0.0.0.0: every network this computer is on)",
    )
    p.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: any free one)"
    )
    p.add_argument("--new-code", action="store_true", help="make a new class code and teacher token")
    p.add_argument(
        "--ssh-port",
        type=int,
        metavar="N",
        help="also let students play in a terminal: ssh -p N NAME@HOST, with the class code as password",
    )
    p.set_defaults(func=cmd_serve)


def _err(message: str) -> None:
    print(f"dualpower: {message}", file=sys.stderr)


def shown_host(host: str) -> str:
    """The host name to write on the board: this computer's name when listening on every address."""
    if host in ("0.0.0.0", "::", ""):
        import socket

        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, which finishes the requests under way on Ctrl-C (SIGINT) or SIGTERM; then the
        command ends normally (exit 0, with its last message) instead of dying of the signal."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            super().handle_exit(sig, frame)
            self._captured_signals.clear()

    return Server


async def serve(server: Any, sock: socket.socket, ssh: Callable[[], Awaitable[Any]] | None = None) -> None:
    """Everything the process serves, on one event loop: the web pages, and the SSH listener when `ssh`
    starts one (sharing the Classroom), stopped when `server.serve` returns."""
    acceptor = await ssh() if ssh is not None else None
    try:
        await server.serve(sockets=[sock])
    finally:
        if acceptor is not None:
            acceptor.close()
            await acceptor.wait_closed()  # each SSH game saves and says goodbye before the loop stops


def cmd_serve(args: argparse.Namespace) -> int:
    if args.ssh_port is not None and not 0 <= args.ssh_port <= 65535:
        _err(f"--ssh-port {args.ssh_port} is not a port number (0 to 65535)")
        return EXIT_USAGE
    if not 0 <= args.port <= 65535:
        _err(f"--port {args.port} is not a port number (0 to 65535)")
        return EXIT_USAGE
    try:
        import uvicorn

        from engine.server.app import Credentials, create_app
        from engine.server.ssh import SSHSetupError
    except ImportError:
        print(INSTALL_HINT, file=sys.stderr)
        return EXIT_FAIL
    from engine.app import load_story, print_errors
    from engine.classroom import assignment as asg_mod
    from engine.server.classroom import Classroom
    from engine.server.live import Live, StoreError

    story, diags = load_story(args.story)
    if story is None:
        print_errors(diags)
        return EXIT_FAIL
    assignment, diags = asg_mod.load(args.assignment, story)
    if assignment is None:
        for d in diags:
            if d.severity == "error":
                print(d, file=sys.stderr)
        _err(
            "the assignment cannot be served; fix it (dualpower check --assignment FILE shows every mistake)"
        )
        return EXIT_FAIL
    try:
        live = Live(args.db)
        code, token, secret = live.credentials(renew=args.new_code)
    except StoreError as exc:
        _err(str(exc))
        return EXIT_FAIL
    import socket

    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    # IPPROTO_TCP said outright: asyncio then sets TCP_NODELAY on each connection (without it every response
    # waited some 40 ms for the browser's delayed acknowledgement of its headers).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((args.host, args.port))
        sock.listen(2048)  # from now on browsers can connect: they wait until the server takes them
    except (OSError, OverflowError) as exc:
        sock.close()
        live.close()
        reason = getattr(exc, "strerror", None) or exc
        _err(f"cannot listen on {args.host}:{args.port} ({reason}): choose another --port or --host")
        return EXIT_FAIL
    port = sock.getsockname()[1]
    classroom = Classroom(story, assignment, live)
    app = create_app(classroom, Credentials(code, token, secret))
    base = f"http://{shown_host(args.host)}:{port}"
    print(f"Students join at {base}/ with the class code {code}", flush=True)
    print(f"Teacher's dashboard: {base}/teacher?token={token}", flush=True)
    server_class = _server_class()
    config = uvicorn.Config(app, log_level="warning", access_log=False, timeout_graceful_shutdown=5)
    server = server_class(config)
    ssh = None
    if args.ssh_port is not None:
        from engine.server.ssh import start_ssh

        def ssh() -> Awaitable[Any]:
            return start_ssh(
                args.host,
                args.ssh_port,
                story=story,
                assignment=args.assignment,
                db_path=args.db,
                class_code=code,
                web=classroom,
                on_ready=lambda line: print(line, flush=True),
            )

    import asyncio  # here: registering the serve command's options must not cost `play` the import

    try:
        asyncio.run(serve(server, sock, ssh))
    except SSHSetupError as exc:
        _err(str(exc))
        return EXIT_FAIL
    finally:
        sock.close()
        live.close()
    print(f"The server has stopped; everything is kept in the class store {args.db}.", file=sys.stderr)
    return EXIT_OK

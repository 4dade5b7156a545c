"""The classroom server's games in progress, in the class store (engine/classroom/store.py).

The store's file is opened (made if missing, refused if foreign) through ClassStore, whose migrations include
the server's table `web_students` (schema 2). The class code, the teacher token and the cookie secret are the
store's settings. Every write is one store transaction, committed before the function returns, so the page that
follows a choice is sent only after the choice is in the store. Each student's game is kept as the save JSON
the terminal would write (engine/saves.py), so it resumes exactly. One connection, used from the server's event
loop only (never from two threads at once).
"""

from __future__ import annotations

import datetime as _dt
import json
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.classroom.store import BUSY_TIMEOUT_MS, ClassStore, StoreError

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Letters and digits that cannot be mistaken for one another when read aloud or written on a board."""
CODE_LENGTH = 6

__all__ = ["CODE_ALPHABET", "Live", "StoreError", "StudentRow", "new_code", "normal_code"]


@dataclass(frozen=True, slots=True)
class StudentRow:
    id: int
    name: str
    resume: str
    joined: str
    updated: str
    finished: bool
    save: dict[str, Any]


def now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normal_code(typed: str) -> str:
    """A typed class code as it is compared: spaces and dashes dropped, upper case."""
    return "".join(typed.split()).replace("-", "").upper()


class Live:
    """The server's persistence: open once at start, then every method commits before returning."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        ClassStore.open(self.path, create=True).close()  # made, checked, migrated; StoreError: foreign, newer
        # Opened again for the server: its requests may run on another thread than this one (never two at once).
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self.db.execute("PRAGMA foreign_keys = ON")
        self.store = ClassStore(self.path, self.db)
        # WAL with synchronous=NORMAL: a commit survives a killed process (kill -9); only a power cut of the
        # machine can lose the last commits. (FULL would fsync every click: ten times slower under a class.)
        self.db.execute("PRAGMA synchronous=NORMAL")

    def close(self) -> None:
        self.store.close()

    # --- settings ---

    def setting(self, key: str) -> str | None:
        return self.store.get_setting(key)

    def set_setting(self, key: str, value: str) -> None:
        self.store.set_setting(key, value)

    def credentials(self, renew: bool = False) -> tuple[str, str, str]:
        """(class code, teacher token, cookie secret): made once and kept, new ones with `renew`."""
        code, token, secret = (
            self.setting("class_code"),
            self.setting("teacher_token"),
            self.setting("secret"),
        )
        if renew or not code:
            code = new_code()
            self.set_setting("class_code", code)
        if renew or not token:
            token = secrets.token_urlsafe(32)
            self.set_setting("teacher_token", token)
        if not secret:
            secret = secrets.token_urlsafe(32)
            self.set_setting("secret", secret)
        return code, token, secret

    # --- students ---

    def add_student(self, assignment: str, name: str, save: dict[str, Any]) -> StudentRow:
        stamp = now()
        resume = secrets.token_urlsafe(18)
        with self.store.transaction() as db:
            cur = db.execute(
                "INSERT INTO web_students (assignment, name, resume, joined, updated, save) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (assignment, name, resume, stamp, stamp, json.dumps(save, ensure_ascii=False)),
            )
        assert cur.lastrowid is not None
        return StudentRow(cur.lastrowid, name, resume, stamp, stamp, False, save)

    def put_save(self, student_id: int, save: dict[str, Any], finished: bool) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE web_students SET save = ?, updated = ?, finished = ? WHERE id = ?",
                (json.dumps(save, ensure_ascii=False), now(), int(finished), student_id),
            )

    def _rows(self, where: str, params: tuple[Any, ...]) -> list[StudentRow]:
        rows = self.db.execute(
            "SELECT id, name, resume, joined, updated, finished, save FROM web_students "
            f"WHERE {where} ORDER BY joined, id",
            params,
        ).fetchall()
        return [StudentRow(r[0], r[1], r[2], r[3], r[4], bool(r[5]), json.loads(r[6])) for r in rows]

    def student(self, assignment: str, student_id: int) -> StudentRow | None:
        rows = self._rows("assignment = ? AND id = ?", (assignment, student_id))
        return rows[0] if rows else None

    def by_resume(self, assignment: str, resume: str) -> StudentRow | None:
        rows = self._rows("assignment = ? AND resume = ?", (assignment, resume))
        return rows[0] if rows else None

    def by_name(self, assignment: str, name: str) -> StudentRow | None:
        rows = self._rows("assignment = ? AND name = ?", (assignment, name))
        return rows[0] if rows else None

    def students(self, assignment: str) -> list[StudentRow]:
        return self._rows("assignment = ?", (assignment,))

    def count(self, assignment: str) -> int:
        row = self.db.execute(
            "SELECT count(*) FROM web_students WHERE assignment = ?", (assignment,)
        ).fetchone()
        return int(row[0])

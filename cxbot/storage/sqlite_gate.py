"""SQLite connections whose writers queue on a file lock instead of SQLite's busy wait.

SQLite lets one writer in at a time. A connection that finds the write lock taken
sleeps in SQLite's busy handler in fixed steps (1, 2, 5, 10, 15 ms ...), so with a web
process, a worker process and their threads all writing, the lock sat free while
waiters slept: ingest throughput halved. Here a writer first takes an advisory
`flock` on `<database>.writer-lock`, polled at a fine grain, and only then `BEGIN
IMMEDIATE`; it lets go right after COMMIT or ROLLBACK.

The gate only orders writers, it protects nothing: SQLite's own lock still guards
the data, and a writer that waited `GATE_PATIENCE` seconds goes ahead without the
gate and falls back on `busy_timeout`, so a nested write on one thread behaves as
it always did. The kernel drops a dead process's flock, so `kill -9` leaves no
stale gate. Platforms without `fcntl` write ungated.
"""

from __future__ import annotations

import os
import sqlite3
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

GATE_PATIENCE = 5.0
_FIRST_PAUSE = 0.00005
_LONGEST_PAUSE = 0.001


def gate_path(database: str) -> str | None:
    if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return f"{database}.writer-lock"


class GatedConnection(sqlite3.Connection):
    """`sqlite3.connect(..., factory=GatedConnection)`; write transactions start with `begin_write()`."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        self._gate_path = gate_path(os.fspath(database))
        self._gate_fd: int | None = None
        self._gated = False

    def begin_write(self) -> None:
        self._enter_gate()
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._leave_gate()
            raise

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave_gate()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave_gate()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave_gate()
            if self._gate_fd is not None:
                os.close(self._gate_fd)
                self._gate_fd = None

    def _enter_gate(self) -> None:
        if self._gate_path is None or self._gated:
            return
        if self._gate_fd is None:
            # One open file description per connection: flock then queues threads of one process too.
            self._gate_fd = os.open(self._gate_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        # Polled rather than a blocking LOCK_EX, so that a wait can give up (see the module docstring).
        pause, deadline = _FIRST_PAUSE, time.monotonic() + GATE_PATIENCE
        while True:
            try:
                fcntl.flock(self._gate_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._gated = True
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    return
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)

    def _leave_gate(self) -> None:
        if self._gated:
            self._gated = False
            fcntl.flock(self._gate_fd, fcntl.LOCK_UN)

"""Cluster-wide locks: a PostgreSQL advisory lock, or a file lock beside the SQLite file.

The scheduler must run in exactly one process across workers and hosts; schema
upgrades must not run twice at once. Both use `NamedLock`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from cxbot.storage.db import is_postgres


def _advisory_key(name: str) -> int:
    # pg advisory locks take a signed 64-bit key; derive a stable one from the name.
    return int.from_bytes(hashlib.sha256(f"cxbot:{name}".encode()).digest()[:8], "big", signed=True)


class NamedLock:
    def __init__(self, engine: Engine, name: str, lock_dir: Path | None = None):
        self.engine = engine
        self.name = name
        self._conn = None
        self._file: FileLock | None = None
        if not is_postgres(engine):
            db_path = make_url(str(engine.url)).database
            folder = lock_dir or (Path(db_path).resolve().parent if db_path and db_path != ":memory:" else Path("."))
            folder.mkdir(parents=True, exist_ok=True)
            self._file = FileLock(str(folder / f"{Path(db_path or 'cxbot').name}.{name}.lock"))

    @property
    def held(self) -> bool:
        return self._conn is not None or bool(self._file and self._file.is_locked)

    def acquire(self, blocking: bool = False, timeout: float = 60) -> bool:
        if self.held:
            return True
        if self._file is not None:
            try:
                self._file.acquire(timeout=timeout if blocking else 0)
                return True
            except Timeout:
                return False
        conn = self.engine.connect()
        key = _advisory_key(self.name)
        if blocking:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
            got = True
        else:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
        conn.commit()
        if got:
            # The session-level lock lives as long as this connection: keep it open.
            self._conn = conn
        else:
            conn.close()
        return got

    def release(self) -> None:
        if self._file is not None:
            if self._file.is_locked:
                self._file.release(force=True)
            return
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _advisory_key(self.name)})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None

    def __enter__(self):
        self.acquire(blocking=True)
        return self

    def __exit__(self, *exc):
        self.release()

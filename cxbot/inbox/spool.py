"""The webhook spool: on SQLite, webhook events are appended to a file, not inserted.

Storing an event in SQLite before the 200 cost the web side more than everything else it
does for a webhook (a thread hand-off, a place in the single write queue, five B-trees).
On SQLite the web and the worker share a host anyway, so the web does what a mail
server's maildrop does: one `O_APPEND` write of a framed record (length, CRC32, the
fields as JSON, a newline, the body) to its own file in `<database>.spool/`, then the
200. A record is on disk (the page cache, as durable as SQLite's WAL with
synchronous=NORMAL) before the answer.

The worker takes a file by renaming it (one taker at a time), waits for appends in
flight (the web appends under a shared flock, the taker holds it exclusively), inserts
its records with ON CONFLICT DO NOTHING (so a redelivery, or a file taken again after
a crash, is stored once) and deletes it. A web process whose file was taken starts a new one. A record cut
short by a crash mid-write was never acknowledged, and is dropped.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import struct
import threading
import zlib
from pathlib import Path

from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

_HEAD = struct.Struct(">II")  # payload length, CRC32 of the payload
SUFFIX = ".spool"
TAKEN = ".taken"


def folder_for(database: str | os.PathLike) -> Path:
    """The spool folder of a SQLite database file."""
    return Path(f"{os.fspath(database)}{SUFFIX}")


def for_url(url: str) -> "Spool | None":
    """SQLite files get a spool beside them; PostgreSQL none, as its web and worker
    processes may run on different hosts (and an in-memory database has no beside)."""
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Spool(folder_for(u.database))


class Spool:
    def __init__(self, folder: Path):
        self.folder = folder
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._path: Path | None = None
        self._pid = 0

    # -- the web side ---------------------------------------------------------------

    def append(self, row: dict) -> None:
        # The body travels as its own bytes after the other fields: a JSON body escaped
        # inside JSON cost more than the write.
        fields = {k: v for k, v in row.items() if k != "body"}
        payload = json.dumps(fields, separators=(",", ":")).encode("utf-8") + b"\n" + row["body"].encode("utf-8")
        record = _HEAD.pack(len(payload), zlib.crc32(payload)) + payload
        with self._lock:
            while True:
                fd = self._current()
                fcntl.flock(fd, fcntl.LOCK_SH)
                try:
                    if self._still_ours(fd):
                        _write_all(fd, record)
                        return
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                self._close()  # taken by the worker since: start a new file

    def _current(self) -> int:
        if self._fd is not None and self._pid != os.getpid():
            self._fd = None  # a forked child must not share its parent's file
        if self._fd is None:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._path = self.folder / f"{os.getpid()}-{secrets.token_hex(6)}{SUFFIX}"
            self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def _still_ours(self, fd: int) -> bool:
        try:
            return os.stat(self._path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            return False

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = None

    # -- the worker side ------------------------------------------------------------

    def peek(self) -> list[dict]:
        """The records spooled and not yet taken, read without taking or locking anything
        (a record being appended is not whole yet, and is left out)."""
        while True:
            rows: list[dict] = []
            for path in self._files():
                try:
                    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                except FileNotFoundError:
                    break  # renamed by a taker (and not stored yet) or deleted: look again
                try:
                    rows.extend(_records(path, fd, quiet=True))
                finally:
                    os.close(fd)
            else:
                return rows

    def _files(self) -> list[Path]:
        try:
            return [self.folder / n for n in os.listdir(self.folder) if n.endswith((SUFFIX, TAKEN))]
        except FileNotFoundError:
            return []

    def take(self, store) -> int:
        """Move every spooled record into the database: `store(rows)` inserts them (ignoring
        duplicates) and commits; a file is deleted only after that. Returns the rows read."""
        if not self._files():
            return 0
        # One taker at a time (threads and processes): a second one waits, then finds what the
        # first left, so when `take` returns, whatever was spooled before it began is stored.
        gate = os.open(self.folder / ".take-lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(gate, fcntl.LOCK_EX)
            return self._take(store)
        finally:
            os.close(gate)

    def _take(self, store) -> int:
        names = os.listdir(self.folder)
        taken: list[tuple[Path, int]] = []
        for name in names:
            path = self.folder / name
            if name.endswith(SUFFIX):
                target = path.with_name(name[: -len(SUFFIX)] + f"-{secrets.token_hex(4)}{TAKEN}")
                try:
                    os.rename(path, target)  # atomic: of two takers, one wins
                except FileNotFoundError:
                    continue
                path = target
            elif not name.endswith(TAKEN):
                continue
            fd = _open_taken(path)
            if fd is not None:
                taken.append((path, fd))
        rows: list[dict] = []
        try:
            for path, fd in taken:
                rows.extend(_records(path, fd))
            if rows:
                # Arrival order across the web processes' files, as one table would have had it.
                rows.sort(key=lambda r: r.get("received_at", 0))
                store(rows)
            for path, _fd in taken:
                path.unlink(missing_ok=True)
        finally:
            for _path, fd in taken:
                os.close(fd)
        return len(rows)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _open_taken(path: Path) -> int | None:
    """The taken file, locked exclusively once the appends in flight are done. A `.taken`
    file found here was left by a taker that died before deleting it: its rows are stored
    again, and the idempotency keys keep that a no-op."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _records(path: Path, fd: int, quiet: bool = False) -> list[dict]:
    data = b""
    while chunk := os.read(fd, 1 << 20):
        data += chunk
    rows, at = [], 0
    while at + _HEAD.size <= len(data):
        length, crc = _HEAD.unpack_from(data, at)
        payload = data[at + _HEAD.size: at + _HEAD.size + length]
        if len(payload) < length or zlib.crc32(payload) != crc:
            break
        fields, _, body = payload.partition(b"\n")
        rows.append({**json.loads(fields), "body": body.decode("utf-8")})
        at += _HEAD.size + length
    if at < len(data) and not quiet:
        # Written by a process killed mid-write: that webhook was never answered 200.
        log.warning("spool %s: %d trailing bytes of an unfinished record dropped", path.name, len(data) - at)
    return rows

"""The SQLite writer gate: writers queue on a file lock, and the gate never blocks for good."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading

import pytest
from sqlalchemy import text

from cxbot.storage import sqlite_gate
from cxbot.storage.db import Database


@pytest.fixture()
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'gate.db'}")
    with database.session() as s:
        s.execute(text("CREATE TABLE t (n INTEGER)"))
    yield database
    database.dispose()


def _gate_taken(db: Database) -> bool:
    fd = os.open(sqlite_gate.gate_path(db.engine.url.database), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_a_write_holds_the_gate_until_commit_or_rollback(db):
    with db.session() as s:
        s.execute(text("INSERT INTO t VALUES (1)"))
        assert _gate_taken(db)
    assert not _gate_taken(db)
    with pytest.raises(RuntimeError):
        with db.session() as s:
            s.execute(text("INSERT INTO t VALUES (2)"))
            assert _gate_taken(db)
            raise RuntimeError("rolled back")
    assert not _gate_taken(db)
    with db.read() as s:
        assert s.execute(text("SELECT n FROM t")).scalars().all() == [1]
        assert not _gate_taken(db)  # readers never queue behind the gate


def test_writers_in_threads_all_land(db):
    def write(k: int) -> None:
        for i in range(25):
            with db.session() as s:
                s.execute(text("INSERT INTO t VALUES (:n)"), {"n": k * 100 + i})

    threads = [threading.Thread(target=write, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM t")).scalar() == 100


def test_a_gate_held_by_a_killed_process_is_released_by_the_kernel(db):
    path = sqlite_gate.gate_path(db.engine.url.database)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time\n"
        f"fd = os.open({path!r}, os.O_RDWR)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert _gate_taken(db)
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        with db.session() as s:
            s.execute(text("INSERT INTO t VALUES (7)"))
    finally:
        holder.kill()
        holder.wait(10)
    with db.read() as s:
        assert s.execute(text("SELECT n FROM t")).scalars().all() == [7]


def test_a_stuck_gate_holder_does_not_stop_writes(db, monkeypatch):
    # Something holds the gate without writing (a stuck process, a nested session): after
    # GATE_PATIENCE the writer goes ahead and relies on SQLite's own lock.
    monkeypatch.setattr(sqlite_gate, "GATE_PATIENCE", 0.05)
    fd = os.open(sqlite_gate.gate_path(db.engine.url.database), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with db.session() as s:
            s.execute(text("INSERT INTO t VALUES (3)"))
    finally:
        os.close(fd)
    with db.read() as s:
        assert s.execute(text("SELECT n FROM t")).scalars().all() == [3]

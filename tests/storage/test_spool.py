"""The SQLite webhook spool: appended by the web side, taken into the table by the worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from cxbot import inbox
from cxbot.inbox.spool import SUFFIX, TAKEN
from cxbot.storage import migrate
from cxbot.storage.db import Database
from cxbot.storage.models import InboundEvent


def _db(tmp_path) -> Database:
    db = Database(f"sqlite:///{tmp_path / 'spool.db'}")
    migrate.upgrade(db.engine)
    return db


def _files(db: Database) -> list[str]:
    return [n for n in os.listdir(db.spool.folder) if n.endswith((SUFFIX, TAKEN))]


def _keys(db: Database) -> list[str]:
    from sqlmodel import select


    with db.read() as s:
        return list(s.exec(select(InboundEvent.idempotency_key).order_by(InboundEvent.id)))


def test_spooled_events_reach_the_table_once_in_arrival_order(tmp_path):
    db = _db(tmp_path)
    assert db.spool is not None
    for key in ("a", "b", "a", "c"):  # "a" delivered twice
        assert inbox.store(db, "line", key, b"{}", order_key="k")
    assert _keys(db) == []  # on disk in the spool, not yet in the table
    assert inbox.take_spooled(db) == 4
    assert _keys(db) == ["a", "b", "c"]
    assert _files(db) == []  # taken files are deleted
    inbox.store(db, "line", "d", b"{}")  # the web side starts a new file after its old one was taken
    assert inbox.take_spooled(db) == 1
    assert _keys(db) == ["a", "b", "c", "d"]
    db.dispose()


def test_postgres_style_urls_have_no_spool(tmp_path):
    assert Database("sqlite://").spool is None


def test_a_record_cut_short_by_a_crash_is_dropped_and_the_rest_kept(tmp_path):
    db = _db(tmp_path)
    inbox.store(db, "line", "whole", b"{}")
    path = db.spool._path
    with open(path, "ab") as f:
        f.write(b"\x00\x00\x01\x00\x12\x34")  # the start of a record whose writer was killed
    assert inbox.take_spooled(db) == 1
    assert _keys(db) == ["whole"]
    db.dispose()


def test_a_web_process_killed_with_sigkill_loses_no_acknowledged_event(tmp_path):
    db = _db(tmp_path)
    # A child appends and reports each key once append() has returned (its "200"), then is killed.
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, itertools\n"
        "from cxbot import inbox\n"
        "from cxbot.storage.db import Database\n"
        f"db = Database({str(db.url)!r})\n"
        "for i in itertools.count():\n"
        "    inbox.store(db, 'line', f'k{i}', b'{\"text\": \"' + b'x' * 2000 + b'\"}')\n"
        "    print(f'k{i}', flush=True)\n")], stdout=subprocess.PIPE, text=True)
    acknowledged = []
    try:
        while len(acknowledged) < 200:
            acknowledged.append(child.stdout.readline().strip())
            if len(acknowledged) == 50:
                inbox.take_spooled(db)  # a take while the child keeps appending
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    inbox.take_spooled(db)
    stored = _keys(db)
    assert set(acknowledged) <= set(stored)
    assert len(stored) == len(set(stored))  # no key twice
    assert _files(db) == []  # the dead process's file was taken too
    db.dispose()

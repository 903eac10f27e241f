"""The inbound-event store: one contract on SQLite (spooled) and PostgreSQL (the table).

store() answers True once per idempotency key and False for a redelivery; count() only
reads, and counts a spooled event once; on SQLite the web side's spool reaches the table
whole, in arrival order, even when a web process is killed mid-write.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest
from sqlmodel import select

from cxbot.base.waiting import wait_for
from cxbot.inbox import MAX_ATTEMPTS, Inbox
from cxbot.inbox.spool import SUFFIX, TAKEN
from cxbot.storage import migrate
from cxbot.storage.db import Database
from cxbot.storage.models import InboundEvent


@pytest.fixture
def store(database_url):
    db = Database(database_url)
    migrate.upgrade(db.engine)
    yield Inbox(db)
    db.dispose()


@pytest.fixture
def spooled(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'spool.db'}")
    migrate.upgrade(db.engine)
    yield Inbox(db)
    db.dispose()


def _files(store: Inbox) -> list[str]:
    return [n for n in os.listdir(store.spool.folder) if n.endswith((SUFFIX, TAKEN))]


def _keys(store: Inbox) -> list[str]:
    with store.db.read() as s:
        return list(s.exec(select(InboundEvent.idempotency_key).order_by(InboundEvent.id)))


@pytest.mark.database
def test_a_redelivery_is_told_apart_and_handled_once_on_either_backend(store):
    assert store.store("line", "a", b"{}", order_key="k") is True
    store.take()  # what a worker does first (a no-op on PostgreSQL)
    assert store.store("line", "a", b"{}", order_key="k") is False
    assert store.store("line", "b", b"{}", order_key="k") is True
    assert store.count("pending") == 2
    claimed = store.claim(["line"], limit=5)
    assert [c.body for c in claimed] == ["{}"]  # head of line: one per order key at a time
    store.finish(claimed[0].id)
    assert store.count("done") == 1 and store.count("pending") == 1


@pytest.mark.database
def test_storing_wakes_a_worker_in_the_same_process_only_when_something_new_was_kept(store):
    woken = threading.Event()
    inbox = Inbox(store.db, woken)
    inbox.store("mail", "m1", b"{}")
    inbox.take()
    assert woken.is_set()
    woken.clear()
    assert inbox.store("mail", "m1", b"{}") is False
    assert not woken.is_set()


@pytest.mark.database
def test_a_failed_event_is_retried_later_and_given_up_when_final(store):
    store.store("hub", "h", b"{}")
    store.take()
    event, = store.claim(["hub"])
    store.failed(event, "boom")
    assert store.count("pending") == 1 and store.claim(["hub"]) == []  # backed off, not due yet
    store.failed(event, "bad", final=True)
    assert store.count("failed") == 1


@pytest.mark.database
def test_an_event_failing_every_try_is_given_up_on_its_last_with_what_that_writes(store):
    quick = Inbox(store.db, backoff=0.001)
    quick.store("hub", "h", b"{}")
    quick.take()
    told: list[str] = []

    def tell(s):  # as the worker's note to the admins: written in the transaction that gives up
        s.connection().execute(InboundEvent.__table__.update().values(last_error="told"))
        told.append("told")

    def tell_and_break(s):
        tell(s)
        raise RuntimeError("the note could not be written")

    for attempt in range(1, MAX_ATTEMPTS + 1):
        event, = wait_for(lambda: quick.claim(["hub"]), what=f"try {attempt} due")
        assert event.attempts == attempt
        if attempt == MAX_ATTEMPTS:
            with pytest.raises(RuntimeError):
                quick.failed(event, "boom", on_given_up=tell_and_break)
            assert quick.count("failed") == 0  # no note, no giving up: it comes back after its lease
        assert quick.failed(event, "boom", on_given_up=tell) is (attempt == MAX_ATTEMPTS)
    assert quick.count("failed") == 1 and len(told) == 2
    with store.db.read() as s:
        assert s.exec(select(InboundEvent.last_error)).one() == "told"


def test_count_only_reads_and_counts_a_spooled_event_once(spooled):
    for key in ("a", "b", "a"):  # "a" delivered twice before the worker took anything
        spooled.store("line", key, b"{}")
    assert spooled.count("pending") == 2
    assert spooled.count("pending", sources=["mail"]) == 0
    assert _keys(spooled) == [] and _files(spooled)  # still in the spool: counting took nothing
    assert spooled.take() == 3
    assert spooled.count("pending") == 2 and spooled.count() == 2


def test_spooled_events_reach_the_table_once_in_arrival_order(spooled):
    for key in ("a", "b", "a", "c"):
        assert spooled.store("line", key, b"{}", order_key="k")
    assert _keys(spooled) == []  # on disk in the spool, not yet in the table
    assert spooled.take() == 4
    assert _keys(spooled) == ["a", "b", "c"]
    assert _files(spooled) == []  # taken files are deleted
    spooled.store("line", "d", b"{}")  # the web side starts a new file after its old one was taken
    assert spooled.take() == 1
    assert _keys(spooled) == ["a", "b", "c", "d"]


def test_in_memory_and_postgres_urls_have_no_spool():
    assert Inbox(Database("sqlite://")).spool is None


def test_a_record_cut_short_by_a_crash_is_dropped_and_the_rest_kept(spooled):
    spooled.store("line", "whole", b"{}")
    with open(spooled.spool._path, "ab") as f:
        f.write(b"\x00\x00\x01\x00\x12\x34")  # the start of a record whose writer was killed
    assert spooled.count("pending") == 1
    assert spooled.take() == 1
    assert _keys(spooled) == ["whole"]


def test_a_web_process_killed_with_sigkill_loses_no_acknowledged_event(spooled):
    # A child appends and reports each key once store() has returned (its "200"), then is killed.
    child = subprocess.Popen([sys.executable, "-c", (
        "import sys, itertools\n"
        "from cxbot.inbox import Inbox\n"
        "from cxbot.storage.db import Database\n"
        f"inbox = Inbox(Database({str(spooled.db.url)!r}))\n"
        "for i in itertools.count():\n"
        "    inbox.store('line', f'k{i}', b'{\"text\": \"' + b'x' * 2000 + b'\"}')\n"
        "    print(f'k{i}', flush=True)\n")], stdout=subprocess.PIPE, text=True)
    acknowledged = []
    try:
        while len(acknowledged) < 200:
            acknowledged.append(child.stdout.readline().strip())
            if len(acknowledged) == 50:
                spooled.take()  # a take while the child keeps appending
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    spooled.take()
    stored = _keys(spooled)
    assert set(acknowledged) <= set(stored)
    assert len(stored) == len(set(stored))  # no key twice
    assert _files(spooled) == []  # the dead process's file was taken too

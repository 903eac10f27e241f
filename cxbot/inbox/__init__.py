"""The inbound-event store: webhooks kept before their 200, handled by workers.
Imports `cxbot.storage` and `cxbot.base` only.

One face, `Inbox` (store / take / claim / finish / failed / count), over one sink chosen
once per process from the database URL: on SQLite a spool file beside the database that
the worker moves into the table (`spool.py`, README explains why); on PostgreSQL the
table itself (`table.py`).
"""

from __future__ import annotations

import hashlib
import threading
import time
from contextvars import ContextVar
from typing import Callable, Iterable

from sqlmodel import Session

from cxbot.inbox import spool as spooling
from cxbot.inbox import table
from cxbot.inbox.table import MAX_ATTEMPTS, Claimed
from cxbot.storage.db import Database

__all__ = ["Inbox", "Claimed", "MAX_ATTEMPTS", "LEASE_SECONDS", "current_event", "last_try", "finished",
           "finish_in", "origin", "works_key"]

LEASE_SECONDS = 120
# LINE WORKS sends no event id; an identical body within this window is a duplicate.
WORKS_DEDUPE_WINDOW = 300


# The stored event a worker is handling: records made from it carry its id, so handling
# it again after a crash (its lease ran out) finds them and does not repeat them.
current_event: ContextVar[int | None] = ContextVar("current_event", default=None)


# True while the worker handles an event's last try (its MAX_ATTEMPTS-th): a handler that
# would raise for a passing failure records what it can instead, as nothing follows it.
last_try: ContextVar[bool] = ContextVar("last_try", default=False)


# Set when the handler marked its event done inside its own transaction (finish_in), so
# the worker need not do it separately.
finished: ContextVar[bool] = ContextVar("finished", default=False)


def origin(prefix: str = "ev") -> str | None:
    event_id = current_event.get()
    return f"{prefix}:{event_id}" if event_id is not None else None


def works_key(prefix: str, body: bytes, now: float | None = None) -> str:
    bucket = int((now if now is not None else time.time()) // WORKS_DEDUPE_WINDOW)
    return f"{prefix}:{hashlib.sha256(body).hexdigest()}:{bucket}"


def finish_in(session) -> None:
    """Mark the event being handled done in the caller's transaction: what the event
    produced and its being handled commit together (and a crash cannot split them)."""
    event_id = current_event.get()
    if event_id is not None:
        table.finish(session.connection(), event_id)
        finished.set(True)


class Inbox:
    """This process's inbound-event store. `wakeup` is set whenever a new event is kept,
    so a worker in the same process starts at once."""

    def __init__(self, db: Database, wakeup: threading.Event | None = None, backoff: float = 1.0):
        self.db = db
        self.wakeup = wakeup
        self.backoff = backoff  # the first retry delay, doubling each try
        self.spool = spooling.for_url(db.url)

    def store(self, source: str, key: str, body: bytes, link_token: str | None = None,
              order_key: str = "") -> bool:
        """Keep an event before its webhook is answered; raises when it could not be kept.
        True: kept, and it will be handled once. False: an event with this key is stored
        already (a redelivery), and nothing new was kept."""
        row = dict(source=source, link_token=link_token, idempotency_key=key, order_key=order_key,
                   body=body.decode("utf-8"), received_at=time.time(), status="pending", attempts=0, not_before=0.0)
        if self.spool is not None:
            if table.is_known_sqlite(self.db, key):
                return False
            # A redelivery racing its original (both still in the spool) is kept twice here
            # and stored once when the worker takes them: the idempotency key decides there.
            self.spool.append(row)
        elif not table.insert(self.db, [row]):
            return False
        if self.wakeup is not None:
            self.wakeup.set()
        return True

    def take(self) -> int:
        """Worker side: move what the web side spooled into the table (SQLite); returns how many were read."""
        if self.spool is None:
            return 0
        return self.spool.take(lambda rows: table.insert(self.db, rows))

    def claim(self, sources: Iterable[str], limit: int = 5, lease: float = LEASE_SECONDS,
              look: bool = True, first: tuple[str, ...] = ()) -> list[Claimed]:
        """Lease up to `limit` due events of the given sources (those this worker can handle),
        those of the sources in `first` before the others. `look=False` skips the lock-free
        look first, for a worker that knows there is work."""
        return table.claim(self.db, sources, limit, lease, look, first)

    def finish(self, event_id: int) -> None:
        with self.db.session() as s:
            table.finish(s.connection(), event_id)

    def failed(self, event: Claimed, error: str, final: bool = False,
               on_given_up: Callable[[Session], None] | None = None) -> bool:
        """Retry later with backoff, or give up (after MAX_ATTEMPTS, or at once when `final`);
        True when given up. `on_given_up(session)` runs in the transaction that gives up, so
        what it writes (a note to the admins) is there exactly when the event is failed."""
        return table.failed(self.db, event, error, final, self.backoff, on_given_up)

    def count(self, *statuses: str, sources: Iterable[str] | None = None) -> int:
        """Events with these statuses (any when none given) of these sources. Only reads:
        spooled events not yet taken count once each, as pending."""
        sources = list(sources) if sources is not None else None
        if self.spool is None or (statuses and "pending" not in statuses):
            return table.count(self.db, statuses, sources)
        # The spool first, then the table: a record taken in between is in the table by
        # then (a spool file is deleted only after its rows are committed), so none is missed.
        spooled = {r["idempotency_key"] for r in self.spool.peek() if sources is None or r["source"] in sources}
        return table.count(self.db, statuses, sources, spooled)

"""The inbound event table: webhook bodies stored before the 200, handled by workers.

Idempotency keys make a redelivered webhook a no-op. Workers claim rows with a
lease (FOR UPDATE SKIP LOCKED on PostgreSQL), so a killed worker's rows are
picked up again when the lease runs out.
"""

from __future__ import annotations

import hashlib
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import bindparam, func, or_, update
from sqlmodel import select

from cxbot.inbox.writer import insert_new as _insert_new
from cxbot.storage.db import Database
from cxbot.storage.models import InboundEvent

LEASE_SECONDS = 120
MAX_ATTEMPTS = 6
# LINE WORKS sends no event id; an identical body within this window is a duplicate.
WORKS_DEDUPE_WINDOW = 300


# The stored event a worker is handling: records made from it carry its id, so handling
# it again after a crash (its lease ran out) finds them and does not repeat them.
current_event: ContextVar[int | None] = ContextVar("current_event", default=None)


# Set when the handler marked its event done inside its own transaction (finish_in), so
# the worker need not do it separately.
finished: ContextVar[bool] = ContextVar("finished", default=False)


def origin(prefix: str = "ev") -> str | None:
    event_id = current_event.get()
    return f"{prefix}:{event_id}" if event_id is not None else None


@dataclass(frozen=True)
class Claimed:
    id: int
    source: str
    link_token: str | None
    body: str
    attempts: int


def works_key(prefix: str, body: bytes, now: float | None = None) -> str:
    bucket = int((now if now is not None else time.time()) // WORKS_DEDUPE_WINDOW)
    return f"{prefix}:{hashlib.sha256(body).hexdigest()}:{bucket}"


def store(db: Database, source: str, key: str, body: bytes, link_token: str | None = None,
          order_key: str = "") -> bool:
    """Store an event; False when one with the same key was stored already."""
    row = dict(source=source, link_token=link_token, idempotency_key=key, order_key=order_key,
               body=body.decode("utf-8"), received_at=time.time(), status="pending", attempts=0, not_before=0.0)
    if db.spool is not None:
        # SQLite: appended to this process's spool file; duplicates are dropped when the worker takes it.
        db.spool.append(row)
        return True
    # Inside the webhook's time budget: handed to this process's group-commit writer.
    return db.inbox_writer().write(row)


def take_spooled(db: Database) -> int:
    """Move spooled webhook events into the table (SQLite); returns how many were read."""
    if db.spool is None:
        return 0

    def insert(rows: list[dict]) -> None:
        with db.session() as s:
            s.connection().execute(_insert_new(db.engine.dialect.name), rows)

    return db.spool.take(insert)


def claim(db: Database, sources: Iterable[str], limit: int = 5, lease: float = LEASE_SECONDS,
          look: bool = True) -> list[Claimed]:
    """Lease up to `limit` due events of the given sources (those this worker can handle).
    `look=False` skips the lock-free look first, for a worker that knows there is work."""
    now = time.time()
    sources = list(sources)
    if look:
        with db.read() as s:
            # Look before locking: an idle worker polls often, and must not take the write lock to find nothing.
            due = s.exec(select(InboundEvent.id).where(
                or_(InboundEvent.status == "pending", InboundEvent.status == "processing"),
                InboundEvent.not_before <= now, InboundEvent.source.in_(sources)).limit(1)).first()
        if due is None:
            return []
    with db.session() as s:
        unfinished = or_(InboundEvent.status == "pending", InboundEvent.status == "processing")
        # Only the oldest unfinished event of each order key may be taken (head of line).
        heads = select(func.min(InboundEvent.id)).where(unfinished).group_by(InboundEvent.order_key)
        stmt = (
            select(InboundEvent)
            .where(InboundEvent.id.in_(heads), unfinished)
            .where(InboundEvent.source.in_(sources))
            .where(InboundEvent.not_before <= now)
            .order_by(InboundEvent.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        rows = list(s.exec(stmt))
        if rows:
            # Core statements on the session's connection here and below: the ORM's bookkeeping
            # for an UPDATE cost more than the UPDATE, and nothing in the session needs it.
            s.connection().execute(update(InboundEvent).where(InboundEvent.id.in_([r.id for r in rows])).values(
                status="processing", attempts=InboundEvent.attempts + 1, not_before=now + lease))
        return [Claimed(r.id, r.source, r.link_token, r.body, r.attempts + 1) for r in rows]  # type: ignore[arg-type]


# Built once: this runs for every event, and building the statement cost more than running it.
_DONE = (update(InboundEvent).where(InboundEvent.id == bindparam("event_id"))
         .values(status="done", processed_at=bindparam("at"), last_error=None))


def _done(conn, event_id: int) -> None:
    conn.execute(_DONE, {"event_id": event_id, "at": time.time()})


def done(db: Database, event_id: int) -> None:
    with db.session() as s:
        _done(s.connection(), event_id)


def finish_in(session) -> None:
    """Mark the event being handled done in the caller's transaction: what the event
    produced and its being handled commit together (and a crash cannot split them)."""
    event_id = current_event.get()
    if event_id is not None:
        _done(session.connection(), event_id)
        finished.set(True)


def failed(db: Database, event: Claimed, error: str, final: bool = False) -> None:
    """Retry later with backoff, or give up (after MAX_ATTEMPTS, or at once when `final`)."""
    final = final or event.attempts >= MAX_ATTEMPTS
    with db.session() as s:
        s.execute(update(InboundEvent).where(InboundEvent.id == event.id).values(
            status="failed" if final else "pending",
            not_before=time.time() + min(2 ** event.attempts, 300),
            last_error=error[:2000],
        ))


def count(db: Database, *statuses: str, sources: Iterable[str] | None = None) -> int:
    take_spooled(db)
    with db.session() as s:
        stmt = select(func.count()).select_from(InboundEvent)
        if statuses:
            stmt = stmt.where(InboundEvent.status.in_(statuses))
        if sources is not None:
            stmt = stmt.where(InboundEvent.source.in_(list(sources)))
        return int(s.exec(stmt).one())

"""The inbound_events table: inserting new events, leasing them to workers, marking the outcome.

Idempotency keys make a redelivered webhook a no-op. Workers lease rows (FOR UPDATE
SKIP LOCKED on PostgreSQL), so a killed worker's rows are taken again when the lease runs out.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable

from sqlalchemy import bindparam, case, func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from cxbot.storage.db import Database
from cxbot.storage.models import InboundEvent

MAX_ATTEMPTS = 6

_UNFINISHED = ("pending", "processing")


@dataclass(frozen=True)
class Claimed:
    id: int
    source: str
    link_token: str | None
    body: str
    attempts: int


def insert_new(dialect_name: str):
    """INSERT of event rows that skips one whose idempotency key is stored already."""
    module = postgresql if dialect_name == "postgresql" else sqlite
    return module.insert(InboundEvent.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])


def insert(db: Database, rows: list[dict]) -> int:
    """Insert the rows in one transaction; returns how many were new."""
    # RETURNING, not rowcount: PostgreSQL's driver reports -1 for these statements.
    stmt = insert_new(db.engine.dialect.name).returning(InboundEvent.id)
    with db.session() as s:
        return len(s.connection().execute(stmt, rows).all())


_IS_KNOWN = "SELECT 1 FROM inbound_event WHERE idempotency_key = ?"


def is_known_sqlite(db: Database, key: str) -> bool:
    """One key, on SQLite, for the web side: a session and a statement built per webhook cost
    30 times the lookup, so this is the driver's own cached statement, outside any transaction
    (a WAL reader takes no lock)."""
    conn = db.engine.raw_connection()
    try:
        return conn.dbapi_connection.execute(_IS_KNOWN, (key,)).fetchone() is not None
    finally:
        conn.close()


def claim(db: Database, sources: Iterable[str], limit: int, lease: float, look: bool,
          first: tuple[str, ...] = ()) -> list[Claimed]:
    now = time.time()
    sources = list(sources)
    unfinished = InboundEvent.status.in_(_UNFINISHED)
    if look:
        with db.read() as s:
            # Look before locking: an idle worker polls often, and must not take the write lock to find nothing.
            due = s.exec(select(InboundEvent.id).where(
                unfinished, InboundEvent.not_before <= now, InboundEvent.source.in_(sources)).limit(1)).first()
        if due is None:
            return []
    with db.session() as s:
        # Only the oldest unfinished event of each order key may be taken (head of line).
        heads = select(func.min(InboundEvent.id)).where(unfinished).group_by(InboundEvent.order_key)
        stmt = (
            select(InboundEvent)
            .where(InboundEvent.id.in_(heads), unfinished)
            .where(InboundEvent.source.in_(sources))
            .where(InboundEvent.not_before <= now)
            .order_by(*([case((InboundEvent.source.in_(first), 0), else_=1)] if first else []), InboundEvent.id)
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


def finish(conn, event_id: int) -> None:
    conn.execute(_DONE, {"event_id": event_id, "at": time.time()})


def failed(db: Database, event: Claimed, error: str, final: bool, backoff: float,
           on_given_up: Callable[[Session], None] | None) -> bool:
    final = final or event.attempts >= MAX_ATTEMPTS
    with db.session() as s:
        s.execute(update(InboundEvent).where(InboundEvent.id == event.id).values(
            status="failed" if final else "pending",
            not_before=time.time() + min(backoff * 2 ** event.attempts, 300),
            last_error=error[:2000],
        ))
        if final and on_given_up is not None:
            on_given_up(s)
    return final


def count(db: Database, statuses: tuple[str, ...], sources: list[str] | None, spooled: set[str] = frozenset()) -> int:
    """Rows with these statuses and sources, plus the `spooled` keys the table does not hold
    yet: both read in one snapshot, so an event stored in between is counted once."""
    with db.read() as s:
        stmt = select(func.count()).select_from(InboundEvent)
        if statuses:
            stmt = stmt.where(InboundEvent.status.in_(statuses))
        if sources is not None:
            stmt = stmt.where(InboundEvent.source.in_(sources))
        stored = int(s.exec(stmt).one())
        if spooled:
            spooled = spooled - set(s.exec(select(InboundEvent.idempotency_key)
                                           .where(InboundEvent.idempotency_key.in_(list(spooled)))))
        return stored + len(spooled)

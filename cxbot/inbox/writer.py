"""Group commit for webhook ingest: one writer thread per process.

Request threads hand their event row to the writer and wait until the transaction
holding it has committed, so the 200 still means "stored". Rows that arrive together
share one transaction, and only one thread per process queues for SQLite's write lock
(its busy wait sleeps in coarse steps, which is what capped ingest throughput).
"""

from __future__ import annotations

import logging
import queue
import threading
import time

from sqlalchemy.dialects import postgresql, sqlite

from cxbot.storage.db import begin_write
from cxbot.storage.models import InboundEvent

log = logging.getLogger(__name__)

MAX_BATCH = 64
IDLE_RENEW = 60.0
_STOP = object()


class _Pending:
    __slots__ = ("row", "done", "inserted", "error")

    def __init__(self, row: dict):
        self.row = row
        self.done = threading.Event()
        self.inserted = False
        self.error: BaseException | None = None


def insert_new(dialect_name: str):
    """INSERT of an event row that skips one whose idempotency key is stored already."""
    module = postgresql if dialect_name == "postgresql" else sqlite
    return module.insert(InboundEvent.__table__).on_conflict_do_nothing(index_elements=["idempotency_key"])


class InboxWriter:
    def __init__(self, engine):
        self.engine = engine
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._sql: tuple | None = None
        self._conn = None
        self._used = 0.0
        self._thread = threading.Thread(target=self._run, name="inbox-writer", daemon=True)
        self._thread.start()

    def write(self, row: dict) -> bool:
        """Store the row; False when its idempotency key was stored already."""
        pending = _Pending(row)
        self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.inserted

    def stop(self) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout=5)

    def _compiled(self, row: dict) -> tuple[str, tuple | None]:
        if self._sql is None:
            compiled = insert_new(self.engine.dialect.name).compile(dialect=self.engine.dialect, column_keys=list(row))
            self._sql = (compiled.string, compiled.positiontup)
        return self._sql

    def _params(self, row: dict):
        sql, positions = self._compiled(row)
        return sql, (tuple(row[k] for k in positions) if positions else row)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                break
            self._commit(first)
        if self._conn is not None:
            self._conn.close()

    def _collect(self, first: _Pending) -> list[_Pending]:
        batch = [first]
        while len(batch) < MAX_BATCH:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self._queue.put(_STOP)
                break
            batch.append(item)
        return batch

    def _connection(self):
        # Kept between batches: a pool checkout per batch cost as much as the insert. An idle
        # one is renewed, as the pool's recycle would, before a proxy or firewall drops it.
        now = time.monotonic()
        if self._conn is not None and now - self._used > IDLE_RENEW:
            self._discard_connection()
        if self._conn is None:
            self._conn = self.engine.raw_connection()
        self._used = now
        return self._conn

    def _commit(self, first: _Pending) -> None:
        batch = [first]
        try:
            conn = self._connection()
            cur = conn.cursor()
            if self.engine.dialect.name == "sqlite":
                begin_write(conn.dbapi_connection)
            # Collected once the write lock is ours: whatever arrived while waiting for it joins.
            batch = self._collect(first)
            counts = []
            for pending in batch:
                sql, params = self._params(pending.row)
                cur.execute(sql, params)
                counts.append(cur.rowcount)
            conn.commit()
            for pending, count in zip(batch, counts):
                pending.inserted = count == 1
        except BaseException as exc:  # every waiter learns the batch failed; none is told "stored"
            log.exception("could not store %d webhook event(s)", len(batch))
            self._discard_connection()
            for pending in batch:
                pending.error = exc
        finally:
            for pending in batch:
                pending.done.set()

    def _discard_connection(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            conn.rollback()
            conn.close()
        except Exception:
            conn.invalidate()

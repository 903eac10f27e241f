"""A rate limit shared by every process and host: at most `limit` calls in any `window`
seconds for each key, kept in one `rate_budget` row per key.

A call takes its place under the row's lock (SELECT ... FOR UPDATE on PostgreSQL, the
writer lock on SQLite), so two workers on two hosts never spend the same place. The row
keeps when each call of the window was made (a sliding log, not a refilling bucket): a
bucket would let a full burst and then its refill through within one minute, twice what
a platform that counts any 60 s allows. The log is stricter than a window that resets
every minute, so it keeps within either way of counting.

What the platform says corrects the log: fewer calls left than we count (another
program of the tenant spends the same limit) adds placeholder calls that run out when
its window resets; none left (a 429, `remaining: 0`) holds every call until then.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import select

from cxbot.storage.db import Database, is_postgres
from cxbot.storage.models import RateBudget


@dataclass(frozen=True)
class Turn:
    """A take's answer: `wait` is 0 when the call may go now (its place is taken), else the
    seconds until a place frees (nothing taken); `left` the places left in the window."""

    wait: float
    left: int
    at: float = 0.0  # when the place was taken (under the row's lock)


class Budget:
    def __init__(self, db: Database, margin: float = 0.02):
        self.db = db
        # The window is counted a little longer than the platform's: a call's place is taken
        # before it travels, and the platform counts it when it arrives.
        self.margin = margin
        # Per process: when each full key frees, so a worker that knows a key is spent asks
        # no database; and the keys whose row exists.
        self._full_until: dict[str, float] = {}
        self._rows: set[str] = set()
        self._lock = threading.Lock()

    def free_at(self, key: str) -> float:
        """When this process last learned the key frees (0: as far as it knows, now)."""
        return self._full_until.get(key, 0.0)

    def take(self, key: str, limit: int, window: float) -> Turn:
        now = time.time()
        known = self._full_until.get(key, 0.0)
        if known > now:
            return Turn(known - now, 0)
        span = window * (1 + self.margin)
        with self.db.session() as s:
            row = self._locked(s, key)
            now = time.time()  # read under the lock: a place is dated when it was really taken
            calls = [t for t in _times(row.calls) if t > now - span]
            if row.held_until > now:
                wait = row.held_until - now
            elif len(calls) >= limit:
                wait = calls[len(calls) - limit] + span - now  # when enough of the oldest run out
            else:
                calls.append(now)
                wait = 0.0
            row.calls = _text(calls)
            s.add(row)
        if wait > 0:
            with self._lock:
                self._full_until[key] = now + wait
        return Turn(max(0.0, wait), max(0, limit - len(calls)), now)

    def correct(self, key: str, limit: int, window: float, remaining: int, reset: float) -> None:
        """The platform says `remaining` calls are left until its window resets in `reset` s."""
        span = window * (1 + self.margin)
        with self.db.session() as s:
            row = self._locked(s, key)
            now = time.time()
            calls = [t for t in _times(row.calls) if t > now - span]
            if remaining <= 0:
                row.held_until = max(row.held_until, now + reset)
            else:
                # Placeholders dated so that they run out when the platform's window resets.
                missing = (limit - len(calls)) - remaining
                calls = sorted(calls + [now + reset - span] * max(0, missing))
            row.calls = _text(calls)
            s.add(row)
        if remaining <= 0:
            with self._lock:
                self._full_until[key] = max(self._full_until.get(key, 0.0), now + reset)

    def _locked(self, s, key: str) -> RateBudget:
        if key not in self._rows:
            # The first call of a key makes its row; two processes doing so at once both go on.
            maker = pg_insert if is_postgres(self.db.engine) else sqlite_insert
            s.connection().execute(maker(RateBudget).values(key=key, calls="", held_until=0.0)
                                   .on_conflict_do_nothing())
            self._rows.add(key)
        return s.exec(select(RateBudget).where(RateBudget.key == key).with_for_update()).one()


def _times(text: str) -> list[float]:
    return [float(t) for t in text.split()]


def _text(times: list[float]) -> str:
    return " ".join(f"{t:.6f}" for t in times)

"""LINE WORKS' rate limits as cxbot spends them (reference §7.1, jp/docs/rate-limits): each
API operation allows `per_min` calls a minute per tenant (240 on the Standard and Advanced
plans, 60 on Free), room creation `rooms_per_min` (10 on every plan), counted across every
process and host.

Every call the client makes takes its place in the shared budget (storage/budget.py)
first; the platform's `rateLimit-*` headers correct it. A caller that may not wait gets a
`BudgetSpent` at once, with the seconds until a place frees.
"""

from __future__ import annotations

import contextvars
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator

from cxbot.storage.budget import Budget

log = logging.getLogger(__name__)

ROOM_CREATE = "POST /bots/{}/channels"
ROOM_POST = "POST /bots/{}/channels/{}/messages"
USER_MESSAGE = "POST /bots/{}/users/{}/messages"


def operation(method: str, path: str) -> str:
    """An API operation is a method and a path whatever its ids: every other segment of a
    LINE WORKS path is an id (`/bots/{botId}/channels/{channelId}/messages`)."""
    segments = path.strip("/").split("/")
    return f"{method.upper()} /" + "/".join("{}" if i % 2 else seg for i, seg in enumerate(segments))


class BudgetSpent(Exception):
    """cxbot's own budget has no place for the call now: nothing was sent."""

    def __init__(self, op: str, wait: float):
        super().__init__(f"{op}: the rate budget frees in {wait:.1f} s")
        self.op = op
        self.wait = wait


@dataclass
class _Unit:
    then_wait: float
    went: bool = False


_unit: contextvars.ContextVar[_Unit | None] = contextvars.ContextVar("works_unit", default=None)


@contextmanager
def one_unit(then_wait: float) -> Iterator[None]:
    """The calls inside are one piece of work (an outbox row: a post in parts, a room and its
    header). Once its first call went, the others wait up to `then_wait` s for a place: the
    piece cannot be tried again from the start without doubling what went."""
    token = _unit.set(_Unit(then_wait))
    try:
        yield
    finally:
        _unit.reset(token)


@dataclass
class WorksRates:
    budget: Budget
    per_min: int = 240
    rooms_per_min: int = 10
    # The platform's minute, in seconds of this clock: only a benchmark at a time scale shortens it.
    window: float = 60.0
    sleep: Callable[[float], None] = time.sleep
    # Lower limits the platform's `rateLimit-limit` named (a Free-plan tenant left at 240).
    _told: dict[str, int] = field(default_factory=dict)

    def limit(self, op: str) -> int:
        configured = self.rooms_per_min if op == ROOM_CREATE else self.per_min
        return min(configured, self._told.get(op, configured))

    def spend(self, op: str, patience: float = 0.0) -> int:
        """Take a place for one call of `op`, waiting up to `patience` s (longer inside a
        `one_unit` whose first call went); the places left after it. Raises BudgetSpent when
        the wait would be longer."""
        unit = _unit.get()
        if unit is not None and unit.went:
            patience = max(patience, unit.then_wait)
        deadline = time.monotonic() + patience
        while True:
            turn = self.budget.take(f"works {op}", self.limit(op), self.window)
            if turn.wait <= 0:
                if unit is not None:
                    unit.went = True
                return turn.left
            if time.monotonic() + turn.wait > deadline:
                raise BudgetSpent(op, turn.wait)
            self.sleep(turn.wait)

    def heard(self, op: str, headers, status: int, left: int | None) -> None:
        """What a response's `rateLimit-*` headers say about the budget."""
        remaining, reset, said_limit = (_number(headers.get(h)) for h in
                                        ("rateLimit-remaining", "rateLimit-reset", "rateLimit-limit"))
        if said_limit is not None and 0 < said_limit < self.limit(op):
            log.warning("LINE WORKS allows %d calls of %s per window, fewer than cxbot's %d: using %d",
                        said_limit, op, self.limit(op), said_limit)
            self._told[op] = int(said_limit)
        if remaining is None or reset is None:
            return
        if status == 429:
            remaining = 0
        elif left is not None and remaining >= left - 1:
            return  # as we count (one call of another process may be on its way): nothing to correct
        self.budget.correct(f"works {op}", self.limit(op), self.window, int(remaining), max(0.0, reset))

    def spent_until(self, op: str) -> float:
        """When this process last heard the operation's budget frees; 0 when it may go now."""
        return self.budget.free_at(f"works {op}")


def _number(value) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None

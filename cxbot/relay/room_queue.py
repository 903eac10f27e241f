"""The queue of conversations waiting for a CX Talk room of their own, against LINE WORKS'
room budget (CXBOT_WORKS_ROOMS_PER_MIN, 10 a minute on every plan).

A conversation waits as its `room_create` outbox row: pending (in the queue, in the order
the drainers take it: an agent's take first, then oldest first) or held (parked in the
intake room while the queue is longer than CXBOT_ROOM_QUEUE_MINUTES of room budget). A
held row holds the conversation's other rows, so nothing of it reaches a room before
the room exists. This module is the one place that decides what counts as the queue.
"""

from __future__ import annotations

from sqlalchemy import func, update
from sqlmodel import Session, select

from cxbot.context import Context
from cxbot.storage.models import OutboxItem

QUEUED = ("pending", "sending")
# A queue that takes longer than this to clear at the room budget is a surge.
SURGE_MINUTES = 1.0


def length(s: Session) -> int:
    """Conversations in the room queue (not those parked)."""
    return int(s.exec(select(func.count()).select_from(OutboxItem)
                      .where(OutboxItem.action == "room_create", OutboxItem.status.in_(QUEUED))).one())


def minutes(ctx: Context, s: Session | None = None) -> float:
    """How long the room queue takes to clear at the room budget; in the caller's session
    when given (its transaction sees its own rows), else in a read of its own."""
    if s is None:
        with ctx.db.read() as own:
            return _minutes(ctx, length(own))
    return _minutes(ctx, length(s))


def _minutes(ctx: Context, queued: int) -> float:
    return queued / ctx.settings.works_rooms_per_min


def in_surge(ctx: Context, s: Session | None = None) -> bool:
    """More than a minute of rooms to make: customers hear that it will take a while (relay/busy.py)."""
    return minutes(ctx, s) > SURGE_MINUTES


def for_new(ctx: Context, s: Session) -> tuple[bool, str]:
    """A new conversation that needs a room: whether it comes in a surge, and the status of
    its room_create (queued, or parked when the queue is full); the queue counted once."""
    queued = length(s)
    return _minutes(ctx, queued) > SURGE_MINUTES, "held" if queued >= bound(ctx) else "pending"


def bound(ctx: Context) -> int:
    """The most conversations the queue holds before new ones are parked in the intake room."""
    return max(1, int(ctx.settings.works_rooms_per_min * ctx.settings.room_queue_minutes))


def release(ctx: Context, s: Session) -> int:
    """Move the oldest parked conversations into the queue as far as it has room; how many."""
    room = bound(ctx) - length(s)
    if room <= 0:
        return 0
    ids = list(s.exec(select(OutboxItem.id).where(OutboxItem.action == "room_create", OutboxItem.status == "held")
                      .order_by(OutboxItem.priority.desc(), OutboxItem.id).limit(room)))
    if ids:
        s.connection().execute(update(OutboxItem).where(OutboxItem.id.in_(ids)).values(status="pending"))
    return len(ids)


def take(s: Session, conversation_id: int) -> bool:
    """An agent took the conversation: its room goes first (parked or not). False when it
    waits for no room."""
    done = s.connection().execute(
        update(OutboxItem).where(OutboxItem.conversation_id == conversation_id, OutboxItem.action == "room_create",
                                 OutboxItem.status.in_(("pending", "held")))
        .values(status="pending", priority=1, not_before=0.0))
    return done.rowcount > 0

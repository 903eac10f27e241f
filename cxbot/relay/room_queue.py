"""How long the queue of conversations waiting for a room of their own is, in minutes.

LINE WORKS lets a tenant create `works_rooms_per_min` rooms a minute (every plan), so
conversations queue for their first room when many customers write at once. This
module is the one place that measures that queue: the busy notice (relay.busy) asks
`in_surge`, and whatever later decides by the queue (the rate budget, the intake room)
is to ask here too, so a change in how the queue is counted is made once.
"""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, select

from cxbot.context import Context
from cxbot.storage.models import OutboxItem

# A queue that takes longer than this to clear at the room budget is a surge.
SURGE_MINUTES = 1.0

# One COUNT over the unsent rows: ix_outbox_status narrows it to the rows still queued
# (a few, or a surge's worth), never the sent history; built once, as the outbox's are.
_WAITING_FOR_ROOM = (select(func.count()).select_from(OutboxItem)
                     .where(OutboxItem.status.in_(("pending", "sending")), OutboxItem.action == "room_create"))


def waiting_for_room(session: Session) -> int:
    """Conversations whose first room is not made yet (their room_create row unsent)."""
    return int(session.exec(_WAITING_FOR_ROOM).one())


def room_queue_minutes(ctx: Context, session: Session | None = None) -> float:
    """Minutes the room queue takes to clear at LINE WORKS' room budget. In the caller's
    session when given (its transaction sees its own rows), else in a read of its own."""
    if session is not None:
        waiting = waiting_for_room(session)
    else:
        with ctx.db.read() as s:
            waiting = waiting_for_room(s)
    return waiting / ctx.settings.works_rooms_per_min


def in_surge(ctx: Context, session: Session | None = None) -> bool:
    """Whether customers now wait more than a minute for their room."""
    return room_queue_minutes(ctx, session) > SURGE_MINUTES

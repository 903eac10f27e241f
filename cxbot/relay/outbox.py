"""The outbox: every outbound call is a row written in the transaction that caused it.

Drainers claim the oldest unsent row of each conversation (FIFO per conversation,
`FOR UPDATE SKIP LOCKED` on PostgreSQL so several workers share the load), call the
platform, and mark the row sent. A failure is retried with jittered exponential
backoff that honours the platform's rate-limit reset; after the last try the row is
dead and a visible 送信できませんでした note goes into the room — except what a room
needs (its creation, its posts), which is never given up while a retry may help: the
admins are told once and it goes on trying. A row whose
drainer was killed mid-send is taken up again when its lease runs out; LINE pushes
carry the row's retry key, so such a retry never sends twice.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import case, func, insert, update
from sqlmodel import Session, select

from cxbot.base.polling import poll
from cxbot.context import Context
from cxbot.storage.db import Database
from cxbot.storage.models import Message, OutboxItem

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Seconds between two drainer rounds of which the first found nothing due.
IDLE_GAP = 0.05
# A rate limit is the platform asking us to wait, not a failure: it does not use up a try.
RATE_LIMIT_FREE_WAITS = 30


@dataclass
class Failure(Exception):
    """A send that did not go through; `retry_after` when the platform said how long to wait.

    `detail` is the technical English for the log; people read `reason` (a case of the
    relay/reason template: unlinked, blocked, withdrawn, file_gone, refused, unavailable, rate_limited, auth,
    line_quota, no_smtp, no_room, no_members, image_unreadable, image_too_large, internal) with the platform's
    own `code` in brackets. (An inbound event given up has its own cases too: see relay.given_up.)"""

    detail: str
    retryable: bool = True
    retry_after: float | None = None
    rate_limited: bool = False
    # Held back by cxbot's own rate budget before it was sent: the plan working, not a failure.
    own_budget: bool = False
    reason: str = "internal"
    code: str = ""

    def __str__(self) -> str:
        return self.detail


def enqueue(session: Session, conversation_id: int | None, action: str, payload: dict,
            message_id: int | None = None, not_before: float = 0.0, status: str = "pending") -> None:
    """Queue a call in the caller's transaction. Inserted at once (Core, not the ORM's deferred
    flush), so rows queued one after another keep that order in the outbox. Only an
    admin_note may have no conversation (those queue in order among themselves)."""
    session.connection().execute(_ENQUEUE, {
        "conversation_id": conversation_id, "message_id": message_id, "action": action,
        "payload": json.dumps(payload, ensure_ascii=False), "retry_key": str(uuid.uuid4()),
        "created_at": time.time(), "not_before": not_before, "status": status})


_ENQUEUE = insert(OutboxItem)  # built once: building it cost more than running it


def claim(db: Database, limit: int = 10, lease: float = 60.0,
          skip: tuple[str, ...] = (), later: tuple[str, ...] = ()) -> list[OutboxItem]:
    """Lease the head row of up to `limit` conversations whose head is due.

    Heads whose action is in `skip` stay (their platform's budget is spent for now); heads
    whose action is in `later` come after the others (a backlog of room posts must not
    keep an agent's answer waiting)."""
    now = time.time()
    unsent = OutboxItem.status.in_(("pending", "sending"))
    due = [unsent, OutboxItem.not_before <= now] + ([OutboxItem.action.notin_(skip)] if skip else [])
    # The heads are found without the write lock: in a surge most looks find none due (the
    # rooms wait for their budget, the posts behind them for their rooms), and a look under
    # the lock would hold up the worker's writes each time. Those found are leased under the
    # lock only if they are still due and unsent; a row never becomes a head again once it
    # stopped being one (ids only grow).
    with db.read() as s:
        ids = list(s.exec(_heads(due, later).limit(limit)))
    if not ids:
        return []
    with db.session() as s:
        rows = list(s.exec(select(OutboxItem).where(OutboxItem.id.in_(ids), *due)
                           .order_by(OutboxItem.id).with_for_update(skip_locked=True)))
        rows.sort(key=lambda row: ids.index(row.id))  # in the heads' order: people first
        if rows:
            s.connection().execute(update(OutboxItem).where(OutboxItem.id.in_([r.id for r in rows]))
                                   .values(status="sending", not_before=now + lease))
            s.expunge_all()  # the rows leave as plain records; the UPDATE above is what is stored
            for row in rows:
                row.status = "sending"
                row.not_before = now + lease
        return rows


def _heads(due: list, later: tuple[str, ...]):
    """The ids of the due heads, in the order they go. A held row (a room parked in the
    intake room) is its conversation's head, not due. Rows of no conversation queue by kind:
    the admins' notes apart from the intake rooms' posts, so that neither waits on the other."""
    kind = case((OutboxItem.conversation_id.is_(None), func.substr(OutboxItem.action, 1, 6)), else_="")
    heads = (select(func.min(OutboxItem.id)).where(OutboxItem.status.in_(("pending", "sending", "held")))
             .group_by(OutboxItem.conversation_id, kind))
    # A head is due when it waits (pending, its retry time reached) or when its lease ran out
    # (sending: the drainer that took it died mid-send).
    order = (([case((OutboxItem.action.in_(later), 1), else_=0)] if later else [])
             + [OutboxItem.priority.desc(), OutboxItem.id])
    return select(OutboxItem.id).where(OutboxItem.id.in_(heads), *due).order_by(*order)


def message_ids(item: OutboxItem) -> list[int]:
    """The messages a row delivers: its own, and those merged into it (a mail of several lines)."""
    ids = [item.message_id] if item.message_id is not None else []
    if '"also_message_ids"' in item.payload:  # only merged rows carry it: skip parsing the rest
        ids += json.loads(item.payload).get("also_message_ids", [])
    return ids


def mark_sent(db: Database, items: list[OutboxItem]) -> None:
    message_ids_ = [mid for item in items for mid in message_ids(item)]
    with db.session() as s:
        conn = s.connection()  # Core: the ORM's UPDATE bookkeeping cost more than the UPDATEs
        conn.execute(update(OutboxItem).where(OutboxItem.id.in_([item.id for item in items]))
                     .values(status="sent", sent_at=time.time(), last_error=None))
        if message_ids_:
            conn.execute(update(Message).where(Message.id.in_(message_ids_)).values(status="sent", last_error=None))


def backoff(attempt: int, base: float = 0.5) -> float:
    return min(300.0, (2 ** attempt) * base) * random.uniform(0.5, 1.0)


def mark_failed(db: Database, item: OutboxItem, failure: Failure,
                on_dead: Callable[[Session, OutboxItem, Failure], None], base: float = 0.5,
                on_stuck: Callable[[Session, OutboxItem, Failure], None] | None = None) -> bool:
    """Schedule a retry, or give up; True when the row is dead.

    With `on_stuck`, a row whose failures may pass is never given up: at its last try
    `on_stuck` tells people once, and it goes on trying at the capped backoff."""
    waited = failure.rate_limited and (failure.own_budget or item.attempts < RATE_LIMIT_FREE_WAITS)
    attempts = item.attempts if waited else item.attempts + 1
    stuck = on_stuck is not None and failure.retryable and attempts >= MAX_ATTEMPTS
    dead = (not failure.retryable or attempts >= MAX_ATTEMPTS) and not stuck
    delay = failure.retry_after if failure.retry_after is not None else backoff(attempts, base)
    with db.session() as s:
        row = s.get(OutboxItem, item.id)
        row.attempts = attempts
        row.last_error = failure.detail[:2000]
        row.status = "dead" if dead else "pending"
        row.not_before = time.time() + (0 if dead else delay)
        s.add(row)
        if dead:
            if message_ids(row):
                s.execute(update(Message).where(Message.id.in_(message_ids(row)))
                          .values(status="failed", last_error=failure.detail[:2000]))
            on_dead(s, row, failure)
        elif stuck and item.attempts < MAX_ATTEMPTS <= attempts:
            on_stuck(s, row, failure)
    return dead


def pending(db: Database) -> int:
    with db.session() as s:
        return int(s.exec(select(func.count()).select_from(OutboxItem)
                          .where(OutboxItem.status.in_(("pending", "sending")))).one())


class Drainer:
    """A thread that sends outbox rows; several may run in one process and across hosts.

    `send` may deliver the rows queued right behind the one it was given with it (they were
    leased for it): it returns them, and they are marked sent with it."""

    def __init__(self, ctx: Context, send: Callable[[Context, OutboxItem], list[OutboxItem] | None],
                 on_dead: Callable[[Context, Session, OutboxItem, Failure], None], name: str = "",
                 spent: Callable[[Context], tuple[str, ...]] = lambda ctx: (), later: tuple[str, ...] = (),
                 keep: tuple[str, ...] = (),
                 on_stuck: Callable[[Context, Session, OutboxItem, Failure], None] | None = None):
        self.ctx = ctx
        self.send = send
        self.spent = spent  # the actions whose platform budget is spent for now
        self.later = later
        # Actions never given up while their failures may pass: people are told once instead.
        self.keep = keep
        self.on_stuck = (lambda s, item, failure: on_stuck(ctx, s, item, failure)) if on_stuck else None
        self.on_dead = lambda s, item, failure: on_dead(ctx, s, item, failure)
        self.name = name or f"outbox-{secrets.token_hex(2)}"

    def run_once(self, look: bool = True) -> int:
        del look  # `poll`'s hint: claim always looks before it locks
        items = claim(self.ctx.db, lease=self.ctx.settings.outbox_lease, skip=self.spent(self.ctx),
                      later=self.later)
        sent: list[OutboxItem] = []
        try:
            for item in items:  # the heads of distinct conversations, so their order is free
                try:
                    also = self.send(self.ctx, item)  # the rows behind it that went with it
                except Failure as failure:
                    dead = mark_failed(self.ctx.db, item, failure, self.on_dead, self.ctx.settings.outbox_backoff,
                                       self.on_stuck if item.action in self.keep else None)
                    (log.debug if failure.own_budget else log.warning)("outbox %s %s failed (%s)%s", item.id, item.action, failure.detail,
                                " — gave up" if dead else "; will retry")
                except Exception as exc:
                    # Unexpected: a database hiccup or a race heals on a retry, a bug does not; either
                    # way the row gets the usual tries and then the visible note, never silence.
                    log.exception("outbox %s %s crashed", item.id, item.action)
                    mark_failed(self.ctx.db, item, Failure(f"{exc.__class__.__name__}: {exc}"), self.on_dead,
                                self.ctx.settings.outbox_backoff, self.on_stuck if item.action in self.keep else None)
                else:
                    sent += [item, *(also or [])]
        finally:
            if sent:
                # One transaction for the batch: a busy drainer would otherwise spend a write per send.
                mark_sent(self.ctx.db, sent)
        return len(items)

    def run(self, stop: threading.Event, wakeup: threading.Event) -> None:
        poll(stop, self.run_once, lambda: self._wait(wakeup), log, "outbox drainer")

    def _wait(self, wakeup: threading.Event) -> bool:
        # In a surge the worker queues rows many times a second, most of them behind a room
        # that waits for its budget: a round woken by each would find nothing each time. A
        # round that found nothing is followed by another no sooner than IDLE_GAP.
        time.sleep(IDLE_GAP)
        wakeup.wait(self.ctx.settings.worker_poll_interval)
        wakeup.clear()
        return True

    def start(self, stop: threading.Event, wakeup: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop, wakeup), name=self.name, daemon=True)
        thread.start()
        return thread

"""The intake room (受付ルーム) of each counter account: nobody waits unseen for a room.

LINE WORKS makes 10 rooms a minute, so a surge of new customers waits for rooms of
their own. Meanwhile the account's intake room, made once with its agents, lists who
waits: one post per look (the scheduler's, every few seconds) when someone new has
waited a moment, with the channel, the first message, how long they waited and when
their room should come. An agent types `/対応 N` (`/take N`) there and that
conversation's room is made next, parked or not (relay/room_queue.py).

The intake room's own creation and posts go through the outbox like any room's, ahead of
the conversations' backlog.
"""

from __future__ import annotations

import json
import re
import time

from sqlalchemy import update
from sqlmodel import Session, select

from cxbot.context import Context
from cxbot.desk.accounts import agents
from cxbot.relay import outbox, room_queue, texts
from cxbot.relay.delivery import WORKS_TEXT_MAX, chunks, works_call
from cxbot.relay.outbox import Failure
from cxbot.storage.models import Contact, Conversation, CounterAccount, Message, OutboxItem
from cxbot.works import messages as m
from cxbot.works.events import Event, MessageEvent, TextContent

# A conversation without a room this long is listed (most get theirs sooner, and an agent
# need not read of them); the scheduler looks this often, so a customer is seen within both.
SHOW_AFTER = 5.0
LOOK_EVERY = 10.0
# While people wait, the list is posted again this often so that its times stay true.
REFRESH = 300.0
LIST_MOST = 15  # entries one post lists; the rest are counted
TAKE = re.compile(r"^\s*(?:/対応|/take)\s*#?(\d+)\s*$", re.IGNORECASE)


def tick(ctx: Context) -> int:
    """One look: parked conversations released as far as the queue has room, intake rooms
    made for accounts that have agents, waiting lists posted; how many posts were queued."""
    posted = 0
    with ctx.db.session() as s:
        room_queue.release(ctx, s)
        for account in s.exec(select(CounterAccount)).all():
            if not agents(account):
                continue
            _ensure_room(s, account)
            if _post_list(ctx, s, account):
                posted += 1
    if posted:
        ctx.outbox_wakeup.set()
    return posted


def _ensure_room(s: Session, account: CounterAccount) -> None:
    if account.intake_channel_id:
        return
    payload = json.dumps({"account_id": account.id})
    queued = s.exec(select(OutboxItem.id).where(OutboxItem.action == "intake_create", OutboxItem.payload == payload,
                                                OutboxItem.status.in_(("pending", "sending")))).first()
    if queued is None:
        outbox.enqueue(s, None, "intake_create", {"account_id": account.id})


def waiting(s: Session, account_id: int) -> list[tuple[Conversation, OutboxItem]]:
    """The account's conversations waiting for a room, in the order their rooms come."""
    rows = s.exec(select(Conversation, OutboxItem)
                  .join(OutboxItem, OutboxItem.conversation_id == Conversation.id)
                  .where(Conversation.counter_account_id == account_id, OutboxItem.action == "room_create",
                         OutboxItem.status.in_(("pending", "sending", "held")))
                  .order_by(OutboxItem.priority.desc(), OutboxItem.id)).all()
    return [(conv, row) for conv, row in rows]


def _post_list(ctx: Context, s: Session, account: CounterAccount) -> bool:
    now = time.time()
    rows = waiting(s, account.id)
    seen = [(conv, row) for conv, row in rows if now - conv.created_at >= SHOW_AFTER]
    if not seen:
        return False
    newest = max(conv.created_at for conv, _ in seen)
    if newest <= account.intake_shown_until and now - account.intake_posted_at < REFRESH:
        return False
    # Claimed like a lease: another process looking at once finds the list posted.
    done = s.connection().execute(
        update(CounterAccount).where(CounterAccount.id == account.id,
                                     CounterAccount.intake_shown_until == account.intake_shown_until)
        .values(intake_shown_until=newest, intake_posted_at=now))
    if done.rowcount != 1:
        return False
    outbox.enqueue(s, None, "intake_post", {"account_id": account.id, "text": _list_text(ctx, s, rows, now)})
    return True


def _list_text(ctx: Context, s: Session, rows: list[tuple[Conversation, OutboxItem]], now: float) -> str:
    per_min = ctx.settings.works_rooms_per_min
    entries, queued = [], 0
    for conv, row in rows:
        if row.status != "held":
            queued += 1
        if len(entries) >= LIST_MOST:
            continue
        contact = s.get(Contact, conv.contact_id)
        first = s.exec(select(Message.text).where(Message.conversation_id == conv.id, Message.direction == "in")
                       .order_by(Message.id).limit(1)).first() or ""
        entries.append({
            "number": conv.id, "customer": contact.display_name or contact.source_id,
            "channel": texts.channel_title(ctx, conv.kind), "first": " ".join(first.split())[:60],
            "waited": max(0, round((now - conv.created_at) / 60)), "held": row.status == "held",
            "taken": row.priority > 0, "eta": max(1, round(queued / per_min)) if row.status != "held" else None})
    return ctx.texts.render("relay/intake_list", entries=entries, total=len(rows), more=max(0, len(rows) - LIST_MOST))


# -- the outbox's senders -------------------------------------------------------------


def intake_create(ctx: Context, item: OutboxItem, payload: dict) -> None:
    with ctx.db.read() as s:
        account = s.get(CounterAccount, payload["account_id"])
        if account is None or account.intake_channel_id:
            return  # deleted, or made already (a retry after the call went)
        members = agents(account)[:100]
        title = ctx.texts.render("relay/intake_title", account=account.name)
    if not members:
        raise Failure("the counter account has no agents", retryable=False, reason="no_members")
    bot = ctx.settings.works_bot_id
    room = works_call(ctx.works_once.create_channel, bot, members, title)["channelId"]
    with ctx.db.session() as s:
        account = s.get(CounterAccount, payload["account_id"])
        account.intake_channel_id = room
        s.add(account)
    for part in chunks(ctx.texts.render("relay/intake_intro", account=account.name), WORKS_TEXT_MAX):
        works_call(ctx.works_once.send_to_channel, bot, room, m.text(part))


def intake_post(ctx: Context, item: OutboxItem, payload: dict) -> None:
    with ctx.db.read() as s:
        account = s.get(CounterAccount, payload["account_id"])
        room = account.intake_channel_id if account else None
    if room is None:
        raise Failure("the intake room is not made yet", reason="no_room")
    for part in chunks(payload["text"], WORKS_TEXT_MAX):
        works_call(ctx.works_once.send_to_channel, ctx.settings.works_bot_id, room, m.text(part))


# -- what agents type there -------------------------------------------------------------


def handle(ctx: Context, event: Event) -> bool:
    """An event of an intake room; False when the event is not from one."""
    room = event.source.channel_id
    if not room:
        return False
    with ctx.db.read() as s:
        account = s.exec(select(CounterAccount).where(CounterAccount.intake_channel_id == room)).first()
    if account is None:
        return False
    if isinstance(event, MessageEvent) and isinstance(event.content, TextContent):
        found = TAKE.match(event.content.text)
        if found:
            _take(ctx, account, int(found.group(1)))
    return True


def _take(ctx: Context, account: CounterAccount, number: int) -> None:
    with ctx.db.session() as s:
        conv = s.get(Conversation, number)
        if conv is None or conv.counter_account_id != account.id:
            outcome, customer = "unknown", ""
        else:
            contact = s.get(Contact, conv.contact_id)
            customer = contact.display_name or contact.source_id
            if room_queue.take(s, conv.id):
                outcome = "taken"
            else:
                outcome = "has_room" if conv.room_channel_id else "coming"
        outbox.enqueue(s, None, "intake_post", {"account_id": account.id, "text": ctx.texts.render(
            "relay/intake_taken", outcome=outcome, number=number, customer=customer)})
    ctx.outbox_wakeup.set()

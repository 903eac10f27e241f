"""The intake room (受付ルーム) of each counter account: nobody waits unseen for a room.

LINE WORKS makes 10 rooms a minute, so a surge of new customers waits for rooms of
their own. Meanwhile the account's intake room, made once with its agents, lists who
waits: one post per look (the scheduler's, every few seconds) of those who began to wait
since the last (each once), with the channel, the first message, how long they waited
and when their room should come; the head of the queue again while nobody new comes. An agent types `/対応 N` (`/take N`) there and that
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
# Seconds of the platform's clock: a benchmark at a time scale (CXBOT_WORKS_RATE_WINDOW
# below 60) shortens them with the platform's minute.
SHOW_AFTER = 5.0
LOOK_EVERY = 10.0
# While people wait, the list is posted again this often so that its times stay true.
REFRESH = 300.0


def platform_seconds(ctx: Context, seconds: float) -> float:
    return seconds * ctx.settings.works_rate_window / 60.0
LIST_MOST = 15  # entries one post lists; the rest are counted
TAKE = re.compile(r"^\s*(?:/対応|/take)\s*#?(\d+)\s*$", re.IGNORECASE)


def tick(ctx: Context) -> int:
    """One look: parked conversations released as far as the queue has room, intake rooms
    made for accounts that have agents, waiting lists posted; how many posts were queued."""
    with ctx.db.read() as s:
        # Most looks find nobody waiting and every intake room made: they take no write lock.
        idle = (s.exec(select(OutboxItem.id).where(OutboxItem.action == "room_create",
                                                   OutboxItem.status.in_(("pending", "sending", "held")))
                       .limit(1)).first() is None
                and all(account.intake_channel_id or not agents(account)
                        for account in s.exec(select(CounterAccount)).all()))
    if idle:
        return 0
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
    """The customers who began waiting since the last list, each once, and how many wait in
    all; while nobody new comes, the head of the queue again every REFRESH."""
    now = time.time()
    rows = waiting(s, account.id)
    seen = [(conv, row) for conv, row in rows if now - conv.created_at >= platform_seconds(ctx, SHOW_AFTER)]
    if not seen:
        return False
    newest = max(conv.created_at for conv, _ in seen)
    fresh = [(conv, row) for conv, row in seen if conv.created_at > account.intake_shown_until]
    if not fresh and now - account.intake_posted_at < platform_seconds(ctx, REFRESH):
        return False
    # Claimed like a lease: another process looking at once finds the list posted.
    done = s.connection().execute(
        update(CounterAccount).where(CounterAccount.id == account.id,
                                     CounterAccount.intake_shown_until == account.intake_shown_until)
        .values(intake_shown_until=max(newest, account.intake_shown_until), intake_posted_at=now))
    if done.rowcount != 1:
        return False
    shown = {conv.id for conv, _ in (fresh or seen[:LIST_MOST])}
    outbox.enqueue(s, None, "intake_post", {"account_id": account.id,
                                            "text": _list_text(ctx, s, rows, shown, now, again=not fresh)})
    return True


def _list_text(ctx: Context, s: Session, rows: list[tuple[Conversation, OutboxItem]], shown: set[int],
               now: float, again: bool) -> str:
    per_min = ctx.settings.works_rooms_per_min
    entries, queued = [], 0
    for conv, row in rows:
        if row.status != "held":
            queued += 1
        if conv.id not in shown:
            continue
        contact = s.get(Contact, conv.contact_id)
        first = s.exec(select(Message.text).where(Message.conversation_id == conv.id, Message.direction == "in")
                       .order_by(Message.id).limit(1)).first() or ""
        entries.append({
            "number": conv.id, "customer": contact.display_name or contact.source_id,
            "channel": texts.channel_title(ctx, conv.kind), "first": " ".join(first.split())[:60],
            "waited": max(0, round((now - conv.created_at) / ctx.settings.works_rate_window)),
            "held": row.status == "held", "taken": row.priority > 0,
            "eta": max(1, round(queued / per_min)) if row.status != "held" else None})
    return ctx.texts.render("relay/intake_list", entries=entries, total=len(rows), again=again,
                            more=max(0, len(rows) - len(entries)) if again else 0)


def in_posts(text: str, most: int) -> list[str]:
    """The text in posts of at most `most` characters, cut between lines where it can."""
    posts, current = [], ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= most:
            current = candidate
            continue
        if current:
            posts.append(current)
        current = line
        while len(current) > most:
            posts.append(current[:most])
            current = current[most:]
    return posts + ([current] if current else [])


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
    for part in in_posts(payload["text"], WORKS_TEXT_MAX):
        works_call(ctx.works_once.send_to_channel, ctx.settings.works_bot_id, room, m.text(part))


def tell_stuck(ctx: Context, s: Session, conv: Conversation, reason: str) -> None:
    """The conversation's room could not be made at any try so far: its account's intake
    room says so once (relay.senders.on_stuck), as the admins hear it in the hub chat."""
    account = s.get(CounterAccount, conv.counter_account_id)
    if account is None or not agents(account):
        return  # no intake room to tell: the admins' note is all there is
    contact = s.get(Contact, conv.contact_id)
    outbox.enqueue(s, None, "intake_post", {"account_id": account.id, "text": ctx.texts.render(
        "relay/intake_stuck", number=conv.id, customer=contact.display_name or contact.source_id,
        channel=texts.channel_title(ctx, conv.kind), reason=reason)})


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

"""What the hub bot sends from the outbox: the CX Talk room made, posts in it, and notes to
the admins in their chat with it (what could not reach a room)."""

from __future__ import annotations

from cxbot.context import Context
from cxbot.desk.accounts import agents
from cxbot.desk.admins import lookup_user
from cxbot.relay import room_queue
from cxbot.relay.conversations import room_header
from cxbot.relay.delivery import WORKS_TEXT_MAX, chunks, send_through_works, works_call
from cxbot.relay.outbox import Failure
from cxbot.storage.models import Conversation, CounterAccount, OutboxItem
from cxbot.works import messages as m


def _configured_admins(ctx: Context) -> list[str]:
    found = []
    for ref in ctx.settings.admins:
        user = lookup_user(ctx, ref)
        if user and user["userId"] not in found:  # a room's members must be unique
            found.append(user["userId"])
    return found


def room_members(ctx: Context, account: CounterAccount) -> list[str]:
    members = agents(account)
    if members:
        return members[:100]
    # No agents named yet: the admins get the room, so the inquiry is not lost.
    return _configured_admins(ctx)


def admin_note(ctx: Context, item: OutboxItem, payload: dict) -> None:
    """A note to the admins in their chat with the hub bot (what could not reach a room)."""
    admins = _configured_admins(ctx)
    if not admins:
        raise Failure("no admin could be found to tell", retryable=False, reason="no_members")
    for user_id in admins:
        for part in chunks(payload["text"], WORKS_TEXT_MAX):
            works_call(ctx.works_once.send_to_user, ctx.settings.works_bot_id, user_id, m.text(part))


def room_create(ctx: Context, item: OutboxItem, payload: dict) -> None:
    _ensure_room(ctx, item.conversation_id)
    with ctx.db.session() as s:
        room_queue.release(ctx, s)  # the queue shortened: the next parked conversation may join it


def _ensure_room(ctx: Context, conversation_id: int) -> str:
    """The conversation's room, made now when it has none: its first one (room_create), or
    a new one after the bot was removed from the last (then the header is posted again)."""
    with ctx.db.read() as s:
        conv = s.get(Conversation, conversation_id)
        if conv.room_channel_id:
            return conv.room_channel_id
        account = s.get(CounterAccount, conv.counter_account_id)
        title, moved = conv.title, conv.room_lost
    members = room_members(ctx, account)
    if not members:
        raise Failure("the counter account has no agents and no admin could be found", retryable=False,
                      reason="no_members")
    bot = ctx.settings.works_bot_id
    made = works_call(ctx.works_once.create_channel, bot, members, title)
    room = made["channelId"]
    with ctx.db.session() as s:
        conv = s.get(Conversation, conversation_id)
        conv.room_channel_id, conv.room_lost = room, False
        s.add(conv)
        header = room_header(s, ctx, conv, moved=True) if moved else None
    if header:
        for part in chunks(header, WORKS_TEXT_MAX):
            works_call(ctx.works_once.send_to_channel, bot, room, m.text(part))
    return room


def forget_rooms(ctx: Context, conversation_ids: list[int]) -> None:
    """This process stops using the rooms it remembered for these conversations."""
    rooms = ctx.db.memo.setdefault("rooms", {})
    for conversation_id in conversation_ids:
        rooms.pop(conversation_id, None)


def _room_of(ctx: Context, conversation_id: int) -> str | None:
    # A room is remembered (per database): each post in a busy room would otherwise read it
    # again. The bot being removed from a room forgets it (membership.bot_removed); another
    # process learns it from the platform's 404 (room_post).
    rooms = ctx.db.memo.setdefault("rooms", {})
    room = rooms.get(conversation_id)
    if room is None:
        with ctx.db.read() as s:
            room = s.get(Conversation, conversation_id).room_channel_id
        if room:
            if len(rooms) > 10_000:
                rooms.clear()
            rooms[conversation_id] = room
    return room


def room_post(ctx: Context, item: OutboxItem, payload: dict) -> None:
    room = _room_of(ctx, item.conversation_id) or _ensure_room(ctx, item.conversation_id)
    bot = ctx.settings.works_bot_id
    try:
        _post(ctx, bot, room, payload)
    except Failure as failure:
        if failure.code != "LINE WORKS 404 NOT_FOUND" or not _forgotten(ctx, item.conversation_id, room):
            raise
        room = _ensure_room(ctx, item.conversation_id)  # the bot left that room: post in the new one
        _post(ctx, bot, room, payload)


def _post(ctx: Context, bot: str, room: str, payload: dict) -> None:
    send_through_works(ctx, ctx.works_once, bot, payload, lambda content: ctx.works_once.send_to_channel(bot, room, content))


def _forgotten(ctx: Context, conversation_id: int, room: str) -> bool:
    """True when the database no longer gives this conversation the room this process remembered."""
    forget_rooms(ctx, [conversation_id])
    return _room_of(ctx, conversation_id) != room

"""What the hub bot sends from the outbox: the CX Talk room made, posts in it, and notes to
the admins in their chat with it (what could not reach a room)."""

from __future__ import annotations

from cxbot.context import Context
from cxbot.desk.accounts import agents
from cxbot.desk.admins import lookup_user
from cxbot.relay.delivery import WORKS_TEXT_MAX, chunks, send_through_works, works_call
from cxbot.relay.outbox import Failure
from cxbot.storage.models import Conversation, CounterAccount, OutboxItem
from cxbot.works import messages as m


def _configured_admins(ctx: Context) -> list[str]:
    found = []
    for ref in ctx.settings.admins:
        user = lookup_user(ctx, ref)
        if user:
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
    with ctx.db.session() as s:
        conv = s.get(Conversation, item.conversation_id)
        if conv.room_channel_id:
            return
        account = s.get(CounterAccount, conv.counter_account_id)
        title = conv.title
    members = room_members(ctx, account)
    if not members:
        raise Failure("the counter account has no agents and no admin could be found", retryable=False,
                      reason="no_members")
    made = works_call(ctx.works_once.create_channel, ctx.settings.works_bot_id, members, title)
    with ctx.db.session() as s:
        conv = s.get(Conversation, item.conversation_id)
        conv.room_channel_id = made["channelId"]
        s.add(conv)


def _room_of(ctx: Context, conversation_id: int) -> str | None:
    # A room, once made, is never replaced, so it is remembered (per database): each post
    # in a busy room would otherwise read it again.
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
    room = _room_of(ctx, item.conversation_id)
    if not room:
        raise Failure("the room could not be created", retryable=False, reason="no_room")
    bot = ctx.settings.works_bot_id
    send_through_works(ctx, ctx.works_once, bot, payload,
                       lambda content: ctx.works_once.send_to_channel(bot, room, content))

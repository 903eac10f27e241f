"""Who is in a CX Talk room: agents leaving it, and the bot removed from it (LINE WORKS
removes the bot by itself once every other member has left).

A room the bot is out of is dead: nothing more is posted there. Its conversations let
go of it, so the next post of the open one makes a new room (room_posts).
"""

from __future__ import annotations

import time

from sqlmodel import select

from cxbot import inbox
from cxbot.context import Context
from cxbot.desk.accounts import agents
from cxbot.relay import outbox, room_posts, texts
from cxbot.storage.models import Contact, Conversation, CounterAccount, Message
from cxbot.works.client import WorksApiError


def bot_removed(ctx: Context, room: str) -> None:
    with ctx.db.session() as s:
        convs = list(s.exec(select(Conversation).where(Conversation.room_channel_id == room)))
        for conv in convs:
            conv.room_channel_id = None  # a later conversation of the contact must not reopen there
            conv.room_lost = conv.status == "open"
            s.add(conv)
            if conv.room_lost:
                s.add(Message(conversation_id=conv.id, direction="event", text="room_lost", created_at=time.time()))
        inbox.finish_in(s)
    room_posts.forget_rooms(ctx, [conv.id for conv in convs])


def members_left(ctx: Context, conv: Conversation, members: tuple[str, ...]) -> None:
    """Agents left the room; when none of the counter account's agents is left, its admins hear
    of it, since the customer's next message will need someone to answer it."""
    with ctx.db.read() as s:
        account = s.get(CounterAccount, conv.counter_account_id)
        contact = s.get(Contact, conv.contact_id)
    if conv.status != "open" or _agents_in_room(ctx, conv.room_channel_id, agents(account)):
        return
    with ctx.db.session() as s:
        outbox.enqueue(s, conv.id, "admin_note", {"text": ctx.texts.render(
            "relay/agents_left", account=account.name, channel=texts.channel_title(ctx, conv.kind),
            customer=contact.display_name or contact.source_id, party=texts.party(ctx, conv.kind),
            room=conv.title)})
        inbox.finish_in(s)
    ctx.outbox_wakeup.set()


def _agents_in_room(ctx: Context, room: str | None, account_agents: list[str]) -> bool:
    if not room:
        return False
    try:
        members = ctx.works.channel_members(ctx.settings.works_bot_id, room)
    except WorksApiError as exc:
        if exc.status == 404:
            return False  # the bot was removed already: nobody was left
        raise
    return bool(set(members) & set(account_agents)) or (not account_agents and bool(members))

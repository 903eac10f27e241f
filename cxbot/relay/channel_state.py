"""What people hear when a channel stops: the out-of-service reply, and the rooms' notes.

While a channel is unlinked (連携解除), a LINE customer's message is answered with the
link's out-of-service reply through the event's reply token, and an employee writing
to an inquiry bot gets the same per-link text; the admin can change it in the
channel menu (stored in the link's info as `out_of_service`). Open CX Talk rooms of
a channel that was unlinked or deleted are told so.
"""

from __future__ import annotations

import time

from sqlmodel import select

from cxbot import channels
from cxbot.context import Context
from cxbot.relay import outbox, texts
from cxbot.storage.models import Conversation, Message

INFO_KEY = "out_of_service"
TEXT_MAX = 1000  # well inside one LINE (5,000) and one LINE WORKS (2,000) text message


def channel_name(info: dict) -> str:
    """The name people know a channel by: the Official Account's or the bot's (mail has none)."""
    return info.get("display_name") or info.get("bot_name") or ""


def default_out_of_service(ctx: Context, kind: str) -> str:
    return ctx.texts.render("relay/not_taking", kind=kind)


def out_of_service_text(ctx: Context, kind: str, info: dict) -> str:
    return (info.get(INFO_KEY) or "").strip() or default_out_of_service(ctx, kind)


def tell_open_rooms(ctx: Context, account_id: int, kind: str, change: str, name: str = "") -> int:
    """Post a note that the channel was `unlinked` or `deleted` into each open conversation's
    room of this counter account and channel; returns how many rooms were told."""
    note = ctx.texts.render("relay/channel_changed", change=change, kind=kind, name=name,
                            channel=texts.channel_title(ctx, kind), party=texts.party(ctx, kind),
                            out_of_service=channels.get(kind).answers_while_unlinked)
    with ctx.db.session() as s:
        ids = list(s.exec(select(Conversation.id).where(Conversation.counter_account_id == account_id,
                                                        Conversation.kind == kind,
                                                        Conversation.status == "open")))
        now = time.time()
        for conv_id in ids:
            s.add(Message(conversation_id=conv_id, direction="event", sender="", text=f"channel {change}",
                          created_at=now))
            outbox.enqueue(s, conv_id, "room_post", {"text": note})
    if ids:
        ctx.outbox_wakeup.set()
    return len(ids)

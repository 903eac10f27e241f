"""The busy notice: what a customer hears at once when cxbot is busy (issue 11).

During a surge (relay.room_queue.in_surge: conversations wait over a minute for a room
of their own), the first message of a customer's new conversation is answered once: a
LINE customer through the message's reply token (free; never a push), a mail customer
with one auto-reply (relay.mail_ack). The text is per link, like the out-of-service
reply: the admin changes it in the channel menu (stored in the link's info as
`busy_reply`), else the template's default. The conversation's `busy_ack_at` is set in
the transaction that opens it, so the notice goes at most once per conversation.
"""

from __future__ import annotations

from cxbot import channels
from cxbot.context import Context

INFO_KEY = "busy_reply"
TEXT_MAX = 1000  # well inside one LINE text message (5,000), and a short mail


def applies(kind: str) -> bool:
    """Whether the channel's customers get a busy notice (cxbot.channels)."""
    return kind in channels.KINDS and channels.get(kind).busy_notice


def default_text(ctx: Context, kind: str) -> str:
    return ctx.texts.render("relay/busy_reply", kind=kind).strip()


def text(ctx: Context, kind: str, info: dict) -> str:
    return (info.get(INFO_KEY) or "").strip() or default_text(ctx, kind)

"""Employees' messages to a counter account's inquiry bot (/webhooks/works/<token>), and the
agents' answers sent back as that bot."""

from __future__ import annotations

import json
import logging

from cxbot.channels import WORKS_BOT
from cxbot.context import Context
from cxbot.desk import links, media
from cxbot.desk.admins import lookup_user
from cxbot.relay import channel_state
from cxbot.relay.conversations import Sender, known_contact, record_inbound
from cxbot.relay.delivery import conversation_of, linked, send_through_works
from cxbot.storage.models import OutboxItem
from cxbot.works import messages as m
from cxbot.works.client import WorksClient
from cxbot.works.events import (
    BeginEvent,
    FileContent,
    ImageContent,
    MessageEvent,
    TextContent,
    parse_event,
)

log = logging.getLogger(__name__)


def bot_client(ctx: Context, link, once: bool = False) -> WorksClient:
    """The API client that speaks as this inquiry bot; `once`: no retrying of its own (the outbox's)."""
    if link.mode == "console":
        # Its own app, but the tenant's: it spends the same rate limits as the hub bot.
        retrying = {"attempts": 1} if once else {}
        return WorksClient(links.console_app(ctx, link), ctx.tokens, ctx.settings.works_api_url, ctx.http,
                           rates=ctx.works_rates, **retrying)
    return ctx.works_once if once else ctx.works  # a bot cxbot created belongs to the hub's tenant app


def member_name(user: dict) -> str:
    """An employee's name as people read it in a room title and header: the name, else the email."""
    name = user.get("userName") or {}
    full = f"{name.get('lastName', '')} {name.get('firstName', '')}".strip()
    return full or str(user.get("email") or user.get("userId") or "")


def sender_of(body: str) -> str:
    """The LINE WORKS userId of the member who sent a stored callback (read without parsing
    the event, which may be what failed)."""
    return str((json.loads(body).get("source") or {}).get("userId") or "")


def handle(ctx: Context, body: str, link_token: str | None = None) -> None:
    link = links.by_token(ctx, link_token, fresh=True) if link_token else None
    if link is None:
        return
    event = parse_event(body)
    if not event.source.user_id:
        return
    # cxbot creates inquiry bots with enableGroupJoin off: every talk with one is 1:1,
    # whether or not its events carry a channelId.
    info = links.info(link)
    bot_id, user_id = info["bot_id"], event.source.user_id
    client = bot_client(ctx, link)
    if isinstance(event, BeginEvent):
        if info.get("description"):
            client.send_to_user(bot_id, user_id, m.text(info["description"]))
        return
    if not isinstance(event, MessageEvent):
        return
    if not link.linked:
        client.send_to_user(bot_id, user_id, m.text(channel_state.out_of_service_text(ctx, WORKS_BOT.kind, info)))
        return
    who = Sender(link.counter_account_id, WORKS_BOT.kind, user_id, "", link_token)
    known = known_contact(ctx, who)
    name = known.display_name if known else ""
    if not name:
        user = lookup_user(ctx, user_id)
        name = member_name(user) if user else ""
    who = Sender(who.counter_account_id, who.kind, user_id, name, link_token)
    content = event.content
    if isinstance(content, TextContent):
        record_inbound(ctx, who, text=content.text, known=known)
    elif isinstance(content, (ImageContent, FileContent)):
        data, content_type, file_name = client.download_attachment(bot_id, content.file_id)
        kind = "image" if isinstance(content, ImageContent) else "file"
        name_ = file_name or f"works-{kind}-{content.file_id[:12]}"
        token = media.store(ctx, name_, content_type, data)
        record_inbound(ctx, who, attachments=[{"token": token, "file_name": name_, "content_type": content_type,
                                               "kind": kind}],
                       room_text=ctx.texts.render("relay/inbound_media", customer=name or user_id, kind=kind),
                       known=known)
    else:
        record_inbound(ctx, who, text=ctx.texts.render("relay/unsupported", kind=content.type), known=known)


def send(ctx: Context, item: OutboxItem, payload: dict) -> None:
    """An agent's answer (text, an image or a file) in the employee's talk with the bot."""
    conv, contact = conversation_of(ctx, item)
    link = linked(ctx, conv)
    client = bot_client(ctx, link, once=True)
    bot = links.info(link)["bot_id"]
    send_through_works(ctx, client, bot, payload,
                       lambda content: client.send_to_user(bot, contact.source_id, content))

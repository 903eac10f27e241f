"""Send on channel: one small service per outbox action, behind one `send` entry.

Each turns a platform error into an outbox `Failure` that says whether a retry can
help and how long the platform asked us to wait.
"""

from __future__ import annotations

import json
import logging

from sqlmodel import Session

from cxbot.context import Context
from cxbot.desk import links, media
from cxbot.desk.accounts import agents
from cxbot.desk.admins import lookup_user
from cxbot.line import messages as line_messages
from cxbot.line.client import LineApiError, LineClient
from cxbot.relay import mail_out, outbox, texts
from cxbot.relay.outbox import Failure
from cxbot.storage.models import Contact, Conversation, CounterAccount, OutboxItem
from cxbot.works import messages as m
from cxbot.works.auth import TokenGrantError, WorksApp
from cxbot.works.client import WorksApiError, WorksClient

log = logging.getLogger(__name__)

WORKS_TEXT_MAX = 2000


def _works_failure(exc: WorksApiError) -> Failure:
    if exc.status == 429:
        reason = "rate_limited"
    elif exc.status == 0 or exc.status >= 500:
        reason = "unavailable"
    else:
        reason = "refused"
    code = f"LINE WORKS {exc.status} {exc.code}" if exc.status else "LINE WORKS"
    return Failure(f"LINE WORKS {exc.status} {exc.code}: {exc.description}", retryable=exc.retryable,
                   retry_after=exc.reset_after, rate_limited=exc.status == 429, reason=reason, code=code)


def _line_failure(exc: LineApiError) -> Failure:
    if exc.status == 429:
        reason = "rate_limited" if exc.retryable else "line_quota"
    elif exc.status == 0 or exc.status >= 500:
        reason = "unavailable"
    else:
        reason = "refused"
    return Failure(f"LINE {exc.status}: {exc.message}", retryable=exc.retryable, retry_after=exc.retry_after,
                   rate_limited=exc.status == 429 and exc.retryable, reason=reason,
                   code=f"LINE {exc.status}" if exc.status else "LINE")


def chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def _load(ctx: Context, item: OutboxItem) -> tuple[Conversation, Contact]:
    with ctx.db.read() as s:
        conv = s.get(Conversation, item.conversation_id)
        return conv, s.get(Contact, conv.contact_id)


def _works(ctx: Context, call, *args):
    try:
        return call(*args)
    except WorksApiError as exc:
        raise _works_failure(exc) from None
    except TokenGrantError as exc:
        raise Failure(f"LINE WORKS token: {exc.description}", retryable=exc.status in (0, 429, 500, 502, 503),
                      reason="auth", code=f"LINE WORKS {exc.status} {exc.error}".strip())


# -- the CX Talk room ------------------------------------------------------------------

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
            _works(ctx, ctx.works_once.send_to_user, ctx.settings.works_bot_id, user_id, m.text(part))


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
    made = _works(ctx, ctx.works_once.create_channel, ctx.settings.works_bot_id, members, title)
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
    if "media" in payload:
        att = payload["media"]
        stored = media.get(ctx, att["token"])
        file_id = _works(ctx, ctx.works_once.upload_attachment, bot, att["file_name"], stored.data,
                         stored.content_type)
        content = m.image(file_id=file_id) if att.get("kind") == "image" else m.file(file_id=file_id)
        _works(ctx, ctx.works_once.send_to_channel, bot, room, content)
        return
    for part in chunks(payload["text"], WORKS_TEXT_MAX):
        _works(ctx, ctx.works_once.send_to_channel, bot, room, m.text(part))


# -- answers back to the customer --------------------------------------------------------

def _link(ctx: Context, conv: Conversation):
    link = links.by_token(ctx, conv.link_token, fresh=True) if conv.link_token else None
    if link is None or not link.linked:
        raise Failure("the channel is not linked any more (unlinked or deleted)", retryable=False, reason="unlinked")
    return link


def line_push(ctx: Context, item: OutboxItem, payload: dict) -> None:
    conv, contact = _load(ctx, item)
    link = _link(ctx, conv)
    token = links.secrets_of(ctx, link)["access_token"]
    if "media" in payload:
        att = payload["media"]
        url = media.url(ctx, att["token"], att["file_name"])
        if att.get("kind") == "image":
            messages = [line_messages.image(url, url)]
        else:
            messages = [line_messages.text(ctx.texts.render("relay/file_link", name=att["file_name"], url=url))]
    else:
        messages = [line_messages.text(part) for part in line_messages.split_text(payload["text"])][:5]
    client = LineClient(token, ctx.settings.line_api_url, ctx.settings.line_data_url, http=ctx.http, attempts=1)
    try:
        client.push(contact.source_id, messages, retry_key=item.retry_key)
    except LineApiError as exc:
        raise _line_failure(exc) from None


def works_send(ctx: Context, item: OutboxItem, payload: dict) -> None:
    conv, contact = _load(ctx, item)
    link = _link(ctx, conv)
    info = links.info(link)
    if link.mode == "console":
        secret = links.secrets_of(ctx, link)
        client = WorksClient(WorksApp(info["client_id"], secret["client_secret"], info["service_account"],
                                      secret["private_key"], "bot"),
                             ctx.tokens, ctx.settings.works_api_url, ctx.http, attempts=1)
    else:
        client = ctx.works_once  # a bot cxbot created belongs to the hub's tenant app
    bot = info["bot_id"]
    if "media" in payload:
        att = payload["media"]
        stored = media.get(ctx, att["token"])
        file_id = _works(ctx, client.upload_attachment, bot, att["file_name"], stored.data, stored.content_type)
        content = m.image(file_id=file_id) if att.get("kind") == "image" else m.file(file_id=file_id)
        _works(ctx, client.send_to_user, bot, contact.source_id, content)
        return
    for part in chunks(payload["text"], WORKS_TEXT_MAX):
        _works(ctx, client.send_to_user, bot, contact.source_id, m.text(part))


SENDERS = {
    "room_create": room_create,
    "room_post": room_post,
    "line_push": line_push,
    "works_send": works_send,
    "mail_send": mail_out.send_reply,
    "admin_note": admin_note,
}


def send(ctx: Context, item: OutboxItem) -> None:
    SENDERS[item.action](ctx, item, json.loads(item.payload))


def on_dead(ctx: Context, s: Session, item: OutboxItem, failure: Failure) -> None:
    """After the last try: a visible 送信できませんでした note in the room; when the room itself
    could not be made, a note to the admins."""
    payload = json.loads(item.payload)
    conv = s.get(Conversation, item.conversation_id)
    if item.action == "room_create":
        # No room: the admins hear of the inquiry that reached nobody (the posts queued behind fail too).
        log.error("outbox %s room_create gave up: %s", item.id, failure.detail)
        contact = s.get(Contact, conv.contact_id)
        account = s.get(CounterAccount, conv.counter_account_id)
        outbox.enqueue(s, conv.id, "admin_note", {"text": ctx.texts.render(
            "relay/room_failed", account=account.name, channel=ctx.texts.label(f"channel_{conv.kind}"),
            customer=contact.display_name or contact.source_id, party=texts.party(ctx, conv.kind),
            reason=texts.reason_text(ctx, failure.reason, failure.code, conv.kind))})
        return
    if item.action == "admin_note" or payload.get("undeliverable_note") or failure.reason == "no_room":
        log.error("outbox %s %s gave up: %s", item.id, item.action, failure.detail)
        return
    kind = conv.kind
    media_names = [a.get("file_name", "") for a in ([payload["media"]] if "media" in payload else [])
                   + payload.get("attachments", [])]
    what = payload.get("text") or ", ".join(n for n in media_names if n)
    outbox.enqueue(s, item.conversation_id, "room_post", {
        "text": ctx.texts.render("relay/undeliverable", what=what[:200], party=texts.party(ctx, kind),
                                 reason=texts.reason_text(ctx, failure.reason, failure.code, kind),
                                 to_customer=item.action != "room_post"),
        "undeliverable_note": True})

"""LINE customers' events (stored by /webhooks/line/<token>) into conversations (the
agents' answers go back in line_answers.py)."""

from __future__ import annotations

import json
import logging
import mimetypes
import time

from cxbot import inbox
from cxbot.channels import LINE
from cxbot.context import Context
from cxbot.desk import links, media
from cxbot.line import messages as line_messages
from cxbot.line.client import LineApiError, LineClient
from cxbot.relay import busy, channel_state
from cxbot.relay.conversations import (
    KnownContact,
    OnBusy,
    Sender,
    known_contact,
    note_in_room,
    record_inbound,
    set_blocked,
    withdraw,
)

log = logging.getLogger(__name__)

MEDIA_TYPES = {"image": "image", "video": "file", "audio": "file", "file": "file"}


def line_client(ctx: Context, link, attempts: int = 3, **retrying) -> LineClient:
    """The Messaging API client of the link's Official Account."""
    token = links.secrets_of(ctx, link)["access_token"]
    return LineClient(token, ctx.settings.line_api_url, ctx.settings.line_data_url, http=ctx.http,
                      attempts=attempts, **retrying)


# Customers whose profile LINE would not give (not a friend, or blocked): asked again only
# after a while, not on every message they send.
_NO_PROFILE_FOR = 600.0
_no_profile: dict[tuple[str, str], float] = {}


def _profile_name(client: LineClient, who: Sender) -> str:
    key = (who.link_token or "", who.source_id)
    if _no_profile.get(key, 0.0) > time.monotonic():
        return ""
    try:
        return str(client.get_profile(who.source_id).get("displayName") or "")
    except LineApiError as exc:
        log.info("no LINE profile for a customer (%s)", exc.status)  # not a friend, or blocked: keep the id
        if not exc.retryable:
            if len(_no_profile) > 10_000:
                _no_profile.clear()
            _no_profile[key] = time.monotonic() + _NO_PROFILE_FOR
        return ""


def _content(ctx: Context, client: LineClient, message_id: str) -> tuple[bytes, str] | str:
    """The content's (bytes, type), or why not: "failed", or "processing" when LINE is still
    preparing a video or audio after CXBOT_LINE_CONTENT_WAIT (its transcoding status polled)."""
    got = client.get_content(message_id)
    if got is not None:
        return got
    wait, deadline = 0.5, time.monotonic() + ctx.settings.line_content_wait
    while (status := client.content_transcoding(message_id)) == "processing":
        if time.monotonic() + wait > deadline:
            return "processing"
        time.sleep(wait)
        wait = min(wait * 2, 5.0)
    if status != "succeeded":
        return "failed"
    return client.get_content(message_id) or "processing"


def _failed_to_prepare(client: LineClient, message_id: str) -> bool:
    """Whether a video / audio LINE would not hand over is one it failed to prepare (what Get
    content answers then is not documented)."""
    try:
        return client.content_transcoding(message_id) == "failed"
    except LineApiError:
        return False


def _download(ctx: Context, client: LineClient, message: dict) -> tuple[dict | None, str]:
    """(the customer's file stored for the room, "") or (None, why it could not be fetched:
    external, gone, missing, failed, processing, unreachable), so the room shows the message
    either way; a passing failure (5xx, a timeout) raises, so the event is tried again, but
    on its last try it is `unreachable`: the message in the room, not lost with the event."""
    kind = message["type"]
    if (message.get("contentProvider") or {}).get("type") == "external":
        return None, "external"  # the file is on the sender's server: LINE's content API does not have it
    try:
        got = _content(ctx, client, message["id"])
    except LineApiError as exc:
        if exc.retryable and not inbox.last_try.get():
            raise
        log.warning("LINE content %s %s: %s", message.get("id"), exc.status, exc.message)
        if exc.retryable:
            return None, "unreachable"
        if exc.status == 410:
            return None, "gone"
        return None, "failed" if kind in ("video", "audio") and _failed_to_prepare(client, message["id"]) else "missing"
    if isinstance(got, str):
        log.warning("LINE content %s not fetched: %s", message.get("id"), got)
        return None, got
    data, content_type = got
    ext = mimetypes.guess_extension(content_type.split(";")[0].strip()) or ""
    name = message.get("fileName") or f"line-{kind}-{message['id']}{ext}"
    token = media.store(ctx, name, content_type, data)
    return {"token": token, "file_name": name, "content_type": content_type, "kind": MEDIA_TYPES[kind]}, ""


# A reply token is good for about a minute after delivery, and never past this age of the event.
REPLY_TOKEN_MAX_AGE = 20 * 60.0


def _reply_text(ctx: Context, link, event: dict, text: str, what: str) -> bool:
    """`text` through the event's reply token (free, unlike a push); whether it went. Too late
    or refused, it is logged: never pushed instead."""
    token = event.get("replyToken")
    if event.get("type") != "message" or not token:
        return False
    age = time.time() - (event.get("timestamp") or 0) / 1000
    if age > REPLY_TOKEN_MAX_AGE:
        log.info("no %s reply: the event is %.0f s old, past its reply token", what, age)
        return False
    try:
        line_client(ctx, link, attempts=2, backoff_max=2.0).reply(token, [line_messages.text(text)])
    except LineApiError as exc:
        log.warning("%s reply not sent (%s %s)", what, exc.status, exc.message)
        return False
    return True


def reply_out_of_service(ctx: Context, link, event: dict) -> None:
    """連携解除: the customer's message gets the link's out-of-service text through its reply token."""
    _reply_text(ctx, link, event, channel_state.out_of_service_text(ctx, LINE.kind, links.info(link)),
                "out-of-service")


def reply_busy(ctx: Context, link, event: dict) -> bool:
    """A surge: the first message of a new conversation gets the link's busy text through its
    reply token (the conversation was marked in the transaction that opened it, so at most once)."""
    return _reply_text(ctx, link, event, busy.text(ctx, LINE.kind, links.info(link)), "busy")


def sender_of(body: str) -> str:
    """The LINE userId of who sent a stored event."""
    return str(((json.loads(body)["event"].get("source") or {}).get("userId")) or "")


def handle(ctx: Context, body: str, link_token: str | None = None) -> None:
    envelope = json.loads(body)
    event = envelope["event"]
    link = links.by_token(ctx, link_token, fresh=True) if link_token else None
    if link is None:
        return  # deleted since it arrived: it does not reach CX Talk
    source = event.get("source") or {}
    if source.get("type") != "user" or not source.get("userId"):
        return  # groups and rooms are not inquiries
    if event.get("mode") == "standby":
        return  # another channel owns the chat in standby: stay out of it
    if not link.linked:
        reply_out_of_service(ctx, link, event)  # unlinked: it does not reach CX Talk
        return
    client = line_client(ctx, link)
    who = Sender(link.counter_account_id, LINE.kind, source["userId"], "", link_token)
    known = known_contact(ctx, who)
    name = known.display_name if known and known.display_name else _profile_name(client, who)
    who = Sender(who.counter_account_id, who.kind, who.source_id, name, link_token)
    kind = event.get("type")
    t = ctx.texts
    if kind == "follow":
        # LINE does not guarantee isUnblocked: a block cxbot recorded counts as one too.
        unblocked = set_blocked(ctx, who, False) or (event.get("follow") or {}).get("isUnblocked")
        note_in_room(ctx, who, t.render("relay/line_follow", customer=who.display_name or who.source_id,
                                        unblocked=unblocked))
        return
    if kind == "unfollow":
        set_blocked(ctx, who, True)
        note_in_room(ctx, who, t.render("relay/line_unfollow", customer=who.display_name or who.source_id))
        return
    if kind == "unsend":
        # LINE asks that an unsent message can no longer be seen or used (receiving-messages).
        message_id = str((event.get("unsend") or {}).get("messageId") or "")
        if not withdraw(ctx, who, message_id):
            note_in_room(ctx, who, t.render("relay/line_unsend", customer=who.display_name or who.source_id,
                                            found=False))
        return
    if kind != "message":
        return
    # The message that opens a conversation during a surge is answered with the busy text,
    # after its transaction committed (a rolled-back one marked nothing and says nothing).
    opened_busy: list[int] = []
    _message(ctx, client, who, known, event["message"], lambda _s, conv: opened_busy.append(conv.id))
    if opened_busy:
        reply_busy(ctx, link, event)


def _message(ctx: Context, client: LineClient, who: Sender, known: KnownContact | None, message: dict,
             on_busy: OnBusy) -> None:
    """A customer's message into their conversation, as the room shows it."""
    t = ctx.texts
    mtype = message.get("type")
    if mtype == "text":
        record_inbound(ctx, who, text=message.get("text", ""), source_id=message.get("id"), known=known,
                       on_busy=on_busy)
    elif mtype in MEDIA_TYPES:
        stored, missing = _download(ctx, client, message)
        provider = message.get("contentProvider") or {}
        record_inbound(ctx, who, source_id=message.get("id"), attachments=[stored] if stored else [],
                       room_text=t.render("relay/inbound_media", customer=who.display_name or who.source_id,
                                          kind=mtype, missing=missing, url=provider.get("originalContentUrl", ""),
                                          name=message.get("fileName", "")), known=known, on_busy=on_busy)
    elif mtype == "sticker":
        record_inbound(ctx, who, source_id=message.get("id"),
                       text=t.render("relay/sticker", keywords=", ".join(message.get("keywords") or [])[:100]),
                       known=known, on_busy=on_busy)
    elif mtype == "location":
        record_inbound(ctx, who, source_id=message.get("id"),
                       text=t.render("relay/location", title=message.get("title", ""),
                                     address=message.get("address", ""), latitude=message.get("latitude"),
                                     longitude=message.get("longitude")), known=known, on_busy=on_busy)
    else:
        record_inbound(ctx, who, source_id=message.get("id"), text=t.render("relay/unsupported", kind=mtype),
                       known=known, on_busy=on_busy)

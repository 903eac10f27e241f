"""The outbox's one entry: each row to the sender of its action, and what people are told
when a row gives up.

Every sender turns a platform error into an outbox `Failure` that says whether a retry
can help and how long the platform asked us to wait.
"""

from __future__ import annotations

import json
import logging

from sqlmodel import Session

from cxbot.context import Context
from cxbot.relay import mail_ack, outbox, room_posts, texts
from cxbot.relay.channels import answer_senders
from cxbot.relay.outbox import Failure
from cxbot.storage.models import Contact, Conversation, CounterAccount, OutboxItem

log = logging.getLogger(__name__)

SENDERS = {
    "room_create": room_posts.room_create,
    "room_post": room_posts.room_post,
    "admin_note": room_posts.admin_note,
    mail_ack.ACTION: mail_ack.send,
    **answer_senders(),
}


def send(ctx: Context, item: OutboxItem) -> None:
    SENDERS[item.action](ctx, item, json.loads(item.payload))


def on_dead(ctx: Context, s: Session, item: OutboxItem, failure: Failure) -> None:
    """After the last try: a visible 送信できませんでした note in the room; when the room itself
    could not be made, a note to the admins."""
    payload = json.loads(item.payload)
    if item.action == mail_ack.ACTION:
        # The customer's mail itself reaches the room: only the courtesy notice did not go.
        log.warning("outbox %s busy notice by mail not sent: %s", item.id, failure.detail)
        return
    if item.action == "admin_note" or payload.get("undeliverable_note") or failure.reason == "no_room":
        log.error("outbox %s %s gave up: %s", item.id, item.action, failure.detail)
        return
    conv = s.get(Conversation, item.conversation_id)
    if item.action == "room_create":
        # No room: the admins hear of the inquiry that reached nobody (the posts queued behind fail too).
        log.error("outbox %s room_create gave up: %s", item.id, failure.detail)
        contact = s.get(Contact, conv.contact_id)
        account = s.get(CounterAccount, conv.counter_account_id)
        outbox.enqueue(s, conv.id, "admin_note", {"text": ctx.texts.render(
            "relay/room_failed", account=account.name, channel=texts.channel_title(ctx, conv.kind),
            customer=contact.display_name or contact.source_id, party=texts.party(ctx, conv.kind),
            reason=texts.reason_text(ctx, failure.reason, failure.code, conv.kind))})
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

"""The outbox's one entry: each row to the sender of its action, and what people are told
when a row gives up.

Every sender turns a platform error into an outbox `Failure` that says whether a retry
can help and how long the platform asked us to wait.
"""

from __future__ import annotations

import json
import logging
import time

from sqlmodel import Session

from cxbot.context import Context
from cxbot.relay import coalesce, intake, mail_ack, outbox, room_posts, texts
from cxbot.relay.channels import answer_senders
from cxbot.relay.delivery import WORKS_TEXT_MAX
from cxbot.relay.outbox import Failure
from cxbot.storage.models import Contact, Conversation, CounterAccount, OutboxItem
from cxbot.works import rates

log = logging.getLogger(__name__)

SENDERS = {
    "room_create": room_posts.room_create,
    "room_post": room_posts.room_post,
    "admin_note": room_posts.admin_note,
    "intake_create": intake.intake_create,
    "intake_post": intake.intake_post,
    mail_ack.ACTION: mail_ack.send,
    **answer_senders(),
}


# The LINE WORKS operation each of the hub bot's actions spends first: while its budget is
# spent, drainers leave those rows and send the others.
LANES = {"room_create": rates.ROOM_CREATE, "room_post": rates.ROOM_POST, "admin_note": rates.USER_MESSAGE,
         "intake_create": rates.ROOM_CREATE, "intake_post": rates.ROOM_POST}
# The backlog a surge builds: sent after the answers agents wait on and the notes admins read.
LATER = ("room_post", "room_create")


def spent(ctx: Context) -> tuple[str, ...]:
    now = time.time()
    return tuple(action for action, op in LANES.items() if ctx.works_rates.spent_until(op) > now)


def send(ctx: Context, item: OutboxItem) -> list[OutboxItem]:
    """Send a row; the rows queued behind it that went with it (text posts joined into one)."""
    payload, run = json.loads(item.payload), []
    gathered = coalesce.gather(ctx, item, WORKS_TEXT_MAX)
    if gathered is not None:
        payload, run = {"text": gathered[0]}, gathered[1]
    try:
        # A row whose first LINE WORKS call went waits (up to the platform's minute) for the rest.
        with rates.one_unit(ctx.settings.works_rate_window):
            SENDERS[item.action](ctx, item, payload)
    except BaseException:
        if run:
            coalesce.give_back(ctx, run)
        raise
    return run


# What a room needs is never given up while a retry may help (on_stuck tells the admins once).
KEEP = ("room_create", "room_post")


def on_stuck(ctx: Context, s: Session, item: OutboxItem, failure: Failure) -> None:
    """A room's creation or post failed at every try so far: the admins hear it once, with the
    reason, while cxbot goes on trying; a room's creation is told in the intake room too."""
    log.error("outbox %s %s keeps failing (%s); still trying", item.id, item.action, failure.detail)
    conv = s.get(Conversation, item.conversation_id)
    _tell_admins(ctx, s, conv, "relay/room_failed" if item.action == "room_create" else "relay/post_stuck", failure)
    if item.action == "room_create":
        intake.tell_stuck(ctx, s, conv, texts.reason_text(ctx, failure.reason, failure.code, conv.kind))


def _tell_admins(ctx: Context, s: Session, conv: Conversation, template: str, failure: Failure) -> None:
    # The note is queued with the conversation's rows but is not a room post: admin notes are
    # sent before the backlog, and a stuck head would hold it, so it goes without a conversation.
    contact = s.get(Contact, conv.contact_id)
    account = s.get(CounterAccount, conv.counter_account_id)
    outbox.enqueue(s, None, "admin_note", {"text": ctx.texts.render(
        template, account=account.name, channel=texts.channel_title(ctx, conv.kind),
        customer=contact.display_name or contact.source_id, party=texts.party(ctx, conv.kind),
        reason=texts.reason_text(ctx, failure.reason, failure.code, conv.kind))})


def on_dead(ctx: Context, s: Session, item: OutboxItem, failure: Failure) -> None:
    """After the last try: a visible 送信できませんでした note in the room; when the room itself
    could not be made, a note to the admins."""
    payload = json.loads(item.payload)
    if item.action == mail_ack.ACTION:
        # The customer's mail itself reaches the room: only the courtesy notice did not go.
        log.warning("outbox %s busy notice by mail not sent: %s", item.id, failure.detail)
        return
    if item.conversation_id is None or payload.get("undeliverable_note") or failure.reason == "no_room":
        # A note to the admins, or the intake room: nobody else to tell.
        log.error("outbox %s %s gave up: %s", item.id, item.action, failure.detail)
        return
    conv = s.get(Conversation, item.conversation_id)
    if item.action == "room_create":
        log.error("outbox %s room_create gave up: %s", item.id, failure.detail)
        _tell_admins(ctx, s, conv, "relay/room_failed", failure)
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

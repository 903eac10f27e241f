"""Contacts and conversations: who wrote, and the CX Talk room their inquiry lives in.

Routing is serialised per (counter account, channel, sender): the contact row is
locked while its open conversation is found or opened, so an album of images sent
at once opens one room, not several.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from cxbot import channels, inbox
from cxbot.context import Context
from cxbot.desk import media
from cxbot.relay import outbox, room_queue, texts
from cxbot.storage.db import is_postgres
from cxbot.storage.models import (
    ChannelLink,
    Contact,
    Conversation,
    CounterAccount,
    Message,
    OutboxItem,
)


@dataclass(frozen=True)
class Sender:
    counter_account_id: int
    kind: str  # the channel's (cxbot.channels)
    source_id: str
    display_name: str
    link_token: str | None


# Called in the transaction that opens a conversation during a surge, with the conversation
# marked busy_ack_at: what the channel queues there goes before the room's creation.
OnBusy = Callable[[Session, "Conversation"], None]


@dataclass(frozen=True)
class KnownContact:
    id: int
    display_name: str


def _contact(ctx: Context, who: Sender, known: KnownContact | None = None) -> int:
    """The contact's id, creating it once even when two workers race."""
    if known is not None and (not who.display_name or who.display_name == known.display_name):
        return known.id  # looked up by the caller a moment ago, and nothing to update
    for _ in range(2):
        with ctx.db.read() as s:
            row = s.exec(select(Contact).where(Contact.counter_account_id == who.counter_account_id,
                                               Contact.kind == who.kind,
                                               Contact.source_id == who.source_id)).first()
        if row is not None:
            if who.display_name and row.display_name != who.display_name:
                with ctx.db.session() as s:
                    s.execute(update(Contact).where(Contact.id == row.id).values(display_name=who.display_name))
                _contact_memo(ctx).pop((who.counter_account_id, who.kind, who.source_id), None)
            return row.id
        try:
            with ctx.db.session() as s:
                row = Contact(counter_account_id=who.counter_account_id, kind=who.kind, source_id=who.source_id,
                              display_name=who.display_name, created_at=time.time())
                s.add(row)
                s.flush()
                return row.id
        except IntegrityError:
            continue
    raise RuntimeError("could not create the contact")


# Statements of the worker's busiest path, built once (building one cost more than running it).
_OPEN_CONVERSATION = (select(Conversation)
                      .where(Conversation.contact_id == bindparam("contact_id"), Conversation.status == "open")
                      .order_by(Conversation.id.desc()))
_INSERT_MESSAGE = insert(Message).returning(Message.id)
_TOUCH_CONVERSATION = (update(Conversation).where(Conversation.id == bindparam("conversation_id"))
                       .values(updated_at=bindparam("at")))


def _previous_room(s: Session, contact_id: int) -> str | None:
    """The room of the contact's last conversation: a new conversation reopens there."""
    return s.exec(select(Conversation.room_channel_id)
                  .where(Conversation.contact_id == contact_id, Conversation.room_channel_id.is_not(None))
                  .order_by(Conversation.id.desc()).limit(1)).first()


def _link_info(s: Session, token: str | None) -> dict:
    link = s.exec(select(ChannelLink).where(ChannelLink.webhook_token == token)).first() if token else None
    return json.loads(link.info_json or "{}") if link is not None else {}


def open_conversation(s: Session, ctx: Context, contact_id: int, who: Sender,
                      subject: str = "", on_busy: OnBusy | None = None) -> tuple[Conversation, bool]:
    """The contact's open conversation, or a new one: in the contact's room when they had one
    (after a separator post), else with its room queued. A new one that must wait for its room
    during a surge is marked busy_ack_at and given to `on_busy` (once: only here is a
    conversation opened). Call inside a session."""
    contact = None
    if is_postgres(s.get_bind()):
        # The row lock serialises routing per contact. SQLite's write transaction already
        # does (one writer at a time), so there the contact is read only when needed.
        contact = s.exec(select(Contact).where(Contact.id == contact_id).with_for_update()).one()
    conv = s.exec(_OPEN_CONVERSATION, params={"contact_id": contact_id}).first()
    if conv is not None:
        if who.link_token and conv.link_token != who.link_token:
            conv.link_token = who.link_token  # the channel was set up again: answer through the new link
            s.add(conv)
        return conv, False
    contact = contact or s.get(Contact, contact_id)
    account = s.get(CounterAccount, who.counter_account_id)
    now = time.time()
    customer = contact.display_name or contact.source_id
    room = _previous_room(s, contact.id)
    # Only a conversation that will queue for its room waits: a returning customer's has one.
    surge, queued_as = room_queue.for_new(ctx, s) if room is None else (False, "")
    busy = on_busy is not None and surge
    conv = Conversation(contact_id=contact.id, counter_account_id=account.id, kind=who.kind,
                        link_token=who.link_token, title=texts.room_title(ctx, who.kind, customer, account.name),
                        subject=subject[:998], room_channel_id=room,
                        reply_token=secrets.token_hex(12) if channels.get(who.kind).reply_address else None,
                        created_at=now, updated_at=now, busy_ack_at=now if busy else None)
    s.add(conv)
    s.flush()
    if busy:
        on_busy(s, conv)
    if room is None:
        outbox.enqueue(s, conv.id, "room_create", {}, status=queued_as)
    outbox.enqueue(s, conv.id, "room_post", {"text": room_header(s, ctx, conv, contact, account,
                                                                 reopened=room is not None)})
    return conv, True


def room_header(s: Session, ctx: Context, conv: Conversation, contact: Contact | None = None,
                account: CounterAccount | None = None, reopened: bool = False, moved: bool = False) -> str:
    """The first post of a conversation in a room: who wrote, to which channel, how to answer.
    `reopened`: a new conversation in the contact's room; `moved`: this one in a new room."""
    contact = contact or s.get(Contact, conv.contact_id)
    account = account or s.get(CounterAccount, conv.counter_account_id)
    return ctx.texts.render("relay/room_header", kind=conv.kind, party=texts.party(ctx, conv.kind),
                            customer=contact.display_name or contact.source_id, source=contact.source_id,
                            account=account.name, address=account.default_address,
                            info=_link_info(s, conv.link_token), subject=conv.subject, reopened=reopened,
                            moved=moved)


def record_inbound(ctx: Context, who: Sender, *, text: str = "", source_id: str | None = None,
                   attachments: list[dict] | None = None, subject: str = "", room_text: str | None = None,
                   mail_ids: dict | None = None, known: KnownContact | None = None,
                   on_busy: OnBusy | None = None) -> Conversation:
    """A customer's message: stored, its post to the room queued and the event it came
    from marked handled, in one transaction (`on_busy`: see open_conversation)."""
    contact_id = _contact(ctx, who, known)
    source_id = source_id or inbox.origin()
    with ctx.db.session() as s:
        conv, _ = open_conversation(s, ctx, contact_id, who, subject, on_busy)
        # Within a stored event the message commits with the event's "done" (finish_in), so
        # only a message reaching here some other way can have been recorded already.
        if source_id and inbox.current_event.get() is None and already_recorded(s, conv.id, "in", source_id):
            return conv  # handled before a crash: its room posts are queued already
        # Core inserts and updates on the session's connection: the ORM's unit of work cost
        # more than the statements on this, the busiest path of the worker.
        conn = s.connection()
        now = time.time()
        msg_id = conn.execute(_INSERT_MESSAGE, {
            "conversation_id": conv.id, "direction": "in", "source_id": source_id, "sender": who.source_id,
            "text": text, "attachments_json": json.dumps(attachments or [], ensure_ascii=False),
            "created_at": now}).scalar_one()
        if mail_ids:
            conv.last_message_id = mail_ids.get("message_id") or conv.last_message_id
            refs = json.loads(conv.references_json or "[]")
            for ref in mail_ids.get("references", []) + [mail_ids.get("message_id")]:
                if ref and ref not in refs:
                    refs.append(ref)
            conv.references_json = json.dumps(refs[-50:])
            s.add(conv)
        conn.execute(_TOUCH_CONVERSATION, {"conversation_id": conv.id, "at": now})
        set_committed_value(conv, "updated_at", now)
        customer = who.display_name or who.source_id
        body = room_text if room_text is not None else ctx.texts.render("relay/inbound", customer=customer, text=text)
        if body:
            outbox.enqueue(s, conv.id, "room_post", {"text": body}, message_id=msg_id)
        for att in attachments or []:
            outbox.enqueue(s, conv.id, "room_post", {"media": att}, message_id=msg_id)
        inbox.finish_in(s)
    ctx.outbox_wakeup.set()
    return conv


def note_in_room(ctx: Context, who: Sender, text: str) -> bool:
    """A visible line (follow, unfollow) in the customer's open room; no room is opened for it."""
    with ctx.db.session() as s:
        conv = s.exec(select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
                      .where(Contact.counter_account_id == who.counter_account_id, Contact.kind == who.kind,
                             Contact.source_id == who.source_id, Conversation.status == "open")).first()
        if conv is None:
            return False
        s.add(Message(conversation_id=conv.id, direction="event", sender=who.source_id, text=text,
                      created_at=time.time()))
        outbox.enqueue(s, conv.id, "room_post", {"text": text})
    ctx.outbox_wakeup.set()
    return True


def set_blocked(ctx: Context, who: Sender, blocked: bool) -> bool:
    """Mark the customer as having blocked the channel (or not any more); returns whether they
    were marked blocked before. A customer cxbot never heard from has no contact to mark."""
    with ctx.db.session() as s:
        row = s.exec(select(Contact).where(Contact.counter_account_id == who.counter_account_id,
                                           Contact.kind == who.kind, Contact.source_id == who.source_id)
                     .with_for_update()).first()
        if row is None:
            return False
        was = row.blocked_at is not None
        row.blocked_at = (row.blocked_at or time.time()) if blocked else None
        s.add(row)
        return was


def withdraw(ctx: Context, who: Sender, source_id: str) -> bool:
    """The customer unsent their message `source_id`: its text and files are deleted (its
    files are no longer served), its posts not yet in the room are cancelled and the room is
    told which message it was, with the event marked handled in the same transaction.
    False when cxbot has no such message of theirs."""
    with ctx.db.session() as s:
        msg = s.exec(select(Message).join(Conversation, Conversation.id == Message.conversation_id)
                     .join(Contact, Contact.id == Conversation.contact_id)
                     .where(Contact.counter_account_id == who.counter_account_id, Contact.kind == who.kind,
                            Contact.source_id == who.source_id, Message.direction == "in",
                            Message.source_id == source_id)).first()
        if msg is None:
            return False
        if msg.status == "unsent":
            return True  # handled before a crash
        text, attachments = msg.text, json.loads(msg.attachments_json or "[]")
        media.forget(s, [a["token"] for a in attachments if a.get("token")])
        s.execute(update(OutboxItem).where(OutboxItem.message_id == msg.id, OutboxItem.status == "pending")
                  .values(status="cancelled", last_error="the customer unsent the message"))
        msg.text, msg.attachments_json, msg.status = "", "[]", "unsent"
        s.add(msg)
        kinds = [a.get("kind", "file") for a in attachments]
        s.add(Message(conversation_id=msg.conversation_id, direction="event", sender=who.source_id,
                      text="unsent", source_id=inbox.origin(), created_at=time.time()))
        outbox.enqueue(s, msg.conversation_id, "room_post", {"text": ctx.texts.render(
            "relay/line_unsend", customer=who.display_name or who.source_id, text=texts.shorten(text, 30),
            kind=kinds[0] if kinds else "", found=True)})
        inbox.finish_in(s)
    ctx.outbox_wakeup.set()
    return True


def _contact_memo(ctx: Context) -> dict[tuple[int, str, str], KnownContact]:
    # Contacts are never deleted and their ids never change, so a customer's is remembered
    # (per database); only the display name can change, and this process's changes update it.
    return ctx.db.memo.setdefault("contacts", {})


def known_contact(ctx: Context, who: Sender) -> KnownContact | None:
    """The stored contact with its display name, so the profile API is asked once per customer."""
    key = (who.counter_account_id, who.kind, who.source_id)
    memo = _contact_memo(ctx)
    hit = memo.get(key)
    if hit is not None:
        return hit
    with ctx.db.read() as s:
        row = s.exec(select(Contact.id, Contact.display_name).where(
            Contact.counter_account_id == who.counter_account_id, Contact.kind == who.kind,
            Contact.source_id == who.source_id)).first()
    if row is None:
        return None
    if len(memo) > 10_000:
        memo.clear()
    memo[key] = KnownContact(row[0], row[1] or "")
    return memo[key]


def already_recorded(s: Session, conversation_id: int, direction: str, source_id: str) -> bool:
    return s.exec(select(Message.id).where(Message.conversation_id == conversation_id,
                                           Message.direction == direction,
                                           Message.source_id == source_id)).first() is not None


def is_room(ctx: Context, channel_id: str) -> bool:
    """Whether cxbot made this room for a conversation: one indexed look, for the web side."""
    with ctx.db.read() as s:
        return s.exec(select(Conversation.id).where(Conversation.room_channel_id == channel_id)
                      .limit(1)).first() is not None


def by_room(ctx: Context, channel_id: str) -> Conversation | None:
    with ctx.db.read() as s:
        return s.exec(select(Conversation).where(Conversation.room_channel_id == channel_id)
                      .order_by(Conversation.id.desc())).first()

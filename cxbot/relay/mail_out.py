"""An agent's answer as a threaded email reply from the counter account's address.

Lines an agent types one after another become one mail: each answer line joins the
conversation's queued mail row while that row is untouched (pending, never tried, the
newest of its conversation) and pushes its send time `window` seconds on. The line and
the row change in one transaction, and a row is never changed once a drainer took it,
so a killed worker neither loses a line nor sends one twice (its Message-ID is fixed
before the first try, and the row is marked sent in the transaction that records it).

The mail quotes the customer's last message below the answer and signs with the
counter account's name, as a person's mail client would.
"""

from __future__ import annotations

import datetime as dt
import json
import time

from sqlalchemy import update
from sqlmodel import Session, select

from cxbot.context import Context
from cxbot.desk import links, media
from cxbot.mail import smtp
from cxbot.mail.compose import Quote, new_message_id, reply
from cxbot.relay import outbox
from cxbot.relay.outbox import Failure
from cxbot.storage.models import (
    Contact,
    Conversation,
    CounterAccount,
    Message,
    OutboxItem,
)

# A mail gathers lines for at most this many windows after its first line, so an agent
# who keeps typing still gets mails out.
MAX_GATHER_WINDOWS = 6


def queue_answer(s: Session, conversation_id: int, message_id: int, text: str, attachment: dict | None,
                 window: float) -> None:
    """Queue an answer line for the mail, joining the mail still being gathered when there is one."""
    now = time.time()
    newest = s.exec(select(OutboxItem).where(OutboxItem.conversation_id == conversation_id)
                    .order_by(OutboxItem.id.desc()).limit(1).with_for_update()).first()
    if (window > 0 and newest is not None and newest.action == "mail_send" and newest.status == "pending"
            and newest.attempts == 0 and newest.created_at >= now - window * MAX_GATHER_WINDOWS):
        payload = json.loads(newest.payload)
        if "message_id" not in payload:  # no try has begun: its content may still change
            payload["text"] = "\n".join(p for p in (payload.get("text", ""), text) if p)
            if attachment:
                payload.setdefault("attachments", []).append(attachment)
            payload.setdefault("also_message_ids", []).append(message_id)
            # Only while still pending: a drainer that claimed it meanwhile has it as it was.
            changed = s.connection().execute(
                update(OutboxItem).where(OutboxItem.id == newest.id, OutboxItem.status == "pending",
                                         OutboxItem.attempts == 0)
                .values(payload=json.dumps(payload, ensure_ascii=False), not_before=now + window)).rowcount
            if changed == 1:
                return
    payload = {"text": text, "attachments": [attachment] if attachment else []}
    outbox.enqueue(s, conversation_id, "mail_send", payload, message_id=message_id, not_before=now + window)


def _quote(ctx: Context, s: Session, conv: Conversation, contact: Contact) -> Quote | None:
    last = s.exec(select(Message).where(Message.conversation_id == conv.id, Message.direction == "in")
                  .order_by(Message.id.desc()).limit(1)).first()
    if last is None or not last.text.strip():
        return None
    when = dt.datetime.fromtimestamp(last.created_at).astimezone()
    header = ctx.texts.render("relay/mail_quote", when=when, name=contact.display_name, address=contact.source_id)
    return Quote(header, last.text)


def send_reply(ctx: Context, item: OutboxItem, payload: dict) -> None:
    if not ctx.settings.smtp_url:
        raise Failure("CXBOT_SMTP_URL is not set: cxbot has no way to send mail", retryable=False, reason="no_smtp")
    with ctx.db.session() as s:
        conv = s.get(Conversation, item.conversation_id)
        link = links.by_token(ctx, conv.link_token, fresh=True) if conv.link_token else None
        if link is None or not link.linked:
            raise Failure("the channel is not linked any more (unlinked or deleted)", retryable=False,
                          reason="unlinked")
        contact = s.get(Contact, conv.contact_id)
        account = s.get(CounterAccount, conv.counter_account_id)
        quote = _quote(ctx, s, conv, contact)
        if "message_id" not in payload:
            # Fixed before the first try, so a retried send carries the same Message-ID.
            payload["message_id"] = new_message_id(ctx.settings.mail_domain)
            row = s.get(OutboxItem, item.id)
            row.payload = json.dumps(payload, ensure_ascii=False)
            s.add(row)
    attachments = []
    for att in ([payload["media"]] if "media" in payload else []) + payload.get("attachments", []):
        stored = media.get(ctx, att["token"])
        attachments.append((stored.file_name, stored.content_type, stored.data))
    references = json.loads(conv.references_json or "[]")
    msg = reply(from_addr=account.default_address, from_name=account.name, to_addr=contact.source_id,
                subject=conv.subject, text=payload.get("text", ""), in_reply_to=conv.last_message_id,
                references=references, message_id_domain=ctx.settings.mail_domain,
                reply_token=conv.reply_token, attachments=attachments, message_id=payload["message_id"],
                signature=account.name, quote=quote)
    try:
        smtp.send(smtp.parse_smtp_url(ctx.settings.smtp_url.get_secret_value()), msg)
    except smtp.MailSendError as exc:
        raise Failure(f"SMTP: {exc.detail}", retryable=exc.retryable, reason="unavailable" if exc.retryable else "refused",
                      code=f"SMTP {exc.code}" if exc.code else "SMTP") from None
    sent_id = payload["message_id"].strip("<>")
    with ctx.db.session() as s:
        row = s.get(Conversation, conv.id)
        refs = json.loads(row.references_json or "[]")
        if sent_id not in refs:
            refs.append(sent_id)
        row.references_json = json.dumps(refs[-50:])
        row.last_message_id = sent_id
        s.add(row)
        # Marked sent with what records the mail: a crash after this cannot send it again.
        s.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(status="sent", sent_at=time.time()))
        ids = outbox.message_ids(item)
        if ids:
            s.execute(update(Message).where(Message.id.in_(ids)).values(status="sent", last_error=None))
        if item.message_id is not None:
            s.execute(update(Message).where(Message.id == item.message_id).values(source_id=sent_id))

"""An agent's answer as a threaded email reply from the counter account's address."""

from __future__ import annotations

import json

from sqlalchemy import update

from cxbot import media
from cxbot.context import Context
from cxbot.mail import smtp
from cxbot.mail.compose import new_message_id, reply
from cxbot.models import Contact, Conversation, CounterAccount, Message, OutboxItem
from cxbot.relay.outbox import Failure


def send_reply(ctx: Context, item: OutboxItem, payload: dict) -> None:
    if not ctx.settings.smtp_url:
        raise Failure("CXBOT_SMTP_URL is not set: cxbot has no way to send mail", retryable=False)
    with ctx.db.session() as s:
        conv = s.get(Conversation, item.conversation_id)
        contact = s.get(Contact, conv.contact_id)
        account = s.get(CounterAccount, conv.counter_account_id)
        if "message_id" not in payload:
            # Fixed before the first try, so a retried send carries the same Message-ID.
            payload["message_id"] = new_message_id(ctx.settings.mail_domain)
            row = s.get(OutboxItem, item.id)
            row.payload = json.dumps(payload, ensure_ascii=False)
            s.add(row)
    attachments = []
    if "media" in payload:
        stored = media.get(ctx, payload["media"]["token"])
        attachments.append((stored.file_name, stored.content_type, stored.data))
    references = json.loads(conv.references_json or "[]")
    msg = reply(from_addr=account.default_address, from_name=account.name, to_addr=contact.source_id,
                subject=conv.subject, text=payload.get("text", ""), in_reply_to=conv.last_message_id,
                references=references, message_id_domain=ctx.settings.mail_domain,
                reply_token=conv.reply_token, attachments=attachments, message_id=payload["message_id"])
    try:
        smtp.send(smtp.parse_smtp_url(ctx.settings.smtp_url), msg)
    except smtp.MailSendError as exc:
        raise Failure(f"SMTP: {exc.detail}", retryable=exc.retryable) from None
    sent_id = payload["message_id"].strip("<>")
    with ctx.db.session() as s:
        row = s.get(Conversation, conv.id)
        refs = json.loads(row.references_json or "[]")
        if sent_id not in refs:
            refs.append(sent_id)
        row.references_json = json.dumps(refs[-50:])
        row.last_message_id = sent_id
        s.add(row)
        if item.message_id is not None:
            s.execute(update(Message).where(Message.id == item.message_id).values(source_id=sent_id))

"""The busy notice by mail: one auto-reply per conversation during a surge (relay.busy).

It honours the loop guard: machine mail never reaches here (relay.mail drops it), and
mailing-list mail and mail asking for no automatic answer (Exchange's
X-Auto-Response-Suppress) are relayed but not answered (RFC 3834 2). The notice itself
carries Auto-Submitted: auto-replied, threads like cxbot's other mail (In-Reply-To and
References of the customer's message, the conversation's reply+<token> Reply-To) and goes
through the outbox, queued before the conversation's room so a surge does not hold it.
"""

from __future__ import annotations

import json
import logging
import time

from sqlalchemy import update
from sqlmodel import Session

from cxbot.channels import MAIL
from cxbot.context import Context
from cxbot.desk import links
from cxbot.mail import smtp
from cxbot.mail.compose import auto_reply, new_message_id
from cxbot.mail.parse import ParsedMail
from cxbot.relay import busy, outbox
from cxbot.relay.delivery import linked
from cxbot.relay.outbox import Failure
from cxbot.storage.models import Contact, Conversation, CounterAccount, OutboxItem

log = logging.getLogger(__name__)

ACTION = "mail_ack"  # stored in outbox rows: never renamed
_SUPPRESSING = {"all", "autoreply", "oof"}  # X-Auto-Response-Suppress values that refuse an auto-reply


def wanted(ctx: Context, mail: ParsedMail) -> bool:
    """Whether this (person's) mail may get an automatic answer at all."""
    if mail.auto_kind is not None:  # a mailing list's mail reaches the room, but a list gets no robot's answer
        return False
    suppress = {v.strip().lower() for v in (mail.header("X-Auto-Response-Suppress") or "").split(",")}
    if suppress & _SUPPRESSING:
        return False
    if not ctx.settings.smtp_url:
        log.info("no busy notice by mail: CXBOT_SMTP_URL is not set")
        return False
    return True


def queue(mail: ParsedMail):
    """The conversation's on_busy: the notice queued in the transaction that opens it."""

    def on_busy(s: Session, conv: Conversation) -> None:
        outbox.enqueue(s, conv.id, ACTION, {"in_reply_to": mail.message_id,
                                            "references": [*mail.references, mail.message_id]})

    return on_busy


def send(ctx: Context, item: OutboxItem, payload: dict) -> None:
    # A notice that is late is no notice, and the conversation's room waits behind it: any
    # failure gives up at once (logged), never retried.
    try:
        _send(ctx, item, payload)
    except Failure as failure:
        raise Failure(failure.detail, retryable=False, reason=failure.reason, code=failure.code) from None


def _send(ctx: Context, item: OutboxItem, payload: dict) -> None:
    if not ctx.settings.smtp_url:
        raise Failure("CXBOT_SMTP_URL is not set: cxbot has no way to send mail", reason="no_smtp")
    with ctx.db.session() as s:
        conv = s.get(Conversation, item.conversation_id)
        link = linked(ctx, conv)
        contact = s.get(Contact, conv.contact_id)
        account = s.get(CounterAccount, conv.counter_account_id)
        if "message_id" not in payload:
            # Fixed before the try, as an answer's is: a row taken up again sends the same mail.
            payload["message_id"] = new_message_id(ctx.settings.mail_domain)
            row = s.get(OutboxItem, item.id)
            row.payload = json.dumps(payload, ensure_ascii=False)
            s.add(row)
    text = ctx.texts.render("relay/busy_ack_mail", text=busy.text(ctx, MAIL.kind, links.info(link)))
    msg = auto_reply(from_addr=account.default_address, from_name=account.name, to_addr=contact.source_id,
                     subject=conv.subject, text=text, in_reply_to=payload.get("in_reply_to"),
                     references=payload.get("references") or [], message_id_domain=ctx.settings.mail_domain,
                     reply_token=conv.reply_token, message_id=payload["message_id"], signature=account.name)
    try:
        smtp.send(smtp.parse_smtp_url(ctx.settings.smtp_url.get_secret_value()), msg)
    except smtp.MailSendError as exc:
        raise Failure(f"SMTP: {exc.detail}", reason="refused", code=f"SMTP {exc.code}" if exc.code else "SMTP") from None
    sent_id = payload["message_id"].strip("<>")
    with ctx.db.session() as s:
        row = s.get(Conversation, conv.id)
        # In the thread's References (a reply to the notice threads), but not its last message:
        # an agent's answer still replies to the customer's own mail.
        add_reference(row, sent_id)
        s.add(row)
        s.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(status="sent", sent_at=time.time()))


def add_reference(conv: Conversation, message_id: str) -> None:
    """A mail cxbot sent joins the thread's References (the last 50 kept)."""
    refs = json.loads(conv.references_json or "[]")
    if message_id not in refs:
        refs.append(message_id)
    conv.references_json = json.dumps(refs[-50:])

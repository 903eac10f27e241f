"""Email into conversations, and the agents' answers out as threaded replies.

In: from the built-in SMTP receiver or /webhooks/mail/<token>. Storing is cheap and
happens where the mail arrives; routing happens in the worker: threading (reply+<token>
address, In-Reply-To / References), the counter account by address, the loop guard,
the per-sender cap, and Gmail's forwarding confirmation, which goes to the admin
instead of becoming an inquiry.

Out: an agent's answer is a threaded email reply from the counter account's address.
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

import base64
import datetime as dt
import hashlib
import json
import logging
import time
from email.parser import BytesHeaderParser

from sqlalchemy import update
from sqlmodel import Session, func, select

from cxbot.channels import MAIL
from cxbot.context import Context
from cxbot.desk import links, media
from cxbot.desk.admins import lookup_user
from cxbot.mail import smtp
from cxbot.mail.compose import Quote, is_own_message_id, new_message_id, reply
from cxbot.mail.parse import ParsedMail, parse
from cxbot.relay import mail_ack, outbox
from cxbot.relay.conversations import Sender, record_inbound
from cxbot.relay.delivery import linked
from cxbot.relay.outbox import Failure
from cxbot.storage.models import (
    Contact,
    Conversation,
    CounterAccount,
    Message,
    OutboxItem,
)
from cxbot.works import messages as m

log = logging.getLogger(__name__)

# More than this many mails from one address in an hour are not relayed (a loop or a flood).
SENDER_CAP_PER_HOUR = 30


def store(ctx: Context, raw: bytes, rcpts: list[str], link_token: str | None = None) -> bool:
    """Keep the raw mail for the worker; the Message-ID makes a second delivery a no-op."""
    mail_id = _message_id(raw)
    body = json.dumps({"raw": base64.b64encode(raw).decode("ascii"), "rcpts": rcpts})
    # One order for all mail: replies in a thread arrive in the order they were received.
    return ctx.inbox.store(MAIL.kind, f"mail:{mail_id}", body.encode(), link_token=link_token, order_key="mail")


def sender_of(body: str) -> str:
    """The address a stored mail came from."""
    return (parse(base64.b64decode(json.loads(body)["raw"])).sender or "").lower()


def _message_id(raw: bytes) -> str:
    value = BytesHeaderParser().parsebytes(raw).get("Message-ID") or ""
    value = value.strip().strip("<>")
    return value[:150] or hashlib.sha256(raw).hexdigest()


def _is_ours(ctx: Context, address: str) -> bool:
    domain = ctx.settings.mail_domain.lower()
    return address.lower().endswith("@" + domain)


def _account_for(ctx: Context, mail: ParsedMail, rcpts: list[str]) -> CounterAccount | None:
    wanted = set(mail.recipients(rcpts))
    with ctx.db.session() as s:
        for account in s.exec(select(CounterAccount)):
            if account.default_address.lower() in wanted:
                return account
    return None


def _threaded(ctx: Context, mail: ParsedMail, rcpts: list[str]) -> Conversation | None:
    token = mail.reply_token(ctx.settings.mail_domain, rcpts)
    with ctx.db.session() as s:
        if token:
            conv = s.exec(select(Conversation).where(Conversation.reply_token == token)).first()
            if conv is not None:
                return conv
        ids = mail.thread_ids
        if ids:
            row = s.exec(select(Message).join(Conversation, Conversation.id == Message.conversation_id)
                         .where(Conversation.kind == MAIL.kind, Message.source_id.in_(ids))
                         .order_by(Message.id.desc())).first()
            if row is not None:
                return s.get(Conversation, row.conversation_id)
    return None


def _over_cap(ctx: Context, account_id: int, sender: str) -> bool:
    since = time.time() - 3600
    with ctx.db.session() as s:
        n = s.exec(select(func.count()).select_from(Message)
                   .join(Conversation, Conversation.id == Message.conversation_id)
                   .join(Contact, Contact.id == Conversation.contact_id)
                   .where(Contact.counter_account_id == account_id, Contact.kind == MAIL.kind,
                          Contact.source_id == sender, Message.direction == "in",
                          Message.created_at >= since)).one()
    return n >= SENDER_CAP_PER_HOUR


def _tell_admin_about_confirmation(ctx: Context, mail: ParsedMail, account: CounterAccount | None) -> None:
    confirmation = mail.gmail_forwarding_confirmation
    admin = None
    if account is not None:
        link = links.get(ctx, account.id, MAIL.kind)
        admin = links.info(link).get("configured_by") if link else None
    targets = [admin] if admin else []
    if not targets:
        targets = [u["userId"] for u in (lookup_user(ctx, a) for a in ctx.settings.admins) if u]
    text = ctx.texts.render("relay/gmail_confirmation", address=account.default_address if account else "",
                            account=account.name if account else "", code=confirmation.code or "",
                            link=confirmation.link or "", requester=confirmation.requester or "")
    for user_id in targets:
        ctx.works.send_to_user(ctx.settings.works_bot_id, user_id, m.text(text[:2000]))


def handle(ctx: Context, body: str, _link_token: str | None = None) -> None:
    envelope = json.loads(body)
    raw = base64.b64decode(envelope["raw"])
    rcpts = envelope.get("rcpts") or []
    mail = parse(raw)
    account = _account_for(ctx, mail, rcpts)
    if mail.gmail_forwarding_confirmation is not None:
        _tell_admin_about_confirmation(ctx, mail, account)
        return
    sender = (mail.sender or "").lower()
    # The loop guard: machine mail, and mail from cxbot itself, never becomes an inquiry.
    # Mailing-list mail is relayed: a support@ Google Group forwards real customers' mail that way.
    machine = mail.auto_kind is not None and mail.auto_kind != "list"
    if machine or not sender or _is_ours(ctx, sender) or is_own_message_id(mail.message_id,
                                                                           ctx.settings.mail_domain):
        log.info("mail %s not relayed (%s)", mail.message_id, mail.auto_kind or "from cxbot")
        return
    conv = _threaded(ctx, mail, rcpts)
    if conv is not None:
        with ctx.db.session() as s:
            account = s.get(CounterAccount, conv.counter_account_id)
    if account is None:
        log.info("mail %s is for no counter account", mail.message_id)
        return
    link = links.get(ctx, account.id, MAIL.kind)
    if link is None or not link.linked:
        log.info("mail for %s not relayed: メール連携 is off", account.default_address)
        return
    if _over_cap(ctx, account.id, sender):
        log.warning("mail from %s over the hourly cap; not relayed", sender)
        return
    attachments = []
    for att in mail.attachments:
        token = media.store(ctx, att.filename, att.content_type, att.data)
        attachments.append({"token": token, "file_name": att.filename, "content_type": att.content_type,
                            "kind": "image" if att.content_type.startswith("image/") else "file"})
    who = Sender(account.id, MAIL.kind, sender, mail.from_name or "", link.webhook_token)
    subject = mail.subject or ""
    text = mail.new_text or mail.text
    record_inbound(ctx, who, text=text, source_id=mail.message_id, attachments=attachments, subject=subject,
                   room_text=ctx.texts.render("relay/inbound_mail", customer=mail.from_name or sender,
                                              address=sender, subject=subject, text=text),
                   mail_ids={"message_id": mail.message_id, "references": list(mail.references)},
                   on_busy=mail_ack.queue(mail) if mail_ack.wanted(ctx, mail) else None)


def mail_domains(ctx: Context) -> set[str]:
    return {ctx.settings.mail_domain.lower()}


# -- answers ---------------------------------------------------------------------------

# A mail gathers lines for at most this many windows after its first line, so an agent
# who keeps typing still gets mails out.
MAX_GATHER_WINDOWS = 6


def queue_answer(ctx: Context, s: Session, conversation_id: int, message_id: int, text: str,
                 attachment: dict | None) -> None:
    """Queue an answer line for the mail, joining the mail still being gathered when there is one."""
    window = ctx.settings.mail_answer_window
    now = time.time()
    newest = s.exec(select(OutboxItem).where(OutboxItem.conversation_id == conversation_id)
                    .order_by(OutboxItem.id.desc()).limit(1).with_for_update()).first()
    if (window > 0 and newest is not None and newest.action == MAIL.answer_action and newest.status == "pending"
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
    outbox.enqueue(s, conversation_id, MAIL.answer_action, payload, message_id=message_id, not_before=now + window)


def _quote(ctx: Context, s: Session, conv: Conversation, contact: Contact) -> Quote | None:
    last = s.exec(select(Message).where(Message.conversation_id == conv.id, Message.direction == "in")
                  .order_by(Message.id.desc()).limit(1)).first()
    if last is None or not last.text.strip():
        return None
    when = dt.datetime.fromtimestamp(last.created_at).astimezone()
    header = ctx.texts.render("relay/mail_quote", when=when, name=contact.display_name, address=contact.source_id)
    return Quote(header, last.text)


def send_answer(ctx: Context, item: OutboxItem, payload: dict) -> None:
    if not ctx.settings.smtp_url:
        raise Failure("CXBOT_SMTP_URL is not set: cxbot has no way to send mail", retryable=False, reason="no_smtp")
    with ctx.db.session() as s:
        conv = s.get(Conversation, item.conversation_id)
        linked(ctx, conv)
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
        raise Failure(f"SMTP: {exc.detail}", retryable=exc.retryable,
                      reason="unavailable" if exc.retryable else "refused",
                      code=f"SMTP {exc.code}" if exc.code else "SMTP") from None
    sent_id = payload["message_id"].strip("<>")
    with ctx.db.session() as s:
        row = s.get(Conversation, conv.id)
        mail_ack.add_reference(row, sent_id)
        row.last_message_id = sent_id
        s.add(row)
        # Marked sent with what records the mail: a crash after this cannot send it again.
        s.execute(update(OutboxItem).where(OutboxItem.id == item.id).values(status="sent", sent_at=time.time()))
        ids = outbox.message_ids(item)
        if ids:
            s.execute(update(Message).where(Message.id.in_(ids)).values(status="sent", last_error=None))
        if item.message_id is not None:
            s.execute(update(Message).where(Message.id == item.message_id).values(source_id=sent_id))

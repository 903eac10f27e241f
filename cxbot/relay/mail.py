"""Email into conversations: from the built-in SMTP receiver or /webhooks/mail/<token>.

Storing is cheap and happens where the mail arrives; routing happens in the worker:
threading (reply+<token> address, In-Reply-To / References), the counter account by
address, the loop guard, the per-sender cap, and Gmail's forwarding confirmation,
which goes to the admin instead of becoming an inquiry.
"""

from __future__ import annotations

import base64
import json
import logging
import time

from sqlmodel import func, select

from cxbot import inbox
from cxbot.context import Context
from cxbot.desk import links, media
from cxbot.desk.admins import lookup_user
from cxbot.mail.compose import is_own_message_id
from cxbot.mail.parse import ParsedMail, parse
from cxbot.relay.conversations import Sender, record_inbound
from cxbot.storage.models import Contact, Conversation, CounterAccount, Message
from cxbot.works import messages as m

log = logging.getLogger(__name__)

# More than this many mails from one address in an hour are not relayed (a loop or a flood).
SENDER_CAP_PER_HOUR = 30


def store(ctx: Context, raw: bytes, rcpts: list[str], link_token: str | None = None) -> bool:
    """Keep the raw mail for the worker; the Message-ID makes a second delivery a no-op."""
    mail_id = _message_id(raw)
    body = json.dumps({"raw": base64.b64encode(raw).decode("ascii"), "rcpts": rcpts})
    # One order for all mail: replies in a thread arrive in the order they were received.
    stored = inbox.store(ctx.db, "mail", f"mail:{mail_id}", body.encode(), link_token=link_token, order_key="mail")
    if stored:
        ctx.wakeup.set()
    return stored


def _message_id(raw: bytes) -> str:
    import hashlib
    from email.parser import BytesHeaderParser

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
                         .where(Conversation.kind == "mail", Message.source_id.in_(ids))
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
                   .where(Contact.counter_account_id == account_id, Contact.kind == "mail",
                          Contact.source_id == sender, Message.direction == "in",
                          Message.created_at >= since)).one()
    return n >= SENDER_CAP_PER_HOUR


def _tell_admin_about_confirmation(ctx: Context, mail: ParsedMail, account: CounterAccount | None) -> None:
    confirmation = mail.gmail_forwarding_confirmation
    admin = None
    if account is not None:
        link = links.get(ctx, account.id, "mail")
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
    link = links.get(ctx, account.id, "mail")
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
    who = Sender(account.id, "mail", sender, mail.from_name or "", link.webhook_token)
    subject = mail.subject or ""
    text = mail.new_text or mail.text
    record_inbound(ctx, who, text=text, source_id=mail.message_id, attachments=attachments, subject=subject,
                   room_text=ctx.texts.render("relay/inbound_mail", customer=mail.from_name or sender,
                                              address=sender, subject=subject, text=text),
                   mail_ids={"message_id": mail.message_id, "references": list(mail.references)})


def mail_domains(ctx: Context) -> set[str]:
    return {ctx.settings.mail_domain.lower()}

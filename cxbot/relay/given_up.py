"""An inbound event given up for good (its last try failed, or it can never succeed): the
admins hear of it in the hub chat, so nothing is dropped silently.

The note says what came in (the channel, the counter account and the sender, when the
stored body tells them) and why, as a case of the relay/reason template with the
platform's code: never the exception's text, which may quote the body. The details stay
in the log and in the event's row.
"""

from __future__ import annotations

from sqlmodel import Session, select

from cxbot import channels, inbox
from cxbot.context import Context
from cxbot.line.client import LineApiError
from cxbot.relay import channels as relays
from cxbot.relay import outbox, texts
from cxbot.relay.outbox import Failure
from cxbot.storage.models import ChannelLink, Contact, CounterAccount
from cxbot.works.client import WorksApiError
from cxbot.works.events import EventParseError


def reason_of(exc: Exception) -> tuple[str, str]:
    """(a case of the relay/reason template, the platform's code) for what made an event fail."""
    if isinstance(exc, Failure):
        return exc.reason, exc.code
    if isinstance(exc, EventParseError):
        return "unreadable", ""
    if isinstance(exc, LineApiError):
        return _platform(exc.retryable), f"LINE {exc.status}" if exc.status else "LINE"
    if isinstance(exc, WorksApiError):
        return _platform(exc.retryable), f"LINE WORKS {exc.status} {exc.code}".strip()
    return "internal", exc.__class__.__name__


def _platform(retryable: bool) -> str:
    return "platform_unavailable" if retryable else "platform_refused"


def tell_admins(ctx: Context, s: Session, event: inbox.Claimed, exc: Exception) -> None:
    """Queue the note to the admins, in the caller's transaction (the one that gives the event up)."""
    kind = channels.current(event.source)
    account, sender = "", ""
    if kind in channels.KINDS:
        account, sender = _account_and_sender(s, kind, event)
    reason, code = reason_of(exc)
    outbox.enqueue(s, None, "admin_note", {"text": ctx.texts.render(
        "relay/event_given_up", source=kind, event_id=event.id, account=account, sender=sender,
        channel=texts.channel_title(ctx, kind) if kind in channels.KINDS else "",
        party=texts.party(ctx, kind), reason=texts.reason_text(ctx, reason, code, kind))})


def _account_and_sender(s: Session, kind: str, event: inbox.Claimed) -> tuple[str, str]:
    """The counter account's name and the sender's name (else their id) as far as they are known."""
    try:
        sender = relays.of(kind).sender_of(event.body)
    except (ValueError, KeyError, TypeError, AttributeError):
        sender = ""  # the body itself could not be read: the note says what else is known
    account = s.exec(select(CounterAccount).join(ChannelLink, ChannelLink.counter_account_id == CounterAccount.id)
                     .where(ChannelLink.webhook_token == event.link_token)).first() if event.link_token else None
    if account is None:
        return "", sender  # mail from the SMTP receiver names no link; a link deleted since
    name = s.exec(select(Contact.display_name).where(
        Contact.counter_account_id == account.id, Contact.kind == kind, Contact.source_id == sender)).first()
    return account.name, name or sender

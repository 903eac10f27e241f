"""Each channel's relay code bound to its entry in cxbot.channels: the worker's handler of
its stored events, the outbox's sender of its answers, and how an answer is queued."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlmodel import Session

from cxbot import channels
from cxbot.channels import Channel
from cxbot.context import Context
from cxbot.relay import line, line_answers, mail, outbox, works_bot
from cxbot.storage.models import OutboxItem

Ingest = Callable[[Context, str, "str | None"], None]  # (ctx, stored body, link token)
# (stored body) -> who sent it, as the channel names them (a userId, an address); raises
# ValueError, KeyError or TypeError on a body it cannot read.
SenderOf = Callable[[str], str]
Send = Callable[[Context, OutboxItem, dict], None]  # (ctx, outbox row, its payload)
# (ctx, session, conversation id, message id, text, attachment), in the caller's transaction
QueueAnswer = Callable[[Context, Session, int, int, str, "dict | None"], None]
# (ctx, the agent's stored attachment) -> the attachment as the channel will send it; raises
# delivery.Unsendable when the channel cannot take it. Called outside any transaction. The
# attachment may carry "room_note": a text the room is told with the answer (why a file went
# another way than the agent may expect).
PrepareAnswer = Callable[[Context, dict], dict]


@dataclass(frozen=True)
class ChannelRelay:
    channel: Channel
    ingest: Ingest  # an inbound event stored under the channel's kind
    sender_of: SenderOf  # who sent such an event (for the admins, when it could not be handled)
    send_answer: Send  # an outbox row of the channel's answer action
    queue_answer: QueueAnswer | None = None  # None: each answer is one outbox row
    prepare_answer: PrepareAnswer | None = None  # None: attachments go out as the agent sent them

    def prepare(self, ctx: Context, attachment: dict) -> dict:
        return self.prepare_answer(ctx, attachment) if self.prepare_answer is not None else attachment

    def queue(self, ctx: Context, s: Session, conversation_id: int, message_id: int, text: str,
              attachment: dict | None) -> None:
        """An agent's answer queued for delivery, in the caller's transaction."""
        if self.queue_answer is not None:
            self.queue_answer(ctx, s, conversation_id, message_id, text, attachment)
            return
        payload = {"media": attachment} if attachment else {"text": text}
        outbox.enqueue(s, conversation_id, self.channel.answer_action, payload, message_id=message_id)


RELAYS = (
    ChannelRelay(channels.LINE, ingest=line.handle, sender_of=line.sender_of, send_answer=line_answers.push,
                 prepare_answer=line_answers.prepare_answer),
    ChannelRelay(channels.MAIL, ingest=mail.handle, sender_of=mail.sender_of, send_answer=mail.send_answer,
                 queue_answer=mail.queue_answer),
    ChannelRelay(channels.WORKS_BOT, ingest=works_bot.handle, sender_of=works_bot.sender_of,
                 send_answer=works_bot.send),
)
_BY_KIND = {relay.channel.kind: relay for relay in RELAYS}


def of(kind: str) -> ChannelRelay:
    return _BY_KIND[kind]


def ingest_handlers() -> dict[str, Ingest]:
    """The worker's handlers of inbound events, by inbox source (the channel's kind)."""
    return {relay.channel.kind: relay.ingest for relay in RELAYS}


def answer_senders() -> dict[str, Send]:
    """The outbox's senders of answers, by action."""
    return {relay.channel.answer_action: relay.send_answer for relay in RELAYS}

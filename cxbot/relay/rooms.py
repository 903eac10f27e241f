"""What agents type in a CX Talk room: answers go back to the customer; commands act.

Room commands (explained in the room's header): `/close` (or `/終了`) ends the
conversation; `/note <text>` (or `/メモ`) keeps an internal note that is not relayed.
"""

from __future__ import annotations

import json
import time

from sqlmodel import select

from cxbot import inbox, media
from cxbot.context import Context
from cxbot.models import Conversation, Message
from cxbot.relay import outbox
from cxbot.relay.conversations import already_recorded, by_room
from cxbot.works.events import Event, FileContent, ImageContent, MessageEvent, TextContent

ANSWER_ACTIONS = {"line": "line_push", "works_bot": "works_send", "mail": "mail_send"}
CLOSE_WORDS = ("/close", "/終了")
NOTE_WORDS = ("/note", "/メモ")


def _post(ctx: Context, conv_id: int, text: str) -> None:
    with ctx.db.session() as s:
        outbox.enqueue(s, conv_id, "room_post", {"text": text})
    ctx.outbox_wakeup.set()


def _command(text: str, words: tuple[str, ...]) -> str | None:
    head, _, rest = text.strip().partition(" ")
    if head.lower() in words:
        return rest.strip()
    return None


def handle(ctx: Context, event: Event) -> None:
    if not isinstance(event, MessageEvent) or not event.source.channel_id or not event.source.user_id:
        return
    conv = by_room(ctx, event.source.channel_id)
    if conv is None:
        return  # a room cxbot did not open for an inquiry
    t = ctx.texts
    agent = event.source.user_id
    content = event.content
    if isinstance(content, TextContent):
        if _command(content.text, CLOSE_WORDS) is not None:
            close(ctx, conv, agent)
            return
        note = _command(content.text, NOTE_WORDS)
        if note is not None:
            with ctx.db.session() as s:
                s.add(Message(conversation_id=conv.id, direction="note", sender=agent, text=note,
                              created_at=time.time()))
            return
    if conv.status != "open":
        _post(ctx, conv.id, t.render("relay/closed_room"))
        return
    if isinstance(content, TextContent):
        answer(ctx, conv, agent, text=content.text)
    elif isinstance(content, (ImageContent, FileContent)):
        data, content_type, file_name = ctx.works.download_attachment(ctx.settings.works_bot_id, content.file_id)
        kind = "image" if isinstance(content, ImageContent) else "file"
        name = file_name or f"answer-{content.file_id[:12]}"
        token = media.store(ctx, name, content_type, data)
        answer(ctx, conv, agent, attachment={"token": token, "file_name": name, "content_type": content_type,
                                             "kind": kind})
    else:
        _post(ctx, conv.id, t.render("relay/unsupported_answer", kind=getattr(content, "type", "?")))


def answer(ctx: Context, conv: Conversation, agent: str, text: str = "", attachment: dict | None = None) -> None:
    """The agent's answer: stored, and its delivery queued in the same transaction."""
    origin = inbox.origin()
    with ctx.db.session() as s:
        # Lock the conversation: answers of one room are queued one at a time, in order.
        s.exec(select(Conversation).where(Conversation.id == conv.id).with_for_update()).one()
        if origin and already_recorded(s, conv.id, "out", origin):
            return  # handled before a crash: the answer is queued already
        msg = Message(conversation_id=conv.id, direction="out", sender=agent, text=text, status="queued",
                      source_id=origin,
                      attachments_json=json.dumps([attachment] if attachment else [], ensure_ascii=False),
                      created_at=time.time())
        s.add(msg)
        s.flush()
        payload = {"media": attachment} if attachment else {"text": text}
        outbox.enqueue(s, conv.id, ANSWER_ACTIONS[conv.kind], payload, message_id=msg.id)
    ctx.outbox_wakeup.set()


def close(ctx: Context, conv: Conversation, agent: str) -> None:
    with ctx.db.session() as s:
        row = s.get(Conversation, conv.id)
        if row.status == "closed":
            return
        row.status = "closed"
        row.closed_at = time.time()
        s.add(row)
        s.add(Message(conversation_id=conv.id, direction="event", sender=agent, text="closed",
                      created_at=time.time()))
        outbox.enqueue(s, conv.id, "room_post", {"text": ctx.texts.render("relay/closed")})
    ctx.outbox_wakeup.set()

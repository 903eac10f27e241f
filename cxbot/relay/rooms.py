"""What agents type in a CX Talk room: answers go back to the customer; commands act.

Room commands (explained in the room's header): `/close` (or `/終了`) ends the
conversation; `/note <text>` (or `/メモ`) keeps an internal note that is not relayed.
An answer that cannot go out (the conversation ended, the channel was unlinked or
deleted) is kept with why, and the room is told once per run of such answers, not
once per line.
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Iterator

from sqlmodel import Session, select

from cxbot import inbox
from cxbot.context import Context
from cxbot.desk import links, media
from cxbot.relay import membership, outbox, texts
from cxbot.relay.channels import of as relay_of
from cxbot.relay.conversations import already_recorded, by_room
from cxbot.relay.delivery import Unsendable
from cxbot.storage.models import Contact, Conversation, Message
from cxbot.works.events import (
    Event,
    FileContent,
    ImageContent,
    LeaveEvent,
    LeftEvent,
    MessageEvent,
    TextContent,
)

CLOSE_WORDS = ("/close", "/終了")
NOTE_WORDS = ("/note", "/メモ")


def _post(ctx: Context, conv_id: int, text: str) -> None:
    with ctx.db.session() as s:
        outbox.enqueue(s, conv_id, "room_post", {"text": text})
    ctx.outbox_wakeup.set()


def _command(text: str, words: tuple[str, ...], glued: bool = False) -> str | None:
    """The rest of the text when it starts with one of the command words, else None.
    `glued`: a Japanese word may run into its text ("/メモ在庫を確認中"), as people type it."""
    stripped = text.strip()
    lowered = stripped.lower()
    for word in words:
        if not lowered.startswith(word):
            continue
        rest = stripped[len(word):]
        if not rest or rest[0].isspace() or (glued and not word.isascii()):
            return rest.strip()
    return None


def _lock(s: Session, conv_id: int) -> None:
    # Lock the conversation: what an agent writes in one room is handled one at a time, in order.
    s.exec(select(Conversation).where(Conversation.id == conv_id).with_for_update()).one()


def handle(ctx: Context, event: Event) -> bool:
    """An event of a CX Talk room cxbot opened; False when it is not from one (a 1:1 talk
    with the hub bot may carry a channelId too, so only the room's record tells)."""
    room = event.source.channel_id
    conv = by_room(ctx, room) if room else None
    if conv is None:
        return False
    if isinstance(event, LeaveEvent):
        membership.bot_removed(ctx, room)
    elif isinstance(event, LeftEvent):
        membership.members_left(ctx, conv, event.members)
    elif isinstance(event, MessageEvent) and event.source.user_id:
        _agent_wrote(ctx, conv, event)
    return True


def _agent_wrote(ctx: Context, conv: Conversation, event: MessageEvent) -> None:
    t = ctx.texts
    agent = event.source.user_id
    content = event.content
    text = content.text if isinstance(content, TextContent) else ""
    if isinstance(content, TextContent):
        if _command(text, CLOSE_WORDS) is not None:
            close(ctx, conv, agent)
            return
        note = _command(text, NOTE_WORDS, glued=True)
        if note is not None:
            keep_note(ctx, conv, agent, note)
            return
    held = _held_reason(ctx, conv)
    if held is not None:
        hold(ctx, conv, agent, text, held)
        return
    if isinstance(content, TextContent):
        answer(ctx, conv, agent, text=text)
    elif isinstance(content, (ImageContent, FileContent)):
        data, content_type, file_name = ctx.works.download_attachment(ctx.settings.works_bot_id, content.file_id)
        kind = "image" if isinstance(content, ImageContent) else "file"
        name = file_name or f"answer-{content.file_id[:12]}"
        token = media.store(ctx, name, content_type, data)
        attachment = {"token": token, "file_name": name, "content_type": content_type, "kind": kind}
        try:
            attachment = relay_of(conv.kind).prepare(ctx, attachment)
        except Unsendable as exc:
            refuse(ctx, conv, agent, attachment, exc)
            return
        answer(ctx, conv, agent, attachment=attachment)
    else:
        _post(ctx, conv.id, t.render("relay/unsupported_answer", kind=getattr(content, "type", "?"),
                                     party=texts.party(ctx, conv.kind)))


def _held_reason(ctx: Context, conv: Conversation) -> str | None:
    """Why an answer in this room cannot go out now: closed, the customer blocked the channel,
    unlinked or deleted; None when it can."""
    if conv.status != "open":
        return "closed"
    with ctx.db.read() as s:
        if s.exec(select(Contact.blocked_at).where(Contact.id == conv.contact_id)).first() is not None:
            return "blocked"
    link = links.by_token(ctx, conv.link_token, fresh=True) if conv.link_token else None
    if link is not None and link.linked:
        return None
    if link is None and (not conv.link_token or links.is_retired(ctx, conv.link_token)):
        return "deleted"
    return "unlinked"


def _held_note(ctx: Context, conv: Conversation, reason: str) -> str:
    party = texts.party(ctx, conv.kind)
    if reason == "closed":
        return ctx.texts.render("relay/closed_room", party=party)
    return ctx.texts.render("relay/answer_held", reason=reason, party=party,
                            channel=texts.channel_title(ctx, conv.kind))


@contextmanager
def _agents_line(ctx: Context, conv: Conversation) -> Iterator[tuple[Session | None, str | None]]:
    """The transaction that records what an agent wrote, under the conversation's lock, and
    the event it came from; the session is None when that event was recorded already
    (handled before a crash). The outbox is woken after the commit."""
    origin = inbox.origin()
    with ctx.db.session() as s:
        _lock(s, conv.id)
        yield (None if origin and already_recorded(s, conv.id, "out", origin) else s), origin
    ctx.outbox_wakeup.set()


def hold(ctx: Context, conv: Conversation, agent: str, text: str, reason: str) -> None:
    """An answer that cannot be sent: kept (status held) and the room told, once per run."""
    with _agents_line(ctx, conv) as (s, origin):
        if s is None:
            return
        last = s.exec(select(Message.status, Message.last_error)
                      .where(Message.conversation_id == conv.id, Message.direction == "out")
                      .order_by(Message.id.desc()).limit(1)).first()
        s.add(Message(conversation_id=conv.id, direction="out", sender=agent, text=text, status="held",
                      last_error=reason, source_id=origin, created_at=time.time()))
        if last is None or tuple(last) != ("held", reason):
            outbox.enqueue(s, conv.id, "room_post", {"text": _held_note(ctx, conv, reason)})


def refuse(ctx: Context, conv: Conversation, agent: str, attachment: dict, exc: Unsendable) -> None:
    """An attachment the channel cannot take: kept as failed, and the room told why, in its language."""
    with _agents_line(ctx, conv) as (s, origin):
        if s is None:
            return
        s.add(Message(conversation_id=conv.id, direction="out", sender=agent, status="failed",
                      last_error=exc.detail[:2000], source_id=origin,
                      attachments_json=json.dumps([attachment], ensure_ascii=False), created_at=time.time()))
        outbox.enqueue(s, conv.id, "room_post", {"undeliverable_note": True, "text": ctx.texts.render(
            "relay/undeliverable", what=attachment["file_name"][:200], party=texts.party(ctx, conv.kind),
            reason=texts.reason_text(ctx, exc.reason, "", conv.kind), to_customer=True)})


def keep_note(ctx: Context, conv: Conversation, agent: str, note: str) -> None:
    """`/メモ …`: stored as an internal note and acknowledged in the room as one."""
    origin = inbox.origin()
    party = texts.party(ctx, conv.kind)
    with ctx.db.session() as s:
        if origin and already_recorded(s, conv.id, "note", origin):
            return
        # An empty note is kept too, so a redelivered event does not repeat the hint.
        s.add(Message(conversation_id=conv.id, direction="note", sender=agent, text=note, source_id=origin,
                      created_at=time.time()))
        template = "relay/note_saved" if note else "relay/note_empty"
        outbox.enqueue(s, conv.id, "room_post", {"text": ctx.texts.render(template, party=party)})
    ctx.outbox_wakeup.set()


def answer(ctx: Context, conv: Conversation, agent: str, text: str = "", attachment: dict | None = None) -> None:
    """The agent's answer: stored, and its delivery queued in the same transaction."""
    with _agents_line(ctx, conv) as (s, origin):
        if s is None:
            return  # handled before a crash: the answer is queued already
        # What the channel's preparation has to tell the room (an audio sent as a link, and why).
        note = (attachment or {}).get("room_note")
        if note:
            attachment = {k: v for k, v in attachment.items() if k != "room_note"}
        msg = Message(conversation_id=conv.id, direction="out", sender=agent, text=text, status="queued",
                      source_id=origin,
                      attachments_json=json.dumps([attachment] if attachment else [], ensure_ascii=False),
                      created_at=time.time())
        s.add(msg)
        s.flush()
        # Mail gathers the lines typed one after another into one mail (CXBOT_MAIL_ANSWER_WINDOW).
        relay_of(conv.kind).queue(ctx, s, conv.id, msg.id, text, attachment)
        if note:
            outbox.enqueue(s, conv.id, "room_post", {"text": note})


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
        outbox.enqueue(s, conv.id, "room_post", {"text": ctx.texts.render("relay/closed",
                                                                          party=texts.party(ctx, conv.kind))})
    ctx.outbox_wakeup.set()

"""Several text posts waiting for one room go as one post: during a backlog one call of
LINE WORKS' per-minute budget then carries several messages.

Only a backlog is joined (a head that waited): the head row's drainer leases the text posts queued right behind it in the same
conversation (nothing else in between: a file, an answer, a note to the admins ends the
run) while they fit in one LINE WORKS text (2,000 characters). Each keeps its own line,
in order, with the time it was written. The others are not heads, so no other drainer
takes them; if the post fails they are handed back as they were.
"""

from __future__ import annotations

import datetime as dt
import json
import time

from sqlalchemy import update
from sqlmodel import select

from cxbot.context import Context
from cxbot.storage.models import OutboxItem

# How many queued posts one look considers: more than a 2,000-character post holds in practice.
LOOK_AHEAD = 30
# Only a head that waited this long (seconds of the platform's clock, which a benchmark's
# time scale shortens) is joined with what is behind it: then there is a backlog. A post
# that goes soon goes alone (the header its own post, each message its own), as people read
# a room best.
WAITED = 20.0


def _text_only(item: OutboxItem) -> str | None:
    if item.action != "room_post":
        return None
    payload = json.loads(item.payload)
    return payload["text"] if set(payload) == {"text"} else None


def gather(ctx: Context, head: OutboxItem, most_chars: int) -> tuple[str, list[OutboxItem]] | None:
    """The head's text joined with the text posts right behind it, and those rows (leased for
    this drainer); None when the head goes alone."""
    first = _text_only(head)
    if first is None or time.time() - head.created_at < WAITED * ctx.settings.works_rate_window / 60.0:
        return None
    with ctx.db.read() as s:
        behind = list(s.exec(select(OutboxItem).where(OutboxItem.conversation_id == head.conversation_id,
                                                      OutboxItem.id > head.id, OutboxItem.status == "pending")
                             .order_by(OutboxItem.id).limit(LOOK_AHEAD)))
    entries = [(head.created_at, first)]
    run: list[OutboxItem] = []
    for row in behind:
        text = _text_only(row)
        if text is None:
            break
        entries.append((row.created_at, text))
        if len(joined(ctx, entries)) > most_chars:
            entries.pop()
            break
        run.append(row)
    if not run:
        return None
    with ctx.db.session() as s:
        taken = s.connection().execute(
            update(OutboxItem).where(OutboxItem.id.in_([r.id for r in run]), OutboxItem.status == "pending")
            .values(status="sending", not_before=head.not_before))
        if taken.rowcount != len(run):
            s.rollback()
            return None  # one of them changed under us: this time the head goes alone
    return joined(ctx, entries), run


def give_back(ctx: Context, run: list[OutboxItem]) -> None:
    """The post failed: the rows behind the head wait for it again, as they were."""
    with ctx.db.session() as s:
        s.connection().execute(update(OutboxItem).where(OutboxItem.id.in_([r.id for r in run]))
                               .values(status="pending", not_before=0.0))


def joined(ctx: Context, entries: list[tuple[float, str]]) -> str:
    return ctx.texts.render("relay/coalesced", entries=[
        {"time": dt.datetime.fromtimestamp(at).astimezone().strftime("%H:%M:%S"), "text": text}
        for at, text in entries])

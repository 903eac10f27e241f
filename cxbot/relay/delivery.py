"""What the outbox's senders share: the row's conversation and its linked channel, and
messages through a LINE WORKS bot (a room post, an inquiry bot's answer) with its errors
as outbox failures."""

from __future__ import annotations

from cxbot.context import Context
from cxbot.desk import links, media
from cxbot.relay.outbox import Failure
from cxbot.storage.models import ChannelLink, Contact, Conversation, OutboxItem
from cxbot.works import messages as m
from cxbot.works.auth import TokenGrantError
from cxbot.works.client import WorksApiError, WorksClient

WORKS_TEXT_MAX = 2000


class Unsendable(Exception):
    """An answer the channel cannot take in any form (an image LINE could not show), known
    before it is queued. `reason` is a case of the relay/reason template."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def conversation_of(ctx: Context, item: OutboxItem) -> tuple[Conversation, Contact]:
    with ctx.db.read() as s:
        conv = s.get(Conversation, item.conversation_id)
        return conv, s.get(Contact, conv.contact_id)


def linked(ctx: Context, conv: Conversation) -> ChannelLink:
    """The link an answer in this conversation goes out through; a Failure when it is off or gone."""
    link = links.by_token(ctx, conv.link_token, fresh=True) if conv.link_token else None
    if link is None or not link.linked:
        raise Failure("the channel is not linked any more (unlinked or deleted)", retryable=False, reason="unlinked")
    return link


def _works_failure(exc: WorksApiError) -> Failure:
    if exc.status == 429:
        reason = "rate_limited"
    elif exc.status == 0 or exc.status >= 500:
        reason = "unavailable"
    else:
        reason = "refused"
    code = f"LINE WORKS {exc.status} {exc.code}" if exc.status else "LINE WORKS"
    return Failure(f"LINE WORKS {exc.status} {exc.code}: {exc.description}", retryable=exc.retryable,
                   retry_after=exc.reset_after, rate_limited=exc.status == 429, reason=reason, code=code)


def works_call(call, *args):
    """A LINE WORKS API call whose errors become the outbox's Failure (retryable or not, how long to wait)."""
    try:
        return call(*args)
    except WorksApiError as exc:
        raise _works_failure(exc) from None
    except TokenGrantError as exc:
        raise Failure(f"LINE WORKS token: {exc.description}", retryable=exc.status in (0, 429, 500, 502, 503),
                      reason="auth", code=f"LINE WORKS {exc.status} {exc.error}".strip())


def works_contents(ctx: Context, client: WorksClient, bot_id: str, payload: dict) -> list[dict]:
    """An outbox payload as LINE WORKS messages: its text in parts one message holds, or its
    stored image or file, uploaded as the bot."""
    if "media" in payload:
        att = payload["media"]
        stored = media.get(ctx, att["token"])
        if stored is None:
            raise Failure("the file is gone (the customer unsent it)", retryable=False, reason="withdrawn")
        file_id = works_call(client.upload_attachment, bot_id, att["file_name"], stored.data, stored.content_type)
        return [m.image(file_id=file_id) if att.get("kind") == "image" else m.file(file_id=file_id)]
    return [m.text(part) for part in chunks(payload["text"], WORKS_TEXT_MAX)]

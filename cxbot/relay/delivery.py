"""What the outbox's senders share: the row's conversation and its linked channel, and
messages through a LINE WORKS bot (a room post, an inquiry bot's answer) with its errors
as outbox failures."""

from __future__ import annotations

import math
import time
from typing import Callable

from cxbot.context import Context
from cxbot.desk import links, media
from cxbot.relay.outbox import Failure
from cxbot.storage.models import ChannelLink, Contact, Conversation, Media, OutboxItem
from cxbot.works import messages as m
from cxbot.works.auth import TokenGrantError
from cxbot.works.client import WorksApiError, WorksClient
from cxbot.works.files import blocked_extension

WORKS_TEXT_MAX = 2000
# What LINE WORKS answers when it will not take a file (its status codes are not documented:
# a refused parameter, a policy, a size); anything else is retried or told as undelivered.
FILE_REFUSALS = (400, 403, 413, 415)


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
                   retry_after=exc.reset_after, rate_limited=exc.status == 429, own_budget=exc.own_budget,
                   reason=reason, code=code)


def works_call(call, *args):
    """A LINE WORKS API call whose errors become the outbox's Failure (retryable or not, how long to wait)."""
    try:
        return call(*args)
    except WorksApiError as exc:
        raise _works_failure(exc) from None
    except TokenGrantError as exc:
        raise _token_failure(exc) from None


def _token_failure(exc: TokenGrantError) -> Failure:
    return Failure(f"LINE WORKS token: {exc.description}", retryable=exc.status in (0, 429, 500, 502, 503),
                   reason="auth", code=f"LINE WORKS {exc.status} {exc.error}".strip())


def send_through_works(ctx: Context, client: WorksClient, bot_id: str, payload: dict,
                       send: Callable[[dict], None]) -> None:
    """An outbox payload through a LINE WORKS bot (`send` posts one message): its text in parts
    one message holds, or its stored image or file, uploaded as the bot. A file LINE WORKS
    will not take (a type its file security blocks, or over the largest file: by cxbot's
    settings, or by LINE WORKS' own refusal of the upload or of the message) goes as a link
    to cxbot's copy, saying why, instead of failing."""
    if "media" not in payload:
        for part in chunks(payload["text"], WORKS_TEXT_MAX):
            works_call(send, m.text(part))
        return
    att = payload["media"]
    stored = media.get(ctx, att["token"])
    if stored is None:
        raise Failure("the file is no longer kept (unsent by the customer, or past its retention)",
                      retryable=False, reason="file_gone")
    why = _not_taken(ctx, att["file_name"], stored.data)
    if why is None:
        try:
            file_id = client.upload_attachment(bot_id, att["file_name"], stored.data, stored.content_type)
            send(m.image(file_id=file_id) if att.get("kind") == "image" else m.file(file_id=file_id))
            return
        except WorksApiError as exc:
            if exc.status not in FILE_REFUSALS:
                raise _works_failure(exc) from None
            why = {"reason": "refused", "code": f"{exc.status} {exc.code}"}
        except TokenGrantError as exc:
            raise _token_failure(exc) from None
    works_call(send, m.text(_link_note(ctx, att, stored, why)))


def _not_taken(ctx: Context, file_name: str, data: bytes) -> dict | None:
    """Why LINE WORKS would refuse this file, by cxbot's settings; None when it would take it."""
    ext = blocked_extension(file_name, ctx.settings.works_blocked_extensions)
    if ext:
        return {"reason": "blocked", "ext": ext}
    if len(data) > ctx.settings.works_file_max_bytes:
        return {"reason": "too_big", "size": _size(len(data)), "max_size": _size(ctx.settings.works_file_max_bytes)}
    return None


def _link_note(ctx: Context, att: dict, stored: Media, why: dict) -> str:
    left = (stored.expires_at - time.time()) if stored.expires_at is not None else media.retention_seconds(ctx)
    return ctx.texts.render("relay/file_as_link", name=att["file_name"],
                            url=media.url(ctx, att["token"], att["file_name"]),
                            days=max(1, math.ceil(left / media.DAY)), **why)


def _size(size: int) -> str:
    """1536 -> "1.5 KB", 104857600 -> "100 MB"."""
    for unit, scale in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= scale:
            return f"{size / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{size} B"

"""Files cxbot serves over HTTP at /media/<token>/<name>: a created bot's profile image,
and the files of a conversation (an agent's answer for LINE to fetch, an attachment relayed
to a customer, or one LINE WORKS would not take into a room, which agents then open by its link).

A conversation's file stays at its link for CXBOT_RETENTION_DAYS from when it was stored,
then answers 410 and the scheduler deletes it; a profile image lasts as long as its bot. A
file of a message the customer unsent is deleted at once (`forget`).
"""

from __future__ import annotations

import secrets
import time
from urllib.parse import quote

from sqlmodel import Session, delete

from cxbot.context import Context
from cxbot.desk.images import plain_png
from cxbot.storage.models import Media

DAY = 86400.0


def store(ctx: Context, file_name: str, content_type: str, data: bytes, *, lasting: bool = False) -> str:
    token = secrets.token_urlsafe(24)
    now = time.time()
    expires_at = None if lasting else now + retention_seconds(ctx)
    with ctx.db.session() as s:
        s.add(Media(token=token, file_name=file_name, content_type=content_type, data=data, created_at=now,
                    expires_at=expires_at))
    return token


def keep(ctx: Context, token: str) -> None:
    """The file lasts from now on (an image the admin sent became a bot's profile image)."""
    with ctx.db.session() as s:
        item = s.get(Media, token)
        if item is not None:
            item.expires_at = None
            s.add(item)


def retention_seconds(ctx: Context) -> float:
    return ctx.settings.retention_days * DAY


def forget(s: Session, tokens: list[str]) -> None:
    """Stop serving these files (a customer unsent the message they came with), in the caller's transaction."""
    if tokens:
        s.execute(delete(Media).where(Media.token.in_(tokens)))


def get(ctx: Context, token: str) -> Media | None:
    """The stored file, expired or not (what it is still says what it was)."""
    with ctx.db.read() as s:
        return s.get(Media, token)


def expired(item: Media, now: float | None = None) -> bool:
    return item.expires_at is not None and item.expires_at <= (time.time() if now is None else now)


def purge_expired(ctx: Context) -> int:
    """Delete the files whose retention has passed; returns how many."""
    with ctx.db.session() as s:
        result = s.exec(delete(Media).where(Media.expires_at.is_not(None), Media.expires_at <= time.time()))
        return result.rowcount or 0


def url(ctx: Context, token: str, file_name: str) -> str:
    # Percent-encoded UTF-8, as LINE asks of every URL it is given.
    return f"{ctx.settings.public_url.rstrip('/')}/media/{token}/{quote(file_name, safe='')}"


def default_bot_png(size: int = 640, rgb: tuple[int, int, int] = (0x1d, 0xb4, 0x46)) -> bytes:
    """A plain square PNG for a bot created without an image (LINE WORKS requires a photo)."""
    return plain_png(size, rgb)

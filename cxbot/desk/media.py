"""Files cxbot serves over HTTP: a customer's attachment relayed to the room, an agent's
answer for LINE to fetch, the profile image of a bot it created."""

from __future__ import annotations

import secrets
import struct
import time
import zlib
from urllib.parse import quote

from sqlalchemy import delete
from sqlmodel import Session

from cxbot.context import Context
from cxbot.storage.models import Media


def store(ctx: Context, file_name: str, content_type: str, data: bytes) -> str:
    token = secrets.token_urlsafe(24)
    with ctx.db.session() as s:
        s.add(Media(token=token, file_name=file_name, content_type=content_type, data=data, created_at=time.time()))
    return token


def forget(s: Session, tokens: list[str]) -> None:
    """Stop serving these files (a customer unsent the message they came with), in the caller's transaction."""
    if tokens:
        s.execute(delete(Media).where(Media.token.in_(tokens)))


def get(ctx: Context, token: str) -> Media | None:
    with ctx.db.read() as s:
        return s.get(Media, token)


def url(ctx: Context, token: str, file_name: str) -> str:
    # Percent-encoded UTF-8, as LINE asks of every URL it is given.
    return f"{ctx.settings.public_url.rstrip('/')}/media/{token}/{quote(file_name, safe='')}"


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def default_bot_png(size: int = 640, rgb: tuple[int, int, int] = (0x1d, 0xb4, 0x46)) -> bytes:
    """A plain square PNG for a bot created without an image (LINE WORKS requires a photo)."""
    row = b"\x00" + bytes(rgb) * size
    raw = zlib.compress(row * size, 9)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")

"""Shared plumbing of the `/v1.0` routes: Bearer tokens and scopes, JSON bodies,
path lookups, paging, empty and 201 answers.

The routes live in `messages.py`, `bots.py`, `channels.py`, `users.py` and
`files.py`, which import from here; `works.install(app)` mounts them.
"""

from __future__ import annotations

import base64

from flask import current_app, jsonify, request

from ..clock import now
from .errors import forbidden, invalid, not_found, unauthorized
from .model import AccessToken, Bot
from .state import WorksWorld

# Which scopes let a token call which kind of endpoint (reference §1.8, §4, §5, §6).
SCOPES_BOT_ADMIN = ("bot",)
SCOPES_BOT_READ = ("bot", "bot.read")
SCOPES_MESSAGE = ("bot", "bot.message")
SCOPES_CHANNEL_READ = ("bot", "bot.message", "bot.read")
SCOPES_USER = ("user", "user.read", "directory", "directory.read")
SCOPES_USER_PROFILE = ("user.profile.read",)
SCOPES_USER_EMAIL = ("user.email.read",)


def works() -> WorksWorld:
    return current_app.world.works


def require_token(*scopes: str) -> AccessToken:
    """The request's access token; 401 if missing/unknown/expired, 403 if it lacks every one of `scopes`."""
    header = request.headers.get("Authorization", "")
    if not header:
        raise unauthorized("Authorization header is missing (expected 'Authorization: Bearer <access token>')")
    scheme, _, value = header.partition(" ")
    if scheme != "Bearer" or not value.strip():
        raise unauthorized("Authorization header must be 'Bearer <access token>' (one space after Bearer)")
    value = value.strip()
    w = works()
    with w.lock:
        token = w.access_tokens.get(value)
        status = w.settings.expired_token_status
        if token is None:
            raise unauthorized("The access token is unknown", status)
        if token.expires_at <= now():
            raise unauthorized("The access token has expired", status)
    if scopes and not set(scopes) & set(token.scopes):
        raise forbidden(
            f"The access token lacks the scope this API needs (one of: {', '.join(scopes)}; "
            f"token scopes: {' '.join(token.scopes) or 'none'})"
        )
    return token


def json_body() -> dict:
    data = request.get_json(silent=True, force=True)
    if not isinstance(data, dict):
        raise invalid("request body must be a JSON object")
    return data


def get_bot(bot_id: str) -> Bot:
    bot = works().live_bot(bot_id)
    if bot is None:
        raise not_found(f"bot {bot_id} not found")
    return bot


def paging_params() -> tuple[int, int]:
    raw_count = request.args.get("count", "50")
    try:
        count = int(raw_count)
    except ValueError:
        raise invalid(f"count: must be a number from 1 to 100 (got {raw_count!r})") from None
    if not 1 <= count <= 100:
        raise invalid(f"count: must be from 1 to 100 (got {count})")
    cursor = request.args.get("cursor")
    offset = 0
    if cursor:
        try:
            offset = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
        except ValueError:
            raise invalid("cursor: not a cursor this API returned") from None
    return count, offset


def page(items: list, key: str) -> dict:
    """`{key: items[page], "responseMetaData": {"nextCursor": ...}}` per count/cursor."""
    count, offset = paging_params()
    chunk = items[offset: offset + count]
    nxt = offset + count
    cursor = base64.urlsafe_b64encode(str(nxt).encode()).decode().rstrip("=") if nxt < len(items) else None
    return {key: chunk, "responseMetaData": {"nextCursor": cursor}}


def created(body=None, status: int = 201):
    if body is None:
        return current_app.response_class(status=status)
    resp = jsonify(body)
    resp.status_code = status
    return resp


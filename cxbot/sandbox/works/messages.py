"""`POST /v1.0/bots/{botId}/users/{userId}/messages` and
`POST /v1.0/bots/{botId}/channels/{channelId}/messages` (reference §3).

The content is validated as LINE WORKS does (`validate.py`), then recorded in the
room so the chat page and tests can read it. 201 with an empty body.
"""

from __future__ import annotations

from flask import Blueprint

from .api import SCOPES_MESSAGE, created, get_bot, json_body, require_token, works
from .callbacks import envelope
from .errors import forbidden, invalid, not_found
from .model import Room
from .state import WorksWorld
from .validate import ContentError, Context, validate_content

bp = Blueprint("sandbox_messages", __name__, url_prefix="/v1.0")


def content_context(w: WorksWorld) -> Context:
    def file_exists(file_id: str) -> str | None:
        with w.lock:
            att = w.attachments.get(file_id)
            return att.file_name if att is not None and att.uploaded else None

    at_send = w.settings.blocked_file_check == "send"
    return Context(allow_http_urls=w.settings.allow_http_urls, file_exists=file_exists,
                   blocked_extensions=tuple(w.settings.blocked_file_extensions) if at_send else ())


def message_content() -> dict:
    body = json_body()
    if "content" not in body:
        raise invalid("content: required (the message object)")
    content = body["content"]
    try:
        validate_content(content, content_context(works()))
    except ContentError as exc:
        raise invalid(str(exc)) from None
    return content


def begin_event_if_new(room: Room, user_id: str) -> dict | None:
    """A 1:1 room starts with its first message either way: `begin` (once)."""
    if room.kind != "bot" or room.started:
        return None
    room.started = True
    return envelope("begin", user_id=user_id, channel_id=room.channel_id, domain_id=room.domain_id)


@bp.post("/bots/<bot_id>/users/<user_id>/messages")
def send_to_user(bot_id: str, user_id: str):
    require_token(*SCOPES_MESSAGE)
    w = works()
    bot = get_bot(bot_id)
    user = w.find_user(user_id)
    if user is None:
        raise not_found(f"user {user_id!r} not found")
    content = message_content()
    with w.lock:
        if not w.bot_reaches(bot, user):
            raise forbidden(
                f"bot {bot.bot_id} is not registered to domain {user.domain_id} of user {user.user_id} "
                f"(register it with POST /bots/{{botId}}/domains/{{domainId}})"
            )
        if (bot.bot_id, user.user_id) in w.blocks:
            raise forbidden(f"user {user.user_id} has blocked bot {bot.bot_id}")
        room = w.dm_room(bot, user)
        begin = begin_event_if_new(room, user.user_id)
        w.add_message(room, {"botId": bot.bot_id}, content)
    if begin:
        w.deliverer.send_event(bot, begin, wait=False)
    return created()


@bp.post("/bots/<bot_id>/channels/<channel_id>/messages")
def send_to_channel(bot_id: str, channel_id: str):
    require_token(*SCOPES_MESSAGE)
    w = works()
    bot = get_bot(bot_id)
    with w.lock:
        room = w.rooms.get(channel_id)
        if room is None or room.bot_id != bot.bot_id or room.bot_left:
            raise not_found(f"channel {channel_id!r} not found, or bot {bot.bot_id} is not a member of it")
    content = message_content()
    with w.lock:
        if room.kind == "bot" and (bot.bot_id, room.members[0]) in w.blocks:
            raise forbidden(f"user {room.members[0]} has blocked bot {bot.bot_id}")
        begin = begin_event_if_new(room, room.members[0])
        w.add_message(room, {"botId": bot.bot_id}, content)
    if begin:
        w.deliverer.send_event(bot, begin, wait=False)
    return created()

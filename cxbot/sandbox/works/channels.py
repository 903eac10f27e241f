"""Message rooms a bot creates and leaves: `/v1.0/bots/{botId}/channels...` (reference §5).

Creating a room fires `join` (the bot) and `joined` (the members) callbacks in the
background, and is limited to `settings.channel_create_per_minute` creations a minute
(10 on the real platform) instead of the 240 of other operations: limits.py.
"""

from __future__ import annotations

from flask import Blueprint, jsonify

from .api import (
    SCOPES_CHANNEL_READ,
    SCOPES_MESSAGE,
    created,
    get_bot,
    json_body,
    page,
    require_token,
    works,
)
from .callbacks import envelope
from .errors import forbidden, invalid, not_found
from .model import Bot, Room
from .state import WorksWorld

bp = Blueprint("sandbox_channels", __name__, url_prefix="/v1.0")

MEMBERS_MAX = 100
TITLE_MAX = 1000


def _room_of_bot(w: WorksWorld, bot: Bot, channel_id: str) -> Room:
    with w.lock:
        room = w.rooms.get(channel_id)
        if room is None or room.bot_id != bot.bot_id or room.bot_left:
            raise not_found(f"channel {channel_id!r} not found, or bot {bot.bot_id} is not a member of it")
        return room


@bp.post("/bots/<bot_id>/channels")
def create_channel(bot_id: str):
    require_token(*SCOPES_MESSAGE)
    w = works()
    bot = get_bot(bot_id)
    data = json_body()
    members = data.get("members")
    if not isinstance(members, list) or not all(isinstance(m, str) and m for m in members):
        raise invalid(f"members: required, an array of 1 to {MEMBERS_MAX} user IDs")
    if not 1 <= len(members) <= MEMBERS_MAX:
        raise invalid(f"members: must have 1 to {MEMBERS_MAX} user IDs (got {len(members)})")
    title = data.get("title", "")
    if title is None:
        title = ""
    if not isinstance(title, str):
        raise invalid("title: must be a string")
    if len(title) > TITLE_MAX:
        raise invalid(f"title: must be at most {TITLE_MAX} characters (got {len(title)})")
    with w.lock:
        user_ids: list[str] = []
        for i, ident in enumerate(members):
            user = w.find_user(ident)
            if user is None:
                raise invalid(f"members[{i}]: unknown user {ident!r}")
            if user.user_id in user_ids:
                raise invalid(f"members[{i}]: duplicate member {ident!r} (members must be unique)")
            if not w.bot_reaches(bot, user):
                raise forbidden(
                    f"members[{i}]: bot {bot.bot_id} is not registered to domain {user.domain_id} of user {user.user_id}"
                )
            user_ids.append(user.user_id)
        room = w.create_group_room(bot, user_ids, title)
        join = envelope("join", channel_id=room.channel_id, domain_id=room.domain_id)
        joined = envelope("joined", channel_id=room.channel_id, domain_id=room.domain_id, members=list(user_ids))
    w.deliverer.send_event(bot, join, wait=False)
    w.deliverer.send_event(bot, joined, wait=False)
    return created({"channelId": room.channel_id, "title": title})


@bp.get("/bots/<bot_id>/channels/<channel_id>")
def get_channel(bot_id: str, channel_id: str):
    require_token(*SCOPES_CHANNEL_READ)
    w = works()
    room = _room_of_bot(w, get_bot(bot_id), channel_id)
    return jsonify({
        "domainId": room.domain_id,
        "channelId": room.channel_id,
        "title": room.title if room.kind == "group" else "",
        "channelType": {"type": "MULTI_USERS" if room.kind == "group" else "SINGLE_USER"},
    })


@bp.get("/bots/<bot_id>/channels/<channel_id>/members")
def list_members(bot_id: str, channel_id: str):
    require_token(*SCOPES_CHANNEL_READ)
    w = works()
    room = _room_of_bot(w, get_bot(bot_id), channel_id)
    with w.lock:
        members = list(room.members)
    return jsonify(page(members, "members"))


@bp.delete("/bots/<bot_id>/channels/<channel_id>")
def leave_channel(bot_id: str, channel_id: str):
    require_token(*SCOPES_MESSAGE)
    w = works()
    bot = get_bot(bot_id)
    room = _room_of_bot(w, bot, channel_id)
    with w.lock:
        if room.kind != "group":
            raise invalid(f"channel {channel_id!r} is a 1:1 room; a bot cannot leave it")
        room.bot_left = True
        leave = envelope("leave", channel_id=room.channel_id, domain_id=room.domain_id)
    w.deliverer.send_event(bot, leave, wait=False)
    return created(status=204)

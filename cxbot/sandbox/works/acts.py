"""What a person does in the LINE WORKS client, as the control API and the chat page
drive it: send a message or a file, press a button, and the room bookkeeping that
goes with it. Each act records what the user did in the room and fires the
callback the real platform would send, then reports the bot server's answer.
"""

from __future__ import annotations

import base64
import binascii

from ..errors import ControlError
from .callbacks import envelope
from .files import store_file
from .model import (
    CALLBACK_MESSAGE_TYPES,
    CHANNEL_EVENTS,
    DEFAULT_DOMAIN_ID,
    Bot,
    Message,
    Room,
    User,
)
from .pressables import pressables
from .state import WorksWorld

READ_ONLY_TEXT = {
    "bot deleted": "the bot was deleted; this room is read-only",
    "bot left": "the bot has left this room; this room is read-only",
}


# --------------------------------------------------------------------------- lookups


def get_user(w: WorksWorld, ident) -> User:
    if not isinstance(ident, str) or not ident:
        raise ControlError(400, "userId is required")
    user = w.find_user(ident)
    if user is None:
        raise ControlError(404, f"user {ident!r} not found")
    return user


def get_bot(w: WorksWorld, bot_id) -> Bot:
    """A bot, deleted ones included (their rooms still exist)."""
    if bot_id is None:
        raise ControlError(400, "botId is required")
    bot = w.any_bot(bot_id)
    if bot is None:
        raise ControlError(404, f"bot {bot_id!r} not found")
    return bot


def _refuse_if_read_only(w: WorksWorld, room: Room) -> None:
    reason = w.room_read_only_reason(room)
    if reason:
        raise ControlError(409, READ_ONLY_TEXT[reason], code=reason.replace(" ", "_"), roomId=room.room_id,
                           readOnly=True)


def room_for_act(w: WorksWorld, user: User, bot_id, channel_id) -> tuple[Room, Bot]:
    """The room a user acts in: the group room `channel_id`, or the 1:1 room with the bot."""
    with w.lock:
        if channel_id:
            room = w.rooms.get(channel_id)
            if room is None:
                raise ControlError(404, f"room {channel_id!r} not found")
            if room.kind == "bot":
                if room.members != [user.user_id]:
                    raise ControlError(400, f"user {user.user_id} is not in 1:1 room {channel_id!r}",
                                       code="not_a_member")
            elif user.user_id not in room.members:
                raise ControlError(400, f"user {user.user_id} is not a member of room {channel_id!r}",
                                   code="not_a_member", members=list(room.members))
            if bot_id is not None and str(bot_id) != str(room.bot_id):
                raise ControlError(400, f"room {channel_id!r} belongs to bot {room.bot_id}, not {bot_id}")
            bot = get_bot(w, room.bot_id)
        else:
            bot = get_bot(w, bot_id)
            existing = w.dm_rooms.get((bot.bot_id, user.user_id))
            if existing is None:
                if bot.deleted:
                    raise ControlError(409, "the bot was deleted", code="bot_deleted", readOnly=True)
                if not w.bot_visible_to(bot, user):
                    raise ControlError(
                        403,
                        f"bot {bot.bot_id} is not public to user {user.user_id} (domain {user.domain_id}): "
                        "a member cannot find it among talk partners. Register it to the domain with visible=true.",
                        code="bot_not_public",
                    )
            room = w.dm_room(bot, user)
        _refuse_if_read_only(w, room)
        return room, bot


def _message_event(w: WorksWorld, user: User, room: Room, content: dict) -> dict:
    # The message-event table says a 1:1 room's channelId is not sent; both of the doc's
    # examples carry one (reference §2.4). The setting plays either reading.
    with_id = room.kind == "group" or w.settings.direct_message_channel_id
    channel_id = room.channel_id if with_id else None
    return envelope("message", user_id=user.user_id, channel_id=channel_id, domain_id=user.domain_id,
                    content=content)


def _begin(room: Room, user: User) -> dict | None:
    if room.kind != "bot" or room.started:
        return None
    room.started = True
    return envelope("begin", user_id=user.user_id, channel_id=room.channel_id, domain_id=user.domain_id)


def _deliver(w: WorksWorld, bot: Bot, events: list[tuple[dict, str | None]]) -> dict:
    """Send events in order, waiting for each; report the last one (the one the act was about)."""
    result = {"sent": False, "status": None, "error": None}
    for event, content_type in events:
        result = w.deliverer.send_event(bot, event, wait=True, content_type=content_type)
    return result


# --------------------------------------------------------------------------- acts


def send_message(w: WorksWorld, data: dict) -> dict:
    """`act/message`: the user types (or sends) something in a room."""
    user = get_user(w, data.get("userId"))
    content = data.get("content")
    if not isinstance(content, dict) or content.get("type") not in CALLBACK_MESSAGE_TYPES:
        raise ControlError(400, f"content must be a message object whose type is one of {', '.join(CALLBACK_MESSAGE_TYPES)}")
    if content["type"] == "text" and (not isinstance(content.get("text"), str) or not content["text"].strip()):
        raise ControlError(400, "content.text must be a non-empty string")
    if content["type"] in ("image", "file", "audio", "video"):
        with w.lock:
            att = w.attachments.get(content.get("fileId") or "")
            if att is None or not att.uploaded:
                raise ControlError(400, f"content.fileId must name an uploaded file; use act/file to send a {content['type']}")
    room, bot = room_for_act(w, user, data.get("botId"), data.get("channelId"))
    with w.lock:
        if content["type"] not in bot.callback_events:
            raise ControlError(
                400,
                f"bot {bot.bot_id} does not accept {content['type']} messages (callbackEvents {bot.callback_events}); "
                "the client greys that out",
                code="message_type_off",
            )
        begin = _begin(room, user)
        msg = w.add_message(room, {"userId": user.user_id}, content)
        events = ([(begin, None)] if begin else []) + [(_message_event(w, user, room, content), content["type"])]
    callback = _deliver(w, bot, events)
    return {"roomId": room.room_id, "messageId": msg.message_id, "callback": callback}


def open_room(w: WorksWorld, data: dict) -> dict:
    """`act/open`: the user opens a room in the client. Opening a 1:1 room with a bot
    for the first time starts it: `begin` (reference §2.5), once; the first message
    sends it instead when the room was never opened."""
    user = get_user(w, data.get("userId"))
    room, bot = room_for_act(w, user, data.get("botId"), data.get("channelId"))
    with w.lock:
        begin = _begin(room, user)
    if begin is None:
        return {"roomId": room.room_id, "event": None, "callback": None}
    return {"roomId": room.room_id, "event": "begin", "callback": _deliver(w, bot, [(begin, None)])}


def send_file(w: WorksWorld, data: dict) -> dict:
    """`act/file`: the user sends an image or a file; the bot gets `{"type", "fileId"}`."""
    user = get_user(w, data.get("userId"))
    name = data.get("fileName")
    if not isinstance(name, str) or not name:
        raise ControlError(400, "fileName is required")
    try:
        raw = base64.b64decode(data.get("dataBase64") or "", validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, "dataBase64 is not valid base64") from None
    ctype = data.get("contentType") or None
    kind = data.get("kind") or ("image" if (ctype or "").startswith("image/") else "file")
    if kind not in ("image", "file"):
        raise ControlError(400, "kind must be 'image' or 'file'")
    room, bot = room_for_act(w, user, data.get("botId"), data.get("channelId"))
    att = store_file(w, name, raw, ctype, bot.bot_id)
    result = send_message(w, {"userId": user.user_id, "botId": bot.bot_id, "channelId": room.room_id,
                              "content": {"type": kind, "fileId": att.file_id}})
    result["fileId"] = att.file_id
    return result


def press(w: WorksWorld, data: dict) -> dict:
    """`act/press`: the user presses a button or quick-reply item of a bot message."""
    user = get_user(w, data.get("userId"))
    message_id = data.get("messageId")
    if message_id is None:
        raise ControlError(400, "messageId is required")
    found = w.find_message(str(message_id))
    if found is None:
        raise ControlError(404, f"message {message_id!r} not found")
    room, msg = found
    with w.lock:
        if user.user_id not in room.members:
            raise ControlError(400, f"user {user.user_id} is not in the room of message {message_id}")
        if not msg.from_bot:
            raise ControlError(400, f"message {message_id} was sent by a user; only bot messages have buttons")
        _refuse_if_read_only(w, room)
        bot = get_bot(w, room.bot_id)
        item = _pick(msg, data)
        if item["where"] == "quickReply" and room.messages[-1] is not msg:
            raise ControlError(409, "quick replies are only shown under the last message of the room",
                               code="quick_reply_gone")
        out, events = _press_item(w, user, room, item)
    # Deliver outside the lock: the bot server may call the API while handling it.
    if events:
        out["callback"] = _deliver(w, bot, events)
    return out


def _pick(msg: Message, data: dict) -> dict:
    items = pressables(msg.content)
    labels = [i["label"] for i in items]
    if data.get("index") is not None:
        idx = data["index"]
        if not isinstance(idx, int) or not 0 <= idx < len(items):
            raise ControlError(404, f"message {msg.message_id} has no button #{idx}", labels=labels)
        return items[idx]
    label = data.get("label")
    if not isinstance(label, str):
        raise ControlError(400, "give the button's label (or its index)", labels=labels)
    for item in items:
        if item["label"] == label:
            return item
    raise ControlError(404, f"message {msg.message_id} has no button labelled {label!r}", labels=labels)


def _press_item(w: WorksWorld, user: User, room: Room, item: dict) -> tuple[dict, list]:
    """Record what pressing `item` shows in the room; return (result, events to deliver).

    Called with w.lock held."""
    action, where = item["action"], item["where"]
    kind = action.get("type")
    out: dict = {"roomId": room.room_id, "action": action, "messageId": None, "event": None, "callback": None}
    if kind == "uri":
        return out | {"uri": action.get("uri")}, []
    if kind == "copy":
        return out | {"copied": action.get("copyText")}, []
    if kind in ("camera", "cameraRoll", "location"):
        raise ControlError(400, f"{kind} quick replies need a phone; use act/file or act/message instead",
                           code="needs_phone")
    begin = _begin(room, user)
    events: list[tuple[dict, str | None]] = [(begin, None)] if begin else []
    if kind == "message":
        # In button and list templates the label replaces the text (reference §3.3).
        text = item["label"] if where in ("button_template", "list_template") else (action.get("text") or item["label"])
        content = {"type": "text", "text": text}
        if action.get("postback") is not None:
            content["postback"] = action["postback"]
        msg = w.add_message(room, {"userId": user.user_id}, content)
        out["messageId"] = msg.message_id
        events.append((_message_event(w, user, room, content), None))
    elif kind == "postback":
        if action.get("displayText"):
            msg = w.add_message(room, {"userId": user.user_id}, {"type": "text", "text": action["displayText"]})
            out["messageId"] = msg.message_id
        events.append((envelope("postback", user_id=user.user_id, channel_id=room.channel_id,
                                domain_id=user.domain_id, data=action.get("data", "")), None))
    else:
        raise ControlError(400, f"unknown action type {kind!r}")
    out["event"] = events[-1][0]["type"]
    return out, events


def send_event(w: WorksWorld, data: dict) -> dict:
    """`act/event`: send one begin/end/join/leave/joined/left event (for event-parsing tests)."""
    kind = data.get("type")
    allowed = [e for e in CHANNEL_EVENTS if e not in ("message", "postback")]
    if kind not in allowed:
        raise ControlError(400, f"type must be one of {', '.join(allowed)} (use act/message and act/press for the others)")
    bot = get_bot(w, data.get("botId"))
    user = get_user(w, data["userId"]) if data.get("userId") else None
    channel_id = data.get("channelId")
    with w.lock:
        room = w.rooms.get(channel_id) if channel_id else None
        if kind in ("begin", "end"):
            if user is None:
                raise ControlError(400, f"{kind} needs userId")
            if channel_id is None:
                room = w.dm_room(bot, user)
                channel_id = room.channel_id
                if kind == "begin":
                    room.started = True
            event = envelope(kind, user_id=user.user_id, channel_id=channel_id, domain_id=user.domain_id)
        else:
            if not channel_id:
                raise ControlError(400, f"{kind} needs channelId")
            domain_id = room.domain_id if room else (user.domain_id if user else DEFAULT_DOMAIN_ID)
            extra = {}
            if kind in ("joined", "left"):
                members = data.get("members")
                if members is None:
                    members = list(room.members) if room else ([user.user_id] if user else None)
                if not isinstance(members, list) or not members:
                    raise ControlError(400, f"{kind} needs members (an array of user IDs)")
                extra["members"] = members
            event = envelope(kind, channel_id=channel_id, domain_id=domain_id, **extra)
    callback = w.deliverer.send_event(bot, event, wait=True)
    return {"event": event, "callback": callback}


def leave_room(w: WorksWorld, data: dict) -> dict:
    """`act/leave`: the user leaves a group room; the bot gets `left`. When nobody but the
    bot is left, the bot leaves too, by itself, and gets `leave` (reference §2.5)."""
    user = get_user(w, data.get("userId"))
    channel_id = data.get("channelId")
    with w.lock:
        room = w.rooms.get(channel_id or "")
        if room is None or room.kind != "group" or user.user_id not in room.members:
            raise ControlError(404, f"{user.user_id} is not a member of a group room {channel_id!r}")
        bot = w.bots[room.bot_id]
        room.members.remove(user.user_id)
        events = [envelope("left", channel_id=room.channel_id, domain_id=room.domain_id, members=[user.user_id])]
        if not room.members and not room.bot_left:
            room.bot_left = True
            events.append(envelope("leave", channel_id=room.channel_id, domain_id=room.domain_id))
    callbacks = [w.deliverer.send_event(bot, event, wait=True) for event in events]
    return {"events": [e["type"] for e in events], "callbacks": callbacks}


def send_raw(w: WorksWorld, data: dict) -> dict:
    """`act/raw`: sign any JSON object (or exact text) with the bot secret and POST it."""
    bot = get_bot(w, data.get("botId"))
    if "text" in data:
        if not isinstance(data["text"], str):
            raise ControlError(400, "text must be a string (the exact body to send)")
        body = data["text"]
    elif isinstance(data.get("body"), dict):
        body = data["body"]
    else:
        raise ControlError(400, "body (a JSON object) or text (an exact body) is required")
    secret = data.get("signWith")
    if secret is not None and not isinstance(secret, str):
        raise ControlError(400, "signWith must be a string (a secret to sign with instead of the bot's)")
    callback = w.deliverer.send_raw(bot, body, secret=secret)
    return {"callback": callback}


def set_block(w: WorksWorld, data: dict) -> dict:
    """`act/block`: the user blocks (or unblocks) a bot; its messages to them get 403."""
    user = get_user(w, data.get("userId"))
    bot = get_bot(w, data.get("botId"))
    blocked = data.get("blocked", True)
    if not isinstance(blocked, bool):
        raise ControlError(400, "blocked must be true or false")
    with w.lock:
        key = (bot.bot_id, user.user_id)
        (w.blocks.add if blocked else w.blocks.discard)(key)
    return {"userId": user.user_id, "botId": bot.bot_id, "blocked": blocked}

"""What a LINE user does in the LINE app, as the control API and the chat page drive
it: add an Official Account as a friend, block it, send it a message. Each act
records what the user did, builds the webhook event LINE would send (reference A1,
shaped to line-bot-sdk's models), delivers it and reports the bot server's answer.
While the account's 応答メッセージ / あいさつメッセージ are on (as for a new account), LINE
Official Account Manager answers a message, and greets a new friend, by itself too.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes

from ..clock import now_ms
from ..errors import ControlError
from ..signing import encode_body
from .model import AUTO_REPLY_TEXT, GREETING_TEXT, Content, LineChannel, LineUser, new_quote_token
from .state import LineWorld
from .webhooks import base_event, deliver, deliver_raw, redelivered, remember

USER_MESSAGE_TYPES = ("text", "image", "video", "audio", "file", "sticker", "location")
STICKER_RESOURCE_TYPES = ("STATIC", "ANIMATION", "SOUND", "ANIMATION_SOUND", "POPUP", "POPUP_SOUND", "CUSTOM",
                          "MESSAGE", "NAME_TEXT", "PER_STICKER_TEXT")
MAX_BATCH = 100
TRANSCODING = ("processing", "succeeded", "failed")


# --------------------------------------------------------------------------- lookups


def get_channel(line: LineWorld, channel_id) -> LineChannel:
    if not isinstance(channel_id, str) or not channel_id:
        raise ControlError(400, "channelId is required (a string of digits)")
    with line.lock:
        channel = line.channels.get(channel_id)
    if channel is None:
        raise ControlError(404, f"LINE channel {channel_id!r} not found")
    return channel


def get_user(line: LineWorld, user_id) -> LineUser:
    if not isinstance(user_id, str) or not user_id:
        raise ControlError(400, "userId is required (U + 32 hex characters)")
    with line.lock:
        user = line.users.get(user_id)
    if user is None:
        raise ControlError(404, f"LINE user {user_id!r} not found")
    return user


# --------------------------------------------------------------------------- building events


def _follow_event(line: LineWorld, channel: LineChannel, user: LineUser) -> dict:
    """Called with the lock held."""
    friendship = line.friendship(channel.channel_id, user.user_id)
    if friendship.status == "friend":
        raise ControlError(409, f"{user.display_name} is already a friend of {channel.display_name}",
                           code="already_friend")
    unblocked = friendship.status == "blocked"
    friendship.status = "friend"
    event = base_event(line, channel, "follow", user.user_id, reply=True)
    event["follow"] = {"isUnblocked": unblocked}
    if channel.greeting:  # あいさつメッセージ: on a new friend and on an unblock
        _account_answers(line, channel, user, GREETING_TEXT.format(name=channel.display_name), "greeting")
    return event


def _account_answers(line: LineWorld, channel: LineChannel, user: LineUser, text: str, via: str) -> None:
    """What LINE Official Account Manager sends by itself (called with the lock held): the
    user reads it beside whatever the bot answers; no webhook, no API call, no quota."""
    line.add_chat(channel.channel_id, user.user_id, "bot", {"id": line.new_message_id(), "type": "text", "text": text},
                  via=via)


def _unfollow_event(line: LineWorld, channel: LineChannel, user: LineUser) -> dict:
    friendship = line.friendship(channel.channel_id, user.user_id)
    if friendship.status != "friend":
        raise ControlError(409, f"{user.display_name} is not a friend of {channel.display_name}", code="not_friend")
    friendship.status = "blocked"
    return base_event(line, channel, "unfollow", user.user_id, reply=False)


def _decode(data: dict, what: str) -> bytes:
    raw = data.get("dataBase64")
    if not isinstance(raw, str) or not raw:
        raise ControlError(400, f"message.dataBase64 is required (the {what}'s bytes, base64)")
    try:
        decoded = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError):
        raise ControlError(400, "message.dataBase64 is not valid base64") from None
    if not decoded:
        raise ControlError(400, f"message.dataBase64 is empty (the {what} has no bytes)")
    return decoded


def _duration(spec: dict) -> int:
    duration = spec.get("duration", 1000)
    if not isinstance(duration, int) or isinstance(duration, bool) or duration < 0:
        raise ControlError(400, "message.duration must be milliseconds (an integer)")
    return duration


def _external(provider: dict, kind: str) -> dict:
    """`contentProvider` of media LINE does not hold: its URLs (the preview for image / video)."""
    out = {"type": "external"}
    for key in ("originalContentUrl", "previewImageUrl") if kind != "audio" else ("originalContentUrl",):
        url = provider.get(key)
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise ControlError(400, f"message.contentProvider.{key} is required for external content (a URL)")
        out[key] = url
    return out


def _message_content(line: LineWorld, channel: LineChannel, message_id: str, spec) -> tuple[dict, dict]:
    """(webhook `message` object, what the user sees in the chat) for a user's message.
    Stores media bytes for the content API. Called with the lock held."""
    if not isinstance(spec, dict) or spec.get("type") not in USER_MESSAGE_TYPES:
        raise ControlError(400, f"message must be an object whose type is one of {', '.join(USER_MESSAGE_TYPES)}")
    kind = spec["type"]
    msg: dict = {"id": message_id, "type": kind}
    shown: dict = {"id": message_id, "type": kind}
    if kind == "text":
        text = spec.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ControlError(400, "message.text must be a non-empty string")
        msg["text"] = text
        msg["quoteToken"] = new_quote_token()
        if isinstance(spec.get("quotedMessageId"), str):
            msg["quotedMessageId"] = spec["quotedMessageId"]
        shown["text"] = text
    elif kind in ("image", "video", "audio") and isinstance(spec.get("contentProvider"), dict) \
            and spec["contentProvider"].get("type") == "external":
        msg["contentProvider"] = _external(spec["contentProvider"], kind)
        shown["contentProvider"] = dict(msg["contentProvider"])
        if kind in ("video", "audio"):
            msg["duration"] = _duration(spec)
        if kind in ("image", "video"):
            msg["quoteToken"] = new_quote_token()
    elif kind in ("image", "video", "audio", "file"):
        data = _decode(spec, kind)
        file_name = spec.get("fileName")
        if kind == "file" and (not isinstance(file_name, str) or not file_name):
            raise ControlError(400, "message.fileName is required for a file")
        default = {"image": "image/jpeg", "video": "video/mp4", "audio": "audio/m4a"}.get(kind)
        ctype = spec.get("contentType") or (mimetypes.guess_type(file_name)[0] if file_name else None) \
            or default or "application/octet-stream"
        if not isinstance(ctype, str):
            raise ControlError(400, "message.contentType must be a string")
        transcoding = spec.get("transcoding", "succeeded")
        if transcoding not in TRANSCODING or (transcoding != "succeeded" and kind not in ("video", "audio")):
            raise ControlError(400, "message.transcoding is for a video or audio: processing, succeeded or failed")
        line.contents[message_id] = Content(channel.channel_id, data, ctype, file_name, kind, transcoding)
        shown["contentType"] = ctype
        if kind == "file":
            msg["fileName"] = file_name
            msg["fileSize"] = len(data)
            shown.update(fileName=file_name, fileSize=len(data))
        else:
            msg["contentProvider"] = {"type": "line"}
            if kind in ("video", "audio"):
                msg["duration"] = _duration(spec)
            if kind == "image" and isinstance(spec.get("imageSet"), dict):
                msg["imageSet"] = dict(spec["imageSet"])
            if kind in ("image", "video"):
                msg["quoteToken"] = new_quote_token()
    elif kind == "sticker":
        package_id, sticker_id = spec.get("packageId"), spec.get("stickerId")
        if not isinstance(package_id, (str, int)) or not isinstance(sticker_id, (str, int)) or \
                isinstance(package_id, bool) or isinstance(sticker_id, bool) or package_id == "" or sticker_id == "":
            raise ControlError(400, "message.packageId and message.stickerId are required")
        resource = spec.get("stickerResourceType", "STATIC")
        if resource not in STICKER_RESOURCE_TYPES:
            raise ControlError(400, f"message.stickerResourceType must be one of {', '.join(STICKER_RESOURCE_TYPES)}")
        msg.update(packageId=str(package_id), stickerId=str(sticker_id), stickerResourceType=resource)
        if isinstance(spec.get("keywords"), list):
            msg["keywords"] = [str(k) for k in spec["keywords"]][:15]
        if isinstance(spec.get("text"), str) and resource == "MESSAGE":
            msg["text"] = spec["text"][:100]
        msg["quoteToken"] = new_quote_token()
        shown.update(packageId=str(package_id), stickerId=str(sticker_id), stickerResourceType=resource)
    elif kind == "location":
        lat, lng = spec.get("latitude"), spec.get("longitude")
        for name, value in (("latitude", lat), ("longitude", lng)):
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ControlError(400, f"message.{name} is required (a number)")
        for name in ("title", "address"):
            if spec.get(name) is not None and not isinstance(spec[name], str):
                raise ControlError(400, f"message.{name} must be a string")
        if spec.get("title"):
            msg["title"] = spec["title"]
        if spec.get("address"):
            msg["address"] = spec["address"]
        msg["latitude"] = lat
        msg["longitude"] = lng
        shown.update({k: msg[k] for k in ("title", "address", "latitude", "longitude") if k in msg})
    return msg, shown


def _message_event(line: LineWorld, channel: LineChannel, user: LineUser, spec) -> tuple[dict, str]:
    """Record the user's message and build its event. Called with the lock held."""
    friendship = line.friendship(channel.channel_id, user.user_id)
    if friendship.status == "blocked":
        raise ControlError(409, f"{user.display_name} has blocked {channel.display_name}; follow (unblock) first",
                           code="blocked")
    message_id = line.new_message_id()
    msg, shown = _message_content(line, channel, message_id, spec)
    event = base_event(line, channel, "message", user.user_id, reply=True)
    event["message"] = msg
    friendship.talked = True
    line.add_chat(channel.channel_id, user.user_id, "user", shown, webhook_event_id=event["webhookEventId"],
                  time_ms=event["timestamp"])
    if channel.auto_reply:  # 応答メッセージ: every message gets one, whatever the bot does
        _account_answers(line, channel, user, AUTO_REPLY_TEXT, "auto-reply")
    return event, message_id


# --------------------------------------------------------------------------- acts


def follow(line: LineWorld, data: dict) -> dict:
    channel = get_channel(line, data.get("channelId"))
    user = get_user(line, data.get("userId"))
    with line.lock:
        event = _follow_event(line, channel, user)
        remember(line, channel, event)
    return {"webhook": deliver(line, channel, [event]), "webhookEventId": event["webhookEventId"],
            "replyToken": event["replyToken"], "event": event}


def unfollow(line: LineWorld, data: dict) -> dict:
    channel = get_channel(line, data.get("channelId"))
    user = get_user(line, data.get("userId"))
    with line.lock:
        event = _unfollow_event(line, channel, user)
        remember(line, channel, event)
    return {"webhook": deliver(line, channel, [event]), "webhookEventId": event["webhookEventId"], "event": event}


def message(line: LineWorld, data: dict) -> dict:
    channel = get_channel(line, data.get("channelId"))
    user = get_user(line, data.get("userId"))
    with line.lock:
        event, message_id = _message_event(line, channel, user, data.get("message"))
        remember(line, channel, event)
    return {"webhook": deliver(line, channel, [event]), "webhookEventId": event["webhookEventId"],
            "messageId": message_id, "replyToken": event["replyToken"], "event": event}


def unsend(line: LineWorld, data: dict) -> dict:
    """The user unsends one of their messages: it leaves the chat, its content answers 410
    from then on, and the OA gets an `unsend` event naming it (no reply token). LINE lets a
    user unsend "for a limited time" without saying how long (it depends on the user's plan),
    so the sandbox sets no limit: a bot server must take an unsend of any age."""
    channel = get_channel(line, data.get("channelId"))
    user = get_user(line, data.get("userId"))
    message_id = data.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        raise ControlError(400, "messageId is required (the id of one of the user's messages)")
    with line.lock:
        entry = next((e for e in line.chats.get((channel.channel_id, user.user_id), [])
                      if e.sender == "user" and e.message.get("id") == message_id), None)
        if entry is None:
            raise ControlError(404, f"{user.display_name} sent no message {message_id} to {channel.display_name}")
        if entry.unsent:
            raise ControlError(409, f"message {message_id} is already unsent", code="already_unsent")
        entry.unsent = True
        if message_id in line.contents:
            line.contents[message_id].gone = True
        event = base_event(line, channel, "unsend", user.user_id, reply=False)
        event["unsend"] = {"messageId": message_id}
        remember(line, channel, event)
    return {"webhook": deliver(line, channel, [event]), "webhookEventId": event["webhookEventId"], "event": event}


def set_transcoding(line: LineWorld, message_id: str, data: dict) -> dict:
    """LINE finishes (or fails) preparing a user's video or audio."""
    status = data.get("status")
    if status not in TRANSCODING:
        raise ControlError(400, f"status must be one of {', '.join(TRANSCODING)}")
    with line.lock:
        item = line.contents.get(message_id)
        if item is None or item.kind not in ("video", "audio"):
            raise ControlError(404, f"no video or audio content for message {message_id!r}")
        item.transcoding = status
    return {"messageId": message_id, "status": status}


def batch(line: LineWorld, data: dict) -> dict:
    """Several users' events in ONE webhook: `{channelId, events: [{userId, message} | {userId, type}]}`."""
    channel = get_channel(line, data.get("channelId"))
    items = data.get("events")
    if not isinstance(items, list) or not items:
        raise ControlError(400, "events is required: [{userId, message} or {userId, type: follow|unfollow}, ...]")
    if len(items) > MAX_BATCH:
        raise ControlError(400, f"at most {MAX_BATCH} events in one batch")
    users = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise ControlError(400, f"events[{i}] must be an object")
        kind = item.get("type", "message")
        if kind not in ("message", "follow", "unfollow"):
            raise ControlError(400, f"events[{i}].type must be message, follow or unfollow")
        users.append(get_user(line, item.get("userId")))
    results, events = [], []
    with line.lock:
        # All or nothing: a bad item leaves the world as it was before the batch.
        saved = line.snapshot()
        try:
            for i, (item, user) in enumerate(zip(items, users)):
                kind = item.get("type", "message")
                if kind == "follow":
                    event, message_id = _follow_event(line, channel, user), None
                elif kind == "unfollow":
                    event, message_id = _unfollow_event(line, channel, user), None
                else:
                    event, message_id = _message_event(line, channel, user, item.get("message"))
                remember(line, channel, event)
                events.append(event)
                out = {"userId": user.user_id, "type": event["type"], "webhookEventId": event["webhookEventId"]}
                if message_id:
                    out["messageId"] = message_id
                if "replyToken" in event:
                    out["replyToken"] = event["replyToken"]
                results.append(out)
        except ControlError as exc:
            line.restore(saved)
            exc.message = f"events[{i}]: {exc.message}"
            exc.args = (exc.message,)
            raise
    return {"webhook": deliver(line, channel, events), "events": results}


def redeliver(line: LineWorld, data: dict) -> dict:
    """Send an earlier event again, identical but for `deliveryContext.isRedelivery: true`:
    LINE does it only where the console's "Webhook redelivery" is on (off by default)."""
    event_ids = data.get("webhookEventIds")
    if event_ids is None:
        event_ids = [data.get("webhookEventId")]
    if not isinstance(event_ids, list) or not event_ids or not all(isinstance(e, str) and e for e in event_ids):
        raise ControlError(400, "webhookEventId is required (or webhookEventIds, an array)")
    channel_id = data.get("channelId")
    events = []
    with line.lock:
        for event_id in event_ids:
            stored = line.events.get(event_id)
            if stored is None or (channel_id and stored.channel_id != channel_id):
                raise ControlError(404, f"webhook event {event_id!r} not found" +
                                   (f" for channel {channel_id}" if channel_id else ""))
            if channel_id is None:
                channel_id = stored.channel_id
            elif stored.channel_id != channel_id:
                raise ControlError(400, "all events must belong to one channel")
            channel = line.channels.get(stored.channel_id)
            if channel is not None and not channel.webhook_redelivery:
                # Off by default; with it off LINE never sends an event again.
                raise ControlError(409, f"channel {stored.channel_id} has 'Webhook redelivery' off: LINE does not "
                                   "redeliver (turn it on with console/webhook webhookRedelivery: true)",
                                   code="redelivery_off")
            again = redelivered(stored.event)
            if "replyToken" in again:
                line.refresh_reply_token(again["replyToken"])
            events.append(again)
    channel = get_channel(line, channel_id)
    return {"webhook": deliver(line, channel, events), "webhookEventIds": event_ids, "events": events}


def raw(line: LineWorld, data: dict) -> dict:
    """Sign any JSON object (compact) or exact text with the channel secret (or `signWith`)
    and POST it to the channel's webhook URL."""
    channel = get_channel(line, data.get("channelId"))
    if "text" in data:
        if not isinstance(data["text"], str):
            raise ControlError(400, "text must be a string (the exact body to send)")
        body = data["text"]
        raw_bytes = body.encode("utf-8")
    elif isinstance(data.get("body"), dict):
        body = data["body"]
        raw_bytes = encode_body(body)
    else:
        raise ControlError(400, "body (a JSON object) or text (an exact body) is required")
    secret = data.get("signWith")
    if secret is not None and not isinstance(secret, str):
        raise ControlError(400, "signWith must be a string (a secret to sign with instead of the channel's)")
    return {"webhook": deliver_raw(line, channel, raw_bytes, body, secret=secret)}


def chat_json(line: LineWorld, channel: LineChannel, user: LineUser, after: int = 0) -> dict:
    with line.lock:
        friendship = line.friendship(channel.channel_id, user.user_id)
        return {
            "channelId": channel.channel_id,
            "userId": user.user_id,
            "friendship": friendship.status,
            "messages": [e.to_json() for e in line.chat(channel.channel_id, user.user_id) if e.seq > after],
            "now": now_ms(),
        }

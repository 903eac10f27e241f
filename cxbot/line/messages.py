"""Builders for LINE message objects, with LINE's limits enforced before sending.

    from cxbot.line import messages as lm
    lm.check_messages([lm.text("こんにちは"), lm.image(url, preview)])

Limits (LINE Messaging API reference, "Message objects"):
- at most 5 message objects per push / reply;
- text at most 5000 characters, counted in UTF-16 code units (an emoji like 🍎 is 2);
- image / video URLs https, at most 2000 characters (http is let through for
  loopback hosts only, so a laptop demo against the sandbox can send images);
- quick reply at most 13 items; sender name at most 20 characters;
- `altText` of a template, imagemap or Flex message at most 1500 characters (the
  reference gives 1500 for all three; an older reading had 400 for templates);
- image / video URLs percent-encoded UTF-8 (no spaces or non-ASCII characters);
- an audio message's `duration` (milliseconds) required, a positive integer.

A breach raises `LineMessageLimitError` (a ValueError) naming the field and the limit,
e.g. `messages[0].text: at most 5000 characters (UTF-16 code units), got 5001`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from cxbot.base.hosts import is_loopback_host

MAX_MESSAGES = 5
TEXT_MAX = 5000
URL_MAX = 2000
QUICK_REPLY_MAX = 13
SENDER_NAME_MAX = 20
LOCATION_TITLE_MAX = 100
LOCATION_ADDRESS_MAX = 100
ALT_TEXT_MAX = 1500

MESSAGE_TYPES = ("text", "textV2", "sticker", "image", "video", "audio", "location", "imagemap", "template",
                 "flex", "coupon")


class LineMessageLimitError(ValueError):
    """A message object breaks a LINE rule.

    `field` is the path to the culprit (`messages[1].text`, `messages`); `limit` is the
    rule it broke: a number for lengths and counts, otherwise a short word
    (`"required"`, `"https"`, `"type"`). str(error) reads `field: reason`.
    """

    def __init__(self, field: str, limit: int | str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.limit = limit


def utf16_len(text: str) -> int:
    """Length as LINE counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Cut `text` into pieces of at most `limit` UTF-16 code units, never inside a
    surrogate pair, preferring a line break in the last fifth of a piece."""
    if limit < 2:
        raise ValueError("limit must be at least 2")
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        units = 0
        cut = 0
        for i, ch in enumerate(rest):
            units += 2 if ord(ch) > 0xFFFF else 1
            if units > limit:
                break
            cut = i + 1
        newline = rest.rfind("\n", 0, cut)
        if newline >= cut * 4 // 5:
            cut = newline + 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest or not pieces:
        pieces.append(rest)
    return pieces


# --------------------------------------------------------------------------- builders


def text(body: str, *, quote_token: str | None = None, quick_reply: list[dict] | None = None,
         sender: dict | None = None) -> dict:
    msg: dict = {"type": "text", "text": body}
    if quote_token:
        msg["quoteToken"] = quote_token
    return _finish(msg, quick_reply, sender)


def image(original_content_url: str, preview_image_url: str | None = None, *,
          quick_reply: list[dict] | None = None, sender: dict | None = None) -> dict:
    msg = {"type": "image", "originalContentUrl": original_content_url,
           "previewImageUrl": preview_image_url or original_content_url}
    return _finish(msg, quick_reply, sender)


def video(original_content_url: str, preview_image_url: str, *, tracking_id: str | None = None,
          quick_reply: list[dict] | None = None, sender: dict | None = None) -> dict:
    msg = {"type": "video", "originalContentUrl": original_content_url, "previewImageUrl": preview_image_url}
    if tracking_id:
        msg["trackingId"] = tracking_id
    return _finish(msg, quick_reply, sender)


def audio(original_content_url: str, duration: int, *, quick_reply: list[dict] | None = None,
          sender: dict | None = None) -> dict:
    """`duration` in milliseconds: LINE requires it and shows it in the chat."""
    msg = {"type": "audio", "originalContentUrl": original_content_url, "duration": duration}
    return _finish(msg, quick_reply, sender)


def sticker(package_id: str | int, sticker_id: str | int, *, quote_token: str | None = None,
            quick_reply: list[dict] | None = None, sender: dict | None = None) -> dict:
    msg: dict = {"type": "sticker", "packageId": str(package_id), "stickerId": str(sticker_id)}
    if quote_token:
        msg["quoteToken"] = quote_token
    return _finish(msg, quick_reply, sender)


def location(title: str, address: str, latitude: float, longitude: float, *,
             quick_reply: list[dict] | None = None, sender: dict | None = None) -> dict:
    msg = {"type": "location", "title": title, "address": address, "latitude": latitude, "longitude": longitude}
    return _finish(msg, quick_reply, sender)


def quick_reply_message(label: str, text_: str | None = None) -> dict:
    """A quick reply item whose action sends `text_` (default: the label)."""
    return {"type": "action", "action": {"type": "message", "label": label, "text": text_ or label}}


def _finish(msg: dict, quick_reply: list[dict] | None, sender: dict | None) -> dict:
    if quick_reply:
        msg["quickReply"] = {"items": list(quick_reply)}
    if sender:
        msg["sender"] = dict(sender)
    check_message(msg)
    return msg


# --------------------------------------------------------------------------- checks


def check_messages(messages: list[dict]) -> list[dict]:
    """Check a push / reply `messages` array; returns it as a list."""
    if not isinstance(messages, (list, tuple)) or not messages:
        raise LineMessageLimitError("messages", 1, "at least 1 message object is required")
    if len(messages) > MAX_MESSAGES:
        raise LineMessageLimitError("messages", MAX_MESSAGES,
                                    f"at most {MAX_MESSAGES} message objects per request (got {len(messages)})")
    for i, msg in enumerate(messages):
        check_message(msg, f"messages[{i}]")
    return list(messages)


def check_message(msg: dict, field: str = "message") -> None:
    if not isinstance(msg, dict):
        raise LineMessageLimitError(field, "object", "must be a message object")
    kind = msg.get("type")
    if kind not in MESSAGE_TYPES:
        raise LineMessageLimitError(f"{field}.type", "type",
                                    f"must be one of {', '.join(MESSAGE_TYPES)} (got {kind!r})")
    if kind == "text":
        _bounded(msg.get("text"), f"{field}.text", TEXT_MAX)
    elif kind in ("image", "video"):
        _https(msg.get("originalContentUrl"), f"{field}.originalContentUrl")
        _https(msg.get("previewImageUrl"), f"{field}.previewImageUrl")
    elif kind == "audio":
        _https(msg.get("originalContentUrl"), f"{field}.originalContentUrl")
        duration = msg.get("duration")
        if not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
            raise LineMessageLimitError(f"{field}.duration", "required", "required (milliseconds, a positive integer)")
    elif kind == "sticker":
        for key in ("packageId", "stickerId"):
            if not isinstance(msg.get(key), str) or not msg[key]:
                raise LineMessageLimitError(f"{field}.{key}", "required", "required (a string)")
    elif kind == "location":
        _bounded(msg.get("title"), f"{field}.title", LOCATION_TITLE_MAX)
        _bounded(msg.get("address"), f"{field}.address", LOCATION_ADDRESS_MAX)
        for key in ("latitude", "longitude"):
            value = msg.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise LineMessageLimitError(f"{field}.{key}", "required", "required (a number)")
    elif kind in ("template", "flex", "imagemap"):
        _bounded(msg.get("altText"), f"{field}.altText", ALT_TEXT_MAX)
    quick = msg.get("quickReply")
    if quick is not None:
        items = quick.get("items") if isinstance(quick, dict) else None
        if not isinstance(items, list) or not items:
            raise LineMessageLimitError(f"{field}.quickReply.items", "required",
                                        f"required (1 to {QUICK_REPLY_MAX} items)")
        if len(items) > QUICK_REPLY_MAX:
            raise LineMessageLimitError(f"{field}.quickReply.items", QUICK_REPLY_MAX,
                                        f"at most {QUICK_REPLY_MAX} items (got {len(items)})")
    sender = msg.get("sender")
    if sender is not None:
        if not isinstance(sender, dict):
            raise LineMessageLimitError(f"{field}.sender", "object", "must be an object {name?, iconUrl?}")
        name = sender.get("name")
        if name is not None:
            _bounded(name, f"{field}.sender.name", SENDER_NAME_MAX)
        if sender.get("iconUrl") is not None:
            _https(sender["iconUrl"], f"{field}.sender.iconUrl")


def _bounded(value, field: str, limit: int) -> None:
    if not isinstance(value, str) or not value:
        raise LineMessageLimitError(field, "required", "required (a non-empty string)")
    n = utf16_len(value)
    if n > limit:
        unit = " (UTF-16 code units)" if n != len(value) or limit == TEXT_MAX else ""
        raise LineMessageLimitError(field, limit, f"at most {limit} characters{unit} (got {n})")


def _https(value, field: str) -> None:
    if not isinstance(value, str) or not value:
        raise LineMessageLimitError(field, "required", "required (an https URL)")
    if len(value) > URL_MAX:
        raise LineMessageLimitError(field, URL_MAX, f"at most {URL_MAX} characters (got {len(value)})")
    if any(ord(ch) > 0x7E or ord(ch) <= 0x20 for ch in value):
        # LINE asks for URLs percent-encoded in UTF-8 ("About the encoding of a URL ...").
        raise LineMessageLimitError(field, "percent-encoded",
                                    f"must be percent-encoded UTF-8 (got {value[:80]!r})")
    parts = urlsplit(value)
    ok = parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname))
    if not ok or not parts.netloc:
        raise LineMessageLimitError(field, "https", f"must be an https URL (got {value[:80]!r})")

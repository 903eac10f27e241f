"""Message objects in push / reply bodies, and webhook URLs, checked as the LINE
Platform does (reference A2, A3).

Every message problem becomes a `{"message", "property"}` detail; the route answers
400 `{"message": "The request body has N error(s)", "details": [...]}`.
The limits are checked here independently of `cxbot.line.messages` (the client's
own checks), so a mistake in one is caught by the other.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..urls import is_loopback_host

TYPES = ("text", "image", "video", "audio", "location", "sticker", "template", "imagemap", "flex", "textV2",
         "coupon")
TYPES_TEXT = "[" + ", ".join(TYPES) + "]"
TEMPLATE_TYPES = ("buttons", "confirm", "carousel", "image_carousel")
# Template, imagemap and Flex messages alike (reference "Message objects": Max character limit: 1500).
ALT_TEXT_MAX = 1500


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


class Checker:
    def __init__(self, allow_http_urls: bool = False):
        self.allow_http_urls = allow_http_urls
        self.details: list[dict] = []

    def fail(self, prop: str, message: str) -> None:
        self.details.append({"message": message, "property": prop})

    # ------------------------------------------------------------------ fields

    def string(self, obj: dict, key: str, prop: str, max_len: int | None = None, *, required: bool = True) -> None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(prop, "May not be empty")
            return
        if not isinstance(value, str):
            self.fail(prop, "Must be a string")
            return
        if max_len is not None and utf16_len(value) > max_len:
            self.fail(prop, f"Length must be between 0 and {max_len}")

    def url(self, obj: dict, key: str, prop: str, max_len: int = 2000, *, required: bool = True) -> None:
        value = obj.get(key)
        if value is None or value == "":
            if required:
                self.fail(prop, "May not be empty")
            return
        if not isinstance(value, str):
            self.fail(prop, "Must be a string")
            return
        if len(value) > max_len:
            self.fail(prop, f"Length must be between 0 and {max_len}")
            return
        if any(ord(ch) > 0x7E or ord(ch) <= 0x20 for ch in value):
            # "The URL should be percent-encoded using UTF-8": what LINE answers to a raw one is
            # not documented; the sandbox refuses it as an invalid URL.
            self.fail(prop, "Must be a valid HTTPS URL")
            return
        parts = urlsplit(value)
        http_ok = parts.scheme == "http" and (self.allow_http_urls or is_loopback_host(parts.hostname))
        if not parts.netloc or not (parts.scheme == "https" or http_ok):
            self.fail(prop, "Must be a valid HTTPS URL")

    def number(self, obj: dict, key: str, prop: str) -> None:
        value = obj.get(key)
        if value is None:
            self.fail(prop, "May not be null")
        elif not isinstance(value, (int, float)) or isinstance(value, bool):
            self.fail(prop, "Must be a number")

    # ------------------------------------------------------------------ messages

    def messages(self, messages, prop: str = "messages") -> None:
        if messages is None:
            self.fail(prop, "May not be empty")
            return
        if not isinstance(messages, list):
            self.fail(prop, "Must be an array")
            return
        if not 1 <= len(messages) <= 5:
            self.fail(prop, "Size must be between 1 and 5")
            return
        for i, msg in enumerate(messages):
            self.message(msg, f"{prop}[{i}]")

    def message(self, msg, prop: str) -> None:
        if not isinstance(msg, dict):
            self.fail(prop, "Must be an object")
            return
        kind = msg.get("type")
        if kind not in TYPES:
            self.fail(f"{prop}.type", f"Must be one of the following values: {TYPES_TEXT}")
            return
        check = getattr(self, "t_" + kind, None)
        if check is not None:
            check(msg, prop)
        self.quick_reply(msg.get("quickReply"), f"{prop}.quickReply")
        self.sender(msg.get("sender"), f"{prop}.sender")

    def t_text(self, m: dict, prop: str) -> None:
        self.string(m, "text", f"{prop}.text", 5000)
        emojis = m.get("emojis")
        if emojis is not None and (not isinstance(emojis, list) or len(emojis) > 20):
            self.fail(f"{prop}.emojis", "Size must be between 0 and 20")

    def t_textV2(self, m: dict, prop: str) -> None:
        self.string(m, "text", f"{prop}.text", 5000)

    def t_image(self, m: dict, prop: str) -> None:
        self.url(m, "originalContentUrl", f"{prop}.originalContentUrl")
        self.url(m, "previewImageUrl", f"{prop}.previewImageUrl")

    t_video = t_image

    def t_audio(self, m: dict, prop: str) -> None:
        self.url(m, "originalContentUrl", f"{prop}.originalContentUrl")
        self.milliseconds(m, "duration", f"{prop}.duration")

    def milliseconds(self, obj: dict, key: str, prop: str) -> None:
        """A required length in milliseconds. The reference says only "Number" and "Length of
        audio file (milliseconds)": that it must be a whole number above 0 is the sandbox's reading."""
        value = obj.get(key)
        if value is None:
            self.fail(prop, "May not be null")
        elif not isinstance(value, int) or isinstance(value, bool):
            self.fail(prop, "Must be an integer")
        elif value <= 0:
            self.fail(prop, "Must be greater than or equal to 1")

    def t_sticker(self, m: dict, prop: str) -> None:
        self.string(m, "packageId", f"{prop}.packageId")
        self.string(m, "stickerId", f"{prop}.stickerId")

    def t_location(self, m: dict, prop: str) -> None:
        self.string(m, "title", f"{prop}.title", 100)
        self.string(m, "address", f"{prop}.address", 100)
        self.number(m, "latitude", f"{prop}.latitude")
        self.number(m, "longitude", f"{prop}.longitude")

    def t_template(self, m: dict, prop: str) -> None:
        self.string(m, "altText", f"{prop}.altText", ALT_TEXT_MAX)
        template = m.get("template")
        if not isinstance(template, dict):
            self.fail(f"{prop}.template", "May not be null")
        elif template.get("type") not in TEMPLATE_TYPES:
            self.fail(f"{prop}.template.type", "Must be one of the following values: [" + ", ".join(TEMPLATE_TYPES) + "]")
        elif template["type"] in ("buttons", "confirm"):
            self.string(template, "text", f"{prop}.template.text", 160 if template["type"] == "buttons" else 240)
            actions = template.get("actions")
            most = 4 if template["type"] == "buttons" else 2
            if not isinstance(actions, list) or not 1 <= len(actions) <= most:
                self.fail(f"{prop}.template.actions", f"Size must be between 1 and {most}")

    def t_flex(self, m: dict, prop: str) -> None:
        self.string(m, "altText", f"{prop}.altText", ALT_TEXT_MAX)
        if not isinstance(m.get("contents"), dict):
            self.fail(f"{prop}.contents", "May not be null")

    def t_imagemap(self, m: dict, prop: str) -> None:
        self.url(m, "baseUrl", f"{prop}.baseUrl")
        self.string(m, "altText", f"{prop}.altText", ALT_TEXT_MAX)

    def quick_reply(self, qr, prop: str) -> None:
        if qr is None:
            return
        items = qr.get("items") if isinstance(qr, dict) else None
        if not isinstance(items, list) or not 1 <= len(items) <= 13:
            self.fail(f"{prop}.items", "Size must be between 1 and 13")

    def sender(self, sender, prop: str) -> None:
        if sender is None:
            return
        if not isinstance(sender, dict):
            self.fail(prop, "Must be an object")
            return
        self.string(sender, "name", f"{prop}.name", 20, required=False)
        self.url(sender, "iconUrl", f"{prop}.iconUrl", required=False)


def quote_token_for(msg: dict) -> bool:
    """Messages that can be quoted later get a quoteToken in sentMessages."""
    return msg.get("type") in ("text", "textV2", "sticker", "image", "video")


ENDPOINT_MAX = 500


def endpoint_problem(url: str, *, allow_http: bool) -> str | None:
    """Why LINE would refuse `url` as a webhook endpoint, or None. https is required;
    the sandbox also accepts http for loopback hosts (a laptop demo), or for any host
    with `allow_http` (the sandbox setting allowHttpUrls)."""
    if not isinstance(url, str) or not url:
        return "the URL is empty"
    if len(url) > ENDPOINT_MAX:
        return f"at most {ENDPOINT_MAX} characters (got {len(url)})"
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or not parts.hostname:
        return "not an https URL"
    if parts.scheme == "http" and not (is_loopback_host(parts.hostname) or allow_http):
        return "https is required"
    return None

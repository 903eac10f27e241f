"""Message content validation, as LINE WORKS API 2.0 does it (reference §3.2–3.4).

`validate_content(content, ctx)` raises `ContentError` whose text names the field
and the limit, e.g. ``content.actions: at most 10 actions are allowed (got 11)``.
The API turns it into ``400 {"code": "INVALID_PARAMETER", "description": ...}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from ..urls import is_loopback_host

MESSAGE_TYPES = (
    "text", "image", "file", "sticker", "link", "location",
    "button_template", "list_template", "carousel", "image_carousel", "flex",
)
LANGUAGES = ("ko_KR", "ja_JP", "zh_CN", "zh_TW", "en_US")
BLOCKED_FILE_EXTENSIONS = ("bat", "cmd", "com", "cpl", "exe", "scr", "js", "vbs", "wsf", "hta")

TEXT_MAX = 2000
CONTENT_TEXT_MAX = 1000
LABEL_MAX = 20
IMAGE_CAROUSEL_LABEL_MAX = 12
POSTBACK_DATA_MAX = 300
DISPLAY_TEXT_MAX = 300
MESSAGE_TEXT_MAX = 300
MESSAGE_POSTBACK_MAX = 1000
URI_MAX = 1000
COPY_TEXT_MAX = 1000
URL_MAX = 1000
BUTTONS_MAX = 10
LIST_ELEMENTS_MAX = 4
LIST_ROWS_MAX = 2
LIST_ROW_ACTIONS_MAX = 2
CAROUSEL_COLUMNS_MAX = 10
CAROUSEL_ACTIONS_MAX = 3  # not documented by LINE WORKS; LINE's carousel allows 3
QUICK_REPLY_MAX = 13
FLEX_ALT_TEXT_MAX = 400
FLEX_BUBBLE_BYTES_MAX = 30 * 1024
FLEX_CAROUSEL_BUBBLES_MAX = 10
FLEX_CAROUSEL_BYTES_MAX = 15 * 1024

# Where an action sits -> which action types LINE WORKS allows there (reference §3.3).
ALLOWED_ACTIONS = {
    "button_template": ("message", "uri", "copy"),
    "list_template": ("message", "uri", "copy"),
    "carousel": ("postback", "message", "uri", "copy"),
    "image_carousel": ("postback", "message", "uri", "copy"),
    "quickReply": ("postback", "message", "uri", "camera", "cameraRoll", "location", "copy"),
}


class ContentError(ValueError):
    pass


def file_extension(name: str) -> str:
    name = name.rsplit("/", 1)[-1]
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@dataclass
class Context:
    """What validation needs from the world."""

    allow_http_urls: bool = False
    file_exists: Callable[[str], str | None] = lambda file_id: None  # -> file name, or None if unknown
    # The extensions file security stops in a file message (none where it stops them at upload).
    blocked_extensions: tuple[str, ...] = BLOCKED_FILE_EXTENSIONS


def check_url(value: str, field: str, *, https_only: bool, allow_http: bool, max_len: int = URL_MAX) -> None:
    """https (or http where allowed) URL of at most max_len characters."""
    if not isinstance(value, str) or not value:
        raise ContentError(f"{field}: required (an {'https' if https_only else 'http/https'} URL)")
    if len(value) > max_len:
        raise ContentError(f"{field}: must be at most {max_len} characters (got {len(value)})")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ContentError(f"{field}: must be an {'https' if https_only else 'http/https'} URL (got {value!r})")
    if https_only and parts.scheme == "http" and not (allow_http or is_loopback_host(parts.hostname)):
        raise ContentError(f"{field}: must be an https URL (got {value!r})")


class _Validator:
    def __init__(self, ctx: Context):
        self.ctx = ctx

    # ------------------------------------------------------------ primitives

    def obj(self, value, field: str) -> dict:
        if not isinstance(value, dict):
            raise ContentError(f"{field}: must be a JSON object")
        return value

    def string(self, value, field: str, max_len: int, *, required: bool = True) -> str | None:
        if value is None:
            if required:
                raise ContentError(f"{field}: required (at most {max_len} characters)")
            return None
        if not isinstance(value, str):
            raise ContentError(f"{field}: must be a string")
        if required and value == "":
            raise ContentError(f"{field}: must not be empty (at most {max_len} characters)")
        if len(value) > max_len:
            raise ContentError(f"{field}: must be at most {max_len} characters (got {len(value)})")
        return value

    def array(self, value, field: str, max_items: int, *, min_items: int = 1, what: str = "items") -> list:
        if not isinstance(value, list):
            raise ContentError(f"{field}: must be an array of 1 to {max_items} {what}")
        if len(value) < min_items:
            raise ContentError(f"{field}: at least {min_items} {what} required (got {len(value)})")
        if len(value) > max_items:
            raise ContentError(f"{field}: at most {max_items} {what} are allowed (got {len(value)})")
        return value

    def image_url(self, value, field: str, *, required: bool = True) -> None:
        if value is None and not required:
            return
        check_url(value, field, https_only=True, allow_http=self.ctx.allow_http_urls)

    def file_id(self, value, field: str) -> str:
        if not isinstance(value, str) or not value:
            raise ContentError(f"{field}: must be a fileId string")
        name = self.ctx.file_exists(value)
        if name is None:
            raise ContentError(f"{field}: unknown fileId {value!r} (create it with POST /bots/{{botId}}/attachments and upload the file first)")
        return name

    def number(self, value, field: str) -> None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ContentError(f"{field}: required (a number)")

    def i18n(self, content: dict, key: str, inner: str, max_len: int, field: str) -> None:
        items = content.get(key)
        if items is None:
            return
        if not isinstance(items, list):
            raise ContentError(f"{field}.{key}: must be an array")
        for i, item in enumerate(items):
            f = f"{field}.{key}[{i}]"
            self.obj(item, f)
            if item.get("language") not in LANGUAGES:
                raise ContentError(f"{f}.language: must be one of {', '.join(LANGUAGES)}")
            self.string(item.get(inner), f"{f}.{inner}", max_len)

    def one_of_url_or_file(self, obj: dict, field: str, url_key: str, file_key: str, *, required: bool) -> None:
        has_url, has_file = obj.get(url_key) is not None, obj.get(file_key) is not None
        if has_url and has_file:
            raise ContentError(f"{field}: give either {url_key} or {file_key}, not both")
        if has_url:
            self.image_url(obj[url_key], f"{field}.{url_key}")
        elif has_file:
            self.file_id(obj[file_key], f"{field}.{file_key}")
        elif required:
            raise ContentError(f"{field}: {url_key} or {file_key} is required")

    # ------------------------------------------------------------ actions

    def action(self, action, field: str, where: str, *, label_required: bool = True) -> None:
        self.obj(action, field)
        kind = action.get("type")
        allowed = ALLOWED_ACTIONS[where]
        if not isinstance(kind, str) or not kind:
            raise ContentError(f"{field}.type: required (one of {', '.join(allowed)})")
        if kind not in allowed:
            raise ContentError(
                f"{field}.type: {kind!r} actions are not allowed in {where} (allowed: {', '.join(allowed)})"
            )
        label_max = IMAGE_CAROUSEL_LABEL_MAX if where == "image_carousel" else LABEL_MAX
        self.string(action.get("label"), f"{field}.label", label_max, required=label_required)
        self.i18n(action, "i18nLabels", "label", label_max, field)
        if kind == "postback":
            self.string(action.get("data"), f"{field}.data", POSTBACK_DATA_MAX)
            display_required = where == "quickReply"
            if display_required and action.get("displayText") is None:
                raise ContentError(f"{field}.displayText: required for a postback action in a quick reply (at most {DISPLAY_TEXT_MAX} characters)")
            self.string(action.get("displayText"), f"{field}.displayText", DISPLAY_TEXT_MAX, required=display_required)
            self.i18n(action, "i18nDisplayTexts", "displayText", DISPLAY_TEXT_MAX, field)
        elif kind == "message":
            text_required = where in ("carousel", "image_carousel", "quickReply")
            if text_required and action.get("text") is None:
                raise ContentError(f"{field}.text: required for a message action in {where} (at most {MESSAGE_TEXT_MAX} characters)")
            self.string(action.get("text"), f"{field}.text", MESSAGE_TEXT_MAX, required=text_required)
            self.string(action.get("postback"), f"{field}.postback", MESSAGE_POSTBACK_MAX, required=False)
            self.i18n(action, "i18nTexts", "text", MESSAGE_TEXT_MAX, field)
        elif kind == "uri":
            check_url(action.get("uri"), f"{field}.uri", https_only=False, allow_http=True, max_len=URI_MAX)
        elif kind == "copy":
            self.string(action.get("copyText"), f"{field}.copyText", COPY_TEXT_MAX)

    # ------------------------------------------------------------ content types

    def content(self, content) -> None:
        self.obj(content, "content")
        kind = content.get("type")
        if kind not in MESSAGE_TYPES:
            raise ContentError(f"content.type: unknown message type {kind!r} (allowed: {', '.join(MESSAGE_TYPES)})")
        getattr(self, f"t_{kind}")(content)
        if "quickReply" in content:
            self.quick_reply(content["quickReply"])

    def t_text(self, c: dict) -> None:
        self.string(c.get("text"), "content.text", TEXT_MAX)
        self.i18n(c, "i18nTexts", "text", TEXT_MAX, "content")

    def t_image(self, c: dict) -> None:
        if c.get("fileId") is not None:
            self.file_id(c["fileId"], "content.fileId")
            return
        if c.get("previewImageUrl") is None or c.get("originalContentUrl") is None:
            raise ContentError("content: an image needs fileId, or previewImageUrl and originalContentUrl (https, at most 1000 characters)")
        self.image_url(c["previewImageUrl"], "content.previewImageUrl")
        self.image_url(c["originalContentUrl"], "content.originalContentUrl")

    def t_file(self, c: dict) -> None:
        if c.get("fileId") is not None:
            name = self.file_id(c["fileId"], "content.fileId")
        elif c.get("originalContentUrl") is not None:
            self.image_url(c["originalContentUrl"], "content.originalContentUrl")
            name = urlsplit(c["originalContentUrl"]).path
        else:
            raise ContentError("content: a file needs fileId or originalContentUrl (https, at most 1000 characters)")
        ext = file_extension(name)
        if ext and ext in self.ctx.blocked_extensions:
            raise ContentError(f"content: files with extension .{ext} cannot be sent"
                               f" (blocked by file security: {', '.join(self.ctx.blocked_extensions)})")

    def t_sticker(self, c: dict) -> None:
        for key in ("packageId", "stickerId"):
            value = c.get(key)
            if isinstance(value, bool) or not isinstance(value, (str, int)) or value == "":
                raise ContentError(f"content.{key}: required")

    def t_link(self, c: dict) -> None:
        self.string(c.get("contentText"), "content.contentText", CONTENT_TEXT_MAX)
        self.string(c.get("linkText"), "content.linkText", CONTENT_TEXT_MAX)
        check_url(c.get("link"), "content.link", https_only=False, allow_http=True, max_len=URL_MAX)
        self.i18n(c, "i18nContentTexts", "contentText", CONTENT_TEXT_MAX, "content")
        self.i18n(c, "i18nLinkTexts", "linkText", CONTENT_TEXT_MAX, "content")

    def t_location(self, c: dict) -> None:
        self.string(c.get("title"), "content.title", 100)
        self.string(c.get("address"), "content.address", 100)
        self.number(c.get("latitude"), "content.latitude")
        self.number(c.get("longitude"), "content.longitude")

    def t_button_template(self, c: dict) -> None:
        self.string(c.get("contentText"), "content.contentText", CONTENT_TEXT_MAX)
        self.i18n(c, "i18nContentTexts", "contentText", CONTENT_TEXT_MAX, "content")
        actions = self.array(c.get("actions"), "content.actions", BUTTONS_MAX, what="actions")
        for i, action in enumerate(actions):
            self.action(action, f"content.actions[{i}]", "button_template")

    def t_list_template(self, c: dict) -> None:
        cover = c.get("coverData")
        if cover is not None:
            self.obj(cover, "content.coverData")
            self.one_of_url_or_file(cover, "content.coverData", "backgroundImageUrl", "backgroundFileId", required=False)
            self.string(cover.get("title"), "content.coverData.title", CONTENT_TEXT_MAX, required=False)
            self.string(cover.get("subtitle"), "content.coverData.subtitle", CONTENT_TEXT_MAX, required=False)
        elements = self.array(c.get("elements"), "content.elements", LIST_ELEMENTS_MAX, what="elements")
        for i, el in enumerate(elements):
            f = f"content.elements[{i}]"
            self.obj(el, f)
            self.string(el.get("title"), f"{f}.title", CONTENT_TEXT_MAX)
            self.string(el.get("subtitle"), f"{f}.subtitle", CONTENT_TEXT_MAX, required=False)
            self.one_of_url_or_file(el, f, "originalContentUrl", "fileId", required=False)
            if el.get("action") is not None:
                self.action(el["action"], f"{f}.action", "list_template")
        rows = c.get("actions")
        if rows is None:
            return
        if not isinstance(rows, list) or any(not isinstance(r, list) for r in rows):
            raise ContentError(
                "content.actions: must be an array of rows, each an array of actions "
                f"(up to {LIST_ROWS_MAX} rows x {LIST_ROW_ACTIONS_MAX} actions)"
            )
        if len(rows) > LIST_ROWS_MAX:
            raise ContentError(f"content.actions: at most {LIST_ROWS_MAX} rows of actions are allowed (got {len(rows)})")
        for r, row in enumerate(rows):
            self.array(row, f"content.actions[{r}]", LIST_ROW_ACTIONS_MAX, what="actions")
            for i, action in enumerate(row):
                self.action(action, f"content.actions[{r}][{i}]", "list_template")

    def t_carousel(self, c: dict) -> None:
        if c.get("imageAspectRatio") not in (None, "rectangle", "square"):
            raise ContentError("content.imageAspectRatio: must be 'rectangle' or 'square'")
        if c.get("imageSize") not in (None, "cover", "contain"):
            raise ContentError("content.imageSize: must be 'cover' or 'contain'")
        columns = self.array(c.get("columns"), "content.columns", CAROUSEL_COLUMNS_MAX, what="columns")
        shape = None
        for i, col in enumerate(columns):
            f = f"content.columns[{i}]"
            self.obj(col, f)
            self.one_of_url_or_file(col, f, "originalContentUrl", "fileId", required=False)
            has_image = col.get("originalContentUrl") is not None or col.get("fileId") is not None
            self.string(col.get("title"), f"{f}.title", 40, required=False)
            has_title = bool(col.get("title"))
            text_max = 60 if (has_image or has_title) else 120
            self.string(col.get("text"), f"{f}.text", text_max)
            if col.get("defaultAction") is not None:
                self.action(col["defaultAction"], f"{f}.defaultAction", "carousel", label_required=False)
            actions = self.array(col.get("actions"), f"{f}.actions", CAROUSEL_ACTIONS_MAX, what="actions")
            for j, action in enumerate(actions):
                self.action(action, f"{f}.actions[{j}]", "carousel")
            this_shape = (has_image, has_title, len(actions))
            if shape is None:
                shape = this_shape
            elif this_shape != shape:
                raise ContentError(
                    f"{f}: every column must have the same number of actions and the same image/title presence "
                    f"as content.columns[0]"
                )

    def t_image_carousel(self, c: dict) -> None:
        columns = self.array(c.get("columns"), "content.columns", CAROUSEL_COLUMNS_MAX, what="columns")
        for i, col in enumerate(columns):
            f = f"content.columns[{i}]"
            self.obj(col, f)
            self.one_of_url_or_file(col, f, "originalContentUrl", "fileId", required=True)
            if col.get("action") is not None:
                self.action(col["action"], f"{f}.action", "image_carousel")

    def t_flex(self, c: dict) -> None:
        self.string(c.get("altText"), "content.altText", FLEX_ALT_TEXT_MAX)
        self.i18n(c, "i18nAltTexts", "altText", FLEX_ALT_TEXT_MAX, "content")
        contents = self.obj(c.get("contents"), "content.contents")
        size = len(json.dumps(contents, separators=(",", ":"), ensure_ascii=False).encode())
        if contents.get("type") == "bubble":
            if size > FLEX_BUBBLE_BYTES_MAX:
                raise ContentError(f"content.contents: a bubble must be at most {FLEX_BUBBLE_BYTES_MAX} bytes of JSON (got {size})")
        elif contents.get("type") == "carousel":
            self.array(contents.get("contents"), "content.contents.contents", FLEX_CAROUSEL_BUBBLES_MAX, what="bubbles")
            if size > FLEX_CAROUSEL_BYTES_MAX:
                raise ContentError(f"content.contents: a carousel must be at most {FLEX_CAROUSEL_BYTES_MAX} bytes of JSON (got {size})")
        else:
            raise ContentError("content.contents.type: must be 'bubble' or 'carousel'")

    def quick_reply(self, qr) -> None:
        self.obj(qr, "content.quickReply")
        items = self.array(qr.get("items"), "content.quickReply.items", QUICK_REPLY_MAX, what="items")
        for i, item in enumerate(items):
            f = f"content.quickReply.items[{i}]"
            self.obj(item, f)
            if item.get("imageUrl") is not None and item.get("imageResourceId") is not None:
                raise ContentError(f"{f}: give either imageUrl or imageResourceId, not both")
            if item.get("imageUrl") is not None:
                self.image_url(item["imageUrl"], f"{f}.imageUrl")
            if item.get("action") is None:
                raise ContentError(f"{f}.action: required")
            self.action(item["action"], f"{f}.action", "quickReply")


def validate_content(content, ctx: Context | None = None) -> None:
    """Raise ContentError (field + limit in the text) if LINE WORKS would refuse it."""
    _Validator(ctx or Context()).content(content)

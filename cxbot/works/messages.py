"""LINE WORKS bot message content: builders, and the platform's limits.

Every builder returns the ``content`` object of a send request (the caller wraps it
as ``{"content": ...}``) after running it through :func:`validate_content`, so a
message LINE WORKS would answer with 400 fails here first, naming the field at fault.
Shapes and limits: shared/reference/lineworks-api-2.md §3.2-3.3.

Lengths are counted in characters (``len(str)``), as the platform counts them, so a
Japanese character counts as one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable
from urllib.parse import urlsplit

Action = dict[str, Any]
Content = dict[str, Any]


class MessageLimitError(ValueError):
    """A message breaks a LINE WORKS rule.

    ``field`` is the path to the culprit (``actions[3].label``, ``quickReply.items``);
    ``limit`` is the rule it broke: a number for lengths and counts, otherwise a
    short description (``"required"``, ``"https"``, the allowed values).
    """

    def __init__(self, field: str, limit: int | str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.limit = limit


# --- The rules ---------------------------------------------------------------------

# Maximum characters of each string field, per content type.
CONTENT_MAX_CHARS: dict[str, dict[str, int]] = {
    "text": {"text": 2000},
    "image": {"previewImageUrl": 1000, "originalContentUrl": 1000},
    "file": {"originalContentUrl": 1000},
    "link": {"contentText": 1000, "linkText": 1000, "link": 1000},
    "location": {"title": 100, "address": 100},
    "button_template": {"contentText": 1000},
    "flex": {"altText": 400},
    "sticker": {},
    "list_template": {},
    "carousel": {},
    "image_carousel": {},
}

CONTENT_REQUIRED: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "sticker": ("packageId", "stickerId"),
    "link": ("contentText", "linkText", "link"),
    "location": ("title", "address", "latitude", "longitude"),
    "button_template": ("contentText", "actions"),
    "list_template": ("elements",),
    "carousel": ("columns",),
    "image_carousel": ("columns",),
    "flex": ("altText", "contents"),
}

# Maximum characters of each string field of the parts templates are made of.
PART_MAX_CHARS: dict[str, dict[str, int]] = {
    "list cover": {"title": 1000, "subtitle": 1000, "backgroundImageUrl": 1000},
    "list element": {"title": 1000, "subtitle": 1000, "originalContentUrl": 1000},
    "carousel column": {"title": 40, "originalContentUrl": 1000},
    "image carousel column": {"originalContentUrl": 1000},
    "quick reply item": {"imageUrl": 1000},
}

# A carousel column's text gets half the room once an image or a title takes some.
CAROUSEL_TEXT_MAX_CHARS = {"plain": 120, "with image or title": 60}

# Maximum characters of each action field, per action type.
ACTION_MAX_CHARS: dict[str, dict[str, int]] = {
    "postback": {"label": 20, "data": 300, "displayText": 300},
    "message": {"label": 20, "text": 300, "postback": 1000},
    "uri": {"label": 20, "uri": 1000},
    "copy": {"label": 20, "copyText": 1000},
    "camera": {"label": 20},
    "cameraRoll": {"label": 20},
    "location": {"label": 20},
}

ACTION_REQUIRED: dict[str, tuple[str, ...]] = {
    "postback": ("data",),
    "message": (),  # text falls back to the label in button/list templates
    "uri": ("uri",),
    "copy": ("copyText",),
    "camera": (),
    "cameraRoll": (),
    "location": (),
}

# Where an action sits decides which types it may have and some of its limits.
PLACES: dict[str, str] = {
    "button_template": "a button template",
    "list_template": "a list template",
    "carousel": "a carousel",
    "image_carousel": "an image carousel",
    "quickReply": "a quick reply",
}
ALLOWED_ACTIONS: dict[str, tuple[str, ...]] = {
    "button_template": ("message", "uri", "copy"),
    "list_template": ("message", "uri", "copy"),
    "carousel": ("postback", "message", "uri", "copy"),
    "image_carousel": ("postback", "message", "uri", "copy"),
    "quickReply": ("postback", "message", "uri", "camera", "cameraRoll", "location", "copy"),
}
LABEL_MAX_CHARS_BY_PLACE = {"image_carousel": 12}
MESSAGE_TEXT_REQUIRED_IN = {"carousel", "image_carousel", "quickReply"}
DISPLAY_TEXT_REQUIRED_IN = {"quickReply"}

# Lists: (most items, what holds them, what they are). None may be empty.
MAX_ITEMS: dict[str, tuple[int, str, str]] = {
    "button_template.actions": (10, "a button template", "buttons"),
    "list_template.elements": (4, "a list template", "elements"),
    "list_template.actions": (2, "a list template", "rows of buttons"),
    "list_template.actions[]": (2, "a list template row", "buttons"),
    "carousel.columns": (10, "a carousel", "columns"),
    # Assumption: LINE WORKS documents no maximum; LINE's carousel, which this one
    # follows, allows 3 (reference §3.2 marks it UNCONFIRMED).
    "carousel.columns[].actions": (3, "a carousel column", "actions"),
    "image_carousel.columns": (10, "an image carousel", "columns"),
    "flex.contents.contents": (10, "a flex carousel", "bubbles"),
    "quickReply.items": (13, "a quick reply", "items"),
}

CAROUSEL_ASPECT_RATIOS = ("rectangle", "square")
CAROUSEL_IMAGE_SIZES = ("cover", "contain")
URI_SCHEMES = ("http", "https")
IMAGE_URL_SCHEMES = ("https",)


# --- Checks ------------------------------------------------------------------------


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _check_object(value: Any, path: str, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MessageLimitError(path or "content", "object", f"must be {what} (a JSON object)")
    return value


def _check_fields(
    obj: Mapping[str, Any], path: str, required: Sequence[str], max_chars: Mapping[str, int]
) -> None:
    for name in required:
        if obj.get(name) in (None, ""):
            raise MessageLimitError(_at(path, name), "required", "required")
    for name, limit in max_chars.items():
        value = obj.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise MessageLimitError(
                _at(path, name), limit, f"must be a string of at most {limit} characters"
            )
        if len(value) > limit:
            raise MessageLimitError(
                _at(path, name), limit, f"{len(value)} characters, the limit is {limit}"
            )


def _check_count(items: Any, path: str, rule: str) -> list[Any]:
    most, holder, noun = MAX_ITEMS[rule]
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence) or not items:
        raise MessageLimitError(
            path, 1, f"must be a non-empty list ({holder} takes 1 to {most} {noun})"
        )
    if len(items) > most:
        raise MessageLimitError(f"{path}[{most}]", most, f"{holder} allows at most {most} {noun}")
    return list(items)


def _check_scheme(obj: Mapping[str, Any], path: str, name: str, schemes: tuple[str, ...]) -> None:
    value = obj.get(name)
    if value is None:
        return
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes or not parts.netloc:
        allowed = "/".join(schemes)
        raise MessageLimitError(
            _at(path, name), allowed, f"must be an {allowed} URL, got {value[:80]!r}"
        )


def _check_one_of(
    value: Any, path: str, name: str, allowed: tuple[str, ...]
) -> None:
    if value is not None and value not in allowed:
        raise MessageLimitError(
            _at(path, name), ", ".join(allowed), f"{value!r} is not one of {', '.join(allowed)}"
        )


def _check_image_source(
    obj: Mapping[str, Any],
    path: str,
    *,
    url_fields: tuple[str, ...] = ("originalContentUrl",),
    file_field: str = "fileId",
    required: bool = True,
) -> None:
    """An image comes from HTTPS URL(s) or from an uploaded file id, never both."""
    has_urls = any(obj.get(f) is not None for f in url_fields)
    has_file = obj.get(file_field) is not None
    if has_urls and has_file:
        raise MessageLimitError(
            _at(path, file_field),
            "either",
            f"give either {' + '.join(url_fields)} or {file_field}, not both",
        )
    if has_urls:
        _check_fields(obj, path, url_fields, {})
        for name in url_fields:
            _check_scheme(obj, path, name, IMAGE_URL_SCHEMES)
    elif required and not has_file:
        raise MessageLimitError(
            _at(path, url_fields[0]), "required", f"required (or {file_field})"
        )


def _check_action(
    action: Any, path: str, place: str | None = None, *, label_optional: bool = False
) -> None:
    action = _check_object(action, path, "an action")
    kind = action.get("type")
    allowed = ALLOWED_ACTIONS[place] if place else tuple(ACTION_MAX_CHARS)
    if kind not in allowed:
        if place and kind in ACTION_MAX_CHARS:
            reason = f"{PLACES[place]} does not allow {kind} actions"
            reason += f" (allowed: {', '.join(allowed)})"
        else:
            reason = f"unknown action type {kind!r} (allowed: {', '.join(allowed)})"
        raise MessageLimitError(_at(path, "type"), ", ".join(allowed), reason)

    if kind == "postback" and place in DISPLAY_TEXT_REQUIRED_IN and not action.get("displayText"):
        raise MessageLimitError(
            _at(path, "displayText"),
            "required",
            f"a postback action in {PLACES[place]} needs displayText",
        )
    required = ACTION_REQUIRED[kind] if label_optional else ("label", *ACTION_REQUIRED[kind])
    if kind == "message" and place in MESSAGE_TEXT_REQUIRED_IN:
        required += ("text",)
    max_chars = dict(ACTION_MAX_CHARS[kind])
    if place in LABEL_MAX_CHARS_BY_PLACE:
        max_chars["label"] = LABEL_MAX_CHARS_BY_PLACE[place]
    _check_fields(action, path, required, max_chars)
    if kind == "uri":
        _check_scheme(action, path, "uri", URI_SCHEMES)


def _check_actions(actions: Any, path: str, rule: str, place: str) -> None:
    for i, action in enumerate(_check_count(actions, path, rule)):
        _check_action(action, f"{path}[{i}]", place)


def _check_quick_reply(quick_reply: Any, path: str = "quickReply") -> None:
    quick_reply = _check_object(quick_reply, path, "a quick reply")
    items = _check_count(quick_reply.get("items"), _at(path, "items"), "quickReply.items")
    for i, item in enumerate(items):
        item_path = f"{path}.items[{i}]"
        item = _check_object(item, item_path, "a quick reply item")
        _check_fields(item, item_path, ("action",), PART_MAX_CHARS["quick reply item"])
        _check_image_source(
            item, item_path, url_fields=("imageUrl",), file_field="imageResourceId", required=False
        )
        _check_action(item["action"], _at(item_path, "action"), "quickReply")


def _check_image(content: Mapping[str, Any]) -> None:
    _check_image_source(content, "", url_fields=("originalContentUrl", "previewImageUrl"))


def _check_file(content: Mapping[str, Any]) -> None:
    _check_image_source(content, "")


def _check_location(content: Mapping[str, Any]) -> None:
    for name in ("latitude", "longitude"):
        value = content[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise MessageLimitError(name, "number", f"must be a number, got {value!r}")


def _check_button_template(content: Mapping[str, Any]) -> None:
    _check_actions(content["actions"], "actions", "button_template.actions", "button_template")


def _check_list_template(content: Mapping[str, Any]) -> None:
    cover = content.get("coverData")
    if cover is not None:
        cover = _check_object(cover, "coverData", "a list cover")
        _check_fields(cover, "coverData", (), PART_MAX_CHARS["list cover"])
        _check_image_source(
            cover, "coverData", url_fields=("backgroundImageUrl",),
            file_field="backgroundFileId", required=False,
        )
    elements = _check_count(content["elements"], "elements", "list_template.elements")
    for i, element in enumerate(elements):
        path = f"elements[{i}]"
        element = _check_object(element, path, "a list element")
        _check_fields(element, path, ("title",), PART_MAX_CHARS["list element"])
        _check_image_source(element, path, required=False)
        if element.get("action") is not None:
            _check_action(element["action"], _at(path, "action"), "list_template")
    rows = content.get("actions")
    if rows is not None:
        for i, row in enumerate(_check_count(rows, "actions", "list_template.actions")):
            _check_actions(row, f"actions[{i}]", "list_template.actions[]", "list_template")


def _check_carousel(content: Mapping[str, Any]) -> None:
    _check_one_of(content.get("imageAspectRatio"), "", "imageAspectRatio", CAROUSEL_ASPECT_RATIOS)
    _check_one_of(content.get("imageSize"), "", "imageSize", CAROUSEL_IMAGE_SIZES)
    columns = _check_count(content["columns"], "columns", "carousel.columns")
    first: tuple[int, bool, bool] | None = None
    for i, column in enumerate(columns):
        path = f"columns[{i}]"
        column = _check_object(column, path, "a carousel column")
        has_image = column.get("originalContentUrl") is not None or column.get("fileId") is not None
        has_title = column.get("title") not in (None, "")
        text_max = CAROUSEL_TEXT_MAX_CHARS[
            "with image or title" if has_image or has_title else "plain"
        ]
        _check_fields(
            column, path, ("text", "actions"),
            {**PART_MAX_CHARS["carousel column"], "text": text_max},
        )
        _check_image_source(column, path, required=False)
        if column.get("defaultAction") is not None:
            _check_action(column["defaultAction"], _at(path, "defaultAction"), "carousel",
                          label_optional=True)
        actions = column["actions"]
        _check_actions(actions, _at(path, "actions"), "carousel.columns[].actions", "carousel")

        # The client lays the columns out side by side, so they must match.
        if first is None:
            first = (len(actions), has_image, has_title)
            continue
        if len(actions) != first[0]:
            raise MessageLimitError(
                _at(path, "actions"), first[0],
                f"{len(actions)} actions, but columns[0] has {first[0]};"
                " every carousel column needs the same number of actions",
            )
        for name, what, has, had in (
            ("originalContentUrl", "an image", has_image, first[1]),
            ("title", "a title", has_title, first[2]),
        ):
            if has != had:
                raise MessageLimitError(
                    _at(path, name), "consistent",
                    f"columns[0] {'has' if had else 'has no'} {what}; either every carousel"
                    f" column has {what} or none does",
                )


def _check_image_carousel(content: Mapping[str, Any]) -> None:
    columns = _check_count(content["columns"], "columns", "image_carousel.columns")
    for i, column in enumerate(columns):
        path = f"columns[{i}]"
        column = _check_object(column, path, "an image carousel column")
        _check_fields(column, path, (), PART_MAX_CHARS["image carousel column"])
        _check_image_source(column, path)
        if column.get("action") is not None:
            _check_action(column["action"], _at(path, "action"), "image_carousel")


def _check_flex(content: Mapping[str, Any]) -> None:
    contents = _check_object(content["contents"], "contents", "a flex container")
    _check_one_of(contents.get("type"), "contents", "type", ("bubble", "carousel"))
    if contents.get("type") == "carousel":
        _check_count(contents.get("contents"), "contents.contents", "flex.contents.contents")


_CONTENT_CHECKS: dict[str, Callable[[Mapping[str, Any]], None]] = {
    "text": lambda content: None,
    "sticker": lambda content: None,
    "link": lambda content: None,
    "image": _check_image,
    "file": _check_file,
    "location": _check_location,
    "button_template": _check_button_template,
    "list_template": _check_list_template,
    "carousel": _check_carousel,
    "image_carousel": _check_image_carousel,
    "flex": _check_flex,
}


def validate_content(content: Mapping[str, Any]) -> None:
    """Raise :class:`MessageLimitError` unless LINE WORKS would accept ``content``."""
    content = _check_object(content, "", "message content")
    kind = content.get("type")
    check = _CONTENT_CHECKS.get(kind)  # type: ignore[arg-type]
    if check is None:
        known = ", ".join(_CONTENT_CHECKS)
        raise MessageLimitError("type", known, f"unknown content type {kind!r} (known: {known})")
    _check_fields(content, "", CONTENT_REQUIRED.get(kind, ()), CONTENT_MAX_CHARS[kind])
    check(content)
    if content.get("quickReply") is not None:
        _check_quick_reply(content["quickReply"])


# --- Actions -----------------------------------------------------------------------


def _action(kind: str, **fields: Any) -> Action:
    action = {"type": kind, **{k: v for k, v in fields.items() if v is not None}}
    # The label may be left out only for a carousel's defaultAction; checked there.
    _check_action(action, "", label_optional=True)
    return action


def message_action(
    label: str | None, text: str | None = None, postback: str | None = None
) -> Action:
    """Sends ``text`` (or the label) as the user's message; ``postback`` comes back with it."""
    return _action("message", label=label, text=text, postback=postback)


def postback_action(label: str | None, data: str, display_text: str | None = None) -> Action:
    """Arrives as a ``postback`` event carrying ``data``; not allowed in button templates."""
    return _action("postback", label=label, data=data, displayText=display_text)


def uri_action(label: str | None, uri: str) -> Action:
    return _action("uri", label=label, uri=uri)


def copy_action(label: str | None, copy_text: str) -> Action:
    return _action("copy", label=label, copyText=copy_text)


def camera_action(label: str) -> Action:
    return _action("camera", label=label)


def camera_roll_action(label: str) -> Action:
    return _action("cameraRoll", label=label)


def location_action(label: str) -> Action:
    return _action("location", label=label)


# --- Parts -------------------------------------------------------------------------


def _compact(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def quick_reply_item(action: Action, image_url: str | None = None) -> dict[str, Any]:
    return _compact(imageUrl=image_url, action=action)


def quick_reply(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``items`` are actions, or items from :func:`quick_reply_item` (to add an icon)."""
    built = {"items": [dict(i) if "action" in i else {"action": dict(i)} for i in items]}
    _check_quick_reply(built)
    return built


def list_cover(
    title: str | None = None,
    subtitle: str | None = None,
    background_url: str | None = None,
    background_file_id: str | None = None,
) -> dict[str, Any]:
    return _compact(
        backgroundImageUrl=background_url, backgroundFileId=background_file_id,
        title=title, subtitle=subtitle,
    )


def list_element(
    title: str,
    subtitle: str | None = None,
    original_url: str | None = None,
    file_id: str | None = None,
    action: Action | None = None,
) -> dict[str, Any]:
    return _compact(
        title=title, subtitle=subtitle, originalContentUrl=original_url, fileId=file_id,
        action=action,
    )


def carousel_column(
    text: str,
    actions: Sequence[Action],
    title: str | None = None,
    original_url: str | None = None,
    file_id: str | None = None,
    default_action: Action | None = None,
) -> dict[str, Any]:
    return _compact(
        originalContentUrl=original_url, fileId=file_id, title=title, text=text,
        defaultAction=default_action, actions=list(actions),
    )


def image_carousel_column(
    original_url: str | None = None, file_id: str | None = None, action: Action | None = None
) -> dict[str, Any]:
    return _compact(originalContentUrl=original_url, fileId=file_id, action=action)


# --- Content -----------------------------------------------------------------------

QuickReplyArg = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None


def _content(quick_reply_arg: QuickReplyArg, /, **fields: Any) -> Content:
    content = _compact(**fields)
    if quick_reply_arg is not None:
        if isinstance(quick_reply_arg, Mapping):
            content["quickReply"] = dict(quick_reply_arg)
        else:
            content["quickReply"] = quick_reply(quick_reply_arg)
    validate_content(content)
    return content


def text(text: str, quick_reply: QuickReplyArg = None) -> Content:
    return _content(quick_reply, type="text", text=text)


def button_template(
    content_text: str, actions: Sequence[Action], quick_reply: QuickReplyArg = None
) -> Content:
    return _content(
        quick_reply, type="button_template", contentText=content_text, actions=list(actions)
    )


def list_template(
    elements: Sequence[Mapping[str, Any]],
    actions: Sequence[Action] | Sequence[Sequence[Action]] | None = None,
    cover: Mapping[str, Any] | None = None,
    quick_reply: QuickReplyArg = None,
) -> Content:
    """``actions`` are the bottom buttons: rows of actions, or a flat list laid out two to a row."""
    rows = None
    if actions is not None:
        if all(isinstance(a, Mapping) for a in actions):
            flat = list(actions)
            rows = [flat[i : i + 2] for i in range(0, len(flat), 2)]
        else:
            rows = [list(row) for row in actions]
    return _content(
        quick_reply, type="list_template",
        coverData=dict(cover) if cover is not None else None,
        elements=[dict(e) for e in elements], actions=rows,
    )


def carousel(
    columns: Sequence[Mapping[str, Any]],
    aspect_ratio: str = "rectangle",
    image_size: str = "cover",
    quick_reply: QuickReplyArg = None,
) -> Content:
    return _content(
        quick_reply, type="carousel", imageAspectRatio=aspect_ratio, imageSize=image_size,
        columns=[dict(c) for c in columns],
    )


def image_carousel(
    columns: Sequence[Mapping[str, Any]], quick_reply: QuickReplyArg = None
) -> Content:
    return _content(quick_reply, type="image_carousel", columns=[dict(c) for c in columns])


def image(
    original_url: str | None = None,
    preview_url: str | None = None,
    file_id: str | None = None,
    quick_reply: QuickReplyArg = None,
) -> Content:
    """From HTTPS URLs or an uploaded file id; the preview defaults to the original
    because the platform wants both URLs."""
    if original_url is not None and preview_url is None:
        preview_url = original_url
    return _content(
        quick_reply, type="image", previewImageUrl=preview_url, originalContentUrl=original_url,
        fileId=file_id,
    )


def file(
    original_url: str | None = None, file_id: str | None = None, quick_reply: QuickReplyArg = None
) -> Content:
    return _content(quick_reply, type="file", originalContentUrl=original_url, fileId=file_id)


def link(
    content_text: str, link_text: str, link: str, quick_reply: QuickReplyArg = None
) -> Content:
    return _content(
        quick_reply, type="link", contentText=content_text, linkText=link_text, link=link
    )


def sticker(
    package_id: str | int, sticker_id: str | int, quick_reply: QuickReplyArg = None
) -> Content:
    # The documented example sends both ids as strings.
    return _content(
        quick_reply, type="sticker", packageId=str(package_id), stickerId=str(sticker_id)
    )


def location(
    title: str, address: str, latitude: float, longitude: float, quick_reply: QuickReplyArg = None
) -> Content:
    return _content(
        quick_reply, type="location", title=title, address=address, latitude=latitude,
        longitude=longitude,
    )


def flex(alt_text: str, contents: Mapping[str, Any], quick_reply: QuickReplyArg = None) -> Content:
    return _content(quick_reply, type="flex", altText=alt_text, contents=dict(contents))

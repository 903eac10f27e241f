"""Checking a LINE WORKS message against the documented limits (cxbot/works/limits.py):
`validate_content` raises :class:`MessageLimitError` naming the field at fault, so a
message LINE WORKS would answer with 400 fails here first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Callable
from urllib.parse import urlsplit

from cxbot.works.limits import (
    ACTION_MAX_CHARS,
    ACTION_REQUIRED,
    ALLOWED_ACTIONS,
    CAROUSEL_ASPECT_RATIOS,
    CAROUSEL_IMAGE_SIZES,
    CAROUSEL_TEXT_MAX_CHARS,
    CONTENT_MAX_CHARS,
    CONTENT_REQUIRED,
    DISPLAY_TEXT_REQUIRED_IN,
    IMAGE_URL_SCHEMES,
    LABEL_MAX_CHARS_BY_PLACE,
    MAX_ITEMS,
    MESSAGE_TEXT_REQUIRED_IN,
    PART_MAX_CHARS,
    PLACES,
    URI_SCHEMES,
    MessageLimitError,
)


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


def check_action(
    action: Any, path: str, place: str | None = None, *, label_optional: bool = False
) -> None:
    """One action at ``path``; ``place`` (a key of ``PLACES``) decides which types it may have."""
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
        check_action(action, f"{path}[{i}]", place)


def check_quick_reply(quick_reply: Any, path: str = "quickReply") -> None:
    """A quick reply object: 1 to 13 items, each an action with an optional icon."""
    quick_reply = _check_object(quick_reply, path, "a quick reply")
    items = _check_count(quick_reply.get("items"), _at(path, "items"), "quickReply.items")
    for i, item in enumerate(items):
        item_path = f"{path}.items[{i}]"
        item = _check_object(item, item_path, "a quick reply item")
        _check_fields(item, item_path, ("action",), PART_MAX_CHARS["quick reply item"])
        _check_image_source(
            item, item_path, url_fields=("imageUrl",), file_field="imageResourceId", required=False
        )
        check_action(item["action"], _at(item_path, "action"), "quickReply")


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
            check_action(element["action"], _at(path, "action"), "list_template")
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
            check_action(column["defaultAction"], _at(path, "defaultAction"), "carousel",
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
            check_action(column["action"], _at(path, "action"), "image_carousel")


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
        check_quick_reply(content["quickReply"])


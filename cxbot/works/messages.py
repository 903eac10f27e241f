"""LINE WORKS bot message content, built: actions, the parts templates are made of, and
every content type (text, images, files, templates, carousels, flex).

Every builder returns the ``content`` object of a send request (the caller wraps it
as ``{"content": ...}``) after running it through
:func:`cxbot.works.checks.validate_content`, so a message LINE WORKS would answer with
400 fails here first, raising :class:`cxbot.works.limits.MessageLimitError` naming the
field at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cxbot.works.checks import check_action, check_quick_reply, validate_content

Action = dict[str, Any]
Content = dict[str, Any]


def _compact(**fields: Any) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


# --- Actions -----------------------------------------------------------------------


def _action(kind: str, **fields: Any) -> Action:
    action = {"type": kind, **_compact(**fields)}
    # The label may be left out only for a carousel's defaultAction; checked there.
    check_action(action, "", label_optional=True)
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


def quick_reply_item(action: Action, image_url: str | None = None) -> dict[str, Any]:
    return _compact(imageUrl=image_url, action=action)


def quick_reply(items: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """``items`` are actions, or items from :func:`quick_reply_item` (to add an icon)."""
    built = {"items": [dict(i) if "action" in i else {"action": dict(i)} for i in items]}
    check_quick_reply(built)
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

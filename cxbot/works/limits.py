"""What LINE WORKS accepts in a bot message: the documented limits, as tables, and the
error a message that breaks one raises.

Shapes and limits: shared/reference/lineworks-api-2.md §3.2-3.3. Lengths are counted in
characters (``len(str)``), as the platform counts them, so a Japanese character counts
as one. cxbot/works/checks.py applies these tables; cxbot/works/messages.py builds
messages that pass them.
"""

from __future__ import annotations


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

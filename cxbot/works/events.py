"""Typed LINE WORKS bot callback events (API 2.0).

:func:`parse_event` turns a callback body into one of the frozen dataclasses below.
Shapes: shared/reference/lineworks-api-2.md §2.4-2.6.

An event or content type we don't know becomes :class:`UnknownEvent` /
:class:`UnknownContent` rather than an error, because LINE WORKS adds types and a
callback is never resent. A known type missing a field it documents (a message with
no content, an image with no fileId) is an :class:`EventParseError`: there is
nothing sensible to do with it, and the caller still has the raw body to log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Callable, ClassVar


class EventParseError(ValueError):
    """The callback body is not a LINE WORKS event."""


@dataclass(frozen=True)
class Source:
    user_id: str | None = None
    # A group room's id. A 1:1 talk's message may carry one too (the docs' examples do,
    # their field table says it is not sent), so its presence does not tell a room apart.
    channel_id: str | None = None
    domain_id: int | None = None


# --- Message content ---------------------------------------------------------------


@dataclass(frozen=True)
class Content:
    type: ClassVar[str]


@dataclass(frozen=True)
class TextContent(Content):
    type: ClassVar[str] = "text"
    text: str
    # Set when the text came from a message action carrying a postback.
    postback: str | None = None


@dataclass(frozen=True)
class AttachedContent(Content):
    """Content whose bytes are downloaded by `fileId` (image, file, audio, video)."""

    file_id: str


class ImageContent(AttachedContent):
    type: ClassVar[str] = "image"


class FileContent(AttachedContent):
    type: ClassVar[str] = "file"


class AudioContent(AttachedContent):
    type: ClassVar[str] = "audio"


class VideoContent(AttachedContent):
    type: ClassVar[str] = "video"


@dataclass(frozen=True)
class StickerContent(Content):
    type: ClassVar[str] = "sticker"
    package_id: str
    sticker_id: str


@dataclass(frozen=True)
class LocationContent(Content):
    type: ClassVar[str] = "location"
    address: str
    latitude: float
    longitude: float
    title: str | None = None


@dataclass(frozen=True)
class UnknownContent(Content):
    type: str  # type: ignore[misc]
    raw: dict[str, Any] = field(repr=False, hash=False)


# --- Events ------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    type: str
    source: Source
    issued_time: datetime | None
    raw: dict[str, Any] = field(repr=False, hash=False)


@dataclass(frozen=True)
class MessageEvent(Event):
    content: Content


@dataclass(frozen=True)
class PostbackEvent(Event):
    data: str


@dataclass(frozen=True)
class JoinEvent(Event):
    """The bot joined a room."""


@dataclass(frozen=True)
class LeaveEvent(Event):
    """The bot left a room."""


@dataclass(frozen=True)
class JoinedEvent(Event):
    """Users were added to a room the bot is in."""

    members: tuple[str, ...]


@dataclass(frozen=True)
class LeftEvent(Event):
    """Users left a room the bot is in."""

    members: tuple[str, ...]


@dataclass(frozen=True)
class BeginEvent(Event):
    """A user's 1:1 room with the bot started."""


@dataclass(frozen=True)
class EndEvent(Event):
    """The user left their 1:1 room with the bot."""


@dataclass(frozen=True)
class UnknownEvent(Event):
    """An event type this code doesn't know yet; ``raw`` holds all of it."""


# --- Parsing -----------------------------------------------------------------------

_JSON_TYPE_NAMES = {list: "an array", str: "a string", int: "a number", float: "a number",
                    bool: "a boolean", type(None): "null"}


def _json_type(value: Any) -> str:
    return _JSON_TYPE_NAMES.get(type(value), type(value).__name__)


def _load(body: bytes | bytearray | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(body, dict):
        data: Any = body
    else:
        try:
            data = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise EventParseError(f"callback body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise EventParseError(f"callback body must be a JSON object, got {_json_type(data)}")
    return data


def _str(obj: dict[str, Any], key: str, where: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str):
        missing = "is missing" if value is None else f"must be a string, got {_json_type(value)}"
        raise EventParseError(f"{where}: {key!r} {missing}")
    return value


def _optional_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    return None if obj.get(key) is None else _str(obj, key, where)


def _id(obj: dict[str, Any], key: str, where: str) -> str:
    # Ids are strings in the docs; take a number too rather than drop the event.
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return _str(obj, key, where)


def _number(obj: dict[str, Any], key: str, where: str) -> float:
    value = obj.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise EventParseError(f"{where}: {key!r} must be a number, got {value!r}")


def _source(value: Any) -> Source:
    if value is None:
        return Source()
    if not isinstance(value, dict):
        raise EventParseError(f"'source' must be an object, got {_json_type(value)}")
    domain_id = value.get("domainId")
    if domain_id is not None:
        try:
            if isinstance(domain_id, bool):
                raise ValueError
            domain_id = int(domain_id)
        except ValueError:
            raise EventParseError(
                f"source: 'domainId' must be a number, got {domain_id!r}"
            ) from None
    return Source(
        user_id=None if value.get("userId") is None else _id(value, "userId", "source"),
        channel_id=None if value.get("channelId") is None else _id(value, "channelId", "source"),
        domain_id=domain_id,
    )


def _issued_time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise EventParseError(f"'issuedTime' must be a string, got {_json_type(value)}")
    try:
        # Python 3.11 reads both documented forms, with and without milliseconds.
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise EventParseError(f"'issuedTime' is not an RFC 3339 time: {value!r}") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)  # the platform sends UTC
    return parsed.astimezone(UTC)


def _file_content(cls: type[Content]) -> Callable[[dict[str, Any], str], Content]:
    return lambda c, where: cls(file_id=_str(c, "fileId", where))  # type: ignore[call-arg]


_CONTENT_PARSERS: dict[str, Callable[[dict[str, Any], str], Content]] = {
    "text": lambda c, where: TextContent(
        text=_str(c, "text", where), postback=_optional_str(c, "postback", where)
    ),
    "image": _file_content(ImageContent),
    "file": _file_content(FileContent),
    "audio": _file_content(AudioContent),
    "video": _file_content(VideoContent),
    "sticker": lambda c, where: StickerContent(
        package_id=_id(c, "packageId", where), sticker_id=_id(c, "stickerId", where)
    ),
    "location": lambda c, where: LocationContent(
        address=_str(c, "address", where),
        latitude=_number(c, "latitude", where),
        longitude=_number(c, "longitude", where),
        title=_optional_str(c, "title", where),
    ),
}


def _content(value: Any) -> Content:
    if not isinstance(value, dict):
        raise EventParseError(
            f"message event: 'content' must be an object, got {_json_type(value)}"
        )
    kind = value.get("type")
    if not isinstance(kind, str) or not kind:
        raise EventParseError("message event: content has no 'type'")
    parser = _CONTENT_PARSERS.get(kind)
    if parser is None:
        return UnknownContent(type=kind, raw=value)
    return parser(value, f"message event, {kind} content")


def _members(data: dict[str, Any]) -> tuple[str, ...]:
    members = data.get("members")
    if not isinstance(members, list) or not all(isinstance(m, str) for m in members):
        raise EventParseError(
            f"{data['type']} event: 'members' must be an array of user ids, got {members!r}"
        )
    return tuple(members)


_EVENT_PARSERS: dict[str, Callable[[dict[str, Any], dict[str, Any]], Event]] = {
    "message": lambda d, common: MessageEvent(**common, content=_content(d.get("content"))),
    "postback": lambda d, common: PostbackEvent(**common, data=_str(d, "data", "postback event")),
    "join": lambda d, common: JoinEvent(**common),
    "leave": lambda d, common: LeaveEvent(**common),
    "joined": lambda d, common: JoinedEvent(**common, members=_members(d)),
    "left": lambda d, common: LeftEvent(**common, members=_members(d)),
    "begin": lambda d, common: BeginEvent(**common),
    "end": lambda d, common: EndEvent(**common),
}


def parse_event(body: bytes | str | dict[str, Any]) -> Event:
    """Parse a callback body (raw bytes, text or an already decoded object)."""
    data = _load(body)
    kind = data.get("type")
    if not isinstance(kind, str) or not kind:
        raise EventParseError("callback body has no event 'type'")
    common = {
        "type": kind,
        "source": _source(data.get("source")),
        "issued_time": _issued_time(data.get("issuedTime")),
        "raw": data,
    }
    parser = _EVENT_PARSERS.get(kind)
    return parser(data, common) if parser else UnknownEvent(**common)

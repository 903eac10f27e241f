"""The LINE WORKS tenant the sandbox plays, as data: client apps, users, bots and
their domains, rooms and their messages, attachments, tokens, and how each looks in
the API's JSON (`to_api`) and in the control API's (`to_json`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..clock import iso_ms, now

DEFAULT_DOMAIN_ID = 40029600

# What a user may send a bot (bot property `callbackEvents`).
CALLBACK_MESSAGE_TYPES = ("text", "location", "sticker", "image", "file", "audio", "video")
# Events a bot may subscribe to (bot property `channelEvents`); the first six are the default.
CHANNEL_EVENTS = ("message", "join", "leave", "joined", "left", "postback", "begin", "end")
DEFAULT_CHANNEL_EVENTS = CHANNEL_EVENTS[:6]

UPLOAD_URL_LIFETIME = 86400


def iso_jst(t: float) -> str:
    """`YYYY-MM-DDThh:mm:ssTZD` in JST, the bot `createdTime` format."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t) + 9 * 3600)) + "+09:00"


@dataclass
class ClientApp:
    client_id: str
    client_secret: str
    service_account: str
    public_key_pem: str
    public_key: object
    scopes: list[str]
    token_lifetime: int = 3600
    refresh_rotation: bool = False

    def to_json(self) -> dict:
        return {
            "clientId": self.client_id,
            "serviceAccount": self.service_account,
            "scopes": list(self.scopes),
            "tokenLifetime": self.token_lifetime,
            "refreshRotation": self.refresh_rotation,
        }


@dataclass
class User:
    user_id: str
    email: str
    last_name: str
    first_name: str
    domain_id: int = DEFAULT_DOMAIN_ID
    is_administrator: bool = False

    @property
    def display_name(self) -> str:
        return f"{self.last_name} {self.first_name}".strip() or self.user_id

    def to_json(self) -> dict:
        return {
            "userId": self.user_id,
            "email": self.email,
            "lastName": self.last_name,
            "firstName": self.first_name,
            "domainId": self.domain_id,
            "isAdministrator": self.is_administrator,
            "displayName": self.display_name,
        }

    def to_api(self) -> dict:
        """The member object of `GET /users/{userId}` (scopes user / user.read / directory*)."""
        return {
            "domainId": self.domain_id,
            "userId": self.user_id,
            "userExternalKey": None,
            "isAdministrator": self.is_administrator,
            "isPending": False,
            "isSuspended": False,
            "isDeleted": False,
            "isAwaiting": False,
            "leaveOfAbsence": None,
            "suspendedReason": None,
            "email": self.email,
            "userName": {
                "lastName": self.last_name,
                "firstName": self.first_name,
                "phoneticLastName": None,
                "phoneticFirstName": None,
            },
            "i18nNames": [],
            "nickName": None,
            "privateEmail": None,
            "aliasEmails": [],
            "employmentTypeId": None,
            "userTypeId": None,
            "searchable": True,
            "organizations": [
                {
                    "domainId": self.domain_id,
                    "primary": True,
                    "userExternalKey": None,
                    "email": self.email,
                    "levelId": None,
                    "executive": False,
                    "organizationName": None,
                    "orgUnits": [],
                }
            ],
            "telephone": None,
            "cellPhone": None,
            "location": None,
            "task": None,
            "messenger": None,
            "birthdayCalendarType": None,
            "birthday": None,
            "locale": "ja_JP",
            "hiredDate": None,
            "timeZone": "Asia/Tokyo",
            "customFields": [],
            "relations": [],
            "employeeNumber": None,
        }

    def to_api_profile(self) -> dict:
        """`GET /users/{userId}` with scope user.profile.read."""
        full = self.to_api()
        keys = ("userId", "userExternalKey", "email", "userName", "i18nNames", "organizations",
                "telephone", "cellPhone", "location")
        return {k: full[k] for k in keys}


@dataclass
class BotDomain:
    domain_id: int
    visible: bool = False
    allow_to_selected_member: bool = False
    members: list[str] = field(default_factory=list)

    def to_api(self) -> dict:
        return {
            "domainId": self.domain_id,
            "visible": self.visible,
            "allowToSelectedMember": self.allow_to_selected_member,
        }


@dataclass
class Bot:
    bot_id: int
    bot_name: str
    secret: str
    photo_url: str = ""
    description: str = ""
    administrators: list[str] = field(default_factory=list)
    subadministrators: list[str] = field(default_factory=list)
    allow_domains: list[int] = field(default_factory=list)
    enable_callback: bool = False
    callback_url: str = ""
    callback_events: list[str] = field(default_factory=lambda: list(CALLBACK_MESSAGE_TYPES))
    channel_events: list[str] = field(default_factory=lambda: list(DEFAULT_CHANNEL_EVENTS))
    enable_group_join: bool = False
    default_richmenu_id: str | None = None
    i18n_bot_names: list = field(default_factory=list)
    i18n_descriptions: list = field(default_factory=list)
    i18n_photo_urls: list = field(default_factory=list)
    created_time: float = field(default_factory=now)
    modified_time: float = field(default_factory=now)
    domains: dict[int, BotDomain] = field(default_factory=dict)
    deleted: bool = False
    origin: str = "console"  # "console" (registered via the control API) or "api" (POST /v1.0/bots)

    def to_api(self) -> dict:
        return {
            "botId": self.bot_id,
            "botName": self.bot_name,
            "photoUrl": self.photo_url,
            "description": self.description,
            "administrators": list(self.administrators),
            "subadministrators": list(self.subadministrators),
            "allowDomains": list(self.allow_domains),
            "enableCallback": self.enable_callback,
            "callbackEvents": list(self.callback_events),
            "channelEvents": list(self.channel_events),
            "callbackUrl": self.callback_url,
            "enableGroupJoin": self.enable_group_join,
            "defaultRichmenuId": self.default_richmenu_id,
            "i18nBotNames": list(self.i18n_bot_names),
            "i18nDescriptions": list(self.i18n_descriptions),
            "i18nPhotoUrls": list(self.i18n_photo_urls),
            "createdTime": iso_jst(self.created_time),
            "modifiedTime": iso_jst(self.modified_time),
        }

    def to_api_summary(self) -> dict:
        return {
            "botId": self.bot_id,
            "botName": self.bot_name,
            "photoUrl": self.photo_url,
            "i18nBotNames": list(self.i18n_bot_names),
            "i18nPhotoUrls": list(self.i18n_photo_urls),
        }

    def to_json(self) -> dict:
        """Control-API view: the API object plus what Developers Console shows."""
        data = self.to_api()
        data.update(
            {
                "secret": self.secret,
                "deleted": self.deleted,
                "origin": self.origin,
                "domains": [d.to_api() | {"members": list(d.members)} for d in self.domains.values()],
            }
        )
        return data


@dataclass
class Message:
    seq: int
    room_id: str
    sender: dict  # {"userId": ...} or {"botId": ...}
    content: dict
    created_time: float

    @property
    def message_id(self) -> str:
        return str(self.seq)

    @property
    def from_bot(self) -> bool:
        return "botId" in self.sender

    def to_json(self) -> dict:
        return {
            "messageId": self.message_id,
            "roomId": self.room_id,
            "sender": dict(self.sender),
            "content": self.content,
            "createdTime": iso_ms(self.created_time),
        }


@dataclass
class Room:
    room_id: str  # == the channelId
    kind: str  # "bot" (1:1 with a bot) or "group"
    bot_id: int
    members: list[str]  # user ids (for a 1:1 room: [the user])
    title: str
    domain_id: int
    created_time: float = field(default_factory=now)
    started: bool = False  # 1:1: `begin` has happened (the room was opened, or had its first message)
    bot_left: bool = False  # group: the bot left (DELETE channel) or was deleted
    messages: list[Message] = field(default_factory=list)

    @property
    def channel_id(self) -> str:
        return self.room_id


@dataclass
class Attachment:
    file_id: str
    file_name: str
    bot_id: int | None
    upload_id: str
    download_id: str
    created_time: float = field(default_factory=now)
    content_type: str | None = None
    data: bytes | None = None
    upload_used: bool = False

    @property
    def uploaded(self) -> bool:
        return self.data is not None


@dataclass
class AccessToken:
    token: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


@dataclass
class RefreshToken:
    token: str
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float
    active: bool = True

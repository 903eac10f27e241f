"""The sandbox's in-memory state: the tenant (apps, users, bots), rooms, files, tokens.

One `World` per sandbox app. Every read or write of its state happens under
`world.lock` (an RLock: the werkzeug server is threaded, and cxbot calls back into
the sandbox while the sandbox is delivering a callback to cxbot). Callbacks are
never delivered while the lock is held.

Every clock reading is `time.time()` so tests can move time with freezegun.
"""

from __future__ import annotations

import secrets
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

DEFAULT_DOMAIN_ID = 40029600
FIRST_BOT_ID = 2000001

# What a user may send a bot (bot property `callbackEvents`).
CALLBACK_MESSAGE_TYPES = ("text", "location", "sticker", "image", "file", "audio", "video")
# Events a bot may subscribe to (bot property `channelEvents`); the first six are the default.
CHANNEL_EVENTS = ("message", "join", "leave", "joined", "left", "postback", "begin", "end")
DEFAULT_CHANNEL_EVENTS = CHANNEL_EVENTS[:6]

ACCESS_TOKEN_LIFETIMES = (3600, 86400)
REFRESH_TOKEN_LIFETIME = 90 * 86400
UPLOAD_URL_LIFETIME = 86400


def now() -> float:
    return time.time()


def iso_ms(t: float) -> str:
    """`YYYY-MM-DDThh:mm:ss.SSSZ`, the callback `issuedTime` format."""
    ms = int(round((t - int(t)) * 1000))
    whole = int(t)
    if ms == 1000:
        whole, ms = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{ms:03d}Z"


def iso_jst(t: float) -> str:
    """`YYYY-MM-DDThh:mm:ssTZD` in JST, the bot `createdTime` format."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(t) + 9 * 3600)) + "+09:00"


def new_token(prefix: str = "jp1AAAA") -> str:
    return prefix + secrets.token_urlsafe(48)


# --------------------------------------------------------------------------- model


@dataclass
class Settings:
    channel_create_per_minute: int = 10
    expires_in_as_string: bool = True
    # The real platform wants https for callbackUrl, photoUrl and image URLs. The
    # sandbox also accepts http for loopback hosts (a laptop demo); this switch
    # accepts http for any host.
    allow_http_urls: bool = False
    callback_timeout: float = 10.0
    max_bots: int = 300

    FIELDS = {
        "channelCreatePerMinute": ("channel_create_per_minute", int),
        "expiresInAsString": ("expires_in_as_string", bool),
        "allowHttpUrls": ("allow_http_urls", bool),
        "callbackTimeout": ("callback_timeout", (int, float)),
        "maxBots": ("max_bots", int),
    }

    def to_json(self) -> dict:
        return {name: getattr(self, attr) for name, (attr, _) in self.FIELDS.items()}

    def update(self, data: dict) -> None:
        """Apply a JSON patch; raises ValueError naming the bad field."""
        for key, value in data.items():
            if key not in self.FIELDS:
                raise ValueError(f"unknown setting {key!r} (known: {', '.join(self.FIELDS)})")
            attr, kind = self.FIELDS[key]
            if kind is bool:
                ok = isinstance(value, bool)
            else:
                ok = isinstance(value, kind) and not isinstance(value, bool) and value >= 0
            if not ok:
                raise ValueError(f"setting {key!r} has the wrong type or value: {value!r}")
        for key, value in data.items():
            setattr(self, self.FIELDS[key][0], value)


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


@dataclass
class Fault:
    fault_id: int
    path: str
    status: int
    times: int
    method: str | None = None
    headers: dict = field(default_factory=dict)
    body: object = None

    def to_json(self) -> dict:
        return {
            "id": self.fault_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "times": self.times,
            "headers": dict(self.headers),
            "body": self.body,
        }


# --------------------------------------------------------------------------- world


class World:
    """All sandbox state. Public methods take `self.lock` themselves."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self._init_state()
        # Late import: callbacks.py imports from this module.
        from .callbacks import Deliverer

        self.deliverer = Deliverer(self)

    def _init_state(self) -> None:
        self.settings = Settings()
        self.apps: dict[str, ClientApp] = {}
        self.users: dict[str, User] = {}
        self.bots: dict[int, Bot] = {}
        self.rooms: dict[str, Room] = {}
        self.dm_rooms: dict[tuple[int, str], str] = {}
        self.attachments: dict[str, Attachment] = {}
        self.access_tokens: dict[str, AccessToken] = {}
        self.refresh_tokens: dict[str, RefreshToken] = {}
        self.faults: list[Fault] = []
        self.request_log: list[dict] = []
        self.callback_log: list[dict] = []
        self.channel_creations: deque[float] = deque()
        self.blocks: set[tuple[int, str]] = set()
        self._seq = 0
        self._next_bot_id = FIRST_BOT_ID

    def reset(self) -> None:
        with self.lock:
            self._init_state()

    def next_seq(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    # ----------------------------------------------------------------- apps

    def add_app(
        self,
        client_id: str,
        client_secret: str,
        service_account: str,
        public_key: str,
        scopes: list[str] | str = ("bot",),
        token_lifetime: int = 3600,
        refresh_rotation: bool = False,
    ) -> ClientApp:
        from cryptography.hazmat.primitives.serialization import load_pem_public_key

        if not client_id or not client_secret or not service_account:
            raise ValueError("clientId, clientSecret and serviceAccount are required")
        try:
            key = load_pem_public_key(public_key.encode() if isinstance(public_key, str) else public_key)
        except Exception as exc:  # noqa: BLE001 - report any parse failure
            raise ValueError(f"publicKey is not a PEM public key: {exc}") from None
        if isinstance(scopes, str):
            scopes = scopes.split()
        if not isinstance(token_lifetime, int) or isinstance(token_lifetime, bool) or token_lifetime <= 0:
            raise ValueError("tokenLifetime must be a positive number of seconds (3600 or 86400 on the real platform)")
        app = ClientApp(
            client_id=client_id,
            client_secret=client_secret,
            service_account=service_account,
            public_key_pem=public_key if isinstance(public_key, str) else public_key.decode(),
            public_key=key,
            scopes=list(scopes),
            token_lifetime=token_lifetime,
            refresh_rotation=bool(refresh_rotation),
        )
        with self.lock:
            self.apps[client_id] = app
        return app

    # ----------------------------------------------------------------- users

    def add_user(
        self,
        user_id: str,
        email: str | None = None,
        last_name: str = "",
        first_name: str = "",
        domain_id: int = DEFAULT_DOMAIN_ID,
        is_administrator: bool = False,
    ) -> User:
        if not user_id or not isinstance(user_id, str):
            raise ValueError("userId is required")
        if not isinstance(domain_id, int) or isinstance(domain_id, bool):
            raise ValueError("domainId must be a number")
        user = User(
            user_id=user_id,
            email=email or f"{user_id}@example.com",
            last_name=last_name or "",
            first_name=first_name or "",
            domain_id=domain_id,
            is_administrator=bool(is_administrator),
        )
        with self.lock:
            for other in self.users.values():
                if other.user_id != user_id and other.email.lower() == user.email.lower():
                    raise ValueError(f"email {user.email} is already used by user {other.user_id}")
            self.users[user_id] = user
        return user

    def find_user(self, ident: str) -> User | None:
        """By user id or login email (case-insensitive)."""
        with self.lock:
            if ident in self.users:
                return self.users[ident]
            lowered = ident.lower()
            for user in self.users.values():
                if user.email.lower() == lowered:
                    return user
            return None

    # ----------------------------------------------------------------- bots

    def allocate_bot_id(self, wanted: int | None = None) -> int:
        with self.lock:
            if wanted is not None:
                if wanted in self.bots:
                    raise ValueError(f"botId {wanted} already exists")
                self._next_bot_id = max(self._next_bot_id, wanted + 1)
                return wanted
            while self._next_bot_id in self.bots:
                self._next_bot_id += 1
            bot_id = self._next_bot_id
            self._next_bot_id += 1
            return bot_id

    def live_bot(self, bot_id) -> Bot | None:
        """The bot if it exists and was not deleted."""
        try:
            bot_id = int(bot_id)
        except (TypeError, ValueError):
            return None
        with self.lock:
            bot = self.bots.get(bot_id)
            return bot if bot and not bot.deleted else None

    def any_bot(self, bot_id) -> Bot | None:
        try:
            bot_id = int(bot_id)
        except (TypeError, ValueError):
            return None
        with self.lock:
            return self.bots.get(bot_id)

    @staticmethod
    def bot_reaches(bot: Bot, user: User) -> bool:
        """The bot is registered to the user's domain (it may message them)."""
        return not bot.deleted and user.domain_id in bot.domains

    @staticmethod
    def bot_visible_to(bot: Bot, user: User) -> bool:
        """The user finds the bot among their talk partners (public in their domain)."""
        dom = bot.domains.get(user.domain_id)
        if bot.deleted or dom is None or not dom.visible:
            return False
        return not dom.allow_to_selected_member or user.user_id in dom.members

    def delete_bot(self, bot: Bot) -> list[Room]:
        """Mark deleted; its rooms become read-only. Returns the group rooms it left."""
        with self.lock:
            bot.deleted = True
            bot.modified_time = now()
            left = []
            for room in self.rooms.values():
                if room.bot_id == bot.bot_id and room.kind == "group" and not room.bot_left:
                    room.bot_left = True
                    left.append(room)
            return left

    # ----------------------------------------------------------------- rooms

    def dm_room(self, bot: Bot, user: User) -> Room:
        """The 1:1 room of (bot, user), created if needed (no event fired here)."""
        with self.lock:
            room_id = self.dm_rooms.get((bot.bot_id, user.user_id))
            if room_id:
                return self.rooms[room_id]
            room = Room(
                room_id=str(uuid.uuid4()),
                kind="bot",
                bot_id=bot.bot_id,
                members=[user.user_id],
                title=bot.bot_name,
                domain_id=user.domain_id,
            )
            self.rooms[room.room_id] = room
            self.dm_rooms[(bot.bot_id, user.user_id)] = room.room_id
            return room

    def create_group_room(self, bot: Bot, members: list[str], title: str) -> Room:
        with self.lock:
            first = self.users.get(members[0]) if members else None
            room = Room(
                room_id=str(uuid.uuid4()),
                kind="group",
                bot_id=bot.bot_id,
                members=list(members),
                title=title,
                domain_id=first.domain_id if first else DEFAULT_DOMAIN_ID,
            )
            self.rooms[room.room_id] = room
            return room

    def room_read_only_reason(self, room: Room) -> str | None:
        with self.lock:
            bot = self.bots.get(room.bot_id)
            if bot is None or bot.deleted:
                return "bot deleted"
            if room.kind == "group" and room.bot_left:
                return "bot left"
            return None

    def add_message(self, room: Room, sender: dict, content: dict) -> Message:
        with self.lock:
            msg = Message(seq=self.next_seq(), room_id=room.room_id, sender=sender, content=content,
                          created_time=now())
            room.messages.append(msg)
            return msg

    def find_message(self, message_id: str) -> tuple[Room, Message] | None:
        with self.lock:
            for room in self.rooms.values():
                for msg in room.messages:
                    if msg.message_id == str(message_id):
                        return room, msg
            return None

    def rooms_for(self, user: User) -> list[Room]:
        """Rooms the user sees: 1:1 with each visible bot (even before a message),
        1:1 rooms that have messages (read-only if the bot is gone), group rooms."""
        with self.lock:
            rooms: list[Room] = []
            for bot in self.bots.values():
                if self.bot_visible_to(bot, user):
                    rooms.append(self.dm_room(bot, user))
            for room in self.rooms.values():
                if room in rooms:
                    continue
                if room.kind == "bot" and room.members == [user.user_id] and (room.messages or room.started):
                    rooms.append(room)
                elif room.kind == "group" and user.user_id in room.members:
                    rooms.append(room)

            def last_activity(r: Room) -> float:
                return r.messages[-1].created_time if r.messages else r.created_time

            rooms.sort(key=lambda r: (-(last_activity(r)), r.title))
            return rooms

    def room_json(self, room: Room, for_user: User | None = None) -> dict:
        with self.lock:
            bot = self.bots.get(room.bot_id)
            reason = self.room_read_only_reason(room)
            last = room.messages[-1] if room.messages else None
            title = bot.bot_name if (room.kind == "bot" and bot) else room.title
            if room.kind == "group" and not title:
                names = [self.users[m].display_name if m in self.users else m for m in room.members]
                title = "、".join(names)
            return {
                "roomId": room.room_id,
                "channelId": room.channel_id,
                "title": title,
                "kind": room.kind,
                "botId": room.bot_id,
                "botName": bot.bot_name if bot else None,
                "members": list(room.members),
                "readOnly": reason is not None,
                "readOnlyReason": reason,
                "lastMessageId": last.message_id if last else None,
            }

    # ----------------------------------------------------------------- files

    def new_attachment(self, file_name: str, bot_id: int | None) -> Attachment:
        with self.lock:
            att = Attachment(
                file_id="jp1." + secrets.token_urlsafe(24),
                file_name=file_name,
                bot_id=bot_id,
                upload_id=secrets.token_urlsafe(24),
                download_id=secrets.token_urlsafe(24),
            )
            self.attachments[att.file_id] = att
            return att

    def attachment_by(self, attr: str, value: str) -> Attachment | None:
        with self.lock:
            for att in self.attachments.values():
                if getattr(att, attr) == value:
                    return att
            return None

    # ----------------------------------------------------------------- tokens

    def issue_access_token(self, app: ClientApp, scopes: tuple[str, ...]) -> AccessToken:
        with self.lock:
            tok = AccessToken(new_token("jp1AAAA"), app.client_id, scopes, now() + app.token_lifetime)
            self.access_tokens[tok.token] = tok
            return tok

    def issue_refresh_token(self, app: ClientApp, scopes: tuple[str, ...]) -> RefreshToken:
        with self.lock:
            tok = RefreshToken(new_token("jp1AAAB"), app.client_id, scopes, now() + REFRESH_TOKEN_LIFETIME)
            self.refresh_tokens[tok.token] = tok
            return tok

    def expire_access_tokens(self) -> int:
        with self.lock:
            t = now()
            count = 0
            for tok in self.access_tokens.values():
                if tok.expires_at > t:
                    count += 1
                tok.expires_at = min(tok.expires_at, t - 1)
            return count

    # ----------------------------------------------------------------- logs

    def log_request(self, entry: dict) -> None:
        with self.lock:
            self.request_log.append(entry)

    def log_callback(self, entry: dict) -> None:
        with self.lock:
            self.callback_log.append(entry)

"""The LINE side of the sandbox world: Official Account channels, LINE users,
friendships, conversations, sent content, reply tokens, retry keys, webhooks sent.

It lives on the sandbox World as `world.line` and shares `world.lock` (every read
or write happens under it; webhooks are never delivered while it is held).
`world.reset()` clears it too (see `attach`).

Every clock reading is `time.time()` so tests can move time with freezegun.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field

REPLY_TOKEN_LIFETIME = 60.0  # seconds after the webhook (or its redelivery)
REPLY_TOKEN_MAX_AGE = 20 * 60.0  # a redelivered token dies this long after the event
RETRY_KEY_LIFETIME = 24 * 3600.0
TEST_WEBHOOK_PER_HOUR = 60

CHANNEL_ID_RE = re.compile(r"^\d{6,16}$")
CHANNEL_SECRET_RE = re.compile(r"^[0-9a-f]{32}$")
BASIC_ID_RE = re.compile(r"^@[0-9a-z._-]{1,40}$", re.IGNORECASE)
USER_ID_RE = re.compile(r"^U[0-9a-f]{32}$")
TO_RE = re.compile(r"^[UCR][0-9a-f]{32}$")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def now() -> float:
    return time.time()


def now_ms() -> int:
    return int(time.time() * 1000)


def ulid() -> str:
    """A ULID: 48-bit millisecond time + 80 random bits, Crockford base32, 26 chars."""
    value = (now_ms() & ((1 << 48) - 1)) << 80 | secrets.randbits(80)
    out = []
    for _ in range(26):
        out.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(out))


def new_user_id() -> str:
    return "U" + secrets.token_hex(16)


def new_channel_id() -> str:
    return "16" + "".join(secrets.choice("0123456789") for _ in range(8))


def new_basic_id() -> str:
    return "@" + "".join(secrets.choice("0123456789") for _ in range(3)) + \
        "".join(secrets.choice(_LETTERS) for _ in range(5))


def new_access_token() -> str:
    """Looks like a long-lived channel access token: 172 Base64 characters (with + / =)."""
    return base64.b64encode(secrets.token_bytes(128)).decode("ascii")


def new_quote_token() -> str:
    return secrets.token_urlsafe(60)


def iso_ms(t: float) -> str:
    """`2020-09-30T05:38:20.031Z` (the test API's timestamp)."""
    whole = int(t)
    ms = int(round((t - whole) * 1000))
    if ms == 1000:
        whole, ms = whole + 1, 0
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{ms:03d}Z"


# --------------------------------------------------------------------------- model


@dataclass
class LineSettings:
    webhook_timeout: float = 2.0  # LINE counts no answer within 2 s as request_timeout
    reply_token_lifetime: float = REPLY_TOKEN_LIFETIME
    test_webhook_per_hour: int = TEST_WEBHOOK_PER_HOUR
    # Seconds each push takes to answer: lets a test stop a sender in the middle of its sends.
    push_delay: float = 0.0

    FIELDS = {
        "webhookTimeout": "webhook_timeout",
        "replyTokenLifetime": "reply_token_lifetime",
        "testWebhookPerHour": "test_webhook_per_hour",
        "pushDelay": "push_delay",
    }

    def to_json(self) -> dict:
        return {name: getattr(self, attr) for name, attr in self.FIELDS.items()}

    def update(self, data: dict) -> None:
        for key, value in data.items():
            if key not in self.FIELDS:
                raise ValueError(f"unknown LINE setting {key!r} (known: {', '.join(self.FIELDS)})")
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"LINE setting {key!r} must be a non-negative number (got {value!r})")
        for key, value in data.items():
            attr = self.FIELDS[key]
            setattr(self, attr, int(value) if attr == "test_webhook_per_hour" else float(value))


@dataclass
class AcceptedPush:
    request_id: str
    sent_messages: list[dict]
    at: float


@dataclass
class LineChannel:
    """A Messaging API channel of a LINE Official Account, as the console shows it."""

    channel_id: str
    channel_secret: str
    access_tokens: list[str]
    basic_id: str
    bot_user_id: str
    display_name: str
    picture_url: str | None = None
    chat_mode: str = "bot"
    mark_as_read_mode: str = "auto"
    webhook_endpoint: str = ""
    use_webhook: bool = False
    created: float = field(default_factory=now)
    retry_keys: dict[str, AcceptedPush] = field(default_factory=dict)
    test_calls: deque = field(default_factory=deque)

    @property
    def access_token(self) -> str:
        return self.access_tokens[0] if self.access_tokens else ""

    def to_json(self) -> dict:
        data = {
            "channelId": self.channel_id,
            "channelSecret": self.channel_secret,
            "accessToken": self.access_token,
            "accessTokens": list(self.access_tokens),
            "basicId": self.basic_id,
            "botUserId": self.bot_user_id,
            "displayName": self.display_name,
            "pictureUrl": self.picture_url,
            "chatMode": self.chat_mode,
            "markAsReadMode": self.mark_as_read_mode,
            "webhookEndpoint": self.webhook_endpoint or None,
            "useWebhook": self.use_webhook,
        }
        return data

    def bot_info(self) -> dict:
        info = {"userId": self.bot_user_id, "basicId": self.basic_id, "displayName": self.display_name}
        if self.picture_url:
            info["pictureUrl"] = self.picture_url
        info["chatMode"] = self.chat_mode
        info["markAsReadMode"] = self.mark_as_read_mode
        return info


@dataclass
class LineUser:
    """A person with the LINE app (a "customer")."""

    user_id: str
    display_name: str
    picture_url: str | None = None
    language: str | None = "ja"
    status_message: str | None = None

    def to_json(self) -> dict:
        return {"userId": self.user_id, "displayName": self.display_name, "pictureUrl": self.picture_url,
                "language": self.language, "statusMessage": self.status_message}

    def profile(self) -> dict:
        """`GET /v2/bot/profile/{userId}`: absent values are left out."""
        data = {"displayName": self.display_name, "userId": self.user_id}
        for key, value in (("language", self.language), ("pictureUrl", self.picture_url),
                           ("statusMessage", self.status_message)):
            if value:
                data[key] = value
        return data


@dataclass
class Friendship:
    status: str = "none"  # "none" (never added), "friend", "blocked"
    talked: bool = False  # the user has sent the OA a message

    @property
    def reachable(self) -> bool:
        """Push reaches the user: a friend, or someone who talked and did not block."""
        return self.status == "friend" or (self.status == "none" and self.talked)


@dataclass
class ChatEntry:
    seq: int
    channel_id: str
    user_id: str
    sender: str  # "user" or "bot"
    message: dict  # what the user sees, with "id"
    time_ms: int
    via: str | None = None  # bot messages: "push" or "reply"
    webhook_event_id: str | None = None  # user messages

    def to_json(self) -> dict:
        data = {"seq": self.seq, "from": self.sender, "messageId": self.message.get("id"),
                "message": dict(self.message), "timestamp": self.time_ms}
        if self.via:
            data["via"] = self.via
        if self.webhook_event_id:
            data["webhookEventId"] = self.webhook_event_id
        return data


@dataclass
class Content:
    """Bytes a LINE user sent (image, video, audio, file), served by the data API."""

    channel_id: str
    data: bytes
    content_type: str
    file_name: str | None = None


@dataclass
class ReplyToken:
    token: str
    channel_id: str
    user_id: str
    event_time: float
    expires_at: float
    used: bool = False


@dataclass
class StoredEvent:
    channel_id: str
    event: dict


# --------------------------------------------------------------------------- state


class LineWorld:
    def __init__(self, world) -> None:
        self.world = world
        self.lock = world.lock
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.settings = LineSettings()
            self.channels: dict[str, LineChannel] = {}
            self.users: dict[str, LineUser] = {}
            self.friendships: dict[tuple[str, str], Friendship] = {}
            self.chats: dict[tuple[str, str], list[ChatEntry]] = {}
            self.contents: dict[str, Content] = {}
            self.events: dict[str, StoredEvent] = {}
            self.reply_tokens: dict[str, ReplyToken] = {}
            self.webhook_log: list[dict] = []
            self.sent_log: list[dict] = []
            self._seq = 0
            # Message IDs are 18-digit strings, as LINE's are.
            self._next_message_id = 400_000_000_000_000_000 + secrets.randbelow(10**14) * 1000

    _MUTABLE = ("friendships", "chats", "contents", "events", "reply_tokens", "_seq", "_next_message_id")

    def snapshot(self) -> dict:
        """A copy of what acts change, for all-or-nothing batches (call with the lock held)."""
        return {name: copy.deepcopy(getattr(self, name)) for name in self._MUTABLE}

    def restore(self, saved: dict) -> None:
        for name, value in saved.items():
            setattr(self, name, value)

    # ----------------------------------------------------------------- ids

    def next_seq(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    def new_message_id(self) -> str:
        with self.lock:
            self._next_message_id += secrets.randbelow(900) + 1
            return str(self._next_message_id)

    # ----------------------------------------------------------------- channels

    def add_channel(self, *, channel_id=None, channel_secret=None, access_token=None, basic_id=None,
                    bot_user_id=None, display_name=None, picture_url=None, webhook_endpoint=None,
                    use_webhook=None) -> LineChannel:
        """Create an OA channel; absent credentials are generated. ValueError names a bad field."""
        channel_id = _opt_str(channel_id, "channelId") or new_channel_id()
        if not CHANNEL_ID_RE.match(channel_id):
            raise ValueError(f"channelId must be digits, like 1656789012 (got {channel_id!r})")
        channel_secret = _opt_str(channel_secret, "channelSecret") or secrets.token_hex(16)
        if not CHANNEL_SECRET_RE.match(channel_secret):
            raise ValueError("channelSecret must be 32 lowercase hex characters, as the console shows it")
        access_token = _opt_str(access_token, "accessToken") or new_access_token()
        if any(c.isspace() for c in access_token):
            raise ValueError("accessToken must not contain spaces")
        basic_id = _opt_str(basic_id, "basicId") or new_basic_id()
        if not BASIC_ID_RE.match(basic_id):
            raise ValueError(f"basicId must be @ followed by letters and digits, like @123abcde (got {basic_id!r})")
        bot_user_id = _opt_str(bot_user_id, "botUserId") or new_user_id()
        if not USER_ID_RE.match(bot_user_id):
            raise ValueError("botUserId must be U followed by 32 lowercase hex characters")
        display_name = _opt_str(display_name, "displayName")
        if not display_name:
            raise ValueError("displayName is required (the Official Account's name)")
        picture_url = _opt_str(picture_url, "pictureUrl")
        channel = LineChannel(channel_id=channel_id, channel_secret=channel_secret, access_tokens=[access_token],
                              basic_id=basic_id, bot_user_id=bot_user_id, display_name=display_name,
                              picture_url=picture_url)
        with self.lock:
            if channel_id in self.channels:
                raise ChannelConflict(f"channel {channel_id} already exists")
            if self.channel_by_token(access_token) is not None:
                raise ChannelConflict("accessToken is already used by another channel")
            if any(c.bot_user_id == bot_user_id for c in self.channels.values()):
                raise ChannelConflict("botUserId is already used by another channel")
            if webhook_endpoint is not None or use_webhook is not None:
                self.set_webhook(channel, webhook_endpoint, use_webhook)
            self.channels[channel_id] = channel
        return channel

    def channel_by_token(self, token: str) -> LineChannel | None:
        with self.lock:
            for channel in self.channels.values():
                if token in channel.access_tokens:
                    return channel
            return None

    def set_webhook(self, channel: LineChannel, endpoint, use_webhook) -> None:
        from .webhooks import endpoint_problem

        with self.lock:
            if endpoint is not None:
                if not isinstance(endpoint, str):
                    raise ValueError("endpoint must be a string (the webhook URL)")
                if endpoint:
                    problem = endpoint_problem(self.world, endpoint)
                    if problem:
                        raise ValueError(f"Invalid webhook endpoint URL: {problem}")
                channel.webhook_endpoint = endpoint
            if use_webhook is not None:
                if not isinstance(use_webhook, bool):
                    raise ValueError("useWebhook must be true or false")
                channel.use_webhook = use_webhook

    def reissue_token(self, channel: LineChannel) -> str:
        """The console's [Reissue]: a new long-lived token; the old one stops working."""
        with self.lock:
            channel.access_tokens = [new_access_token()]
            return channel.access_token

    # ----------------------------------------------------------------- users

    def add_user(self, *, user_id=None, display_name=None, picture_url=None, language="ja",
                 status_message=None) -> LineUser:
        user_id = _opt_str(user_id, "userId") or new_user_id()
        if not USER_ID_RE.match(user_id):
            raise ValueError("userId must be U followed by 32 lowercase hex characters")
        display_name = _opt_str(display_name, "displayName")
        if not display_name:
            raise ValueError("displayName is required (the LINE user's name)")
        user = LineUser(user_id=user_id, display_name=display_name,
                        picture_url=_opt_str(picture_url, "pictureUrl"),
                        language=_opt_str(language, "language"),
                        status_message=_opt_str(status_message, "statusMessage"))
        with self.lock:
            self.users[user_id] = user
        return user

    def friendship(self, channel_id: str, user_id: str) -> Friendship:
        with self.lock:
            return self.friendships.setdefault((channel_id, user_id), Friendship())

    # ----------------------------------------------------------------- chats and content

    def add_chat(self, channel_id: str, user_id: str, sender: str, message: dict, *, via=None,
                 webhook_event_id=None, time_ms: int | None = None) -> ChatEntry:
        with self.lock:
            entry = ChatEntry(seq=self.next_seq(), channel_id=channel_id, user_id=user_id, sender=sender,
                              message=message, time_ms=time_ms if time_ms is not None else now_ms(), via=via,
                              webhook_event_id=webhook_event_id)
            self.chats.setdefault((channel_id, user_id), []).append(entry)
            return entry

    def chat(self, channel_id: str, user_id: str) -> list[ChatEntry]:
        with self.lock:
            return list(self.chats.get((channel_id, user_id), []))

    # ----------------------------------------------------------------- reply tokens

    def issue_reply_token(self, channel_id: str, user_id: str, event_time: float) -> str:
        with self.lock:
            token = secrets.token_hex(16)
            self.reply_tokens[token] = ReplyToken(token, channel_id, user_id, event_time,
                                                  now() + self.settings.reply_token_lifetime)
            return token

    def take_reply_token(self, channel_id: str, token: str) -> ReplyToken | None:
        """The token if it is this channel's, unused and fresh; marks it used."""
        with self.lock:
            rt = self.reply_tokens.get(token)
            if rt is None or rt.channel_id != channel_id or rt.used or rt.expires_at < now():
                return None
            rt.used = True
            return rt

    def refresh_reply_token(self, token: str) -> None:
        """A redelivery gives an unused token another minute, up to 20 minutes after the event."""
        with self.lock:
            rt = self.reply_tokens.get(token)
            if rt is None or rt.used:
                return
            rt.expires_at = min(now() + self.settings.reply_token_lifetime, rt.event_time + REPLY_TOKEN_MAX_AGE)

    # ----------------------------------------------------------------- retry keys

    def accepted_push(self, channel: LineChannel, key: str) -> AcceptedPush | None:
        with self.lock:
            hit = channel.retry_keys.get(key)
            if hit is not None and hit.at + RETRY_KEY_LIFETIME < now():
                del channel.retry_keys[key]
                return None
            return hit

    def to_json(self) -> dict:
        with self.lock:
            return {
                "settings": self.settings.to_json(),
                "channels": [c.to_json() for c in self.channels.values()],
                "users": [u.to_json() for u in self.users.values()],
                "friendships": [
                    {"channelId": ch, "userId": u, "status": f.status, "talked": f.talked}
                    for (ch, u), f in self.friendships.items()
                ],
            }


class ChannelConflict(Exception):
    """A channel with that id / token already exists (409 in the control API)."""


def _opt_str(value, name: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name} must be a string")
    return value


def attach(world) -> LineWorld:
    """Put a LineWorld on `world` (once) and make `world.reset()` clear it too."""
    existing = getattr(world, "line", None)
    if isinstance(existing, LineWorld):
        return existing
    world.line = LineWorld(world)
    plain_reset = world.reset

    def reset() -> None:
        with world.lock:
            plain_reset()
            world.line.reset()

    world.reset = reset
    return world.line


def new_request_id() -> str:
    return str(uuid.uuid4())

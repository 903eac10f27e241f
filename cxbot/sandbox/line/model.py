"""The LINE side's records, as data: Official Account channels, LINE users,
friendships, chat entries, sent content, reply tokens, stored events, settings; the
platform's ID and token formats.
"""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from collections import deque
from dataclasses import dataclass, field

from ..clock import now, now_ms

REPLY_TOKEN_LIFETIME = 60.0  # seconds after the webhook (or its redelivery)
REPLY_TOKEN_MAX_AGE = 20 * 60.0  # a redelivered token dies this long after the event
RETRY_KEY_LIFETIME = 24 * 3600.0
TEST_WEBHOOK_PER_HOUR = 60
# `PUT /v2/bot/channel/webhook/endpoint`: "changes can take up to 1 minute because of caching".
ENDPOINT_CACHE_SECONDS = 60.0

CHANNEL_ID_RE = re.compile(r"^\d{6,16}$")
CHANNEL_SECRET_RE = re.compile(r"^[0-9a-f]{32}$")
BASIC_ID_RE = re.compile(r"^@[0-9a-z._-]{1,40}$", re.IGNORECASE)
# A premium ID is a paid vanity ID chosen in LINE Official Account Manager, e.g. @linedevelopers.
PREMIUM_ID_RE = re.compile(r"^@[0-9a-z._-]{1,40}$")
USER_ID_RE = re.compile(r"^U[0-9a-f]{32}$")
TO_RE = re.compile(r"^[UCR][0-9a-f]{32}$")

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


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


def new_request_id() -> str:
    return str(uuid.uuid4())


@dataclass
class LineSettings:
    webhook_timeout: float = 2.0  # LINE counts no answer within 2 s as request_timeout
    reply_token_lifetime: float = REPLY_TOKEN_LIFETIME
    test_webhook_per_hour: int = TEST_WEBHOOK_PER_HOUR
    # Seconds each push takes to answer: lets a test stop a sender in the middle of its sends.
    push_delay: float = 0.0
    # How long LINE goes on using the Webhook URL from before a `PUT .../webhook/endpoint`, for
    # events and for a webhook test without `endpoint`: "up to 1 minute" (0: at once, the
    # other end of "up to").
    endpoint_cache_seconds: float = ENDPOINT_CACHE_SECONDS

    FIELDS = {
        "webhookTimeout": "webhook_timeout",
        "replyTokenLifetime": "reply_token_lifetime",
        "testWebhookPerHour": "test_webhook_per_hour",
        "pushDelay": "push_delay",
        "endpointCacheSeconds": "endpoint_cache_seconds",
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


# What LINE Official Account Manager answers by itself while its 応答メッセージ / あいさつメッセージ
# are on (they are on for a new account): customers get these besides whatever the bot answers.
AUTO_REPLY_TEXT = ("メッセージありがとうございます。申し訳ありませんが、このアカウントでは個別のご質問にお答えできません。"
                   "\n（LINE Official Account Manager の応答メッセージ）")
GREETING_TEXT = ("{name}を友だち追加していただき、ありがとうございます。"
                 "\n（LINE Official Account Manager のあいさつメッセージ）")


@dataclass
class LineChannel:
    """A Messaging API channel of a LINE Official Account, as the console shows it, with the
    account's settings in LINE Official Account Manager (premium ID, 応答設定)."""

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
    use_webhook: bool = False  # "Use webhook" (Webhookの利用): a console switch, off for a new channel
    webhook_redelivery: bool = False  # "Webhook redelivery" (Webhookの再送): off by default
    # The URL LINE still uses until `endpoint_cached_until`, after a change through the API.
    endpoint_before: str = ""
    endpoint_cached_until: float = 0.0
    premium_id: str | None = None
    auto_reply: bool = True  # 応答メッセージ: on by default
    greeting: bool = True  # あいさつメッセージ: on by default
    created: float = field(default_factory=now)
    retry_keys: dict[str, AcceptedPush] = field(default_factory=dict)
    test_calls: deque = field(default_factory=deque)

    @property
    def access_token(self) -> str:
        return self.access_tokens[0] if self.access_tokens else ""

    def endpoint_in_use(self) -> str:
        """The Webhook URL LINE sends to now: the one from before an API change, while it is cached."""
        return self.endpoint_before if now() < self.endpoint_cached_until else self.webhook_endpoint

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
            "webhookEndpointInUse": self.endpoint_in_use() or None,
            "useWebhook": self.use_webhook,
            "webhookRedelivery": self.webhook_redelivery,
            "premiumId": self.premium_id,
            "autoReply": self.auto_reply,
            "greeting": self.greeting,
        }
        return data

    def bot_info(self) -> dict:
        info = {"userId": self.bot_user_id, "basicId": self.basic_id}
        if self.premium_id:  # "Not included in the response if the premium ID isn't set."
            info["premiumId"] = self.premium_id
        info["displayName"] = self.display_name
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
    # Bot messages whose files the user's app could not show (media_check), and why.
    problems: list[str] = field(default_factory=list)
    unsent: bool = False  # user messages the user unsent: gone from the chat

    def to_json(self) -> dict:
        data = {"seq": self.seq, "from": self.sender, "messageId": self.message.get("id"),
                "message": dict(self.message), "timestamp": self.time_ms}
        if self.problems:
            data["problems"] = list(self.problems)
        if self.unsent:  # what the LINE app shows in its place: the message is gone
            data["unsent"] = True
            data["message"] = {"id": self.message.get("id"), "type": self.message.get("type")}
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
    kind: str = "file"  # the message type: image, video, audio, file
    # Video / audio: "processing" (Get content answers 202), "succeeded" or "failed".
    transcoding: str = "succeeded"
    gone: bool = False  # the user unsent the message: 410 "The content is gone"


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

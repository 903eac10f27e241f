"""The LINE side of the sandbox world, on `world.line`: channels, users,
friendships, conversations, sent content, reply tokens, retry keys, webhooks sent.

It shares `world.lock` (every read or write happens under it; webhooks are never
delivered while it is held). `world.reset()` clears it.
"""

from __future__ import annotations

import copy
import secrets

from ..clock import now, now_ms
from .model import (
    BASIC_ID_RE,
    CHANNEL_ID_RE,
    CHANNEL_SECRET_RE,
    PREMIUM_ID_RE,
    REPLY_TOKEN_MAX_AGE,
    RETRY_KEY_LIFETIME,
    USER_ID_RE,
    AcceptedPush,
    ChatEntry,
    Content,
    Friendship,
    LineChannel,
    LineSettings,
    LineUser,
    ReplyToken,
    StoredEvent,
    new_access_token,
    new_basic_id,
    new_channel_id,
    new_user_id,
)
from .validate import endpoint_problem


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
                    use_webhook=None, webhook_redelivery=None, premium_id=None, auto_reply=None,
                    greeting=None) -> LineChannel:
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
            if webhook_endpoint is not None or use_webhook is not None or webhook_redelivery is not None:
                self.set_webhook(channel, webhook_endpoint, use_webhook, webhook_redelivery)
            self.set_oam(channel, premium_id=premium_id, auto_reply=auto_reply, greeting=greeting)
            self.channels[channel_id] = channel
        return channel

    def channel_by_token(self, token: str) -> LineChannel | None:
        with self.lock:
            for channel in self.channels.values():
                if token in channel.access_tokens:
                    return channel
            return None

    def set_webhook(self, channel: LineChannel, endpoint, use_webhook, redelivery=None) -> None:
        """The console's Webhook settings: the URL ([更新]), "Use webhook", "Webhook redelivery".
        A URL saved in the console is used at once; `set_endpoint_by_api` is the cached one."""
        with self.lock:
            if endpoint is not None:
                if not isinstance(endpoint, str):
                    raise ValueError("endpoint must be a string (the webhook URL)")
                if endpoint:
                    problem = endpoint_problem(endpoint, allow_http=self.world.settings.allow_http_urls)
                    if problem:
                        raise ValueError(f"Invalid webhook endpoint URL: {problem}")
            for name, value in (("useWebhook", use_webhook), ("webhookRedelivery", redelivery)):
                if value is not None and not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            if endpoint is not None:
                channel.webhook_endpoint = endpoint
                channel.endpoint_before, channel.endpoint_cached_until = "", 0.0
            if use_webhook is not None:
                channel.use_webhook = use_webhook
            if redelivery is not None:
                channel.webhook_redelivery = redelivery

    def set_endpoint_by_api(self, channel: LineChannel, url: str) -> None:
        """`PUT /v2/bot/channel/webhook/endpoint`: saved at once (GET reads it back), but LINE
        goes on sending to the URL it used before for `endpoint_cache_seconds` ("changes can
        take up to 1 minute because of caching")."""
        with self.lock:
            before = channel.endpoint_in_use()
            channel.webhook_endpoint = url
            cache = self.settings.endpoint_cache_seconds
            if cache > 0 and before != url:
                channel.endpoint_before, channel.endpoint_cached_until = before, now() + cache
            else:
                channel.endpoint_before, channel.endpoint_cached_until = "", 0.0

    def set_oam(self, channel: LineChannel, *, premium_id=None, auto_reply=None, greeting=None) -> None:
        """LINE Official Account Manager: the premium ID ("" takes it away), 応答メッセージ and
        あいさつメッセージ. ValueError names a bad field; ChannelConflict a premium ID taken."""
        with self.lock:
            if premium_id is not None:
                if not isinstance(premium_id, str):
                    raise ValueError("premiumId must be a string, like @sampleshop (or \"\" for none)")
                if premium_id and not PREMIUM_ID_RE.match(premium_id):
                    raise ValueError("premiumId must be @ followed by lowercase letters, digits, '.', '_' or '-', "
                                     f"like @sampleshop (got {premium_id!r})")
                taken = {i.lower() for c in self.channels.values() if c is not channel
                         for i in (c.basic_id, c.premium_id or "") if i}
                if premium_id and premium_id.lower() in taken:
                    raise ChannelConflict(f"{premium_id} is already another account's ID")
                if premium_id and premium_id.lower() == channel.basic_id.lower():
                    raise ValueError("premiumId must differ from the account's basic ID")
            for name, value in (("autoReply", auto_reply), ("greeting", greeting)):
                if value is not None and not isinstance(value, bool):
                    raise ValueError(f"{name} must be true or false")
            if premium_id is not None:
                channel.premium_id = premium_id or None
            if auto_reply is not None:
                channel.auto_reply = auto_reply
            if greeting is not None:
                channel.greeting = greeting

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

"""`/_sandbox/settings`: the sandbox's switches, on `world.settings`.

Most shape the LINE WORKS side (whose control API sits at the root of `/_sandbox`);
`allowHttpUrls` holds for every side. LINE and mail have their own under
`/_sandbox/line/settings` and `/_sandbox/mail/settings`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# LINE WORKS' file security blocks these by default (en/docs/bot-send-file); its admin may
# unblock them or block more.
DEFAULT_BLOCKED_FILE_EXTENSIONS = ("bat", "cmd", "com", "cpl", "exe", "scr", "js", "vbs", "wsf", "hta")
# Where a blocked file is refused. The bot-send-file page says the message is blocked
# ("send"); file security restricts sending and receiving files in the services, which
# may as well stop the file when it is uploaded ("upload"). The sandbox plays either.
BLOCKED_FILE_CHECKS = ("send", "upload")
# How a rate-limit window is read (works/limits.py). The docs say neither; "fixed" is the
# default because `rateLimit-reset` is "seconds until reset", which names a moment the
# whole counter restarts, as a fixed window does (a rolling one frees calls one by one).
RATE_LIMIT_WINDOWS = ("fixed", "rolling")


@dataclass
class Settings:
    # Per API operation, per tenant (reference §7.1); room creation has its own 10 instead.
    api_calls_per_minute: int = 240
    channel_create_per_minute: int = 10
    rate_limit_window: str = "fixed"
    # k >= 1: the limits hold per 60/k wall seconds, so a benchmark plays a 30-minute
    # surge in 30/k minutes; rateLimit-reset stays in wall seconds (what a client waits).
    time_scale: float = 1.0
    expires_in_as_string: bool = True
    # The real platforms want https for callback, webhook, photo and image URLs. The
    # sandbox also accepts http for loopback hosts (a laptop demo); this switch
    # accepts http for any host.
    allow_http_urls: bool = False
    callback_timeout: float = 10.0
    max_bots: int = 300
    # A 1:1 message event with the room's channelId (the docs' examples) or without (the
    # docs' field table): the product must tell a 1:1 talk from a room either way.
    direct_message_channel_id: bool = True
    # An expired or revoked access token: 401 UNAUTHORIZED (the error-code page) or 403
    # UNAUTHORIZED (what all three official samples check for).
    expired_token_status: int = 401
    # A bot's photoUrl is fetched when the bot is created or changed, and must serve a PNG.
    fetch_photo_urls: bool = True
    blocked_file_extensions: list = field(default_factory=lambda: list(DEFAULT_BLOCKED_FILE_EXTENSIONS))
    blocked_file_check: str = "send"
    # The admin's "maximum size for a single file" caps an upload (en/docs/bot-attachment-
    # create); the docs give no default, so the sandbox picks 100 MB.
    max_file_bytes: int = 100 * 1024 * 1024

    FIELDS = {
        "apiCallsPerMinute": ("api_calls_per_minute", int),
        "channelCreatePerMinute": ("channel_create_per_minute", int),
        "rateLimitWindow": ("rate_limit_window", RATE_LIMIT_WINDOWS),
        "timeScale": ("time_scale", (int, float)),
        "expiresInAsString": ("expires_in_as_string", bool),
        "allowHttpUrls": ("allow_http_urls", bool),
        "callbackTimeout": ("callback_timeout", (int, float)),
        "maxBots": ("max_bots", int),
        "directMessageChannelId": ("direct_message_channel_id", bool),
        "expiredTokenStatus": ("expired_token_status", int),
        "fetchPhotoUrls": ("fetch_photo_urls", bool),
        "blockedFileExtensions": ("blocked_file_extensions", list),
        "blockedFileCheck": ("blocked_file_check", BLOCKED_FILE_CHECKS),
        "maxFileBytes": ("max_file_bytes", int),
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
            elif kind is list:
                ok = isinstance(value, list) and all(isinstance(v, str) and v for v in value)
            elif isinstance(kind, tuple) and all(isinstance(k, str) for k in kind):
                ok = value in kind
            else:
                ok = isinstance(value, kind) and not isinstance(value, bool) and value >= 0
            if key == "expiredTokenStatus":
                ok = ok and value in (401, 403)
            if key == "timeScale":
                ok = ok and value >= 1
            if not ok:
                raise ValueError(f"setting {key!r} has the wrong type or value: {value!r}")
        for key, value in data.items():
            if self.FIELDS[key][1] is list:
                value = [v.strip().lstrip(".").lower() for v in value]
            if key == "timeScale":
                value = float(value)
            setattr(self, self.FIELDS[key][0], value)

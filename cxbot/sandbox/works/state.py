"""The LINE WORKS side of the sandbox world, on `world.works`: the tenant's apps,
users and bots, rooms, files, tokens, blocks, the callback log, and the rate limits'
counters (limits.py).

It shares `world.lock` (an RLock: the werkzeug server is threaded, and cxbot calls
back into the sandbox while the sandbox is delivering a callback to cxbot); every
public method takes it itself. Callbacks are never delivered while it is held.
`world.reset()` clears it; its `deliverer` lives as long as the world.
"""

from __future__ import annotations

import secrets
import uuid
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from ..clock import now
from .callbacks import Deliverer
from .limits import RateLimiter
from .model import (
    DEFAULT_DOMAIN_ID,
    AccessToken,
    Attachment,
    Bot,
    ClientApp,
    Message,
    RefreshToken,
    Room,
    User,
)

FIRST_BOT_ID = 2000001
REFRESH_TOKEN_LIFETIME = 90 * 86400


def new_token(prefix: str = "jp1AAAA") -> str:
    return prefix + secrets.token_urlsafe(48)


class WorksWorld:
    def __init__(self, world) -> None:
        self.world = world
        self.lock = world.lock
        self.reset()
        self.deliverer = Deliverer(self)

    @property
    def settings(self):
        """The sandbox's settings (`/_sandbox/settings`), which are mostly this side's."""
        return self.world.settings

    def reset(self) -> None:
        with self.lock:
            self.apps: dict[str, ClientApp] = {}
            self.users: dict[str, User] = {}
            self.bots: dict[int, Bot] = {}
            self.rooms: dict[str, Room] = {}
            self.dm_rooms: dict[tuple[int, str], str] = {}
            self.attachments: dict[str, Attachment] = {}
            self.access_tokens: dict[str, AccessToken] = {}
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.callback_log: list[dict] = []
            self.rate = RateLimiter(self)
            self.blocks: set[tuple[int, str]] = set()
            self._seq = 0
            self._next_bot_id = FIRST_BOT_ID

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

    def log_callback(self, entry: dict) -> None:
        """Numbers the entry (from 1) and keeps it, for `GET /_sandbox/callbacks`."""
        with self.lock:
            self.callback_log.append({"id": len(self.callback_log) + 1, **entry})

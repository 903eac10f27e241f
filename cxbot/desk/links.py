"""Channel links of a counter account: LINE公式アカウント, メール, LINE WORKS内Bot.

A link row holds credentials (encrypted) and state only. Deleting one retires its
webhook token, so the URL answers 410 Gone from then on.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import select

from cxbot import channels
from cxbot.context import Context
from cxbot.desk import audit
from cxbot.storage.db import is_postgres
from cxbot.storage.models import ChannelLink, CounterAccount, RetiredWebhook
from cxbot.works.auth import WorksApp

# Info keys the admin sets on a link (not its setup flow): kept when the channel is set up again.
KEPT_ON_SETUP = ("out_of_service",)

log = logging.getLogger(__name__)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def webhook_url(ctx: Context, kind: str, token: str) -> str:
    return f"{ctx.settings.public_url.rstrip('/')}/webhooks/{channels.get(kind).webhook_path}/{token}"


def get(ctx: Context, account_id: int, kind: str) -> ChannelLink | None:
    with ctx.db.read() as s:
        return s.exec(select(ChannelLink).where(ChannelLink.counter_account_id == account_id,
                                                ChannelLink.kind == kind)).first()


# Webhooks look their link up on every request, so on SQLite the answer is remembered per
# Database object (one per process; one per runtime in a test process) under a change
# stamp: a file beside the database that every link change (save, set_linked, delete)
# grows by one byte right after its commit. A lookup stats the file first (~1 µs); an
# answer read under another (inode, size) is not used. So once a save has returned, no
# process on the host answers from before it (and SQLite's processes share one host).
# PostgreSQL's processes may run on several hosts that share no file: there every lookup
# reads the database. A process killed between its commit and its stamp leaves the others
# an answer at most _BACKSTOP seconds old (_FRESH_FOR for the worker's `fresh` lookups).
STAMP_SUFFIX = ".links-stamp"
_BACKSTOP = 3.0
_FRESH_FOR = 0.25
_MEMO_KEY = "links.by_token"


def stamp_path(database_file: str | os.PathLike) -> Path:
    """The change stamp beside a SQLite database file."""
    return Path(f"{os.fspath(database_file)}{STAMP_SUFFIX}")


class _Memo:
    def __init__(self, stamp: Path):
        self.stamp = stamp
        self.entries: dict[str, tuple[tuple | None, float, ChannelLink | None]] = {}

    def current(self) -> tuple | None:
        try:
            st = os.stat(self.stamp)
        except FileNotFoundError:
            return None  # no link changed yet
        return st.st_ino, st.st_size


def _memo(ctx: Context) -> _Memo | None:
    memo = ctx.db.memo.get(_MEMO_KEY)
    if memo is None:
        database = ctx.db.engine.url.database
        if is_postgres(ctx.db.engine) or not database or database == ":memory:":
            memo = False
        else:
            memo = _Memo(stamp_path(database))
        ctx.db.memo[_MEMO_KEY] = memo
    return memo or None


def _read_by_token(ctx: Context, token: str) -> ChannelLink | None:
    with ctx.db.read() as s:
        return s.exec(select(ChannelLink).where(ChannelLink.webhook_token == token)).first()


def by_token(ctx: Context, token: str, fresh: bool = False) -> ChannelLink | None:
    memo = _memo(ctx)
    if memo is None:
        return _read_by_token(ctx, token)
    stamp = memo.current()  # before the read: a change committed after it shows on the next lookup
    now = time.monotonic()
    hit = memo.entries.get(token)
    if hit is not None and hit[0] == stamp and now - hit[1] < (_FRESH_FOR if fresh else _BACKSTOP):
        return hit[2]
    link = _read_by_token(ctx, token)
    if len(memo.entries) > 10_000:
        memo.entries.clear()
    # Each answer keeps its own stamp: one read before a change cannot pass as read after it.
    memo.entries[token] = (stamp, now, link)
    return link


def _changed(ctx: Context) -> None:
    """Call after committing any change to a ChannelLink row: grows the change stamp."""
    memo = _memo(ctx)
    if memo is None:
        return
    try:
        fd = os.open(memo.stamp, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, b".")
        finally:
            os.close(fd)
    except OSError as exc:
        log.error("links: could not mark a link change in %s (%s); other processes may use the old "
                  "link for up to %.0f s", memo.stamp, exc.strerror, _BACKSTOP)


def is_retired(ctx: Context, token: str) -> bool:
    with ctx.db.read() as s:
        return s.get(RetiredWebhook, token) is not None


def info(link: ChannelLink) -> dict:
    return json.loads(link.info_json or "{}")


# Keyed by the ciphertext itself: a changed secret is a new key, so this never goes stale.
_secrets_cache: dict[str, dict] = {}


def secrets_of(ctx: Context, link: ChannelLink) -> dict:
    """The link's decrypted credentials; memoised by ciphertext (webhooks need them per request)."""
    if not link.secrets_enc:
        return {}
    hit = _secrets_cache.get(link.secrets_enc)
    if hit is None:
        if len(_secrets_cache) > 1000:
            _secrets_cache.clear()
        hit = _secrets_cache[link.secrets_enc] = json.loads(ctx.vault.decrypt(link.secrets_enc))
    return dict(hit)


def _shown_name(info_: dict) -> str:
    """What names the channel to a person: the Official Account, the bot, the address."""
    if info_.get("display_name") and info_.get("basic_id"):
        return f"{info_['display_name']} ({info_['basic_id']})"
    for key in ("display_name", "basic_id", "bot_name", "address"):
        if info_.get(key):
            return str(info_[key])
    return ""


def state(link: ChannelLink | None) -> str:
    """未設定 / 設定済み・連携オフ / 連携中, as label keys."""
    if link is None:
        return "state_unset"
    return "state_linked" if link.linked else "state_configured"


@dataclass(frozen=True)
class Saved:
    link: ChannelLink
    created: bool


def save(ctx: Context, account_id: int, kind: str, *, actor: str, info_: dict, secrets_: dict | None,
         token: str | None, linked: bool, mode: str = "", warning: str = "") -> Saved:
    """Create or replace a link's settings (the flow's [OK]). `warning`: what the admin was
    warned of and saved anyway (e.g. a Bot Secret no signed callback has confirmed), for the audit log."""
    now = time.time()
    with ctx.db.session() as s:
        link = s.exec(select(ChannelLink).where(ChannelLink.counter_account_id == account_id,
                                                ChannelLink.kind == kind)).first()
        created = link is None
        if link is None:
            link = ChannelLink(counter_account_id=account_id, kind=kind, configured_at=now, updated_at=now)
        elif link.webhook_token and link.webhook_token != token:
            s.add(RetiredWebhook(token=link.webhook_token, kind=kind, retired_at=now))
        if not created:
            # Settings of the link itself (not of the setup flow) outlive a new [設定].
            kept = {k: v for k, v in info(link).items() if k in KEPT_ON_SETUP and k not in info_}
            info_ = {**info_, **kept}
        link.info_json = json.dumps(info_, ensure_ascii=False)
        link.secrets_enc = ctx.vault.encrypt(json.dumps(secrets_)) if secrets_ else None
        link.webhook_token = token
        link.linked = linked
        link.mode = mode
        link.updated_at = now
        s.add(link)
        s.flush()
        s.refresh(link)
        account_name = s.get(CounterAccount, account_id).name
    _changed(ctx)
    audit.record(ctx, actor, f"link.{kind}.save", account_name, kind=kind, linked=linked, name=_shown_name(info_),
                 warning=warning)
    return Saved(link, created)


def update_info(ctx: Context, link_id: int, **values) -> None:
    """Note facts about a link that are no admin's change (not audited): e.g. that a signed callback arrived."""
    with ctx.db.session() as s:
        link = s.get(ChannelLink, link_id)
        if link is None:
            return
        link.info_json = json.dumps({**info(link), **values}, ensure_ascii=False)
        s.add(link)
    _changed(ctx)


def change_info(ctx: Context, link_id: int, changes: dict, actor: str, action: str) -> ChannelLink:
    """An admin's change to some of a link's non-secret settings (a None value removes the key), audited."""
    with ctx.db.session() as s:
        link = s.get(ChannelLink, link_id)
        values = info(link)
        for key, value in changes.items():
            if value is None:
                values.pop(key, None)
            else:
                values[key] = value
        link.info_json = json.dumps(values, ensure_ascii=False)
        link.updated_at = time.time()
        s.add(link)
        s.flush()
        s.refresh(link)
        account_name = s.get(CounterAccount, link.counter_account_id).name
    _changed(ctx)
    audit.record(ctx, actor, f"link.{link.kind}.{action}", account_name, kind=link.kind, name=_shown_name(values))
    return link


def set_linked(ctx: Context, link_id: int, linked: bool, actor: str, warning: str = "") -> ChannelLink:
    with ctx.db.session() as s:
        link = s.get(ChannelLink, link_id)
        link.linked = linked
        link.updated_at = time.time()
        s.add(link)
        account_name = s.get(CounterAccount, link.counter_account_id).name
        shown = _shown_name(info(link))
    _changed(ctx)
    audit.record(ctx, actor, f"link.{link.kind}.{'link' if linked else 'unlink'}", account_name, kind=link.kind,
                 name=shown, warning=warning)
    return link


def delete(ctx: Context, link_id: int, actor: str) -> ChannelLink | None:
    """Wipe the credentials, turn the link off and retire its webhook URL. Returns the removed row."""
    now = time.time()
    with ctx.db.session() as s:
        link = s.get(ChannelLink, link_id)
        if link is None:
            return None
        if link.webhook_token:
            s.add(RetiredWebhook(token=link.webhook_token, kind=link.kind, retired_at=now))
        account_name = s.get(CounterAccount, link.counter_account_id).name
        s.delete(link)
    _changed(ctx)
    audit.record(ctx, actor, f"link.{link.kind}.delete", account_name, kind=link.kind, name=_shown_name(info(link)))
    return link


def console_app(ctx: Context, link: ChannelLink) -> WorksApp:
    """The ClientApp (scope bot) of a bot linked from Developers Console, from the link's credentials."""
    info_, secret = info(link), secrets_of(ctx, link)
    return WorksApp(info_["client_id"], secret["client_secret"], info_["service_account"], secret["private_key"],
                    "bot")


def console_apps(ctx: Context) -> list[WorksApp]:
    """The ClientApps of bots linked from Developers Console (their tokens are kept fresh too)."""
    with ctx.db.session() as s:
        rows = list(s.exec(select(ChannelLink).where(ChannelLink.kind == channels.WORKS_BOT.kind,
                                                     ChannelLink.mode == "console")))
    return [console_app(ctx, link) for link in rows]

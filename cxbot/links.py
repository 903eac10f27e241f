"""Channel links of a counter account: LINE公式アカウント, メール, LINE WORKS内Bot.

A link row holds credentials (encrypted) and state only. Deleting one retires its
webhook token, so the URL answers 410 Gone from then on.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass

from sqlmodel import select

from cxbot import audit
from cxbot.context import Context
from cxbot.models import ChannelLink, CounterAccount, RetiredWebhook

KINDS = ("line", "mail", "works_bot")
# Info keys the admin sets on a link (not its setup flow): kept when the channel is set up again.
KEPT_ON_SETUP = ("out_of_service",)
WEBHOOK_PATHS = {"line": "line", "works_bot": "works", "mail": "mail"}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def webhook_url(ctx: Context, kind: str, token: str) -> str:
    return f"{ctx.settings.public_url.rstrip('/')}/webhooks/{WEBHOOK_PATHS[kind]}/{token}"


def get(ctx: Context, account_id: int, kind: str) -> ChannelLink | None:
    with ctx.db.read() as s:
        return s.exec(select(ChannelLink).where(ChannelLink.counter_account_id == account_id,
                                                ChannelLink.kind == kind)).first()


# Webhooks look their link up on every request; a short cache keeps that off the database.
# Changes made in this process clear it at once; other processes see them within the TTL.
# The worker asks for a `fresh` link before it relays anything: one read at most
# _FRESH_FOR ago, so a 連携解除 made in another process stops the relay within that.
_CACHE_TTL = 3.0
_FRESH_FOR = 0.25
_by_token_cache: dict[str, tuple[float, ChannelLink | None]] = {}


def by_token(ctx: Context, token: str, fresh: bool = False) -> ChannelLink | None:
    hit = _by_token_cache.get(token)
    now = time.monotonic()
    if hit is not None and now - hit[0] < (_FRESH_FOR if fresh else _CACHE_TTL):
        return hit[1]
    with ctx.db.read() as s:
        link = s.exec(select(ChannelLink).where(ChannelLink.webhook_token == token)).first()
    if len(_by_token_cache) > 10_000:
        _by_token_cache.clear()
    _by_token_cache[token] = (now, link)
    return link


def _forget_cached() -> None:
    _by_token_cache.clear()
    _secrets_cache.clear()


def is_retired(ctx: Context, token: str) -> bool:
    with ctx.db.read() as s:
        return s.get(RetiredWebhook, token) is not None


def info(link: ChannelLink) -> dict:
    return json.loads(link.info_json or "{}")


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
         token: str | None, linked: bool, mode: str = "") -> Saved:
    """Create or replace a link's settings (the flow's [OK])."""
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
        account = s.get(CounterAccount, account_id)
        target = f"{account.name} / {kind}"
    _forget_cached()
    audit.record(ctx, actor, f"link.{kind}.save", target,
                 ", ".join(f"{k}={v}" for k, v in info_.items() if v) + (" (linked)" if linked else ""))
    return Saved(link, created)


def update_info(ctx: Context, link_id: int, changes: dict, actor: str, action: str) -> ChannelLink:
    """Change some of a link's non-secret settings (a None value removes the key)."""
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
        account = s.get(CounterAccount, link.counter_account_id)
        target = f"{account.name} / {link.kind}"
    _forget_cached()
    audit.record(ctx, actor, f"link.{link.kind}.{action}", target)
    return link


def set_linked(ctx: Context, link_id: int, linked: bool, actor: str) -> ChannelLink:
    with ctx.db.session() as s:
        link = s.get(ChannelLink, link_id)
        link.linked = linked
        link.updated_at = time.time()
        s.add(link)
        account = s.get(CounterAccount, link.counter_account_id)
        target = f"{account.name} / {link.kind}"
    _forget_cached()
    audit.record(ctx, actor, f"link.{link.kind}.{'link' if linked else 'unlink'}", target)
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
        account = s.get(CounterAccount, link.counter_account_id)
        target = f"{account.name} / {link.kind}"
        s.delete(link)
    _forget_cached()
    audit.record(ctx, actor, f"link.{link.kind}.delete", target)
    return link


def console_apps(ctx: Context) -> list:
    """The ClientApps of bots linked from Developers Console (their tokens are kept fresh too)."""
    from cxbot.works.auth import WorksApp

    with ctx.db.session() as s:
        rows = list(s.exec(select(ChannelLink).where(ChannelLink.kind == "works_bot", ChannelLink.mode == "console")))
    apps = []
    for link in rows:
        info_, secret = info(link), secrets_of(ctx, link)
        apps.append(WorksApp(info_["client_id"], secret["client_secret"], info_["service_account"],
                             secret["private_key"], "bot"))
    return apps

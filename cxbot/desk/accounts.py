"""Counter accounts (窓口アカウント): create, rename, agents; the default address."""

from __future__ import annotations

import json
import re
import secrets
import time
import unicodedata

from sqlmodel import select

from cxbot.context import Context
from cxbot.desk import audit
from cxbot.storage.models import CounterAccount

NAME_MAX = 50


def all_accounts(ctx: Context) -> list[CounterAccount]:
    with ctx.db.read() as s:
        return list(s.exec(select(CounterAccount).order_by(CounterAccount.id)))


def get(ctx: Context, account_id: int | str) -> CounterAccount | None:
    try:
        key = int(account_id)
    except (TypeError, ValueError):
        return None
    with ctx.db.read() as s:
        return s.get(CounterAccount, key)


def agents(account: CounterAccount) -> list[str]:
    return json.loads(account.agents_json or "[]")


def _slug_base(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKC", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40]
    # Japanese names leave nothing ASCII: give the desk a short random local part instead.
    return slug or "desk-" + "".join(secrets.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(6))


def create(ctx: Context, name: str, actor: str, slug: str | None = None) -> CounterAccount:
    base = slug or _slug_base(name)
    with ctx.db.session() as s:
        taken = set(s.exec(select(CounterAccount.slug)))
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        account = CounterAccount(name=name, slug=slug, default_address=f"{slug}@{ctx.settings.mail_domain}",
                                 created_at=time.time(), created_by=actor)
        s.add(account)
        s.flush()
        s.refresh(account)
    audit.record(ctx, actor, "account.create", name, address=account.default_address)
    return account


def rename(ctx: Context, account_id: int, name: str, actor: str) -> None:
    with ctx.db.session() as s:
        account = s.get(CounterAccount, account_id)
        old = account.name
        account.name = name
        s.add(account)
    audit.record(ctx, actor, "account.rename", name, old=old)


def set_agents(ctx: Context, account_id: int, user_ids: list[str], names: list[str], actor: str) -> None:
    with ctx.db.session() as s:
        account = s.get(CounterAccount, account_id)
        account.agents_json = json.dumps(user_ids)
        s.add(account)
        target = account.name
    audit.record(ctx, actor, "account.agents", target, names=list(names))


def name_taken(ctx: Context, name: str, except_id: int | None = None) -> bool:
    with ctx.db.read() as s:
        row = s.exec(select(CounterAccount).where(CounterAccount.name == name)).first()
        return row is not None and row.id != except_id

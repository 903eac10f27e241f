"""Who may configure cxbot: CXBOT_ADMINS, plus the admins they add in chat."""

from __future__ import annotations

import time

from sqlmodel import select

from cxbot.context import Context
from cxbot.desk import audit
from cxbot.storage.models import Admin
from cxbot.works.client import WorksApiError

_EMAIL_CACHE_SECONDS = 600
_email_cache: dict[str, tuple[str, float]] = {}


def user_email(ctx: Context, user_id: str) -> str | None:
    hit = _email_cache.get(user_id)
    if hit and hit[1] > time.time():
        return hit[0]
    try:
        email = str(ctx.works.get_user(user_id).get("email") or "")
    except WorksApiError as exc:
        if exc.status == 404:
            return None
        raise
    _email_cache[user_id] = (email, time.time() + _EMAIL_CACHE_SECONDS)
    return email


def is_admin(ctx: Context, user_id: str | None) -> bool:
    if not user_id:
        return False
    configured = ctx.settings.admins
    if user_id in configured:
        return True
    with ctx.db.read() as s:
        if s.get(Admin, user_id) is not None:
            return True
    emails = {a.lower() for a in configured if "@" in a}
    if not emails:
        return False
    email = user_email(ctx, user_id)
    return bool(email) and email.lower() in emails


def added(ctx: Context) -> list[Admin]:
    with ctx.db.read() as s:
        return list(s.exec(select(Admin).order_by(Admin.added_at)))


def add(ctx: Context, user_id: str, by: str, display: str) -> bool:
    with ctx.db.session() as s:
        if s.get(Admin, user_id) is not None:
            return False
        s.add(Admin(user_id=user_id, added_by=by, added_at=time.time()))
    audit.record(ctx, by, "admin.add", name=display)
    return True


def remove(ctx: Context, user_id: str, by: str, display: str) -> bool:
    with ctx.db.session() as s:
        row = s.get(Admin, user_id)
        if row is None:
            return False
        s.delete(row)
    audit.record(ctx, by, "admin.remove", name=display)
    return True


def lookup_user(ctx: Context, ref: str) -> dict | None:
    """A LINE WORKS user by user ID or login email, or None when there is no such user."""
    try:
        return ctx.works.get_user(ref.strip())
    except WorksApiError as exc:
        if exc.status in (400, 404):
            return None
        raise


def person_name(user: dict) -> str:
    """The name a person goes by (last and first name), or their login email."""
    name = user.get("userName") or {}
    full = f"{name.get('lastName', '')} {name.get('firstName', '')}".strip()
    return full or str(user.get("email") or user["userId"])


def display_name(user: dict) -> str:
    name = user.get("userName") or {}
    full = f"{name.get('lastName', '')} {name.get('firstName', '')}".strip()
    return f"{full} ({user.get('email') or user.get('userId')})" if full else str(user.get("email") or user["userId"])

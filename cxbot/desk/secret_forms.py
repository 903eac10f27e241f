"""One-time forms for secrets, the store: /forms/<token>, single use, 10 minutes.

A form answers one secret step of one admin's flow. `used_at` tells where it is:
None while open; a negative time while a value sent from it waits for the worker
(the form is not usable meanwhile); the (positive) time the flow took the value.
A value the flow did not take (the admin had moved on) opens the form again, so a
refused answer does not use up the single use. The pages are in cxbot/forms.py.
"""

from __future__ import annotations

import secrets
import time

from sqlalchemy import update

from cxbot.context import Context
from cxbot.storage.models import SecretForm

LIFETIME = 600


def issue(ctx: Context, user_id: str, flow: str, step: str) -> str:
    """A new form for this admin's current step; returns its URL."""
    now = time.time()
    token = secrets.token_urlsafe(32)
    with ctx.db.session() as s:
        s.add(SecretForm(token=token, user_id=user_id, flow=flow, step=step, csrf=secrets.token_urlsafe(24),
                         created_at=now, expires_at=now + LIFETIME))
    return f"{ctx.settings.public_url.rstrip('/')}/forms/{token}"


def get(ctx: Context, token: str) -> SecretForm | None:
    with ctx.db.read() as s:
        return s.get(SecretForm, token)


def is_open(form: SecretForm | None) -> bool:
    return form is not None and form.used_at is None and form.expires_at > time.time()


def is_waiting(form: SecretForm) -> bool:
    return form.used_at is not None and form.used_at < 0


def was_taken(form: SecretForm) -> bool:
    return form.used_at is not None and form.used_at > 0


def reserve(ctx: Context, token: str) -> float | None:
    """Hold the form for a value sent from it; None if it is not open any more (single use,
    even under a race). Returns the mark that names this sending."""
    mark = -time.time()
    with ctx.db.session() as s:
        result = s.execute(update(SecretForm).where(SecretForm.token == token, SecretForm.used_at.is_(None),
                                                    SecretForm.expires_at > time.time())
                           .values(used_at=mark))
        return mark if result.rowcount == 1 else None


def settle(ctx: Context, token: str, taken: bool) -> None:
    """The worker's word on the value sent: taken (the form is used up), or not (open again)."""
    with ctx.db.session() as s:
        s.execute(update(SecretForm).where(SecretForm.token == token, SecretForm.used_at < 0)
                  .values(used_at=time.time() if taken else None))

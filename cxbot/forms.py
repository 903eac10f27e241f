"""One-time forms for secrets: /forms/<token>, single use, 10 minutes, CSRF-protected.

Typing a channel secret in the chat leaves it in the talk history; the form keeps it
out. The submitted value goes through the same pipeline as a typed answer: it is
stored (encrypted) as an event and the worker hands it to the admin's flow.
"""

from __future__ import annotations

import hmac
import json
import secrets
import time

from flask import Blueprint, make_response, render_template, request
from sqlalchemy import update

from cxbot import inbox
from cxbot.context import Context
from cxbot.models import SecretForm

LIFETIME = 600
COOKIE = "cxbot_form"


def issue(ctx: Context, user_id: str, flow: str, step: str) -> str:
    """A new form for this admin's current step; returns its URL."""
    now = time.time()
    token = secrets.token_urlsafe(32)
    with ctx.db.session() as s:
        s.add(SecretForm(token=token, user_id=user_id, flow=flow, step=step, csrf=secrets.token_urlsafe(24),
                         created_at=now, expires_at=now + LIFETIME))
    return f"{ctx.settings.public_url.rstrip('/')}/forms/{token}"


def _usable(ctx: Context, token: str) -> SecretForm | None:
    with ctx.db.read() as s:
        form = s.get(SecretForm, token)
    if form is None or form.used_at is not None or form.expires_at <= time.time():
        return None
    return form


def _claim(ctx: Context, token: str) -> bool:
    """Mark the form used; False if someone else used it first (single use, even under a race)."""
    with ctx.db.session() as s:
        result = s.execute(update(SecretForm).where(SecretForm.token == token, SecretForm.used_at.is_(None),
                                                    SecretForm.expires_at > time.time())
                           .values(used_at=time.time()))
        return result.rowcount == 1


def handle_submission(ctx: Context, body: str, _link_token: str | None = None) -> None:
    """Worker side: decrypt the value and give it to the admin's flow as a typed answer."""
    from cxbot.hub import deliver
    from flows import Engine

    msg = json.loads(body)
    value = ctx.vault.decrypt(msg["value_enc"])
    replies = Engine(ctx).handle_form(msg["user_id"], msg["flow"], msg["step"], value)
    deliver(ctx, msg["user_id"], replies)


def blueprint(ctx: Context) -> Blueprint:
    bp = Blueprint("forms", __name__)

    def page(name: str, status: int = 200, **context):
        context.setdefault("locale", ctx.settings.locale)
        return render_template(f"forms/{name}.html", **context), status

    @bp.get("/forms/<token>")
    def show(token: str):
        form = _usable(ctx, token)
        if form is None:
            return page("gone", 410)
        resp = make_response(page("secret", csrf=form.csrf, form=form))
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.set_cookie(COOKIE, form.csrf, max_age=LIFETIME, httponly=True, samesite="Strict",
                        secure=ctx.settings.public_url.startswith("https://"), path=f"/forms/{token}")
        return resp

    @bp.post("/forms/<token>")
    def submit(token: str):
        form = _usable(ctx, token)
        if form is None:
            return page("gone", 410)
        sent = request.form.get("csrf", "")
        cookie = request.cookies.get(COOKIE, "")
        if not (hmac.compare_digest(sent, form.csrf) and hmac.compare_digest(cookie, form.csrf)):
            return page("secret", 400, csrf=form.csrf, form=form, error="csrf")
        value = request.form.get("value", "").strip()
        if not value:
            return page("secret", 400, csrf=form.csrf, form=form, error="empty")
        if not _claim(ctx, token):
            return page("gone", 410)
        body = json.dumps({"user_id": form.user_id, "flow": form.flow, "step": form.step,
                           "value_enc": ctx.vault.encrypt(value)}).encode()
        inbox.store(ctx.db, "form", f"form:{token}", body, order_key=f"user:{form.user_id}")
        ctx.wakeup.set()
        return page("done")

    return bp

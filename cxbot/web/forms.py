"""One-time forms for secrets, the pages: /forms/<token>, CSRF-protected (the store,
single use and 10 minutes, is cxbot/secret_forms.py).

Typing a channel secret in the chat leaves it in the talk history; the form keeps it
out. The page names the value it asks for and tells the truth after a submit: the
step's own check runs here first, so a refused value gets the message the chat would
give and the form stays open; a value that passes is stored (encrypted) as an event,
and the worker hands it to the admin's flow in order with the chat. The page waits a
moment for the worker's word, then says the value was taken, or that the question is
over, or (no worker yet) that it is still being checked.
"""

from __future__ import annotations

import hmac
import json
import time

from flask import Blueprint, make_response, render_template, request

from cxbot.context import Context
from cxbot.desk import secret_forms
from cxbot.storage.models import SecretForm
from flows import REGISTRY, Engine

COOKIE = "cxbot_form"
WAIT = 8.0  # seconds a submit waits for the worker before the page says it is still being checked
POLL = 0.05


def blueprint(ctx: Context) -> Blueprint:
    bp = Blueprint("forms", __name__)
    engine = Engine(ctx)

    def field_name(form: SecretForm) -> str:
        flow = REGISTRY.get(form.flow)
        try:
            key = flow.step(form.step).secret if flow else ""
        except KeyError:
            key = ""
        return ctx.texts.label(key) if key else ""

    def page(name: str, status: int = 200, form: SecretForm | None = None, **context):
        context.setdefault("locale", ctx.settings.locale)
        if form is not None:
            context.setdefault("field", field_name(form))
        return render_template(f"forms/{name}.html", **context), status

    def gone(form: SecretForm | None):
        if form is None:
            reason = "unknown"
        elif form.used_at is not None:
            reason = "used"
        elif form.expires_at <= time.time():
            reason = "expired"
        else:
            reason = "over"  # the admin moved on in the talk: this question is not asked any more
        return page("gone", 410, form=form, reason=reason)

    def from_this_browser(form: SecretForm) -> bool:
        return hmac.compare_digest(request.cookies.get(COOKIE, ""), form.csrf)

    def asking(form: SecretForm, status: int = 200, opened: bool = False, **context):
        resp = make_response(page("secret", status, form=form, csrf=form.csrf, **context))
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Referrer-Policy"] = "no-referrer"
        if opened:
            resp.set_cookie(COOKIE, form.csrf, max_age=secret_forms.LIFETIME, httponly=True, samesite="Strict",
                            secure=ctx.settings.public_url.startswith("https://"), path=f"/forms/{form.token}")
        return resp

    def outcome(token: str):
        """Wait for the worker's word on the value just sent."""
        deadline = time.monotonic() + WAIT
        while True:
            form = secret_forms.get(ctx, token)
            if form is None:
                return gone(None)
            if secret_forms.was_taken(form):
                return page("done", form=form)
            if not secret_forms.is_waiting(form):  # not taken: the flow is not at this question
                return gone(form)
            if time.monotonic() > deadline:
                return page("checking", 202, form=form)
            time.sleep(POLL)

    @bp.get("/forms/<token>")
    def show(token: str):
        form = secret_forms.get(ctx, token)
        if form is not None and from_this_browser(form):
            if secret_forms.is_waiting(form):
                return page("checking", 202, form=form)
            if secret_forms.was_taken(form):
                return page("done", form=form)
        if not secret_forms.is_open(form) or engine.form_question(form.user_id, form.flow, form.step) is None:
            return gone(form)
        return asking(form, opened=True)

    @bp.post("/forms/<token>")
    def submit(token: str):
        form = secret_forms.get(ctx, token)
        if not secret_forms.is_open(form):
            return gone(form)
        if not (hmac.compare_digest(request.form.get("csrf", ""), form.csrf) and from_this_browser(form)):
            return asking(form, 400, error="csrf")
        value = request.form.get("value", "").strip()
        if not value:
            return asking(form, 400, error="empty")
        if engine.form_question(form.user_id, form.flow, form.step) is None:
            return gone(form)
        problem = engine.form_problem(form.user_id, form.flow, form.step, value)
        if problem:
            return asking(form, 422, problem=problem)
        mark = secret_forms.reserve(ctx, token)
        if mark is None:
            return gone(secret_forms.get(ctx, token))
        body = json.dumps({"token": token, "user_id": form.user_id, "flow": form.flow, "step": form.step,
                           "value_enc": ctx.vault.encrypt(value)}).encode()
        ctx.inbox.store("form", f"form:{token}:{mark}", body, order_key=f"user:{form.user_id}")
        return outcome(token)

    return bp

"""The Flask side: webhook ingest (verify, store, 200), health, and a landing page at /.

Handlers here only check and store; everything that talks to a platform happens
in the worker, so LINE WORKS and LINE get their 200 in milliseconds.
"""

from __future__ import annotations

import importlib.metadata
import json
import time
from urllib.parse import urlsplit

from flask import Flask, jsonify, render_template, request
from sqlmodel import select
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from cxbot import TEMPLATES_DIR, __version__, inbox
from cxbot.base import signatures
from cxbot.context import Context
from cxbot.storage.models import WorkerHeartbeat
from cxbot.web import forms, webhooks

MAX_BODY = 1024 * 1024
# A worker that has not written its heartbeat for this long is reported as down.
WORKER_STALE_AFTER = 30


def _refuse(status: int, reason: str):
    return jsonify({"error": reason}), status


def _read_json_object(raw: bytes):
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, "body is not valid JSON"
    if not isinstance(body, dict):
        return None, "body must be a JSON object"
    return body, None


def version() -> str:
    try:
        return importlib.metadata.version("cxbot")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return __version__


def health(ctx: Context) -> dict:
    """The database and the worker as /healthz reports them (and the landing page words them)."""
    db_ok = ctx.db.ping()
    worker = {"alive": False, "last_seen_seconds_ago": None}
    if db_ok:
        with ctx.db.read() as session:
            seen = session.exec(select(WorkerHeartbeat.seen_at).order_by(WorkerHeartbeat.seen_at.desc())).first()
        if seen is not None:
            age = max(0.0, time.time() - seen)
            worker = {"alive": age < WORKER_STALE_AFTER, "last_seen_seconds_ago": round(age, 1)}
    status = "ok" if db_ok and worker["alive"] else ("degraded" if db_ok else "down")
    return {"status": status, "database": "ok" if db_ok else "unreachable", "worker": worker}


def _sandbox_url(ctx: Context) -> str:
    """In the demo, the sandbox's chat page: the host the LINE WORKS API is emulated on."""
    parts = urlsplit(ctx.settings.works_api_url)
    return f"{parts.scheme}://{parts.netloc}/"


def create_app(ctx: Context) -> Flask:
    app = Flask("cxbot", template_folder=str(TEMPLATES_DIR))
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    app.extensions["cxbot"] = ctx

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if isinstance(exc, RequestEntityTooLarge):
            return _refuse(413, f"body larger than {MAX_BODY} bytes")
        return _refuse(exc.code or 500, exc.description or exc.name)

    @app.post("/callback")
    def hub_callback():
        s = ctx.settings
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _refuse(413, f"body larger than {MAX_BODY} bytes")
        raw = request.get_data(cache=False)
        bot_id = request.headers.get("X-WORKS-BotId", "")
        if not s.works_bot_secret or bot_id != str(s.works_bot_id):
            return webhooks.refused("hub", "", 401, "unknown bot", f"X-WORKS-BotId {bot_id[:40]!r}")
        if not signatures.verify(s.works_bot_secret.get_secret_value(), raw, request.headers.get("X-WORKS-Signature")):
            return webhooks.refused("hub", "", 401, "signature does not match")
        body, problem = _read_json_object(raw)
        if problem or not body.get("type"):
            return _refuse(400, problem or "event has no type")
        source = body.get("source") or {}
        order = f"room:{source['channelId']}" if source.get("channelId") else f"user:{source.get('userId')}"
        if inbox.store(ctx.db, "hub", inbox.works_key("hub", raw), raw, order_key=order):
            ctx.wakeup.set()
        return "", 200

    app.register_blueprint(webhooks.blueprint(ctx))
    app.register_blueprint(forms.blueprint(ctx))

    @app.get("/healthz")
    def healthz():
        body = health(ctx)
        # Load balancers route on the web side: only an unreachable database makes it unhealthy.
        return jsonify(body), 200 if body["database"] == "ok" else 503

    @app.get("/")
    def home():
        """What a person who opens cxbot's address sees: what it is, its version, the /healthz facts in words."""
        body = health(ctx)
        page = render_template("web/home.html", locale=ctx.settings.locale, version=version(), health=body,
                               sandbox_url=_sandbox_url(ctx) if ctx.settings.demo else "")
        return page, 200 if body["database"] == "ok" else 503, {"Content-Type": "text/html; charset=utf-8"}

    return app

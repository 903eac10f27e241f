"""GET /healthz (the database and the worker, for load balancers and monitors) and GET /,
the landing page that says in words what cxbot is, its version and the same health."""

from __future__ import annotations

import importlib.metadata
import time
from urllib.parse import urlsplit

from flask import Blueprint, jsonify, render_template
from sqlmodel import select

from cxbot import __version__
from cxbot.context import Context
from cxbot.storage.models import WorkerHeartbeat

# A worker that has not written its heartbeat for this long is reported as down.
WORKER_STALE_AFTER = 30


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


def blueprint(ctx: Context) -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz():
        body = health(ctx)
        # Load balancers route on the web side: only an unreachable database makes it unhealthy.
        return jsonify(body), 200 if body["database"] == "ok" else 503

    @bp.get("/")
    def home():
        """What a person who opens cxbot's address sees: what it is, its version, the /healthz facts in words."""
        body = health(ctx)
        page = render_template("web/home.html", locale=ctx.settings.locale, version=version(), health=body,
                               sandbox_url=_sandbox_url(ctx) if ctx.settings.demo else "")
        return page, 200 if body["database"] == "ok" else 503, {"Content-Type": "text/html; charset=utf-8"}

    return bp

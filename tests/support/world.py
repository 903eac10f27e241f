"""The wired world: cxbot (web, worker, scheduler) served against the sandbox, as in `cxbot
demo`, on a database of its own."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cxbot.base.serving import ServerThread, free_port
from cxbot.base.waiting import wait_for
from cxbot.context import Context, build
from cxbot.demo import Tenant, demo_settings, seed_sandbox
from cxbot.runtime.start import Runtime, start_background
from cxbot.storage.crypto import generate_key
from cxbot.storage.db import Database, is_postgres


def reset_postgres(url: str) -> None:
    db = Database(url)
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    db.dispose()


def own_database(folder: Path, tag: str = "") -> str:
    """A database for one test or one module's shared world, emptied: a SQLite file in
    `folder`, or on the PostgreSQL server of CXBOT_TEST_DATABASE_URL a database of its own
    (`<name>_<xdist worker>[_<tag>]`, created once), so tests running in parallel, and a
    module's shared world beside the tests of other modules, never share a schema."""
    url = os.environ.get("CXBOT_TEST_DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{folder / 'cxbot.db'}"
    base = make_url(url)
    suffix = "_".join(p for p in (os.environ.get("PYTEST_XDIST_WORKER", ""), tag) if p)
    own = base.set(database=f"{base.database}_{suffix}") if suffix else base
    if own.database != base.database:
        admin = Database(url)
        with admin.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": own.database}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{own.database}"'))
        admin.dispose()
    rendered = own.render_as_string(hide_password=False)
    reset_postgres(rendered)
    return rendered


@dataclass
class Wired:
    """cxbot (web + worker + scheduler) served against the sandbox, as in `cxbot demo`."""

    runtime: Runtime
    tenant: Tenant
    sandbox: ServerThread
    http: httpx.Client

    @property
    def ctx(self) -> Context:
        return self.runtime.ctx

    @property
    def url(self) -> str:
        return self.runtime.web.url

    def say(self, user_id: str, text: str, bot_id: str | None = None) -> dict:
        resp = self.http.post("/_sandbox/act/message", json={
            "userId": user_id, "botId": int(bot_id or self.tenant.bot_id),
            "content": {"type": "text", "text": text}})
        resp.raise_for_status()
        return resp.json()

    def press(self, user_id: str, message_id: str, label: str) -> dict:
        resp = self.http.post("/_sandbox/act/press", json={"userId": user_id, "messageId": message_id, "label": label})
        resp.raise_for_status()
        return resp.json()

    def dm_room(self, user_id: str, bot_id: str | None = None) -> str:
        resp = self.http.get("/_sandbox/rooms/dm", params={"botId": bot_id or self.tenant.bot_id, "userId": user_id})
        resp.raise_for_status()
        return resp.json()["roomId"]

    def messages(self, room_id: str) -> list[dict]:
        resp = self.http.get(f"/_sandbox/rooms/{room_id}/messages")
        resp.raise_for_status()
        return resp.json()

    def bot_messages(self, room_id: str) -> list[dict]:
        return [m for m in self.messages(room_id) if "botId" in m["sender"]]

    def wait_bot_messages(self, room_id: str, count: int, timeout: float = 10) -> list[dict]:
        return wait_for(lambda: (msgs := self.bot_messages(room_id)) and len(msgs) >= count and msgs,
                        timeout=timeout, what=f"{count} bot message(s) in room {room_id}")


# The wired worlds play LINE WORKS' real limits at this time scale (the sandbox counts per
# 60/k s, and cxbot's budget too): a test module makes more than 10 rooms a minute, which the
# real platform would spread over minutes. A test about the limits sets its own.
TIME_SCALE = 10


def serve_cxbot(tmp_path: Path, database_url: str, sandbox: ServerThread, **overrides) -> tuple[Runtime, Tenant]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    tenant = seed_sandbox(sandbox.url, f"{url}/callback")
    if "works_rate_window" not in overrides:
        overrides["works_rate_window"] = 60.0 / TIME_SCALE
        httpx.post(f"{sandbox.url}/_sandbox/settings", json={"timeScale": TIME_SCALE}).raise_for_status()
    overrides.setdefault("secret_key", generate_key())
    overrides.setdefault("smtp_listen", "127.0.0.1:0")
    settings = demo_settings(tenant, sandbox.url, url, tmp_path / "instance", database_url, **overrides)
    runtime = start_background(settings, threading.Event(), web=True, port=port, ctx=build(settings))
    return runtime, tenant


def postgres_in_use(ctx: Context) -> bool:
    return is_postgres(ctx.db.engine)

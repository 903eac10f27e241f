"""Shared fixtures: a real database, the sandbox over real HTTP, cxbot wired to it.

The database is SQLite in a temporary folder, or the PostgreSQL server named by
CXBOT_TEST_DATABASE_URL (CI runs the `database` tests a second time that way).
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from cxbot.base.serving import ServerThread, serve_in_thread
from cxbot.context import Context, build
from cxbot.demo import ADMIN, USERS, Tenant, demo_settings, seed_sandbox
from cxbot.runtime.start import Runtime, start_background
from cxbot.sandbox import create_app as create_sandbox
from cxbot.storage.crypto import generate_key
from cxbot.storage.db import Database, is_postgres


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Poll until predicate() is truthy; return its value. Real processes take real time."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def _reset_postgres(url: str) -> None:
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
    _reset_postgres(rendered)
    return rendered


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return own_database(tmp_path)


@pytest.fixture
def sandbox() -> ServerThread:
    srv = serve_in_thread(create_sandbox(), name="sandbox")
    yield srv
    srv.stop()


@pytest.fixture
def sandbox_http(sandbox: ServerThread) -> httpx.Client:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http


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


def _serve_cxbot(tmp_path: Path, database_url: str, sandbox: ServerThread, **overrides) -> tuple[Runtime, Tenant]:
    from werkzeug.serving import make_server

    probe = make_server("127.0.0.1", 0, lambda e, s: [])
    port = probe.server_port
    probe.server_close()
    url = f"http://127.0.0.1:{port}"
    tenant = seed_sandbox(sandbox.url, f"{url}/callback")
    overrides.setdefault("secret_key", generate_key())
    overrides.setdefault("smtp_listen", "127.0.0.1:0")
    settings = demo_settings(tenant, sandbox.url, url, tmp_path / "instance", database_url, **overrides)
    runtime = start_background(settings, threading.Event(), web=True, port=port, ctx=build(settings))
    return runtime, tenant


@pytest.fixture
def make_wired(tmp_path: Path, database_url: str, sandbox: ServerThread, sandbox_http: httpx.Client):
    """Start cxbot; call again to start another process on the same database (a restart)."""
    started: list[Runtime] = []
    key = generate_key()

    def make(**overrides) -> Wired:
        overrides.setdefault("secret_key", key)
        runtime, tenant = _serve_cxbot(tmp_path, database_url, sandbox, **overrides)
        started.append(runtime)
        return Wired(runtime, tenant, sandbox, sandbox_http)

    yield make
    for runtime in started:
        runtime.stop()


@pytest.fixture
def wired(make_wired) -> Wired:
    return make_wired()


@pytest.fixture
def admin():
    return ADMIN


@pytest.fixture
def employee():
    return next(u for u in USERS if u.role == "employee")


@pytest.fixture
def make_ctx(tmp_path: Path, database_url: str, sandbox: ServerThread):
    """A Context (no web, no worker) against the sandbox with a seeded tenant."""
    built: list[Context] = []
    key = generate_key()

    def make(tenant: Tenant | None = None, **overrides) -> tuple[Context, Tenant]:
        tenant = tenant or seed_sandbox(sandbox.url, "http://127.0.0.1:9/callback", **_lifetime(overrides))
        overrides.setdefault("secret_key", key)
        settings = demo_settings(tenant, sandbox.url, "http://127.0.0.1:9", tmp_path / "instance",
                                 database_url, **overrides)
        ctx = build(settings)
        built.append(ctx)
        return ctx, tenant

    yield make
    for ctx in built:
        ctx.close()


def _lifetime(overrides: dict) -> dict:
    lifetime = overrides.pop("token_lifetime", None)
    return {"token_lifetime": lifetime} if lifetime else {}


def postgres_in_use(ctx: Context) -> bool:
    return is_postgres(ctx.db.engine)


class Chat:
    """An admin (or anyone) talking to the hub bot through the sandbox, as in the chat page."""

    def __init__(self, wired: Wired, user_id: str):
        self.w = wired
        self.user_id = user_id
        self.room: str | None = None
        self.seen = 0

    def _settle(self) -> list[dict]:
        from cxbot import inbox

        admin_sources = ("hub", "line_verify", "works_bot_verify", "form")
        wait_for(lambda: inbox.count(self.w.ctx.db, "pending", "processing", sources=admin_sources) == 0,
                 what="the worker to finish")
        msgs = self.w.bot_messages(self.room) if self.room else []
        new, self.seen = msgs[self.seen:], len(msgs)
        return new

    def send(self, text: str) -> list[dict]:
        sent = self.w.say(self.user_id, text)
        assert sent["callback"]["status"] == 200, sent
        self.room = sent["roomId"]
        return self._settle()

    def send_file(self, file_name: str, data: bytes, content_type: str, kind: str = "image") -> list[dict]:
        import base64

        resp = self.w.http.post("/_sandbox/act/file", json={
            "userId": self.user_id, "botId": int(self.w.tenant.bot_id), "fileName": file_name,
            "contentType": content_type, "dataBase64": base64.b64encode(data).decode(), "kind": kind})
        resp.raise_for_status()
        self.room = resp.json()["roomId"]
        return self._settle()

    def last(self) -> dict:
        return self.w.bot_messages(self.room)[-1]

    def find(self, label: str) -> dict:
        for msg in reversed(self.w.bot_messages(self.room)):
            if label in labels_of(msg):
                return msg
        raise AssertionError(f"no message with a {label!r} button")

    def press(self, label: str, message: dict | None = None) -> list[dict]:
        msg = message or self.find(label)
        resp = self.w.http.post("/_sandbox/act/press", json={
            "userId": self.user_id, "messageId": msg["messageId"], "label": label})
        assert resp.status_code == 200, resp.text
        return self._settle()


def labels_of(message: dict) -> list[str]:
    content = message["content"]
    found = [a["label"] for a in content.get("actions", []) if isinstance(a, dict)]
    for row in content.get("actions", []):
        if isinstance(row, list):
            found += [a["label"] for a in row]
    for element in content.get("elements", []):
        if element.get("action"):
            found.append(element["action"]["label"])
    return found


def text_of(messages: list[dict]) -> str:
    """Everything the admin can read in these messages."""
    parts = []
    for msg in messages:
        c = msg["content"]
        parts += [c.get("text", ""), c.get("contentText", "")]
        parts += [e.get("title", "") for e in c.get("elements", [])]
    return "\n".join(p for p in parts if p)


@pytest.fixture
def admin_chat(wired, admin) -> Chat:
    return Chat(wired, admin.user_id)

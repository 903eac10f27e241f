"""Shared fixtures: a real database, the sandbox over real HTTP, cxbot wired to it.

The database is SQLite in a temporary folder, or the PostgreSQL server named by
CXBOT_TEST_DATABASE_URL (CI runs the `database` tests a second time that way). What the
fixtures build lives in tests/support.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from flask import Flask, Response

from cxbot.base.serving import ServerThread, serve_in_thread
from cxbot.context import Context, build
from cxbot.demo import ADMIN, USERS, Tenant, demo_settings, seed_sandbox
from cxbot.desk.images import plain_png
from cxbot.runtime.start import Runtime
from cxbot.sandbox import create_app as create_sandbox
from cxbot.storage.crypto import generate_key
from tests.support.chat import Chat
from tests.support.world import Wired, own_database, serve_cxbot


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return own_database(tmp_path)


@pytest.fixture
def sandbox() -> ServerThread:
    srv = serve_in_thread(create_sandbox(), name="sandbox")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def photo_url() -> str:
    """A web server on loopback serving a bot's profile image, as LINE WORKS fetches a photoUrl."""
    app = Flask("photos")
    png = plain_png(64)

    @app.get("/bot.png")
    def bot_png():
        return Response(png, mimetype="image/png")

    srv = serve_in_thread(app, name="photos")
    yield f"{srv.url}/bot.png"
    srv.stop()


@pytest.fixture
def sandbox_http(sandbox: ServerThread) -> httpx.Client:
    with httpx.Client(base_url=sandbox.url, timeout=10) as http:
        yield http


@pytest.fixture
def make_wired(tmp_path: Path, database_url: str, sandbox: ServerThread, sandbox_http: httpx.Client):
    """Start cxbot; call again to start another process on the same database (a restart)."""
    started: list[Runtime] = []
    key = generate_key()

    def make(**overrides) -> Wired:
        overrides.setdefault("secret_key", key)
        runtime, tenant = serve_cxbot(tmp_path, database_url, sandbox, **overrides)
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


@pytest.fixture
def admin_chat(wired, admin) -> Chat:
    return Chat(wired, admin.user_id)

"""`cxbot demo`: cxbot and the LINE WORKS sandbox wired together, with a demo tenant.

A newcomer sees the product without any credentials: the sandbox plays LINE WORKS,
cxbot talks to it exactly as it would to the real platform (JWT grant, signed
callbacks, the API over HTTP). The tests use the same wiring.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cxbot.config import Settings
from cxbot.context import Context, build
from cxbot.runtime import Runtime, start_background
from cxbot.sandbox import create_app as create_sandbox
from cxbot.serving import ServerThread, serve_in_thread

DOMAIN_ID = 40029600
HUB_BOT_ID = "2000001"


@dataclass(frozen=True)
class DemoUser:
    user_id: str
    email: str
    last_name: str
    first_name: str
    role: str


USERS = (
    DemoUser("c0a80001-0000-4000-8000-000000000001", "admin@demo.cxbot.example", "管理", "花子", "admin"),
    DemoUser("c0a80001-0000-4000-8000-000000000002", "sato@demo.cxbot.example", "佐藤", "健", "agent"),
    DemoUser("c0a80001-0000-4000-8000-000000000003", "suzuki@demo.cxbot.example", "鈴木", "美咲", "agent"),
    DemoUser("c0a80001-0000-4000-8000-000000000004", "tanaka@demo.cxbot.example", "田中", "一郎", "employee"),
    DemoUser("c0a80001-0000-4000-8000-000000000005", "takahashi@demo.cxbot.example", "高橋", "さくら", "employee"),
)
ADMIN = USERS[0]


def new_rsa_key() -> tuple[str, str]:
    """(private PEM, public PEM): a ClientApp key made at run time, as Developers Console would issue."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@dataclass
class Tenant:
    """What an admin would have copied out of Developers Console for the hub bot."""

    client_id: str
    client_secret: str
    service_account: str
    private_key: str
    bot_id: str
    bot_secret: str


def seed_sandbox(sandbox_url: str, callback_url: str, token_lifetime: int = 3600) -> Tenant:
    """Create the demo tenant in the sandbox: users, the hub ClientApp and the hub bot."""
    private, public = new_rsa_key()
    tenant = Tenant(
        client_id="cxbotHubClient" + secrets.token_hex(4),
        client_secret=secrets.token_urlsafe(24),
        service_account="hub.serviceaccount@demo.cxbot.example",
        private_key=private,
        bot_id=HUB_BOT_ID,
        bot_secret=secrets.token_urlsafe(32),
    )
    with httpx.Client(base_url=sandbox_url, timeout=10) as http:
        for u in USERS:
            http.post("/_sandbox/users", json={
                "userId": u.user_id, "email": u.email, "lastName": u.last_name, "firstName": u.first_name,
                "domainId": DOMAIN_ID, "isAdministrator": u.role == "admin",
            }).raise_for_status()
        http.post("/_sandbox/apps", json={
            "clientId": tenant.client_id, "clientSecret": tenant.client_secret,
            "serviceAccount": tenant.service_account, "publicKey": public,
            "scopes": ["bot", "user.read"], "tokenLifetime": token_lifetime,
        }).raise_for_status()
        http.post("/_sandbox/bots", json={
            "botId": int(tenant.bot_id), "botName": "CXトーク チャネルハブ", "secret": tenant.bot_secret,
            "description": "CXトークの外部チャネル連携を設定する管理者用Bot",
            "callbackUrl": callback_url, "enableCallback": True,
            "callbackEvents": ["text", "sticker", "image", "file", "audio", "video"],
            "channelEvents": ["message", "join", "leave", "joined", "left", "postback", "begin", "end"],
            "enableGroupJoin": True,
            "domains": [{"domainId": DOMAIN_ID, "visible": True}],
        }).raise_for_status()
    return tenant


LINE_CUSTOMERS = ("山田 太郎", "Emma Wilson")


def seed_line(sandbox_url: str, customers: bool = True) -> dict:
    """A LINE Official Account (as LINE Developers console shows it), and two LINE customers."""
    with httpx.Client(base_url=sandbox_url, timeout=10) as http:
        name = "サンプル商店" if customers else "サンプル商店 新店舗"
        channel = http.post("/_sandbox/line/channels", json={"displayName": name})
        channel.raise_for_status()
        for person in LINE_CUSTOMERS if customers else ():
            http.post("/_sandbox/line/users", json={"displayName": person}).raise_for_status()
    return channel.json()


def demo_settings(tenant: Tenant, sandbox_url: str, cxbot_url: str, instance_path: Path,
                  database_url: str = "", **overrides) -> Settings:
    values = dict(
        instance_path=instance_path,
        database_url=database_url,
        public_url=cxbot_url,
        works_api_url=f"{sandbox_url}/v1.0",
        works_auth_url=f"{sandbox_url}/oauth2/v2.0/token",
        line_api_url=f"{sandbox_url}/line",
        line_data_url=f"{sandbox_url}/line-data",
        works_client_id=tenant.client_id,
        works_client_secret=tenant.client_secret,
        works_service_account=tenant.service_account,
        works_private_key=tenant.private_key,
        works_bot_id=tenant.bot_id,
        works_bot_secret=tenant.bot_secret,
        works_domain_id=str(DOMAIN_ID),
        admins=(ADMIN.email,),
        demo=True,
    )
    values.update(overrides)
    return Settings(**values)


@dataclass
class Demo:
    sandbox: ServerThread
    runtime: Runtime
    tenant: Tenant
    desk: object = None
    spare_line: dict | None = None

    @property
    def ctx(self) -> Context:
        return self.runtime.ctx

    @property
    def cxbot_url(self) -> str:
        assert self.runtime.web is not None
        return self.runtime.web.url

    @property
    def sandbox_url(self) -> str:
        return self.sandbox.url

    def stop(self) -> None:
        self.runtime.stop()
        self.sandbox.stop()


def start_demo(port: int = 8000, sandbox_port: int = 8001, instance_path: Path = Path("instance/demo"),
               database_url: str = "", smtp_port: int = 2525, ready_desk: bool = True, **overrides) -> Demo:
    from werkzeug.serving import make_server

    from cxbot.sandbox.mail import start_catcher

    if not database_url:
        # The sandbox starts empty every time; a database from an earlier demo would point at
        # bots and channels that no longer exist.
        for leftover in instance_path.glob("cxbot.db*"):
            leftover.unlink()
    sandbox_app = create_sandbox()
    sandbox = serve_in_thread(sandbox_app, "127.0.0.1", sandbox_port, name="sandbox")
    catcher_port = start_catcher(sandbox_app.world)  # the email customers' mail server
    # Bind cxbot's socket first so the hub bot's callback URL is known before seeding.
    probe = make_server("127.0.0.1", port, lambda e, s: [])
    cxbot_port = probe.server_port
    probe.server_close()
    cxbot_url = f"http://127.0.0.1:{cxbot_port}"
    tenant = seed_sandbox(sandbox.url, f"{cxbot_url}/callback")
    line_channel = seed_line(sandbox.url)
    overrides.setdefault("smtp_url", f"smtp://127.0.0.1:{catcher_port}")
    overrides.setdefault("smtp_listen", f"127.0.0.1:{smtp_port}")
    settings = demo_settings(tenant, sandbox.url, cxbot_url, instance_path, database_url, **overrides)
    ctx = build(settings)
    ctx.tokens.forget(tenant.client_id)
    runtime = start_background(settings, threading.Event(), web=True, port=cxbot_port, ctx=ctx)
    if runtime.smtp is not None:
        httpx.post(f"{sandbox.url}/_sandbox/mail/settings", timeout=10, json={
            "target": "smtp", "smtpHost": "127.0.0.1", "smtpPort": runtime.smtp.port}).raise_for_status()
    demo = Demo(sandbox, runtime, tenant)
    if ready_desk:
        from cxbot.demo_desk import seed_desk

        demo.desk = seed_desk(ctx, sandbox.url, line_channel)
        # A second Official Account, not linked yet, for walking the LINE setup flow.
        demo.spare_line = seed_line(sandbox.url, customers=False)
    return demo

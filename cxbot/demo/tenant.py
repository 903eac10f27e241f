"""The demo tenant: its people, the hub bot's ClientApp and Bot in the sandbox, a LINE
Official Account with customers, and the settings that point cxbot at the sandbox."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from cxbot.config import Settings

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

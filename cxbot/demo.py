"""`cxbot demo`: cxbot and the LINE WORKS sandbox wired together, with a demo tenant.

A newcomer sees the product without any credentials: the sandbox plays LINE WORKS,
cxbot talks to it exactly as it would to the real platform (JWT grant, signed
callbacks, the API over HTTP). The tests use the same wiring.
"""

from __future__ import annotations

import errno
import glob
import logging
import secrets
import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from filelock import FileLock, Timeout

from cxbot import links
from cxbot.config import Settings
from cxbot.context import Context, build
from cxbot.runtime import Runtime, start_background
from cxbot.sandbox import create_app as create_sandbox
from cxbot.sandbox.mail import start_catcher
from cxbot.serving import ServerThread, listen, serve_in_thread
from cxbot.sqlite_gate import gate_path

log = logging.getLogger(__name__)

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


class DemoRefused(Exception):
    """The demo did not start, for a reason the person can act on. `message` names a
    template (templates/bot/<locale>/cli/<message>.txt) and `values` fill it."""

    def __init__(self, message: str, **values):
        super().__init__(f"{message}: {values}")
        self.message = message
        self.values = values


# start_demo's port arguments and the `cxbot demo` options that set them.
PORT_OPTIONS = {"port": "--port", "sandbox_port": "--sandbox-port", "smtp_port": "--smtp-port"}
HOST = "127.0.0.1"
LOCK_NAME = "demo.lock"
DATABASE_NAME = "cxbot.db"


def hold_folder(instance_path: Path) -> FileLock:
    """The demo's lock on its instance folder, held while it runs: a second demo on the same
    folder is refused before it touches anything (it would delete the running one's database)."""
    instance_path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(instance_path / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise DemoRefused("demo_folder_busy", folder=str(instance_path)) from None
    return lock


def _port_problem(port: int) -> OSError | None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As the servers bind (SO_REUSEADDR): a port in TIME_WAIT after the last demo is free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            return exc
    return None


def _free_port_near(port: int, avoid: set[int]) -> int:
    for candidate in range(port + 1, min(port + 100, 65536)):
        if candidate not in avoid and _port_problem(candidate) is None:
            return candidate
    return 0


def check_ports(ports: dict[str, int]) -> None:
    """Refuse, naming the port and its option, when a port to listen on is taken (0: any port)."""
    wanted = {p for p in ports.values() if p}
    seen: dict[int, str] = {}
    for name, option in PORT_OPTIONS.items():
        port = ports[name]
        if not port:
            continue
        if port in seen:
            raise DemoRefused("demo_port_twice", port=port, option=option, also=PORT_OPTIONS[seen[port]],
                              suggestion=_free_port_near(port, wanted))
        problem = _port_problem(port)
        if problem is not None:
            raise DemoRefused("demo_port_busy" if problem.errno == errno.EADDRINUSE else "demo_port_unusable",
                              port=port, option=option, what=name, reason=problem.strerror or str(problem),
                              suggestion=_free_port_near(port, wanted))
        seen[port] = name


def database_files(database: Path) -> list[Path]:
    """Everything cxbot makes beside a SQLite database file (folders included):
    the file and SQLite's -wal, -shm and -journal; the webhook spool folder (cxbot/db.py,
    cxbot/spool.py); the writer gate (cxbot/sqlite_gate.py); the links' change stamp
    (cxbot/links.py); NamedLock's `<file>.<name>.lock` files (cxbot/locks.py: migrate, scheduler)."""
    name = database.name
    found = [database] + [database.with_name(name + s) for s in ("-wal", "-shm", "-journal")]
    found += [Path(f"{database}.spool"), links.stamp_path(database)]
    found += [Path(p) for p in (gate_path(str(database)),) if p]
    found += sorted(database.parent.glob(f"{glob.escape(name)}.*.lock"))
    return found


def reset(database: Path) -> None:
    """Remove the database an earlier demo left, and exactly what cxbot made beside it."""
    known = database_files(database)
    for path in known:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    strays = sorted(p.name for p in database.parent.glob(f"{glob.escape(database.name)}*") if p not in known)
    if strays:
        log.warning("demo: left in place beside the database, not made by this version of cxbot: %s",
                    ", ".join(strays))


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

    lock: FileLock | None = None

    def stop(self) -> None:
        try:
            self.runtime.stop()
            self.sandbox.stop()
        finally:
            if self.lock is not None:
                self.lock.release()


def start_demo(port: int = 8000, sandbox_port: int = 8001, instance_path: Path = Path("instance/demo"),
               database_url: str = "", smtp_port: int = 2525, ready_desk: bool = True, **overrides) -> Demo:
    """Start the sandbox and cxbot, from a fresh database each time (the sandbox keeps its world
    in memory: a database from an earlier run would point at bots and channels that are gone).
    Raises DemoRefused, before touching any file, when another demo runs on `instance_path` or
    a port is taken."""
    instance_path = Path(instance_path)
    lock = hold_folder(instance_path)
    try:
        check_ports({"port": port, "sandbox_port": sandbox_port, "smtp_port": smtp_port})
        if not database_url:
            reset(instance_path / DATABASE_NAME)
        demo = _start(port, sandbox_port, instance_path, database_url, smtp_port, ready_desk, overrides)
    except BaseException:
        lock.release()
        raise
    demo.lock = lock
    return demo


def _listen_or_refuse(name: str, port: int, start):
    """Run `start()`; a port taken since check_ports (a race) is refused as check_ports would."""
    try:
        return start()
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        raise DemoRefused("demo_port_busy", port=port, option=PORT_OPTIONS[name], what=name,
                          reason=exc.strerror, suggestion=0) from None


def _start(port: int, sandbox_port: int, instance_path: Path, database_url: str, smtp_port: int,
           ready_desk: bool, overrides: dict) -> Demo:
    sandbox_app = create_sandbox()
    sandbox = _listen_or_refuse("sandbox_port", sandbox_port,
                                lambda: serve_in_thread(sandbox_app, HOST, sandbox_port, name="sandbox"))
    runtime = None
    try:
        catcher_port = start_catcher(sandbox_app.world)  # the email customers' mail server
        # cxbot's port must be known before seeding: it is in the hub bot's callback URL.
        probe = _listen_or_refuse("port", port, lambda: listen(HOST, port))
        cxbot_port = probe.getsockname()[1]
        probe.close()
        cxbot_url = f"http://{HOST}:{cxbot_port}"
        tenant = seed_sandbox(sandbox.url, f"{cxbot_url}/callback")
        line_channel = seed_line(sandbox.url)
        overrides.setdefault("smtp_url", f"smtp://{HOST}:{catcher_port}")
        overrides.setdefault("smtp_listen", f"{HOST}:{smtp_port}")
        settings = demo_settings(tenant, sandbox.url, cxbot_url, instance_path, database_url, **overrides)
        ctx = build(settings)
        ctx.tokens.forget(tenant.client_id)
        runtime = _listen_or_refuse(
            "port", port, lambda: start_background(settings, threading.Event(), web=True, port=cxbot_port, ctx=ctx))
        if runtime.smtp is None:
            # The receiver logged why; a demo whose mail tab cannot reach cxbot is not the demo.
            raise DemoRefused("demo_port_busy", port=smtp_port, option=PORT_OPTIONS["smtp_port"], what="smtp_port",
                              reason="", suggestion=0)
        httpx.post(f"{sandbox.url}/_sandbox/mail/settings", timeout=10, json={
            "target": "smtp", "smtpHost": HOST, "smtpPort": runtime.smtp.port}).raise_for_status()
        demo = Demo(sandbox, runtime, tenant)
        if ready_desk:
            from cxbot.demo_desk import seed_desk

            demo.desk = seed_desk(ctx, sandbox.url, line_channel)
            # A second Official Account, not linked yet, for walking the LINE setup flow.
            demo.spare_line = seed_line(sandbox.url, customers=False)
        return demo
    except BaseException:
        if runtime is not None:
            runtime.stop()
        sandbox.stop()
        raise

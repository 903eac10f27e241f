"""Starting the demo: its ports and folder checked first (preflight.py), then the sandbox,
cxbot and the ready counter account (`start_demo`); a fresh database every time."""

from __future__ import annotations

import errno
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
from filelock import FileLock

from cxbot.base.serving import ServerThread, listen, serve_in_thread
from cxbot.context import Context, build
from cxbot.demo.desk import seed_desk
from cxbot.demo.preflight import HOST, PORT_OPTIONS, DemoRefused, check_ports, hold_folder, reset
from cxbot.demo.tenant import Tenant, demo_settings, seed_line, seed_sandbox
from cxbot.runtime.start import Runtime, start_background
from cxbot.sandbox import create_app as create_sandbox
from cxbot.sandbox.mail import start_catcher

DATABASE_NAME = "cxbot.db"


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
            demo.desk = seed_desk(ctx, sandbox.url, line_channel)
            # A second Official Account, not linked yet, for walking the LINE setup flow.
            demo.spare_line = seed_line(sandbox.url, customers=False)
        return demo
    except BaseException:
        if runtime is not None:
            runtime.stop()
        sandbox.stop()
        raise

"""Starting the demo: its ports and folder checked first, then the sandbox, cxbot and the
ready counter account (`start_demo`); a fresh database every time."""

from __future__ import annotations

import errno
import glob
import logging
import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path

import httpx
from filelock import FileLock, Timeout

from cxbot.base.serving import ServerThread, listen, serve_in_thread
from cxbot.context import Context, build
from cxbot.demo.desk import seed_desk
from cxbot.demo.tenant import Tenant, demo_settings, seed_line, seed_sandbox
from cxbot.desk import links
from cxbot.runtime.start import Runtime, start_background
from cxbot.sandbox import create_app as create_sandbox
from cxbot.sandbox.mail import start_catcher
from cxbot.storage.sqlite_gate import gate_path

log = logging.getLogger(__name__)

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
            demo.desk = seed_desk(ctx, sandbox.url, line_channel)
            # A second Official Account, not linked yet, for walking the LINE setup flow.
            demo.spare_line = seed_line(sandbox.url, customers=False)
        return demo
    except BaseException:
        if runtime is not None:
            runtime.stop()
        sandbox.stop()
        raise

"""Before the demo touches any file: no other demo on its folder, its ports free (a
taken one named with the option that chooses another), and the database an earlier demo
left removed with exactly what cxbot made beside it."""

from __future__ import annotations

import errno
import glob
import logging
import shutil
import socket
from pathlib import Path

from filelock import FileLock, Timeout

from cxbot.desk import links
from cxbot.inbox import spool
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
    the file and SQLite's -wal, -shm and -journal; the webhook spool folder (cxbot/inbox/spool.py);
    the writer gate (cxbot/storage/sqlite_gate.py); the links' change stamp
    (cxbot/desk/links.py); NamedLock's `<file>.<name>.lock` files (cxbot/storage/locks.py: migrate, scheduler)."""
    name = database.name
    found = [database] + [database.with_name(name + s) for s in ("-wal", "-shm", "-journal")]
    found += [spool.folder_for(database), links.stamp_path(database)]
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

"""Subprocesses for `cxbot bench`: gunicorn (cxbot's web app or the bare baseline) and
`cxbot worker`; their peak memory from /proc; stopping them whatever happens.

Each child gets its own session (process group), so a Ctrl-C in the terminal reaches
only the bench, which then stops the children in order; `stop()` sends SIGTERM to the
child's group and SIGKILL after a grace period.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

GUNICORN_WORKERS = 2
GUNICORN_THREADS = 4

_CONFIG = '''\
import os
bind = "127.0.0.1:{port}"
workers = {workers}
worker_class = "gthread"
threads = {threads}
graceful_timeout = 5
loglevel = "warning"

def post_worker_init(worker):
    # The bench waits for one file per worker, so no phase starts while a worker still boots.
    open(os.path.join({ready_dir!r}, "ready-%d" % worker.pid), "w").close()
'''


def peak_rss_mb(pid: int) -> float | None:
    """VmHWM (peak resident set size) of a live process, in MB; None if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        return None
    return None


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (utime, stime of /proc/<pid>/stat)."""
    total = 0.0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


@dataclass
class Child:
    name: str
    proc: subprocess.Popen
    log_path: Path
    worker_pids: list[int] = field(default_factory=list)  # gunicorn's workers

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def peak_rss(self) -> dict[str, float]:
        """{label: MB} for this process and, for gunicorn, each worker."""
        out = {}
        label = "master" if self.worker_pids else "process"
        rss = peak_rss_mb(self.pid)
        if rss is not None:
            out[label] = rss
        for i, pid in enumerate(self.worker_pids, 1):
            rss = peak_rss_mb(pid)
            if rss is not None:
                out[f"worker {i} (pid {pid})"] = rss
        return out

    def wait_until(self, ready: Callable[[], bool], what: str, timeout: float, pause: float) -> None:
        """Return once `ready()`; raise with the end of the child's log when it exits first, or
        stop it and raise when it is not ready within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not ready():
            if not self.alive():
                raise RuntimeError(f"{what} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{what} did not start in {timeout:.0f}s:\n{self.log_tail()}")
            time.sleep(pause)

    def stop(self, grace: float = 8.0) -> None:
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)


def _spawn(name: str, argv: list[str], env: dict[str, str], workdir: Path) -> Child:
    log_path = workdir / f"{name}.log"
    log = open(log_path, "ab")
    try:
        proc = subprocess.Popen(argv, env=env, cwd=workdir, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    finally:
        log.close()
    return Child(name, proc, log_path)


def start_gunicorn(name: str, wsgi: str, env: dict[str, str], workdir: Path, port: int,
                   timeout: float = 60.0) -> Child:
    """gunicorn -w 2 -k gthread --threads 4 on 127.0.0.1:<port>; returns once every worker has booted."""
    ready_dir = workdir / f"{name}-ready"
    ready_dir.mkdir(parents=True, exist_ok=True)
    conf = workdir / f"{name}.gunicorn.conf.py"
    conf.write_text(_CONFIG.format(port=port, workers=GUNICORN_WORKERS, threads=GUNICORN_THREADS,
                                   ready_dir=str(ready_dir)))
    child = _spawn(name, [sys.executable, "-m", "gunicorn", "-c", str(conf), wsgi], env, workdir)
    child.wait_until(lambda: len(list(ready_dir.glob("ready-*"))) >= GUNICORN_WORKERS, f"gunicorn ({name})",
                     timeout, pause=0.05)
    child.worker_pids = [int(p.name.split("-", 1)[1]) for p in sorted(ready_dir.glob("ready-*"))]
    return child


def start_sandbox(env: dict[str, str], workdir: Path, port: int, ready: Callable[[], bool],
                  timeout: float = 60.0) -> Child:
    """The sandbox in a process of its own (`python -m cxbot.sandbox`); returns once `ready()`."""
    child = _spawn("sandbox", [sys.executable, "-m", "cxbot.sandbox", "--port", str(port)], env, workdir)
    child.wait_until(ready, "the sandbox", timeout, pause=0.05)
    return child


def start_worker(env: dict[str, str], workdir: Path, ready: Callable[[int], bool], timeout: float = 60.0) -> Child:
    """`cxbot worker` as the Procfile runs it; returns once `ready(pid)` (its heartbeat is written)."""
    child = _spawn("worker", [sys.executable, "-m", "cxbot.cli", "worker"], env, workdir)
    child.wait_until(lambda: ready(child.pid), "cxbot worker", timeout, pause=0.1)
    return child

"""A worker killed with SIGKILL mid-stream loses no message and sends no LINE push twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from cxbot import config
from cxbot.base.serving import serve_in_thread
from cxbot.base.waiting import wait_for
from cxbot.context import build
from cxbot.demo import demo_settings, seed_sandbox
from cxbot.runtime.start import Runtime
from cxbot.storage.crypto import generate_key
from cxbot.web.app import create_app
from tests.support.relay import (
    agent_says,
    line_chat,
    line_desk,
    line_says,
    wait_room,
    wait_room_text,
)
from tests.support.world import Wired

pytestmark = pytest.mark.database

ANSWERS = 30


def worker_env(settings) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXBOT_")}
    env.update(config.to_environ(settings, (
        "instance_path", "secret_key", "public_url", "works_api_url", "works_auth_url", "line_api_url",
        "line_data_url", "works_client_id", "works_client_secret", "works_service_account", "works_private_key",
        "works_bot_id", "works_bot_secret", "works_domain_id", "admins")))
    env.update({
        "CXBOT_DATABASE_URL": settings.effective_database_url,
        "CXBOT_OUTBOX_LEASE": "2",
        "CXBOT_OUTBOX_BACKOFF": "0.05",
        "CXBOT_WORKER_POLL_INTERVAL": "0.05",
        "CXBOT_ALLOW_LOOPBACK_HTTP": "true",  # the sandbox and cxbot share this machine
    })
    return env


def start_worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cxbot.cli", "worker"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_sigkill_mid_send_loses_nothing_and_duplicates_no_push(tmp_path, database_url, sandbox, sandbox_http):
    from werkzeug.serving import make_server

    probe = make_server("127.0.0.1", 0, lambda e, s: [])
    port = probe.server_port
    probe.server_close()
    tenant = seed_sandbox(sandbox.url, f"http://127.0.0.1:{port}/callback")
    settings = demo_settings(tenant, sandbox.url, f"http://127.0.0.1:{port}", tmp_path / "instance", database_url,
                             secret_key=generate_key())
    ctx = build(settings)
    web = serve_in_thread(create_app(ctx), port=port)  # the web side only: no worker in this process

    w = Wired(Runtime(ctx, threading.Event(), (), None, web), tenant, sandbox, sandbox_http)  # type: ignore[arg-type]
    env = worker_env(settings)
    first = start_worker(env)
    second = None
    try:
        desk = line_desk(w, customers=1)
        yamada = desk.customers[0]
        line_says(w, desk, yamada, {"type": "text", "text": "たくさん質問があります"})
        room = wait_room(w, "山田 太郎", )
        wait_room_text(w, room["roomId"], "たくさん質問があります", timeout=20)
        # Each push takes a little while, so the kill lands in the middle of the stream.
        sandbox_http.post("/_sandbox/line/settings", json={"pushDelay": 0.05}).raise_for_status()
        for i in range(ANSWERS):
            agent_says(w, room["roomId"], f"回答{i:02d}")

        def delivered() -> list[str]:
            return [m["message"]["text"] for m in line_chat(w, desk, yamada)
                    if m["from"] == "bot" and m["message"].get("text", "").startswith("回答")]

        wait_for(lambda: len(delivered()) >= 5, timeout=20, interval=0.01, what="some answers delivered")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at = len(delivered())
        assert killed_at < ANSWERS, "the worker finished before it could be killed"
        second = start_worker(env)
        wait_for(lambda: len(delivered()) >= ANSWERS, timeout=30, what="every answer delivered")
        got = delivered()
        assert got == [f"回答{i:02d}" for i in range(ANSWERS)]  # each once, in order
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                proc.wait(10)
        web.stop()
        ctx.close()

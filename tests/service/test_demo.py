"""`cxbot demo` can be started again and again, and never harms a demo that is running.

The demo makes its database afresh at every start (the sandbox keeps its world in
memory); before it touches a file it checks that no other demo runs on its folder and
that its ports are free, and says which port is taken and which option chooses another.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlmodel import select

from cxbot.base.waiting import wait_for
from cxbot.demo import DemoRefused, start_demo
from cxbot.desk import accounts
from cxbot.storage.models import Contact, Conversation

ANY = {"port": 0, "sandbox_port": 0, "smtp_port": 0}


def _files(folder: Path) -> dict[str, int]:
    """The folder's files by inode: a file deleted (or made anew) by another start shows.
    (Their sizes change while a demo runs; the spool's own files come and go.)"""
    return {p.name: p.stat().st_ino for p in folder.iterdir() if p.is_file()}


def _line_customer_writes(demo, text: str) -> None:
    with httpx.Client(base_url=demo.sandbox_url, timeout=10) as http:
        customer = next(u for u in http.get("/_sandbox/line/users").json() if u["displayName"] == "山田 太郎")
        sent = http.post("/_sandbox/line/act/message", json={
            "channelId": demo.desk.line_channel_id, "userId": customer["userId"],
            "message": {"type": "text", "text": text}}).json()
    assert sent["webhook"]["status"] == 200, sent


def _conversations(demo) -> int:
    with demo.ctx.db.read() as s:
        return len(list(s.exec(select(Conversation))))


def _listening_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """A demo that keeps running while the tests try to start others beside it."""
    folder = tmp_path_factory.mktemp("running") / "demo"
    demo = start_demo(instance_path=folder, **ANY)
    _line_customer_writes(demo, "動いているデモへの問い合わせ")
    wait_for(lambda: _conversations(demo) == 1, what="the inquiry to open a conversation")
    yield demo, folder
    demo.stop()


def test_the_demo_starts_again_on_its_folder_and_starts_empty(tmp_path):
    folder = tmp_path / "demo"
    first = start_demo(instance_path=folder, **ANY)
    try:
        accounts.create(first.ctx, "前回の窓口", "test")
        _line_customer_writes(first, "前回の問い合わせ")
        wait_for(lambda: _conversations(first) == 1, what="the first run's conversation")
        key = (folder / "secret.key").read_text()
    finally:
        first.stop()
    assert (folder / "cxbot.db.spool").is_dir()  # the folder the old clean-up could not unlink

    second = start_demo(instance_path=folder, **ANY)
    try:
        assert [a.name for a in accounts.all_accounts(second.ctx)] == ["デモ窓口"]
        with second.ctx.db.read() as s:
            assert list(s.exec(select(Contact))) == []
        assert httpx.get(f"{second.cxbot_url}/healthz", timeout=10).status_code == 200
        # The demo's own key stays: it is the folder's, and encrypts nothing the reset left.
        assert (folder / "secret.key").read_text() == key
    finally:
        second.stop()

    third = start_demo(instance_path=folder, **ANY)
    third.stop()


def test_a_second_demo_on_the_same_folder_is_refused_and_the_running_one_keeps_its_files(running):
    demo, folder = running
    before = _files(folder)
    with pytest.raises(DemoRefused) as refused:
        start_demo(instance_path=folder, **ANY)
    assert refused.value.message == "demo_folder_busy"
    assert _files(folder) == before
    assert httpx.get(f"{demo.cxbot_url}/healthz", timeout=10).json()["database"] == "ok"
    assert _conversations(demo) == 1


def test_a_port_in_use_is_refused_before_any_file_is_touched(running, tmp_path):
    demo, _folder = running
    folder = tmp_path / "demo"
    folder.mkdir()
    # What an earlier demo left: its database and the spool folder beside it.
    sqlite3.connect(folder / "cxbot.db").execute("CREATE TABLE earlier (x)").connection.close()
    (folder / "cxbot.db.spool").mkdir()
    before = _files(folder)
    for name, port in (("sandbox_port", demo.sandbox.port), ("port", demo.runtime.web.port),
                       ("smtp_port", demo.runtime.smtp.port)):
        with pytest.raises(DemoRefused) as refused:
            start_demo(instance_path=folder, **{**ANY, name: port})
        assert refused.value.message == "demo_port_busy"
        assert refused.value.values["port"] == port
        assert refused.value.values["option"] == {"port": "--port", "sandbox_port": "--sandbox-port",
                                                  "smtp_port": "--smtp-port"}[name]
        assert {k: v for k, v in _files(folder).items() if k != "demo.lock"} == before
    assert httpx.get(f"{demo.cxbot_url}/healthz", timeout=10).status_code == 200


def _cli_demo(tmp_path: Path, *args: str, locale: str = "") -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXBOT_")}
    env["CXBOT_INSTANCE_PATH"] = str(tmp_path / "instance")
    if locale:
        env["CXBOT_LOCALE"] = locale
    return subprocess.run([sys.executable, "-m", "cxbot.cli", "demo", *args], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)


def test_the_command_names_the_taken_port_and_the_option_in_the_ui_language(tmp_path):
    holder = _listening_socket()
    try:
        port = holder.getsockname()[1]
        done = _cli_demo(tmp_path, "--port", "0", "--sandbox-port", str(port), "--smtp-port", "0")
        assert done.returncode == 1
        assert f"ポート {port} は他のプログラムが使用中" in done.stderr
        assert "--sandbox-port" in done.stderr and "Traceback" not in done.stderr

        done = _cli_demo(tmp_path, "--port", "0", "--sandbox-port", "0", "--smtp-port", str(port), locale="en")
        assert done.returncode == 1
        assert f"Port {port} is in use by another program" in done.stderr and "--smtp-port" in done.stderr
    finally:
        holder.close()
    assert not (tmp_path / "instance" / "demo" / "cxbot.db").exists()

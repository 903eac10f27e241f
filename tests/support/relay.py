"""Set up counter accounts and linked channels directly (the setup flows have their own tests)."""

from __future__ import annotations

import itertools
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote

import httpx

from cxbot.base.serving import serve_in_thread
from cxbot.base.waiting import wait_for
from cxbot.demo import USERS
from cxbot.demo.desk import link_line
from cxbot.desk import accounts, links, media
from cxbot.mail.parse import ParsedMail, parse
from cxbot.mail.receiver import SmtpReceiver
from cxbot.sandbox import create_app as create_sandbox
from tests.support.world import Wired, own_database, serve_cxbot

AGENTS = [u for u in USERS if u.role == "agent"]
INTAKE_TITLE = "受付ルーム"


@dataclass
class LineDesk:
    account_id: int
    channel: dict  # the sandbox's LINE channel
    token: str
    customers: list[dict]


class Catcher:
    """The customer's mail server: a real SMTP socket collecting what cxbot sends."""

    def __init__(self):
        self.mails: list[bytes] = []
        self.lock = threading.Lock()
        self.server = SmtpReceiver("127.0.0.1:0", {"customer.example"}, on_mail=self._got).start()

    def _got(self, raw: bytes, rcpts: list[str]) -> None:
        with self.lock:
            self.mails.append(raw)

    def wait(self, count: int) -> list[ParsedMail]:
        wait_for(lambda: len(self.mails) >= count, what=f"{count} mail(s) sent by cxbot")
        return [parse(raw) for raw in self.mails]


@contextmanager
def shared_world(folder: Path, **overrides) -> Iterator[Wired]:
    """cxbot and the sandbox for a whole test module (each start costs a second or two).
    Tests sharing it keep apart by using their own counter accounts and customers (`unique`)."""
    url = own_database(folder, tag=folder.name.rstrip("0123456789"))
    sandbox = serve_in_thread(create_sandbox(), name="sandbox")
    http = httpx.Client(base_url=sandbox.url, timeout=10)
    runtime = None
    try:
        runtime, tenant = serve_cxbot(folder, url, sandbox, **overrides)
        yield Wired(runtime, tenant, sandbox, http)
    finally:
        if runtime is not None:
            runtime.stop()
        http.close()
        sandbox.stop()


_serial = itertools.count(1)


def unique(prefix: str) -> str:
    """A name no other test of the module uses (room titles are found by names)."""
    return f"{prefix}{next(_serial)}"


def make_account(w: Wired, name: str = "Support") -> int:
    account = accounts.create(w.ctx, name, "test")
    accounts.set_agents(w.ctx, account.id, [a.user_id for a in AGENTS], [a.email for a in AGENTS], "test")
    return account.id


def line_desk(w: Wired, customers: int = 2, names: tuple[str, ...] = ("山田 太郎", "Emma Wilson", "佐々木 花", "Lee Min"),
              account: str = "Support", shop: str = "サンプル商店") -> LineDesk:
    account_id = make_account(w, account)
    channel = w.http.post("/_sandbox/line/channels", json={"displayName": shop}).json()
    token = link_line(w.ctx, w.http, account_id, channel, "test")
    people = [w.http.post("/_sandbox/line/users", json={"displayName": n}).json() for n in names[:customers]]
    return LineDesk(account_id, channel, token, people)


def line_says(w: Wired, desk: LineDesk, customer: dict, message: dict) -> dict:
    resp = w.http.post("/_sandbox/line/act/message", json={
        "channelId": desk.channel["channelId"], "userId": customer["userId"], "message": message})
    resp.raise_for_status()
    return resp.json()


def agent_rooms(w: Wired, agent=AGENTS[0]) -> list[dict]:
    """The agent's CX Talk rooms of conversations (not the counter accounts' intake rooms)."""
    return [r for r in w.http.get("/_sandbox/rooms", params={"userId": agent.user_id}).json()
            if r["kind"] == "group" and not r["title"].startswith(INTAKE_TITLE)]


def intake_rooms(w: Wired, agent=AGENTS[0]) -> list[dict]:
    return [r for r in w.http.get("/_sandbox/rooms", params={"userId": agent.user_id}).json()
            if r["kind"] == "group" and r["title"].startswith(INTAKE_TITLE)]


def wait_room(w: Wired, title_part: str, timeout: float = 10) -> dict:
    return wait_for(lambda: next((r for r in agent_rooms(w) if title_part in r["title"]), None),
                    timeout=timeout, what=f"a CX Talk room for {title_part}")


def room_texts(w: Wired, room_id: str) -> list[str]:
    out = []
    for msg in w.messages(room_id):
        c = msg["content"]
        out.append(c.get("text") or c.get("contentText") or f"<{c['type']}>")
    return out


def room_file_names(w: Wired, room_id: str) -> list[str]:
    """The names of the files (and images) posted in a room, as a member downloading them sees."""
    names = []
    for msg in w.messages(room_id):
        if msg["content"]["type"] in ("file", "image"):
            disposition = w.http.get(f"/_sandbox/files/{msg['content']['fileId']}").headers["Content-Disposition"]
            extended = re.search(r"filename\*=UTF-8''([^;]+)", disposition)
            plain = re.search(r'filename="?([^";]+)"?', disposition)
            names.append(unquote(extended.group(1)) if extended else plain.group(1))
    return names


def wait_room_text(w: Wired, room_id: str, part: str, timeout: float = 10) -> list[str]:
    return wait_for(lambda: (texts := room_texts(w, room_id)) and any(part in t for t in texts) and texts,
                    timeout=timeout, what=f"{part!r} in room {room_id}")


def agent_says(w: Wired, room_id: str, text: str, agent=AGENTS[0]) -> dict:
    resp = w.http.post("/_sandbox/act/message", json={
        "userId": agent.user_id, "botId": int(w.tenant.bot_id), "channelId": room_id,
        "content": {"type": "text", "text": text}})
    resp.raise_for_status()
    return resp.json()


def line_chat(w: Wired, desk: LineDesk, customer: dict) -> list[dict]:
    return w.http.get("/_sandbox/line/chats", params={"channelId": desk.channel["channelId"],
                                                      "userId": customer["userId"]}).json()["messages"]


def wait_line_answer(w: Wired, desk: LineDesk, customer: dict, part: str) -> list[dict]:
    def got():
        msgs = [m for m in line_chat(w, desk, customer) if m["from"] == "bot"]
        return msgs if any(part in (m["message"].get("text") or "") for m in msgs) else None

    return wait_for(got, what=f"the LINE customer to get {part!r}")


@dataclass
class BotDesk:
    account_id: int
    bot_id: int
    token: str


def works_desk(w: Wired, description: str = "総務への問い合わせ窓口です。何でも聞いてください。",
               account: str = "総務") -> BotDesk:
    """A counter account with an inquiry bot cxbot created (as the simple-creation flow does)."""
    account_id = make_account(w, account)
    token = links.new_token()
    photo = media.store(w.ctx, "bot.png", "image/png", media.default_bot_png(64), lasting=True)
    bot = w.ctx.works.create_bot({
        "botName": "総務ヘルプ", "description": description, "photoUrl": media.url(w.ctx, photo, "bot.png"),
        "administrators": [USERS[0].user_id], "enableCallback": True,
        "callbackUrl": links.webhook_url(w.ctx, "works_bot", token),
        "callbackEvents": ["text", "image", "file"], "channelEvents": ["message", "postback", "begin", "end"]})
    w.ctx.works.register_bot_domain(bot["botId"], w.ctx.settings.works_domain_id, visible=True)
    links.save(w.ctx, account_id, "works_bot", actor="test", token=token, linked=True, mode="created",
               info_={"bot_id": str(bot["botId"]), "bot_name": "総務ヘルプ", "description": description},
               secrets_=None)
    return BotDesk(account_id, bot["botId"], token)


def employee_says(w: Wired, desk: BotDesk, employee, text: str) -> dict:
    resp = w.http.post("/_sandbox/act/message", json={
        "userId": employee.user_id, "botId": desk.bot_id, "content": {"type": "text", "text": text}})
    resp.raise_for_status()
    return resp.json()


def bot_texts(w: Wired, desk: BotDesk, employee) -> list[str]:
    room = w.dm_room(employee.user_id, str(desk.bot_id))
    return [m["content"].get("text", "") for m in w.bot_messages(room)]

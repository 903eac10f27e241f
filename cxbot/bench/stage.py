"""The bench's tenant: a counter account with a linked LINE Official Account in the
sandbox and cxbot's database, the CXBOT_* environment for the subprocesses, the room
warm-up, and reading the relayed posts back out of the sandbox's rooms."""

from __future__ import annotations

import os
import re
import shutil
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Callable

import httpx
from sqlalchemy import func, update
from sqlmodel import select

from cxbot import config
from cxbot.base.i18n import texts
from cxbot.base.serving import free_port
from cxbot.base.waiting import wait_for
from cxbot.context import Context
from cxbot.demo import USERS
from cxbot.demo.desk import link_line
from cxbot.desk import accounts
from cxbot.storage.models import Conversation, InboundEvent, OutboxItem, WorkerHeartbeat

LINE_WORKS_ROOMS_PER_MINUTE = 10
CUSTOMER_NAMES = ("山田 太郎", "Emma Wilson", "佐々木 花", "Lee Min", "高橋 翼", "Nguyen An", "伊藤 葵", "Maria Garcia",
                  "小林 蓮", "Tom Baker", "中村 結衣", "Chen Wei")
MARK = re.compile(r"bench#(\d+)")


@dataclass
class Desk:
    account_id: int
    token: str
    channel: dict  # the sandbox's LINE channel (secret, botUserId, ...)
    customers: list[str]  # LINE user ids


def subprocess_env(settings: config.Settings) -> dict[str, str]:
    """The CXBOT_* environment for gunicorn and `cxbot worker`; nothing inherited from a real deployment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CXBOT_")}
    env.update(config.to_environ(settings, (
        "public_url", "secret_key", "works_api_url", "works_auth_url", "line_api_url", "line_data_url",
        "works_client_id", "works_client_secret", "works_service_account", "works_private_key",
        "works_bot_id", "works_bot_secret", "works_domain_id", "locale",
        "works_rate_per_min", "works_rooms_per_min", "works_rate_window", "smtp_url")))
    env["CXBOT_DATABASE_URL"] = settings.effective_database_url
    env["CXBOT_INSTANCE_PATH"] = str(settings.instance_path)
    env["CXBOT_ADMINS"] = ",".join(settings.admins)
    env["CXBOT_ALLOW_LOOPBACK_HTTP"] = "true"  # the bench's cxbot serves the sandbox on this machine
    env["CXBOT_SMTP_LISTEN"] = f"127.0.0.1:{free_port()}"
    # Tuning knobs may be passed through, to compare settings on the same machine.
    for knob in ("CXBOT_WORKER_THREADS", "CXBOT_OUTBOX_THREADS", "CXBOT_WORKER_POLL_INTERVAL"):
        if os.environ.get(knob):
            env[knob] = os.environ[knob]
    return env


def make_desk(ctx: Context, http: httpx.Client, customers: int) -> Desk:
    """A counter account with the demo agents and a linked LINE Official Account (as tests/relay_helpers.py)."""
    agents = [u for u in USERS if u.role == "agent"]
    account = accounts.create(ctx, f"ベンチ窓口 {time.strftime('%H%M%S')}", "bench")
    accounts.set_agents(ctx, account.id, [a.user_id for a in agents], [a.email for a in agents], "bench")
    channel = http.post("/_sandbox/line/channels", json={"displayName": "ベンチ商店"}).raise_for_status().json()
    token = link_line(ctx, http, account.id, channel, "bench")
    names = [CUSTOMER_NAMES[i % len(CUSTOMER_NAMES)] + ("" if i < len(CUSTOMER_NAMES) else f" {i}")
             for i in range(customers)]
    people = http.post("/_sandbox/line/users", json=[{"displayName": n} for n in names]).raise_for_status().json()
    return Desk(account.id, token, channel, [p["userId"] for p in people])


def retire_stored(ctx: Context, token: str) -> int:
    """Mark the ingest phases' events handled, so the relay phase does not start behind a
    backlog of thousands (the rows stay, as a running deployment's table would hold them)."""
    ctx.inbox.take()
    with ctx.db.session() as s:
        res = s.execute(update(InboundEvent).where(InboundEvent.link_token == token,
                                                   InboundEvent.status == "pending")
                        .values(status="done", processed_at=time.time()))
        return res.rowcount or 0


def heartbeat_of(ctx: Context, pid: int) -> bool:
    with ctx.db.session() as s:
        return s.exec(select(WorkerHeartbeat.name).where(WorkerHeartbeat.name.like(f"%:{pid}:%"))).first() is not None


def group_rooms(http: httpx.Client) -> list[dict]:
    """The conversations' rooms (not the counter account's intake room)."""
    return [r for r in http.get("/_sandbox/rooms").raise_for_status().json()
            if r["kind"] == "group" and not r["title"].startswith(texts("ja").render("relay/intake_title", account=""))]


def platform_use(rate: dict, settings: config.Settings) -> dict:
    """What LINE WORKS (the sandbox) counted of the room posts: the most in one of its windows
    against the limit, and the 429s."""
    posts = {op: x for op, x in rate["operations"].items() if op.startswith("POST") and op.endswith("/messages")
             and "/channels/" in op}
    most = max((x["maxInWindow"] for x in posts.values()), default=0)
    return {"posts_max_in_window": most, "limit": settings.works_rate_per_min,
            "rejected": sum(x["rejected"] for x in rate["operations"].values()),
            "window_s": rate["windowSeconds"], "time_scale": rate["timeScale"]}


def settled(ctx: Context, desk: Desk) -> bool:
    """Nothing of this desk's is left to handle or to send (other data in a reused database aside)."""
    with ctx.db.session() as s:
        events = s.exec(select(func.count()).select_from(InboundEvent).where(
            InboundEvent.link_token == desk.token, InboundEvent.status.in_(("pending", "processing")))).one()
        sends = s.exec(select(func.count()).select_from(OutboxItem)
                       .join(Conversation, Conversation.id == OutboxItem.conversation_id)
                       .where(Conversation.counter_account_id == desk.account_id,
                              OutboxItem.status.in_(("pending", "sending")))).one()
    return events == 0 and sends == 0


def warm_rooms(ctx: Context, http: httpx.Client, desk: Desk, say: Callable[[str], None]) -> tuple[int, bool]:
    """Each customer follows the Official Account and writes once (through the sandbox, as
    LINE would deliver it), so every room exists before the timed phase. Returns (rooms,
    whether the creation limit was raised)."""
    raised = len(desk.customers) > LINE_WORKS_ROOMS_PER_MINUTE
    if raised:
        say(f"raising the sandbox's channelCreatePerMinute to {len(desk.customers)} for the warm-up")
        http.post("/_sandbox/settings", json={"channelCreatePerMinute": len(desk.customers)}).raise_for_status()
    for user_id in desk.customers:
        # As a customer does: add the Official Account as a friend, then write.
        http.post("/_sandbox/line/act/follow", json={"channelId": desk.channel["channelId"],
                                                     "userId": user_id}).raise_for_status()
        sent = http.post("/_sandbox/line/act/message", json={
            "channelId": desk.channel["channelId"], "userId": user_id,
            "message": {"type": "text", "text": "こんにちは、問い合わせです（ウォームアップ）"}}).raise_for_status().json()
        if sent["webhook"]["status"] != 200:
            raise RuntimeError(f"warm-up webhook was not accepted: {sent['webhook']}")
    rooms = wait_for(lambda: len(r := group_rooms(http)) >= len(desk.customers) and settled(ctx, desk) and r,
                 timeout=60, interval=0.1, what=f"{len(desk.customers)} CX Talk rooms")
    if raised:
        http.post("/_sandbox/settings", json={"channelCreatePerMinute": LINE_WORKS_ROOMS_PER_MINUTE}).raise_for_status()
    return len(rooms), raised


def created(stamp: str) -> float:
    """The sandbox's createdTime (`2024-05-01T03:04:05.678Z`, UTC, millisecond precision) as epoch seconds."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def collect_relay(http: httpx.Client, sent_at: dict[int, float], timeout: float) -> dict[int, float]:
    """seq -> seconds from webhook POST to the post appearing in its room.

    The sandbox stamps each message with createdTime when it stores it (time.time() in
    this very process, so the same clock as the send time, to the millisecond). The
    rooms are read only after the timed sends, so reading them costs the relay nothing;
    the polling here just waits for stragglers."""
    found: dict[int, float] = {}
    after: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    last_progress = time.monotonic()
    while len(found) < len(sent_at) and time.monotonic() < deadline and time.monotonic() - last_progress < 15:
        before = len(found)
        for room in group_rooms(http):
            rid = room["roomId"]
            params = {"after": after[rid]} if rid in after else {}
            for msg in http.get(f"/_sandbox/rooms/{rid}/messages", params=params).raise_for_status().json():
                after[rid] = max(after.get(rid, 0), int(msg["messageId"]))
                m = MARK.search(msg["content"].get("text") or "")
                if m and int(m.group(1)) in sent_at:
                    found[int(m.group(1))] = created(msg["createdTime"]) - sent_at[int(m.group(1))]
        if len(found) > before:
            last_progress = time.monotonic()
        if len(found) < len(sent_at):
            time.sleep(0.25)
    return found


def tear_down(children: list, http: httpx.Client | None, ctx: Context | None, sandbox, workdir) -> None:
    """What a bench run started, stopped in reverse, and its scratch folder removed."""
    for child in reversed(children):
        child.stop()
    if http is not None:
        http.close()
    if ctx is not None:
        ctx.close()
    if sandbox is not None:
        sandbox.stop()
    shutil.rmtree(workdir, ignore_errors=True)

"""`cxbot bench --surge`: a LINE broadcast is answered by hundreds of new customers within a
minute, with a mail campaign's answers beside them, while agents answer those they can.

The sandbox plays LINE WORKS' real limits (10 room creations and 240 calls of each API a
minute, per tenant) at a time scale k: its minute lasts 60/k s, and so does cxbot's
(CXBOT_WORKS_RATE_WINDOW), so half an hour of platform time is measured in a few minutes.
Every figure is given in platform time (wall seconds × k) next to the floor the limits
allow. What is sent, and when, is drawn from a fixed seed: two runs send the same.
"""

from __future__ import annotations

import math
import os
import random
import smtplib
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Callable

import httpx
from sqlalchemy.engine import make_url

from cxbot.base.serving import free_port
from cxbot.base.waiting import wait_for
from cxbot.bench import stage
from cxbot.bench.procs import Child, start_gunicorn, start_sandbox, start_worker
from cxbot.bench.surge_figures import Answers, Customer, figures, group_rooms, heard_back, opened
from cxbot.context import build
from cxbot.demo import USERS, demo_settings, seed_sandbox
from cxbot.demo.desk import link_line
from cxbot.desk import accounts, links
from cxbot.storage.crypto import generate_key

HOST = "127.0.0.1"
# A customer writing several lines types one every few (platform) seconds.
TYPING_S = 3.0


@dataclass
class SurgeOptions:
    customers: int = 300  # new LINE customers
    mail: int = 20  # new mail customers
    answers: int = 50  # conversations agents answer as soon as their room is there
    over: float = 60.0  # platform seconds the customers arrive over
    time_scale: float = 5.0
    workers: int = 1  # `cxbot worker` processes sharing the budget
    database_url: str = ""
    seed: int = 11


def run_surge(opts: SurgeOptions, say: Callable[[str], None] = lambda _m: None) -> dict:
    k = opts.time_scale
    workdir = Path(tempfile.mkdtemp(prefix="cxbot-surge-"))
    children: list[Child] = []
    ctx = http = None
    try:
        # The platforms in a process of their own, as they are in life: in this one, the
        # customers' hundred threads would slow every answer they give cxbot.
        sandbox_port = free_port()
        sandbox_url = f"http://{HOST}:{sandbox_port}"
        http = httpx.Client(base_url=sandbox_url, timeout=30)
        children.append(start_sandbox(dict(os.environ), workdir, sandbox_port, lambda: _answers(http)))
        port = free_port()
        tenant = seed_sandbox(sandbox_url, f"http://{HOST}:{port}/callback")
        http.post("/_sandbox/settings", json={"timeScale": k}).raise_for_status()
        # The mail customers' server: cxbot's auto-replies to them go there.
        relay = http.post("/_sandbox/mail/catcher/start", json={}).raise_for_status().json()["port"]
        database_url = opts.database_url or f"sqlite:///{workdir / 'cxbot.db'}"
        settings = demo_settings(tenant, sandbox_url, f"http://{HOST}:{port}", workdir / "instance", database_url,
                                 secret_key=generate_key(), smtp_url=f"smtp://{HOST}:{relay}").with_overrides(
                                     works_rate_window=60.0 / k)
        ctx = build(settings)
        account_name = f"キャンペーン窓口 {time.strftime('%H%M%S')}"
        account, channel, customers = _desk(ctx, http, opts, account_name)
        env = stage.subprocess_env(settings)
        say(f"gunicorn cxbot.bench.wsgi:app on port {port}, {opts.workers} `cxbot worker` ...")
        children.append(start_gunicorn("cxbot-web", "cxbot.bench.wsgi:app", env, workdir, port))
        for _ in range(opts.workers):
            worker = start_worker(env, workdir, lambda pid: stage.heartbeat_of(ctx, pid))
            children.append(worker)
        intake_title = ctx.texts.render("relay/intake_title", account=account_name)
        intake = wait_for(lambda: next((r for r in group_rooms(http) if r["title"] == intake_title), None), timeout=60,
                          interval=0.2, what="the intake room")
        smtp_port = int(env["CXBOT_SMTP_LISTEN"].rsplit(":", 1)[1])
        rooms_needed = len(customers)
        floor_s = rooms_needed / settings.works_rooms_per_min * 60.0
        say(f"surge at time scale {k:g}: {opts.customers} LINE + {opts.mail} mail customers over {opts.over:g} "
            f"platform-s; their rooms need at least {floor_s / 60:.0f} platform-min ({floor_s / k:.0f} s here) ...")
        http.delete("/_sandbox/rate").raise_for_status()  # count the surge only
        agents = _Agents(sandbox_url, channel, settings.works_bot_id, customers, opts.answers)
        agents.start()
        started = time.time()
        _send_all(sandbox_url, channel, account.default_address, smtp_port, customers, opts, k)
        done = _wait_for_rooms(http, customers, deadline=started + (floor_s * 2 + 120) / k + 60)
        agents.stop()
        shown = figures(http, k, settings, customers, intake, started, floor_s, agents.answers, done)
        shown["visible"]["opened_p95_s"], shown["visible"]["opened_max_s"] = opened(ctx, account.id, customers, k)
        shown["heard_back"] = heard_back(ctx, http, account.id, channel, customers)
        shown["setup"] = {
            "time_scale": k, "workers": opts.workers, "customers": opts.customers, "mail": opts.mail,
            "answers": opts.answers, "over_s": opts.over, "cpus": os.cpu_count() or 1,
            "database": make_url(database_url).render_as_string(hide_password=True) if opts.database_url
            else "SQLite, a fresh file in a temp dir",
            "wall_s": round(time.time() - started, 1)}
        return shown
    finally:
        stage.tear_down(children, http, ctx, None, workdir)


def _answers(http: httpx.Client) -> bool:
    try:
        return http.get("/_sandbox/settings").status_code == 200
    except httpx.TransportError:
        return False


def _desk(ctx, http: httpx.Client, opts: SurgeOptions, name: str):
    agents = [u for u in USERS if u.role == "agent"]
    account = accounts.create(ctx, name, "bench")
    accounts.set_agents(ctx, account.id, [a.user_id for a in agents], [a.email for a in agents], "bench")
    channel = http.post("/_sandbox/line/channels", json={"displayName": "キャンペーン商店"}).raise_for_status().json()
    link_line(ctx, http, account.id, channel, "bench")
    links.save(ctx, account.id, "mail", actor="bench", token=links.new_token(), linked=True,
               info_={"address": account.default_address}, secrets_=None)
    rng = random.Random(opts.seed)
    names = [f"客{i:04d}" for i in range(opts.customers)]
    people = http.post("/_sandbox/line/users", json=[{"displayName": n} for n in names]).raise_for_status().json()
    customers = [Customer(i, n, "line", p["userId"], rng.randint(1, 4)) for i, (n, p) in enumerate(zip(names, people))]
    customers += [Customer(opts.customers + i, f"メール客{i:03d}", "mail", f"m{i:03d}@customer.example", 1)
                  for i in range(opts.mail)]
    return account, channel, customers


def _send_all(sandbox_url: str, channel: dict, address: str, smtp_port: int, customers: list[Customer],
              opts: SurgeOptions, k: float) -> None:
    """Every line at its time: customer i starts at i/n of the window and types on, one line
    after the other (as a person's phone sends them), many customers at once."""
    start = time.time() + 0.5
    # One client for every customer's thread (it is thread-safe): a client each would build a
    # TLS context each, CPU the run would take from the platforms and cxbot.
    client = httpx.Client(base_url=sandbox_url, timeout=30,
                          limits=httpx.Limits(max_connections=256, max_keepalive_connections=256))

    def send(c: Customer, j: int) -> None:
        text = f"surge#{c.number}.{j} {c.name}の{j + 1}通目のお問い合わせです"
        c.sent.append(time.time())
        if c.kind == "line":
            client.post("/_sandbox/line/act/message", json={
                "channelId": channel["channelId"], "userId": c.address,
                "message": {"type": "text", "text": text}}).raise_for_status()
        else:
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = f"{c.name} <{c.address}>", address, f"キャンペーンについて {c.number}"
            msg.set_content(text)
            with smtplib.SMTP(HOST, smtp_port, timeout=30) as smtp:
                smtp.send_message(msg)

    def customer(item: tuple[float, Customer]) -> None:
        begin, c = item
        for j in range(c.lines):
            time.sleep(max(0.0, begin + j * TYPING_S / k - time.time()))
            send(c, j)

    plan = []
    for group in ([c for c in customers if c.kind == "line"], [c for c in customers if c.kind == "mail"]):
        plan += [(start + (i / max(1, len(group))) * opts.over / k, c) for i, c in enumerate(group)]
    plan.sort(key=lambda p: p[0])
    # Enough threads for every customer typing at once (each types for 3 lines × TYPING_S).
    typing = max(1, math.ceil(len(plan) * (4 * TYPING_S) / opts.over))
    try:
        with ThreadPoolExecutor(max_workers=min(128, typing + 8)) as pool:
            list(pool.map(customer, plan))
    finally:
        client.close()


def _wait_for_rooms(http: httpx.Client, customers: list[Customer], deadline: float) -> bool:
    names = [c.name for c in customers]
    while time.time() < deadline:
        titles = " ".join(r["title"] for r in group_rooms(http))
        if all(n in titles for n in names):
            time.sleep(5.0)  # the last rooms' posts
            return True
        time.sleep(1.0)
    return False


class _Agents(threading.Thread):
    """Agents answer the first `answers` LINE customers whose room appears, at once; how long
    until the customer has the answer in LINE."""

    def __init__(self, sandbox_url: str, channel: dict, bot_id: str, customers: list[Customer], answers: int):
        super().__init__(name="agents", daemon=True)
        self.http = httpx.Client(base_url=sandbox_url, timeout=30)
        self.channel, self.bot_id, self.wanted = channel, int(bot_id), answers
        self.line = {c.name: c for c in customers if c.kind == "line"}
        self.agent = next(u for u in USERS if u.role == "agent").user_id
        self.answers = Answers()
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.wait(0.3):
            if len(self.answers.asked) < self.wanted:
                for room in group_rooms(self.http):
                    name = next((n for n in self.line if n in room["title"]), None)
                    if name and name not in self.answers.asked and len(self.answers.asked) < self.wanted:
                        self.answers.asked[name] = time.time()
                        self.http.post("/_sandbox/act/message", json={
                            "userId": self.agent, "botId": self.bot_id, "channelId": room["roomId"],
                            "content": {"type": "text", "text": f"answer#{name} お待たせしました"}}).raise_for_status()
            for name, at in self.answers.asked.items():
                if name in self.answers.latency:
                    continue
                chat = self.http.get("/_sandbox/line/chats", params={
                    "channelId": self.channel["channelId"], "userId": self.line[name].address}).json()
                got = [m for m in chat["messages"] if f"answer#{name}" in (m["message"].get("text") or "")]
                if got:
                    self.answers.latency[name] = got[0]["timestamp"] / 1000 - at

    def stop(self) -> None:
        deadline = time.time() + 20
        while len(self.answers.latency) < len(self.answers.asked) and time.time() < deadline:
            time.sleep(0.3)
        self.halt.set()
        self.join(timeout=10)
        self.http.close()

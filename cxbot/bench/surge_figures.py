"""The figures of `cxbot bench --surge` (bench/surge.py), each beside its target or floor, in
platform time: read from the sandbox (what the platforms saw) and, for what only cxbot
knows (when a conversation opened, who was told that it is busy), from its database."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import httpx
from sqlalchemy import func
from sqlmodel import select

from cxbot.bench import stage
from cxbot.bench.load import percentile
from cxbot.channels import LINE, MAIL
from cxbot.relay import busy
from cxbot.storage.models import Contact, Conversation

TARGET_VISIBLE_S = 30.0
TARGET_ROOMS_RATIO = 1.1
TARGET_UTILISATION = 0.9
TARGET_429_SHARE = 0.01
TARGET_POSTS_PER_MESSAGE = 0.5
TARGET_ANSWER_P99_S = 5.0


@dataclass
class Customer:
    number: int
    name: str
    kind: str  # "line" | "mail"
    address: str  # the LINE userId, or the mail address
    lines: int
    sent: list[float] = field(default_factory=list)  # wall time each line was sent


@dataclass
class Answers:
    """What the agents answered: customer name -> when the agent posted, and how many
    seconds until the customer had it."""

    asked: dict[str, float] = field(default_factory=dict)
    latency: dict[str, float] = field(default_factory=dict)


def group_rooms(http: httpx.Client) -> list[dict]:
    return [r for r in http.get("/_sandbox/rooms").raise_for_status().json() if r["kind"] == "group"]


def figures(http: httpx.Client, k: float, settings, customers: list[Customer], intake: dict, started: float,
            floor_s: float, answers: Answers, done: bool) -> dict:
    """Every figure but the two read from cxbot's database (opened, heard_back)."""
    rooms = [r for r in group_rooms(http) if r["roomId"] != intake["roomId"]]
    posts = {r["roomId"]: http.get(f"/_sandbox/rooms/{r['roomId']}/messages").raise_for_status().json()
             for r in rooms + [intake]}
    intake_posts = [(stage.created(m["createdTime"]), m["content"].get("text") or "") for m in posts[intake["roomId"]]]
    visible, own, lost, disorder, relayed = [], [], 0, 0, 0
    backlog_posts = len(intake_posts)  # the intake room's lists are the backlog's cost too
    backlog_lines = 0
    last_room = started
    for c in customers:
        first = min(c.sent) if c.sent else started
        room = next((r for r in rooms if c.name in r["title"]), None)
        room_at = stage.created(posts[room["roomId"]][0]["createdTime"]) if room and posts[room["roomId"]] else None
        listed = next((t for t, text in intake_posts if f"{c.name}(" in text or f"{c.name} (" in text), None)
        seen = [x for x in (room_at, listed) if x is not None]
        visible.append((min(seen) - first) * k if seen else math.inf)
        if room_at is not None:
            own.append((room_at - first) * k)
            last_room = max(last_room, room_at)
        marks = []
        for msg in posts.get(room["roomId"], []) if room else []:
            text = msg["content"].get("text") or ""
            marks += [int(j) for j in numbered(text, c.number)]
        relayed += c.lines
        if room_at is not None and (room_at - first) * k >= 60.0:
            # Waited over a platform minute for the room: the customer was part of the backlog.
            backlog_lines += c.lines
            backlog_posts += sum(1 for msg in posts[room["roomId"]] if "botId" in msg["sender"])
        lost += len(set(range(c.lines)) - set(marks))
        disorder += sum(1 for a, b in zip(marks, marks[1:]) if b < a)
    rate = http.get("/_sandbox/rate").raise_for_status().json()
    ops = rate["operations"]
    calls = sum(x["calls"] for x in ops.values())
    rejected = sum(x["rejected"] for x in ops.values())
    create = next((x for op, x in ops.items() if op.startswith("POST") and op.endswith("/channels")), {"calls": 0})
    post_calls = sum(x["calls"] for op, x in ops.items() if op.startswith("POST") and op.endswith("/messages")
                     and "/channels/" in op)
    backlog_s = (last_room - started) * k
    made_per_min = create["calls"] / (backlog_s / 60.0) if backlog_s > 0 else 0.0
    utilisation = made_per_min / settings.works_rooms_per_min
    every_room_s = (last_room - started) * k
    answer = sorted(answers.latency.values())
    return {
        "complete": done,
        "visible": {"max_s": _r(max(visible)), "p95_s": _r(percentile(visible, 95)), "target_s": TARGET_VISIBLE_S,
                    "pass": max(visible) <= TARGET_VISIBLE_S},
        "own_room": {"every_s": _r(every_room_s), "floor_s": _r(floor_s), "ratio": _r(every_room_s / floor_s, 3),
                     "p95_s": _r(percentile(own, 95)), "target_ratio": TARGET_ROOMS_RATIO,
                     "pass": done and every_room_s / floor_s <= TARGET_ROOMS_RATIO},
        "budget": {"rooms_per_min": _r(made_per_min), "limit": settings.works_rooms_per_min,
                   "utilisation": _r(utilisation, 3), "target": TARGET_UTILISATION,
                   "pass": utilisation >= TARGET_UTILISATION,
                   "busiest": {op: {"max_in_window": x["maxInWindow"], "limit": x["limit"]}
                               for op, x in sorted(ops.items(), key=lambda o: -o[1]["calls"])[:4]}},
        "rate_limited": {"calls": calls, "429": rejected, "share": _r(rejected / calls if calls else 0.0, 4),
                         "target_share": TARGET_429_SHARE, "pass": calls > 0 and rejected <= TARGET_429_SHARE * calls},
        "posts": {"room_posts": post_calls, "messages": relayed, "per_message": _r(post_calls / relayed, 3),
                  "backlog_posts": backlog_posts, "backlog_messages": backlog_lines,
                  "backlog_per_message": _r(backlog_posts / backlog_lines, 3) if backlog_lines else 0.0,
                  "target": TARGET_POSTS_PER_MESSAGE,
                  "pass": bool(backlog_lines) and backlog_posts <= TARGET_POSTS_PER_MESSAGE * backlog_lines},
        "delivery": {"lost": lost, "out_of_order": disorder, "pass": lost == 0 and disorder == 0},
        "answers": {"asked": len(answers.asked), "answered": len(answer), "p50_s": _r(percentile(answer, 50)),
                    "p99_s": _r(percentile(answer, 99)), "p99_platform_s": _r(percentile(answer, 99) * k),
                    "target_p99_s": TARGET_ANSWER_P99_S,
                    "pass": bool(answer) and len(answer) == len(answers.asked)
                    and percentile(answer, 99) < TARGET_ANSWER_P99_S},
    }


def opened(ctx, account_id: int, customers: list[Customer], k: float) -> tuple[float, float]:
    """How long after a customer's first message cxbot had opened their conversation (p95, max,
    platform s): the part of the wait that is cxbot's own work, not the limits'. Only this
    run's counter account: a scratch database may hold earlier runs' customers of the same names."""
    with ctx.db.read() as s:
        opened = {name: at for name, at in s.exec(
            select(Contact.display_name, func.min(Conversation.created_at))
            .join(Conversation, Conversation.contact_id == Contact.id)
            .where(Contact.counter_account_id == account_id).group_by(Contact.display_name)).all()}
    lags = [(opened[c.name] - min(c.sent)) * k for c in customers if c.sent and c.name in opened]
    return _r(percentile(lags, 95)), _r(max(lags, default=0.0))

def heard_back(ctx, http: httpx.Client, account_id: int, channel: dict, customers: list[Customer]) -> dict:
    """Who came in the surge (their conversation marked busy when it opened) and heard so at
    once: each LINE customer once, through the reply token (never a push), each mail customer
    one auto-reply; nobody else heard it."""
    with ctx.db.read() as s:
        marked = set(s.exec(
            select(Contact.display_name).join(Conversation, Conversation.contact_id == Contact.id)
            .where(Contact.counter_account_id == account_id, Conversation.busy_ack_at.is_not(None))))
    line_text = busy.default_text(ctx, LINE.kind)
    mail_text = " ".join(busy.default_text(ctx, MAIL.kind).split())
    counts = {"line": {"marked": 0, "replied": 0, "pushed": 0, "twice": 0, "unmarked_told": 0},
              "mail": {"marked": 0, "replied": 0, "twice": 0, "unmarked_told": 0}}
    for c in customers:
        if c.kind == "line":
            chat = http.get("/_sandbox/line/chats", params={"channelId": channel["channelId"],
                                                             "userId": c.address}).raise_for_status().json()
            told = [m for m in chat["messages"] if m["from"] == "bot" and m["message"].get("text") == line_text]
            counts["line"]["pushed"] += sum(1 for m in told if m.get("via") != "reply")
        else:
            caught = http.get("/_sandbox/mail/outbox", params={"to": c.address}).raise_for_status().json()
            told = [m for m in caught if mail_text in " ".join((m.get("text") or "").split())]
        tally = counts[c.kind]
        if c.name in marked:
            tally["marked"] += 1
            tally["replied"] += bool(told)
            tally["twice"] += len(told) > 1
        elif told:
            tally["unmarked_told"] += 1
    line, mail = counts["line"], counts["mail"]
    ok = all(t["replied"] == t["marked"] and not t["twice"] and not t["unmarked_told"] for t in (line, mail))
    return {"line": line, "mail": mail, "pass": bool(line["marked"]) and ok and not line["pushed"]}


def numbered(text: str, number: int) -> list[str]:
    prefix = f"surge#{number}."
    out = []
    for part in text.split(prefix)[1:]:
        digits = ""
        for ch in part:
            if not ch.isdigit():
                break
            digits += ch
        if digits:
            out.append(digits)
    return out


def _r(x: float, digits: int = 1) -> float:
    return round(x, digits) if math.isfinite(x) else x

"""A surge within LINE WORKS' rate limits: what waited for a room goes in as few calls as
it can, in order, and nothing waits behind the backlog that should not."""

from __future__ import annotations

import base64
import re

import pytest

from cxbot.desk.media import default_bot_png
from tests.support.relay import line_desk, line_says, room_texts, wait_room, wait_room_text

pytestmark = pytest.mark.database



def held(seconds: int) -> dict:
    """The platform's one 429 on room posts, saying the budget is spent for `seconds`."""
    return {"method": "POST", "path": "/v1.0/bots/*/channels/*/messages", "status": 429, "times": 1,
            "headers": {"rateLimit-reset": str(seconds), "rateLimit-remaining": "0"}}


@pytest.fixture
def quick(make_wired):
    return make_wired(outbox_backoff=0.02)


def held_room(w, seconds: int = 3):
    """A customer's room, with what it shows so far; then the platform says the room posts'
    budget is spent for `seconds`, so what the customer writes meanwhile waits."""
    desk = line_desk(w, customers=1)
    yamada = desk.customers[0]
    line_says(w, desk, yamada, {"type": "text", "text": "はじめに"})
    room = wait_room(w, "山田 太郎")
    wait_room_text(w, room["roomId"], "はじめに")
    before = len(room_texts(w, room["roomId"]))
    w.http.post("/_sandbox/faults", json=held(seconds)).raise_for_status()
    return desk, yamada, room, before


def test_text_posts_that_waited_go_as_one_post_in_order_and_a_file_goes_alone(quick):
    w = quick
    # Long enough for all seven messages to be queued behind the hold even on a loaded
    # machine: a line queued after the hold ended has not waited, and goes alone.
    desk, yamada, room, before = held_room(w, seconds=8)
    png = base64.b64encode(default_bot_png(16)).decode()
    line_says(w, desk, yamada, {"type": "text", "text": "一つ目"})
    for n in ("二つ目", "三つ目", "四つ目"):
        line_says(w, desk, yamada, {"type": "text", "text": n})
    line_says(w, desk, yamada, {"type": "image", "dataBase64": png, "contentType": "image/png"})
    for n in ("五つ目", "六つ目"):
        line_says(w, desk, yamada, {"type": "text", "text": n})
    texts = wait_room_text(w, room["roomId"], "六つ目", timeout=20)[before:]
    # Fewer posts than messages: the four lines before the image (and the line saying an image
    # was sent) in one, the image itself, the two lines after it in another.
    assert len(texts) == 3, texts
    first, image, last = texts
    assert image == "<image>"
    assert [n for n in ("一つ目", "二つ目", "三つ目", "四つ目") if n in first] == ["一つ目", "二つ目", "三つ目", "四つ目"]
    assert first.index("一つ目") < first.index("二つ目") < first.index("三つ目") < first.index("四つ目")
    assert last.index("五つ目") < last.index("六つ目")
    # Each line says when it was written and who wrote it.
    assert first.index("四つ目") < first.index("画像を送信しました")
    assert len(re.findall(r"^\[\d\d:\d\d:\d\d\] 山田 太郎:", first, re.M)) == 5


def test_a_long_backlog_is_split_at_what_one_post_holds(quick):
    w = quick
    desk, yamada, room, before = held_room(w)
    lines = [f"{n:02d}" + "あ" * 400 for n in range(8)]  # about 3,300 characters in all
    for line in lines:
        line_says(w, desk, yamada, {"type": "text", "text": line})
    texts = wait_room_text(w, room["roomId"], lines[-1][:10], timeout=20)[before:]
    assert all(len(t) <= 2000 for t in texts)
    assert 2 <= len(texts) < len(lines)
    joined = "\n".join(texts)
    assert [joined.index(line) for line in lines] == sorted(joined.index(line) for line in lines)


def test_two_workers_on_one_database_share_the_room_budget_and_never_exceed_the_platforms(make_wired):
    # LINE WORKS' real room limit at a time scale of 20 (10 rooms per 3 s); cxbot's budget the
    # same, spent by two cxbot processes' drainers at once.
    a = make_wired(outbox_backoff=0.02, works_rate_window=3.0)
    b = make_wired(outbox_backoff=0.02, works_rate_window=3.0)
    a.http.post("/_sandbox/settings", json={"timeScale": 20, "rateLimitWindow": "rolling"}).raise_for_status()
    a.http.delete("/_sandbox/rate").raise_for_status()
    names = tuple(f"並行客{i:02d}" for i in range(24))
    desk = line_desk(a, customers=len(names), names=names)
    for customer in desk.customers:
        line_says(a, desk, customer, {"type": "text", "text": f"{customer['displayName']}です"})
    for name in names:
        wait_room_text(a, wait_room(a, name, timeout=30)["roomId"], f"{name}です")
    rate = a.http.get("/_sandbox/rate").json()["operations"]
    rooms = next(x for op, x in rate.items() if op == "POST /v1.0/bots/<bot_id>/channels")
    assert rooms["calls"] >= len(names)
    assert rooms["maxInWindow"] <= 10 and rooms["rejected"] == 0
    assert sum(x["rejected"] for x in rate.values()) == 0

"""The outbox under platform trouble: 429 and 5xx recover, in order; give-ups are visible."""

from __future__ import annotations

import pytest
from sqlmodel import select

from cxbot.base.waiting import wait_for
from cxbot.desk import links
from cxbot.relay.outbox import MAX_ATTEMPTS
from cxbot.storage.models import OutboxItem
from tests.support.relay import (
    agent_rooms,
    intake_rooms,
    agent_says,
    line_chat,
    line_desk,
    line_says,
    room_texts,
    wait_room,
    wait_room_text,
)

pytestmark = pytest.mark.database


def conversation(w, first: str):
    """A LINE customer who has written once, and the CX Talk room that opened for them."""
    desk = line_desk(w, customers=1)
    yamada = desk.customers[0]
    line_says(w, desk, yamada, {"type": "text", "text": first})
    room = wait_room(w, "山田 太郎")
    wait_room_text(w, room["roomId"], first)
    return desk, yamada, room


@pytest.fixture
def quick(make_wired):
    return make_wired(outbox_backoff=0.02)


def test_room_creation_rate_limit_queues_rooms_and_loses_nothing(quick):
    w = quick
    desk = line_desk(w, customers=3)
    w.http.post("/_sandbox/faults", json={"method": "POST", "path": "/v1.0/bots/*/channels", "status": 429,
                                          "times": 2, "headers": {"rateLimit-reset": "1", "rateLimit-limit": "10",
                                                                  "rateLimit-remaining": "0"}})
    for c in desk.customers:
        line_says(w, desk, c, {"type": "text", "text": f"{c['displayName']}です"})
    for c in desk.customers:
        room = wait_room(w, c["displayName"])
        wait_room_text(w, room["roomId"], f"{c['displayName']}です")
    log = w.http.get("/_sandbox/requests", params={"path": "/v1.0/bots/*/channels"}).json()
    assert [r["status"] for r in log if r["method"] == "POST"].count(429) == 2


def test_a_room_that_keeps_failing_stays_queued_and_the_admins_are_told_once(make_wired, admin):
    # Ten tries in seconds (the room budget raised so that they fit in its minute).
    w = make_wired(outbox_backoff=0.005, works_rooms_per_min=60)
    desk = line_desk(w, customers=1)
    yamada = desk.customers[0]
    wait_for(lambda: intake_rooms(w), what="the counter account's intake room, made before the faults")
    failures = MAX_ATTEMPTS + 2
    w.http.post("/_sandbox/faults", json={"method": "POST", "path": "/v1.0/bots/*/channels", "status": 503,
                                          "times": failures})  # more tries than a row that may give up gets
    line_says(w, desk, yamada, {"type": "text", "text": "部屋がなくても届きますか"})
    hub = w.dm_room(admin.user_id)
    told = wait_for(lambda: [m["content"]["text"] for m in w.bot_messages(hub)
                             if "トークルームを作成できなかった" in m["content"].get("text", "")],
                    timeout=30, what="the admins to hear the room could not be made")
    assert "山田 太郎" in told[0] and "メッセージは保存してあり" in told[0] and "503" in told[0]
    # ... and so are the agents, in the counter account's intake room.
    intake = intake_rooms(w)[0]
    stuck = wait_room_text(w, intake["roomId"], "トークルームを作成できていません")
    assert any("山田 太郎" in t and "503" in t for t in stuck), stuck
    room = wait_room(w, "山田 太郎", timeout=30)
    wait_room_text(w, room["roomId"], "部屋がなくても届きますか")
    log = w.http.get("/_sandbox/requests", params={"path": "/v1.0/bots/*/channels"}).json()
    assert [r["status"] for r in log if r["method"] == "POST"].count(503) == failures
    assert len([m for m in w.bot_messages(hub) if "トークルームを作成できなかった" in m["content"].get("text", "")]) == 1
    assert sum("トークルームを作成できていません" in t for t in room_texts(w, intake["roomId"])) == 1
    with w.ctx.db.read() as s:
        assert not s.exec(select(OutboxItem).where(OutboxItem.status == "dead")).all()


def test_5xx_on_room_posts_recovers_in_order(quick):
    w = quick
    desk = line_desk(w, customers=1)
    yamada = desk.customers[0]
    w.http.post("/_sandbox/faults", json={"method": "POST", "path": "/v1.0/bots/*/channels/*/messages",
                                          "status": 503, "times": 3})
    for i in range(1, 5):
        line_says(w, desk, yamada, {"type": "text", "text": f"メッセージ{i}"})
    room = wait_room(w, "山田 太郎")
    texts = wait_room_text(w, room["roomId"], "メッセージ4")
    order = [next(i for i, t in enumerate(texts) if f"メッセージ{n}" in t) for n in range(1, 5)]
    assert order == sorted(order)


def test_a_push_that_keeps_failing_leaves_a_visible_note_in_the_room(quick):
    w = quick
    desk, yamada, room = conversation(w, "質問")
    w.http.post("/_sandbox/faults", json={"method": "POST", "path": "/line/v2/bot/message/push", "status": 500,
                                          "times": 100})
    agent_says(w, room["roomId"], "この回答は届かない")
    texts = wait_room_text(w, room["roomId"], "送信できませんでした", timeout=30)
    assert any("この回答は届かない" in t and "お客様に届いていません" in t for t in texts)
    with w.ctx.db.session() as s:
        dead = s.exec(select(OutboxItem).where(OutboxItem.status == "dead")).all()
        assert [d.action for d in dead] == ["line_push"]


def test_a_refused_push_gives_up_at_once(quick):
    w = quick
    desk, yamada, room = conversation(w, "質問")
    w.http.post("/_sandbox/faults", json={"method": "POST", "path": "/line/v2/bot/message/push", "status": 400,
                                          "times": 1, "body": {"message": "The request body has 1 error(s)"}})
    agent_says(w, room["roomId"], "届かない回答")
    wait_room_text(w, room["roomId"], "送信できませんでした")
    log = w.http.get("/_sandbox/requests", params={"path": "/line/v2/bot/message/push"}).json()
    assert len(log) == 1


def test_unlink_acts_at_once(quick):
    w = quick
    desk, yamada, room = conversation(w, "最初の質問")
    link = links.by_token(w.ctx, desk.token)
    links.set_linked(w.ctx, link.id, False, "test")
    line_says(w, desk, yamada, {"type": "text", "text": "連携解除後"})
    agent_says(w, room["roomId"], "解除後の回答")
    wait_room_text(w, room["roomId"], "連携が解除されているため")
    assert not any("連携解除後" in t for t in room_texts(w, room["roomId"]))
    assert not any("解除後の回答" in (m["message"].get("text") or "") for m in line_chat(w, desk, yamada))
    assert len(agent_rooms(w)) == 1

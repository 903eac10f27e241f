"""LINE's documented rules in the relay: blocked customers, unsent messages, content LINE
cannot hand over, images as LINE takes them."""

from __future__ import annotations

import pytest

from cxbot.base.waiting import wait_for
from tests.support.relay import (
    agent_says,
    line_chat,
    line_desk,
    line_says,
    room_texts,
    wait_line_answer,
    wait_room,
    wait_room_text,
)

pytestmark = pytest.mark.database


def _act(w, desk, what: str, customer: dict, **body) -> dict:
    resp = w.http.post(f"/_sandbox/line/act/{what}", json={
        "channelId": desk.channel["channelId"], "userId": customer["userId"], **body})
    resp.raise_for_status()
    return resp.json()


def _pushed_to(w, customer: dict) -> list[dict]:
    return w.http.get("/_sandbox/line/sent", params={"to": customer["userId"]}).json()


def test_an_answer_to_a_customer_who_blocked_the_account_is_not_sent_until_they_come_back(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    _act(wired, desk, "follow", yamada)
    line_says(wired, desk, yamada, {"type": "text", "text": "返品できますか"})
    room = wait_room(wired, "山田 太郎")["roomId"]
    wait_room_text(wired, room, "返品できますか")
    _act(wired, desk, "unfollow", yamada)
    wait_room_text(wired, room, "ブロックしました")
    agent_says(wired, room, "はい、7日以内なら可能です")
    wait_room_text(wired, room, "ブロックしているため、ここに書き込んだ内容は送られていません")
    agent_says(wired, room, "ご連絡お待ちしています")
    # LINE would answer a push 200 and deliver nothing: cxbot does not push at all.
    assert _pushed_to(wired, yamada) == []
    texts = room_texts(wired, room)
    assert sum("ブロックしているため" in t for t in texts) == 1, texts  # told once, not per line

    _act(wired, desk, "follow", yamada)
    wait_room_text(wired, room, "ブロックを解除しました")
    agent_says(wired, room, "お帰りなさいませ")
    wait_line_answer(wired, desk, yamada, "お帰りなさいませ")
    assert [e["message"].get("text") for e in _pushed_to(wired, yamada)] == ["お帰りなさいませ"]
    assert all(e["delivered"] for e in _pushed_to(wired, yamada))

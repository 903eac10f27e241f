"""Inbound events that cannot be handled: on the last try the room still hears of the
message, and what is given up for good reaches the admins in the hub chat, once."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from cxbot.base.waiting import wait_for
from cxbot.desk import links
from cxbot.desk.media import default_bot_png
from cxbot.inbox import MAX_ATTEMPTS
from tests.support.relay import employee_says, line_desk, line_says, wait_room, wait_room_text, works_desk

pytestmark = pytest.mark.database

CONTENT = "/line-data/v2/bot/message/*/content"


@pytest.fixture
def quick(make_wired):
    return make_wired(inbox_backoff=0.02, outbox_backoff=0.02)


def admin_notes(w, admin, part: str) -> list[str]:
    hub = w.dm_room(admin.user_id)
    return [m["content"]["text"] for m in w.bot_messages(hub) if part in m["content"].get("text", "")]


def test_a_line_image_line_never_hands_over_reaches_the_room_as_not_fetched_after_the_last_try(quick, admin):
    w = quick
    desk = line_desk(w, customers=1)
    yamada = desk.customers[0]
    w.http.post("/_sandbox/faults", json={"method": "GET", "path": CONTENT, "status": 500,
                                          "times": 1000}).raise_for_status()
    png = base64.b64encode(default_bot_png(16)).decode()
    line_says(w, desk, yamada, {"type": "image", "dataBase64": png, "contentType": "image/png"})
    line_says(w, desk, yamada, {"type": "text", "text": "写真、届きましたか"})
    room = wait_room(w, "山田 太郎", timeout=60)  # opened once the image is recorded, after its last try
    texts = wait_room_text(w, room["roomId"], "写真、届きましたか", timeout=30)
    shown = [t for t in texts if "画像を取得できませんでした" in t]
    assert len(shown) == 1 and "LINEに接続できませんでした" in shown[0], texts
    assert texts.index(shown[0]) < texts.index(next(t for t in texts if "写真、届きましたか" in t))
    tried = [r for r in w.http.get("/_sandbox/requests", params={"path": CONTENT}).json() if r["method"] == "GET"]
    assert tried and all(r["status"] == 500 for r in tried)
    assert len(tried) >= MAX_ATTEMPTS  # every try asked LINE before the room was told
    assert w.ctx.inbox.count("failed") == 0  # nothing was given up
    assert admin_notes(w, admin, "処理できず") == []


def test_an_event_that_cannot_be_handled_tells_the_admins_once(quick, admin, employee):
    w = quick
    desk = works_desk(w, account="経理")
    employee_says(w, desk, employee, "経費の件で質問です")
    room = wait_room(w, "田中 一郎")
    wait_room_text(w, room["roomId"], "経費の件で質問です")
    # An image event whose shape cxbot cannot read (no fileId), as LINE WORKS would post it.
    body = json.dumps({"type": "message", "issuedTime": "2026-01-05T09:00:00.000Z",
                       "source": {"userId": employee.user_id, "domainId": int(w.ctx.settings.works_domain_id)},
                       "content": {"type": "image", "resourceId": "r-1"}}).encode()
    url = links.webhook_url(w.ctx, "works_bot", desk.token)
    assert httpx.post(url, content=body, headers={"X-WORKS-BotId": str(desk.bot_id)}).status_code == 200
    told = wait_for(lambda: admin_notes(w, admin, "処理できず"), timeout=30,
                    what="the admins to hear the event was given up")
    note = told[0]
    assert "LINE WORKS内Bot" in note and "経理" in note and "田中 一郎" in note, note
    assert "読み取れませんでした" in note, note
    assert "resourceId" not in note and "r-1" not in note  # never the raw body
    wait_for(lambda: w.ctx.inbox.count("failed") == 1, what="the event given up")
    employee_says(w, desk, employee, "その後の質問です")
    wait_room_text(w, room["roomId"], "その後の質問です")
    assert len(admin_notes(w, admin, "処理できず")) == 1

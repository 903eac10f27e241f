"""LINE customers ↔ CX Talk rooms, end to end through the sandbox."""

from __future__ import annotations

import base64

import httpx
import pytest

from cxbot.base.signatures import sign
from cxbot.base.waiting import wait_for
from cxbot.desk import links
from cxbot.desk.media import default_bot_png
from tests.support.relay import (
    INTAKE_TITLE,
    agent_rooms,
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


def test_a_line_customer_and_an_agent_hold_a_conversation(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    sent = line_says(wired, desk, yamada, {"type": "text", "text": "注文した商品がまだ届きません"})
    assert sent["webhook"]["status"] == 200
    room = wait_room(wired, "山田 太郎")
    assert room["title"] == "山田 太郎 (LINE・Support)"
    texts = wait_room_text(wired, room["roomId"], "注文した商品がまだ届きません")
    assert "新しいお問い合わせ" in texts[0] and "/終了" in texts[0]  # the header card comes first
    agent_says(wired, room["roomId"], "ご不便をおかけしております。お調べします。")
    wait_line_answer(wired, desk, yamada, "お調べします")


def test_a_redelivered_event_is_relayed_once(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    sent = line_says(wired, desk, yamada, {"type": "text", "text": "一度だけ"})
    wired.http.post("/_sandbox/line/act/redeliver", json={"channelId": desk.channel["channelId"],
                                                          "webhookEventId": sent["webhookEventId"]})
    line_says(wired, desk, yamada, {"type": "text", "text": "二通目です"})
    room = wait_room(wired, "山田 太郎")
    texts = wait_room_text(wired, room["roomId"], "二通目です")
    assert sum("一度だけ" in t for t in texts) == 1, texts


def test_one_webhook_with_several_users_routes_each_to_their_own_room(wired):
    desk = line_desk(wired, customers=2)
    a, b = desk.customers
    wired.http.post("/_sandbox/line/act/batch", json={"channelId": desk.channel["channelId"], "events": [
        {"userId": a["userId"], "message": {"type": "text", "text": "Aです"}},
        {"userId": b["userId"], "message": {"type": "text", "text": "Bです"}},
    ]}).raise_for_status()
    room_a, room_b = wait_room(wired, a["displayName"]), wait_room(wired, b["displayName"])
    assert room_a["roomId"] != room_b["roomId"]
    assert any("Aです" in t for t in wait_room_text(wired, room_a["roomId"], "Aです"))
    assert not any("Bです" in t for t in room_texts(wired, room_a["roomId"]))
    wait_room_text(wired, room_b["roomId"], "Bです")


def test_an_image_album_opens_one_room_in_order(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    png = base64.b64encode(default_bot_png(16)).decode()
    for i in range(3):
        line_says(wired, desk, yamada, {"type": "image", "dataBase64": png, "contentType": "image/png"})
    line_says(wired, desk, yamada, {"type": "text", "text": "写真は以上です"})
    room = wait_room(wired, "山田 太郎")
    texts = wait_room_text(wired, room["roomId"], "写真は以上です")
    assert texts.count("<image>") == 3
    assert texts.index("<image>") < texts.index(next(t for t in texts if "写真は以上です" in t))
    groups = [r for r in wired.http.get("/_sandbox/rooms", params={"userId": "c0a80001-0000-4000-8000-000000000002"}).json()
              if r["kind"] == "group" and not r["title"].startswith(INTAKE_TITLE)]
    assert len(groups) == 1


def test_stickers_and_locations_are_readable(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    line_says(wired, desk, yamada, {"type": "sticker", "packageId": "446", "stickerId": "1988"})
    line_says(wired, desk, yamada, {"type": "location", "title": "東京駅", "address": "東京都千代田区丸の内1丁目",
                                    "latitude": 35.681, "longitude": 139.767})
    room = wait_room(wired, "山田 太郎")
    texts = wait_room_text(wired, room["roomId"], "東京駅")
    assert any("[スタンプ]" in t for t in texts)
    assert any("丸の内" in t for t in texts)


def test_close_and_internal_notes(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    line_says(wired, desk, yamada, {"type": "text", "text": "質問1"})
    room = wait_room(wired, "山田 太郎")
    wait_room_text(wired, room["roomId"], "質問1")
    agent_says(wired, room["roomId"], "/メモ 在庫を確認中")
    agent_says(wired, room["roomId"], "確認します")
    wait_line_answer(wired, desk, yamada, "確認します")
    assert not any("在庫" in (m["message"].get("text") or "") for m in line_chat(wired, desk, yamada))
    agent_says(wired, room["roomId"], "/終了")
    wait_room_text(wired, room["roomId"], "対応を終了しました")
    line_says(wired, desk, yamada, {"type": "text", "text": "質問2"})
    wait_room_text(wired, room["roomId"], "質問2")  # the next conversation, in the same room
    assert len([r for r in agent_rooms(wired) if "山田" in r["title"]]) == 1


def test_a_forged_line_webhook_is_refused_and_stores_nothing(wired):
    import httpx


    desk = line_desk(wired)
    body = b'{"destination":"U1","events":[{"type":"message","mode":"active","timestamp":1,' \
           b'"source":{"type":"user","userId":"U0"},"webhookEventId":"01X","message":{"id":"1","type":"text","text":"x"}}]}'
    url = links.webhook_url(wired.ctx, "line", desk.token)
    for signature in (sign("f" * 32, body), None):
        headers = {"x-line-signature": signature} if signature else {}
        assert httpx.post(url, content=body, headers=headers).status_code == 401
    assert wired.ctx.inbox.count(sources=("line",)) == 0


def test_a_malformed_line_webhook_is_answered_400_with_what_is_wrong_and_stores_nothing(wired):
    desk = line_desk(wired, customers=0)
    url = links.webhook_url(wired.ctx, "line", desk.token)
    cases = (  # (a signed body that is not a LINE webhook, what the answer names)
        (b'{"destination":"U1","events":[{"mode":"active"}]}', "events[0].type"),
        (b'{"destination":"U1","events":[1]}', "events[0]"),
        (b'{"destination":"U1","events":{}}', "events"),
        (b'{"destination":"U1","events":[{"type":"message","webhookEventId":7}]}', "webhookEventId"),
        (b'{"events":[{"type":"message"}]}', "destination"),
    )
    for body, named in cases:
        signed = {"x-line-signature": sign(desk.channel["channelSecret"], body)}
        resp = httpx.post(url, content=body, headers=signed)
        assert resp.status_code == 400, body
        error = resp.json()["error"]
        assert error.startswith("body is not a LINE webhook: ") and named in error, (body, error)
    assert wired.ctx.inbox.count(sources=("line",)) == 0


def test_an_agents_image_and_file_reach_the_line_customer(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    line_says(wired, desk, yamada, {"type": "text", "text": "写真を送ってください"})
    room = wait_room(wired, "山田 太郎")
    wait_room_text(wired, room["roomId"], "写真を送ってください")
    png = default_bot_png(32)
    for name, kind, data, ctype in (("map.png", "image", png, "image/png"),
                                    ("manual.pdf", "file", b"%PDF-1.4 demo", "application/pdf")):
        wired.http.post("/_sandbox/act/file", json={
            "userId": "c0a80001-0000-4000-8000-000000000002", "botId": int(wired.tenant.bot_id),
            "channelId": room["roomId"], "fileName": name, "contentType": ctype,
            "dataBase64": base64.b64encode(data).decode(), "kind": kind}).raise_for_status()

    def got():
        msgs = [m["message"] for m in line_chat(wired, desk, yamada) if m["from"] == "bot"]
        return msgs if len(msgs) >= 2 else None

    image, link = wait_for(got, what="the image and the file at the customer")
    assert image["type"] == "image" and image["originalContentUrl"].startswith(wired.url + "/media/")
    import httpx

    assert httpx.get(image["originalContentUrl"]).content == png
    assert link["type"] == "text" and "manual.pdf" in link["text"]

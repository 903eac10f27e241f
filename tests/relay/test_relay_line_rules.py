"""LINE's documented rules in the relay: blocked customers, unsent messages, content LINE
cannot hand over, images as LINE takes them."""

from __future__ import annotations

import base64
import io

import httpx
import pytest
from PIL import Image

from cxbot.base.waiting import wait_for
from tests.support.relay import (
    AGENTS,
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


def _agent_sends_file(w, room: str, name: str, data: bytes, ctype: str, kind: str = "image") -> None:
    w.http.post("/_sandbox/act/file", json={
        "userId": AGENTS[0].user_id, "botId": int(w.tenant.bot_id), "channelId": room, "fileName": name,
        "contentType": ctype, "dataBase64": base64.b64encode(data).decode(), "kind": kind}).raise_for_status()


def _gif(size=(300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (250, 120, 0)).save(out, "GIF")
    return out.getvalue()


def test_an_agents_gif_reaches_the_line_customer_as_a_jpeg_with_its_own_preview(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    line_says(wired, desk, yamada, {"type": "text", "text": "地図をください"})
    room = wait_room(wired, "山田 太郎")["roomId"]
    wait_room_text(wired, room, "地図をください")
    _agent_sends_file(wired, room, "店舗の地図.gif", _gif(), "image/gif")

    entry = wait_for(lambda: next((m for m in line_chat(wired, desk, yamada) if m["from"] == "bot"), None),
                     what="the image at the customer")
    image = entry["message"]
    assert image["type"] == "image"
    assert "problems" not in entry, entry["problems"]  # the customer's app shows it
    original, preview = httpx.get(image["originalContentUrl"]), httpx.get(image["previewImageUrl"])
    assert original.headers["Content-Type"] == "image/jpeg" and original.content.startswith(b"\xff\xd8\xff")
    assert Image.open(io.BytesIO(original.content)).size == (300, 200)
    assert image["previewImageUrl"] != image["originalContentUrl"] and len(preview.content) <= 1024 * 1024
    assert image["originalContentUrl"].isascii()


def test_an_image_that_cannot_be_read_is_not_sent_and_the_room_is_told(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    line_says(wired, desk, yamada, {"type": "text", "text": "写真をお願いします"})
    room = wait_room(wired, "山田 太郎")["roomId"]
    wait_room_text(wired, room, "写真をお願いします")
    _agent_sends_file(wired, room, "photo.heic", b"\x00\x00\x00\x18ftypheic not decodable", "image/heic")
    texts = wait_room_text(wired, room, "送信できませんでした")
    note = next(t for t in texts if "送信できませんでした" in t)
    assert "photo.heic" in note and "JPEG・PNG" in note
    agent_says(wired, room, "別の形式で送ります")
    wait_line_answer(wired, desk, yamada, "別の形式で送ります")
    assert [m["message"]["type"] for m in line_chat(wired, desk, yamada) if m["from"] == "bot"] == ["text"]


def test_an_agents_mp4_plays_in_the_line_chat_with_a_preview(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    line_says(wired, desk, yamada, {"type": "text", "text": "使い方の動画はありますか"})
    room = wait_room(wired, "山田 太郎")["roomId"]
    wait_room_text(wired, room, "使い方の動画はありますか")
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    _agent_sends_file(wired, room, "使い方.mp4", mp4, "application/octet-stream", kind="file")
    entry = wait_for(lambda: next((m for m in line_chat(wired, desk, yamada) if m["from"] == "bot"), None),
                     what="the video at the customer")
    assert entry["message"]["type"] == "video" and "problems" not in entry, entry
    assert httpx.get(entry["message"]["originalContentUrl"]).content == mp4

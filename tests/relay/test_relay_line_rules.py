"""LINE's documented rules in the relay: blocked customers, unsent messages, content LINE
cannot hand over, images, video and audio as LINE takes them."""

from __future__ import annotations

import base64
import io
import json
import wave
from pathlib import Path

import httpx
import pytest
from PIL import Image

from sqlmodel import select

from cxbot.base.waiting import wait_for
from cxbot.desk import media
from cxbot.desk.media import default_bot_png
from cxbot.storage.models import Message
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


def test_an_answer_queued_before_the_block_is_not_pushed_after_it(make_wired):
    wired = make_wired(outbox_backoff=2.0)  # the first retry comes 2-4 s after a failed push
    desk = line_desk(wired)
    yamada = desk.customers[0]
    _act(wired, desk, "follow", yamada)
    line_says(wired, desk, yamada, {"type": "text", "text": "在庫はありますか"})
    room = wait_room(wired, "山田 太郎")["roomId"]
    wait_room_text(wired, room, "在庫はありますか")
    wired.http.post("/_sandbox/faults", json={"method": "POST", "path": "/line/v2/bot/message/push",
                                              "status": 500, "times": 1}).raise_for_status()
    agent_says(wired, room, "ございます")
    wait_for(lambda: wired.http.get("/_sandbox/requests", params={"path": "/line/v2/bot/message/push"}).json(),
             what="the first push (it fails)")
    _act(wired, desk, "unfollow", yamada)
    note = next(t for t in wait_room_text(wired, room, "送信できませんでした") if "送信できませんでした" in t)
    assert "ございます" in note and "ブロック" in note
    assert _pushed_to(wired, yamada) == []


def _conversation(w, first: str):
    """A LINE customer who wrote `first`, and the CX Talk room it reached."""
    desk = line_desk(w)
    yamada = desk.customers[0]
    line_says(w, desk, yamada, {"type": "text", "text": first})
    room = wait_room(w, "山田 太郎")["roomId"]
    wait_room_text(w, room, first)
    return desk, yamada, room


def _agent_sends_file(w, room: str, name: str, data: bytes, ctype: str, kind: str = "image") -> None:
    w.http.post("/_sandbox/act/file", json={
        "userId": AGENTS[0].user_id, "botId": int(w.tenant.bot_id), "channelId": room, "fileName": name,
        "contentType": ctype, "dataBase64": base64.b64encode(data).decode(), "kind": kind}).raise_for_status()


def _gif(size=(300, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (250, 120, 0)).save(out, "GIF")
    return out.getvalue()


def test_an_agents_gif_reaches_the_line_customer_as_a_jpeg_with_its_own_preview(wired):
    desk, yamada, room = _conversation(wired, "地図をください")
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
    desk, yamada, room = _conversation(wired, "写真をお願いします")
    _agent_sends_file(wired, room, "photo.heic", b"\x00\x00\x00\x18ftypheic not decodable", "image/heic")
    texts = wait_room_text(wired, room, "送信できませんでした")
    note = next(t for t in texts if "送信できませんでした" in t)
    assert "photo.heic" in note and "JPEG・PNG" in note
    agent_says(wired, room, "別の形式で送ります")
    wait_line_answer(wired, desk, yamada, "別の形式で送ります")
    assert [m["message"]["type"] for m in line_chat(wired, desk, yamada) if m["from"] == "bot"] == ["text"]


def test_an_agents_mp4_plays_in_the_line_chat_with_a_preview(wired):
    desk, yamada, room = _conversation(wired, "使い方の動画はありますか")
    mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    _agent_sends_file(wired, room, "使い方.mp4", mp4, "application/octet-stream", kind="file")
    entry = wait_for(lambda: next((m for m in line_chat(wired, desk, yamada) if m["from"] == "bot"), None),
                     what="the video at the customer")
    assert entry["message"]["type"] == "video" and "problems" not in entry, entry
    assert httpx.get(entry["message"]["originalContentUrl"]).content == mp4


FIXTURES = Path(__file__).parents[1] / "fixtures"


def _bot_entry_once_pushed(w, desk, customer: dict) -> dict:
    """The OA's message in the customer's chat, once LINE has answered the push (the user's
    app has looked at its files by then, so `problems` is final)."""
    def pushed():
        with w.ctx.db.read() as s:
            statuses = s.exec(select(Message.status).where(Message.direction == "out")).all()
        return statuses and all(st == "sent" for st in statuses)

    wait_for(pushed, what="the answer pushed")
    return next(m for m in line_chat(w, desk, customer) if m["from"] == "bot")


@pytest.mark.parametrize("fixture, said_type, served_as, millis", [
    ("tone-1500ms.m4a", "application/octet-stream", "audio/mp4", 1500),
    ("tone-1200ms.mp3", "audio/mpeg", "audio/mpeg", 1200),
])
def test_an_agents_m4a_or_mp3_plays_in_the_line_chat_with_its_length(wired, fixture, said_type, served_as, millis):
    desk, yamada, room = _conversation(wired, "音声で説明してもらえますか")
    data = (FIXTURES / fixture).read_bytes()
    _agent_sends_file(wired, room, "ご案内" + Path(fixture).suffix, data, said_type, kind="file")
    entry = _bot_entry_once_pushed(wired, desk, yamada)
    sound = entry["message"]
    assert sound["type"] == "audio" and "problems" not in entry, entry
    assert abs(sound["duration"] - millis) <= 100, sound  # the customer's app shows this length
    served = httpx.get(sound["originalContentUrl"])
    assert served.headers["Content-Type"] == served_as and served.content == data


def _wav(seconds: float = 1.0, rate: int = 8000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(b"\x00\x00" * int(seconds * rate))
    return out.getvalue()


def test_a_wav_answer_goes_as_a_link_and_the_room_is_told_why(wired):
    desk, yamada, room = _conversation(wired, "録音を送ってください")
    wav = _wav()
    _agent_sends_file(wired, room, "録音.wav", wav, "audio/wav", kind="file")
    note = next(t for t in wait_room_text(wired, room, "リンクとして送りました") if "リンクとして送りました" in t)
    assert "録音.wav" in note and "mp3・m4a" in note, note
    link = wait_line_answer(wired, desk, yamada, "録音.wav")[-1]["message"]
    assert link["type"] == "text"
    url = link["text"].split(": ", 1)[1].strip()
    assert httpx.get(url).content == wav  # the customer can still open cxbot's copy


def _media_of(w, message_id: str) -> list[dict]:
    """The files cxbot keeps of a customer's message (as /media serves them)."""
    with w.ctx.db.read() as s:
        row = s.exec(select(Message).where(Message.source_id == message_id, Message.direction == "in")).one()
        return json.loads(row.attachments_json)


def test_an_unsent_message_is_named_in_the_room_and_its_files_are_no_longer_served(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    said = line_says(wired, desk, yamada, {"type": "text", "text": "電話番号は090-1234-5678です"})
    png = base64.b64encode(default_bot_png(16)).decode()
    photo = line_says(wired, desk, yamada, {"type": "image", "dataBase64": png, "contentType": "image/png"})
    room = wait_room(wired, "山田 太郎")["roomId"]
    wait_for(lambda: room_texts(wired, room).count("<image>") == 1, what="the photo in the room")
    [stored] = _media_of(wired, photo["messageId"])
    url = media.url(wired.ctx, stored["token"], stored["file_name"])
    assert httpx.get(url).status_code == 200

    _act(wired, desk, "unsend", yamada, messageId=photo["messageId"])
    wait_room_text(wired, room, "画像の送信を取り消しました")
    assert httpx.get(url).status_code == 404
    _act(wired, desk, "unsend", yamada, messageId=said["messageId"])
    wait_room_text(wired, room, "メッセージ「電話番号は090-1234-5678です」の送信を取り消しました")
    with wired.ctx.db.read() as s:
        kept = s.exec(select(Message.text).where(Message.source_id == said["messageId"])).one()
    assert kept == ""  # cxbot keeps nothing of what the customer withdrew


def _webhook(w, desk, on: bool) -> None:
    w.http.post("/_sandbox/line/console/webhook", json={"channelId": desk.channel["channelId"],
                                                        "useWebhook": on}).raise_for_status()


def _redeliver(w, desk, sent: dict) -> None:
    w.http.post("/_sandbox/line/act/redeliver", json={"channelId": desk.channel["channelId"],
                                                      "webhookEventIds": [sent["webhookEventId"]]}).raise_for_status()


def test_content_unsent_before_cxbot_fetched_it_still_shows_the_message(wired):
    desk, yamada, room = _conversation(wired, "写真を送ります")
    _webhook(wired, desk, False)  # cxbot is unreachable a while; LINE redelivers later
    png = base64.b64encode(default_bot_png(16)).decode()
    photo = line_says(wired, desk, yamada, {"type": "image", "dataBase64": png, "contentType": "image/png"})
    unsent = _act(wired, desk, "unsend", yamada, messageId=photo["messageId"])
    _webhook(wired, desk, True)
    # One after the other: an unsend handled before the photo's note is posted cancels that note
    # (nothing of an unsent message is shown), so redelivered together the outcome would be a race.
    _redeliver(wired, desk, photo)
    wait_room_text(wired, room, "画像を取得できませんでした(お客様が送信を取り消しました)")
    _redeliver(wired, desk, unsent)
    wait_room_text(wired, room, "の送信を取り消しました")


def test_external_content_shows_its_url_in_the_room(wired):
    desk = line_desk(wired)
    yamada = desk.customers[0]
    line_says(wired, desk, yamada, {"type": "image", "contentProvider": {
        "type": "external", "originalContentUrl": "https://photos.example/p/1.jpg",
        "previewImageUrl": "https://photos.example/p/1s.jpg"}})
    room = wait_room(wired, "山田 太郎")["roomId"]
    wait_room_text(wired, room, "画像を送信しました(LINEの外にあるファイルです): https://photos.example/p/1.jpg")


def test_a_video_still_being_prepared_after_the_wait_shows_in_the_room_as_not_fetched(make_wired):
    wired = make_wired(line_content_wait=1.0)
    desk = line_desk(wired)
    yamada = desk.customers[0]
    mp4 = base64.b64encode(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32).decode()
    line_says(wired, desk, yamada, {"type": "video", "dataBase64": mp4, "transcoding": "processing"})
    room = wait_room(wired, "山田 太郎")["roomId"]
    wait_room_text(wired, room, "動画を取得できませんでした(LINEでの準備が待っても終わりませんでした)")
    failed = line_says(wired, desk, yamada, {"type": "video", "dataBase64": mp4, "transcoding": "failed"})
    assert failed["messageId"]
    wait_room_text(wired, room, "動画を取得できませんでした(LINEでの準備に失敗しました)")


def test_a_video_is_fetched_once_line_has_prepared_it(make_wired):
    wired = make_wired(line_content_wait=8.0)
    desk = line_desk(wired)
    yamada = desk.customers[0]
    mp4 = base64.b64encode(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32).decode()
    sent = line_says(wired, desk, yamada, {"type": "video", "dataBase64": mp4, "transcoding": "processing"})
    wired.http.post(f"/_sandbox/line/content/{sent['messageId']}/transcoding",
                    json={"status": "succeeded"}).raise_for_status()
    room = wait_room(wired, "山田 太郎")["roomId"]
    wait_for(lambda: "<file>" in room_texts(wired, room), what="the video in the room")
    assert not any("取得できませんでした" in t for t in room_texts(wired, room))

"""The LINE sandbox's media rules over real HTTP: what the user's app finds behind an
image, video or audio message's URLs, an audio message's required duration, content a user unsent (410), content LINE does not hold
(`contentProvider.type: external`) and video still being prepared (202, transcoding)."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from flask import Flask, Response
from linebot.v3.webhooks import CallbackRequest, ImageMessageContent, UnsendEvent

from cxbot.base.serving import serve_in_thread
from cxbot.sandbox import World, create_app

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100
FIXTURES = Path(__file__).parents[1] / "fixtures"
M4A = (FIXTURES / "tone-1500ms.m4a").read_bytes()
MP3 = (FIXTURES / "tone-1200ms.mp3").read_bytes()
FILES = {  # name: (bytes, Content-Type)
    "photo.jpg": (JPEG, "image/jpeg"),
    "photo.png": (PNG, "image/png"),
    "big-preview.jpg": (JPEG + b"\x00" * (1024 * 1024), "image/jpeg"),
    "anim.gif": (b"GIF89a" + b"\x00" * 50, "image/gif"),
    "png-said-jpeg.jpg": (PNG, "image/jpeg"),
    "clip.mp4": (MP4, "video/mp4"),
    "voice.m4a": (M4A, "audio/mp4"),
    "voice.mp3": (MP3, "audio/mpeg"),
    "voice-as-file.m4a": (M4A, "application/octet-stream"),
    "video-as-audio.m4a": (MP4, "audio/mp4"),  # an ISO media file with no sound track
    "tag-only.mp3": (MP3[:MP3.index(b"\xff\xf3")], "audio/mpeg"),  # the ID3 tag, no audio frames
    "m4a-as-mpeg.mp3": (M4A, "audio/mpeg"),
}


@pytest.fixture(scope="module")
def servers():
    files = Flask("files")

    @files.get("/f/<name>")
    def file(name: str):
        if name not in FILES:
            return "", 404
        data, ctype = FILES[name]
        return Response(data, content_type=ctype)

    sandbox = serve_in_thread(create_app(World()), name="sandbox")
    host = serve_in_thread(files, name="files")
    yield sandbox, host
    sandbox.stop()
    host.stop()


@pytest.fixture
def oa(servers):
    sandbox, host = servers
    with httpx.Client(base_url=sandbox.url, timeout=15, trust_env=False) as client:
        client.post("/_sandbox/reset").raise_for_status()
        channel = client.post("/_sandbox/line/channels", json={"displayName": "サポート窓口"}).json()
        user = client.post("/_sandbox/line/users", json={"displayName": "山田 太郎"}).json()
        client.post("/_sandbox/line/act/follow", json={"channelId": channel["channelId"],
                                                       "userId": user["userId"]}).raise_for_status()
        yield client, channel, user, host.url + "/f/"


def _push(client, channel, user, message: dict) -> dict:
    r = client.post("/line/v2/bot/message/push", json={"to": user["userId"], "messages": [message]},
                    headers={"Authorization": f"Bearer {channel['accessToken']}"})
    assert r.status_code == 200, r.text  # LINE does not look at the files when it accepts a push
    chat = client.get("/_sandbox/line/chats", params={"channelId": channel["channelId"],
                                                      "userId": user["userId"]}).json()["messages"]
    return chat[-1]


@pytest.mark.parametrize("original, preview, problem", [
    ("photo.jpg", "photo.png", None),
    ("photo.png", "photo.jpg", None),
    ("anim.gif", "photo.jpg", "originalContentUrl: Content-Type image/gif is not one of image/jpeg, image/png"),
    ("photo.jpg", "big-preview.jpg", "previewImageUrl: over 1 MB"),
    ("png-said-jpeg.jpg", "photo.jpg", "originalContentUrl: the bytes are not image/jpeg"),
    ("photo.jpg", "missing.jpg", "previewImageUrl: answered 404"),
])
def test_the_users_app_shows_an_image_only_when_its_files_keep_the_rules(oa, original, preview, problem):
    client, channel, user, base = oa
    entry = _push(client, channel, user, {"type": "image", "originalContentUrl": base + original,
                                          "previewImageUrl": base + preview})
    assert entry.get("problems", []) == ([problem] if problem else [])


def test_a_video_needs_an_mp4_and_an_image_preview(oa):
    client, channel, user, base = oa
    entry = _push(client, channel, user, {"type": "video", "originalContentUrl": base + "clip.mp4",
                                          "previewImageUrl": base + "photo.jpg"})
    assert "problems" not in entry
    entry = _push(client, channel, user, {"type": "video", "originalContentUrl": base + "photo.jpg",
                                          "previewImageUrl": base + "clip.mp4"})
    assert len(entry["problems"]) == 2


@pytest.mark.parametrize("name, problem", [
    ("voice.m4a", None),
    ("voice.mp3", None),
    ("voice-as-file.m4a", "originalContentUrl: Content-Type application/octet-stream is not one of audio/mpeg, "
                          "audio/mp3, audio/mp4, audio/m4a, audio/x-m4a"),
    ("video-as-audio.m4a", "originalContentUrl: the bytes are not audio/mp4"),
    ("tag-only.mp3", "originalContentUrl: the bytes are not audio/mpeg"),
    ("m4a-as-mpeg.mp3", "originalContentUrl: the bytes are not audio/mpeg"),
])
def test_the_users_app_plays_an_audio_only_when_it_is_an_mp3_or_m4a_served_as_one(oa, name, problem):
    client, channel, user, base = oa
    entry = _push(client, channel, user, {"type": "audio", "originalContentUrl": base + name, "duration": 1500})
    assert entry.get("problems", []) == ([problem] if problem else [])


@pytest.mark.parametrize("duration, message", [
    (None, "May not be null"),
    (0, "Must be greater than or equal to 1"),
    (-1500, "Must be greater than or equal to 1"),
    (1.5, "Must be an integer"),
    ("1500", "Must be an integer"),
    (True, "Must be an integer"),
])
def test_an_audio_message_needs_its_length_in_whole_milliseconds(oa, duration, message):
    client, channel, user, base = oa
    audio = {"type": "audio", "originalContentUrl": base + "voice.m4a"}
    if duration is not None:
        audio["duration"] = duration
    r = client.post("/line/v2/bot/message/push", json={"to": user["userId"], "messages": [audio]},
                    headers={"Authorization": f"Bearer {channel['accessToken']}"})
    assert r.status_code == 400
    assert r.json() == {"message": "The request body has 1 error(s)",
                        "details": [{"message": message, "property": "messages[0].duration"}]}
    chat = client.get("/_sandbox/line/chats", params={"channelId": channel["channelId"],
                                                      "userId": user["userId"]}).json()["messages"]
    assert [m["message"]["type"] for m in chat] == ["text"]  # the greeting only: no audio reached the user


def _say(client, channel, user, message: dict) -> dict:
    r = client.post("/_sandbox/line/act/message", json={"channelId": channel["channelId"], "userId": user["userId"],
                                                       "message": message})
    assert r.status_code == 200, r.text
    return r.json()


def _data_api(client, channel, path: str) -> httpx.Response:
    return client.get("/line-data" + path, headers={"Authorization": f"Bearer {channel['accessToken']}"})


def _last_event(client, channel):
    """The last webhook the sandbox built, read by line-bot-sdk's strict models."""
    body = client.get("/_sandbox/line/webhooks", params={"channelId": channel["channelId"]}).json()[-1]["body"]
    [event] = CallbackRequest.from_dict(body).events
    return event


def test_an_unsent_message_leaves_the_chat_and_its_content_is_gone(oa):
    client, channel, user, _ = oa
    sent = _say(client, channel, user, {"type": "video", "dataBase64": base64.b64encode(MP4).decode()})
    mid = sent["messageId"]
    r = client.post("/_sandbox/line/act/unsend", json={"channelId": channel["channelId"], "userId": user["userId"],
                                                      "messageId": mid})
    assert r.status_code == 200, r.text
    event = _last_event(client, channel)
    assert isinstance(event, UnsendEvent) and event.unsend.message_id == mid
    assert "replyToken" not in r.json()["event"]
    for path in (f"/v2/bot/message/{mid}/content", f"/v2/bot/message/{mid}/content/transcoding"):
        gone = _data_api(client, channel, path)
        assert gone.status_code == 410 and gone.json() == {"message": "The content is gone"}
    [entry] = [m for m in client.get("/_sandbox/line/chats", params={
        "channelId": channel["channelId"], "userId": user["userId"]}).json()["messages"] if m["from"] == "user"]
    assert entry["unsent"] is True and "dataBase64" not in entry["message"]
    again = client.post("/_sandbox/line/act/unsend", json={"channelId": channel["channelId"],
                                                          "userId": user["userId"], "messageId": mid})
    assert again.status_code == 409 and again.json()["code"] == "already_unsent"
    nope = client.post("/_sandbox/line/act/unsend", json={"channelId": channel["channelId"],
                                                         "userId": user["userId"], "messageId": "1"})
    assert nope.status_code == 404


def test_external_content_comes_with_its_urls_and_not_from_the_content_api(oa):
    client, channel, user, base = oa
    sent = _say(client, channel, user, {"type": "image", "contentProvider": {
        "type": "external", "originalContentUrl": base + "photo.jpg", "previewImageUrl": base + "photo.png"}})
    event = _last_event(client, channel)
    assert isinstance(event.message, ImageMessageContent)
    provider = event.message.content_provider
    assert (provider.type, provider.original_content_url) == ("external", base + "photo.jpg")
    r = _data_api(client, channel, f"/v2/bot/message/{sent['messageId']}/content")
    assert r.status_code == 404 and r.json() == {"message": "not found"}


def test_a_video_being_prepared_answers_202_until_its_transcoding_succeeds(oa):
    client, channel, user, _ = oa
    sent = _say(client, channel, user, {"type": "video", "dataBase64": base64.b64encode(MP4).decode(),
                                        "transcoding": "processing"})
    mid = sent["messageId"]
    assert _data_api(client, channel, f"/v2/bot/message/{mid}/content").status_code == 202
    status = _data_api(client, channel, f"/v2/bot/message/{mid}/content/transcoding")
    assert status.status_code == 200 and status.json() == {"status": "processing"}
    client.post(f"/_sandbox/line/content/{mid}/transcoding", json={"status": "succeeded"}).raise_for_status()
    assert _data_api(client, channel, f"/v2/bot/message/{mid}/content/transcoding").json() == {"status": "succeeded"}
    got = _data_api(client, channel, f"/v2/bot/message/{mid}/content")
    assert got.status_code == 200 and got.content == MP4

    image = _say(client, channel, user, {"type": "image", "dataBase64": base64.b64encode(JPEG).decode()})
    r = _data_api(client, channel, f"/v2/bot/message/{image['messageId']}/content/transcoding")
    assert r.status_code == 400 and r.json() == {"message": "Transcoding status doesn't support this type of content"}
    assert _data_api(client, channel, "/v2/bot/message/999/content/transcoding").status_code == 404
    bad = client.post("/_sandbox/line/act/message", json={"channelId": channel["channelId"], "userId": user["userId"],
                                                          "message": {"type": "image", "transcoding": "processing",
                                                                      "dataBase64": base64.b64encode(JPEG).decode()}})
    assert bad.status_code == 400

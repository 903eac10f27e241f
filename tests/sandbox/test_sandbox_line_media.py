"""The LINE sandbox's media rules over real HTTP: what the user's app finds behind an
image message's URLs, content a user unsent (410), content LINE does not hold
(`contentProvider.type: external`) and video still being prepared (202, transcoding)."""

from __future__ import annotations

import base64

import httpx
import pytest
from flask import Flask, Response

from cxbot.base.serving import serve_in_thread
from cxbot.sandbox import World, create_app

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
MP4 = b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 100
FILES = {  # name: (bytes, Content-Type)
    "photo.jpg": (JPEG, "image/jpeg"),
    "photo.png": (PNG, "image/png"),
    "big-preview.jpg": (JPEG + b"\x00" * (1024 * 1024), "image/jpeg"),
    "anim.gif": (b"GIF89a" + b"\x00" * 50, "image/gif"),
    "png-said-jpeg.jpg": (PNG, "image/jpeg"),
    "clip.mp4": (MP4, "video/mp4"),
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

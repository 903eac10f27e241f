"""The profile image of an inquiry bot cxbot creates: LINE WORKS wants a PNG served over
HTTPS (640×640 recommended); the admin may send a PNG or a JPEG of any shape."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from PIL import Image

from tests.support.chat import Chat, text_of

pytestmark = pytest.mark.database


def _image(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, fmt)
    return out.getvalue()


def to_image_step(chat: Chat, account: str) -> None:
    chat.send("メニュー")
    chat.press("窓口アカウント")
    chat.press("新規作成")
    chat.send(account)
    chat.press("外部チャネル連携")
    chat.press("LINE WORKS内Bot")
    chat.press("設定")
    chat.press("作成する")
    chat.send("写真ヘルプ")
    chat.send("ご質問はこちらへどうぞ。")


def created_bot(wired) -> dict:
    return next(b for b in wired.http.get("/_sandbox/bots").json() if b["botName"] == "写真ヘルプ")


@pytest.mark.parametrize("file_name, fmt", [("support1.jpg", "JPEG"), ("support1.png", "JPEG"), ("support1", "PNG")])
def test_a_png_or_jpeg_becomes_the_640_png_the_bot_shows(admin_chat, wired, file_name, fmt):
    to_image_step(admin_chat, f"Photo desk {file_name}")
    # A wide JPEG (or a JPEG named .png, or a PNG with no extension): what it is is in its bytes.
    admin_chat.send_file(file_name, _image(fmt, (1200, 300)), "application/octet-stream")
    replies = admin_chat.press("公開")
    assert "公開しました" in text_of(replies), text_of(replies)
    photo = httpx.get(created_bot(wired)["photoUrl"])
    assert photo.status_code == 200 and photo.headers["Content-Type"] == "image/png"
    shown = Image.open(io.BytesIO(photo.content))
    assert shown.format == "PNG" and shown.size == (640, 640)


def test_a_file_that_is_not_an_image_is_refused_whatever_its_name(admin_chat):
    to_image_step(admin_chat, "Not an image desk")
    assert "PNGまたはJPEG" in text_of(admin_chat.send_file("logo.png", b"<html>not an image</html>", "image/png"))
    assert "PNGまたはJPEG" in text_of(admin_chat.send_file("logo.jpg", _image("GIF", (64, 64)), "image/jpeg"))


def test_without_an_https_public_url_the_admin_is_told_and_no_bot_is_made(make_wired, admin):
    w = make_wired(public_url="http://cxbot.example.com")
    chat = Chat(w, admin.user_id)
    to_image_step(chat, "Plain http desk")
    chat.press("画像なしで進む")
    replies = chat.press("公開")
    assert "CXBOT_PUBLIC_URL" in text_of(replies) and "HTTPSのアドレス" in text_of(replies)
    assert not [b for b in w.http.get("/_sandbox/bots").json() if b["botName"] == "写真ヘルプ"]


def test_the_bots_image_outlasts_the_retention_of_conversation_files(make_wired, admin):
    w = make_wired(retention_days=4 / 86400)  # a conversation's file would be gone in 4 s
    chat = Chat(w, admin.user_id)
    to_image_step(chat, "Lasting photo desk")
    chat.send_file("support1.png", _image("PNG", (64, 64)), "image/png")
    chat.press("公開")
    photo_url = created_bot(w)["photoUrl"]
    time.sleep(4.5)
    assert httpx.get(photo_url).status_code == 200

"""One-time forms keep secrets out of the chat: single use, 10 minutes, CSRF-protected."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from freezegun import freeze_time

from tests.conftest import Chat, text_of

pytestmark = pytest.mark.database


def at_secret_step(chat: Chat) -> str:
    chat.send("メニュー")
    chat.press("窓口アカウント")
    chat.press("新規作成")
    chat.send("Form desk")
    chat.press("外部チャネル連携")
    chat.press("LINE公式アカウント")
    chat.press("設定")
    replies = chat.send("1234567890")
    return next(a["uri"] for a in replies[-1]["content"]["actions"] if a["label"] == "フォームで入力")


def open_form(url: str) -> tuple[httpx.Client, str]:
    client = httpx.Client()
    page = client.get(url)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client, csrf


def test_a_secret_entered_on_the_form_answers_the_question(admin_chat):
    url = at_secret_step(admin_chat)
    client, csrf = open_form(url)
    secret = "0123456789abcdef0123456789abcdef"
    done = client.post(url, data={"csrf": csrf, "value": secret})
    assert done.status_code == 200 and "受け付けました" in done.text
    replies = admin_chat._settle()
    assert "ベーシックID" in text_of(replies)  # the next question
    chat_text = text_of(admin_chat.w.messages(admin_chat.room))
    assert secret not in chat_text  # never in the talk


def test_the_form_is_single_use(admin_chat):
    url = at_secret_step(admin_chat)
    client, csrf = open_form(url)
    assert client.post(url, data={"csrf": csrf, "value": "0123456789abcdef0123456789abcdef"}).status_code == 200
    assert client.post(url, data={"csrf": csrf, "value": "again"}).status_code == 410
    assert httpx.get(url).status_code == 410


def test_a_post_without_the_pages_csrf_token_is_refused(admin_chat):
    url = at_secret_step(admin_chat)
    _, csrf = open_form(url)
    forged = httpx.post(url, data={"csrf": csrf, "value": "x"})  # no cookie: not the page's browser
    assert forged.status_code == 400
    client, csrf2 = open_form(url)
    assert client.post(url, data={"csrf": "wrong", "value": "x"}).status_code == 400


def test_the_form_expires_after_ten_minutes(admin_chat):
    url = at_secret_step(admin_chat)
    with freeze_time(dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=11), tick=True):
        assert httpx.get(url).status_code == 410


def test_a_bad_value_from_the_form_is_re_asked_in_chat(admin_chat):
    url = at_secret_step(admin_chat)
    client, csrf = open_form(url)
    client.post(url, data={"csrf": csrf, "value": "too-short"})
    assert "32文字" in text_of(admin_chat._settle())

"""One-time forms keep secrets out of the chat: single use, 10 minutes, CSRF-protected."""

from __future__ import annotations

import datetime as dt
import re

import httpx
import pytest
from freezegun import freeze_time

from tests.support.chat import Chat, text_of

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


def form_url(replies: list[dict]) -> str:
    return next(a["uri"] for a in replies[-1]["content"]["actions"] if a["label"] == "フォームで入力")


def heading(page: httpx.Response) -> str:
    return re.search(r"<h1>(.*?)</h1>", page.text).group(1)


def test_the_form_names_the_value_it_asks_for(admin_chat):
    url = at_secret_step(admin_chat)
    page = httpx.get(url)
    assert heading(page) == "チャネルシークレットを入力してください"
    assert '<label for="value">チャネルシークレット</label>' in page.text
    admin_chat.send("0123456789abcdef0123456789abcdef")
    token_form = form_url(admin_chat.send("@abc12345"))  # the next secret step: the access token
    page = httpx.get(token_form)
    assert heading(page) == "チャネルアクセストークンを入力してください"


def test_a_secret_entered_on_the_form_answers_the_question(admin_chat):
    url = at_secret_step(admin_chat)
    client, csrf = open_form(url)
    secret = "0123456789abcdef0123456789abcdef"
    done = client.post(url, data={"csrf": csrf, "value": secret})
    assert done.status_code == 200 and "チャネルシークレットを受け付けました" in done.text
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


def test_a_refused_value_gets_the_chats_message_on_the_page_and_the_form_stays_usable(admin_chat):
    url = at_secret_step(admin_chat)
    client, csrf = open_form(url)
    refused = client.post(url, data={"csrf": csrf, "value": "too-short"})
    assert refused.status_code == 422 and "受け付けました" not in refused.text
    typed = text_of(admin_chat.send("too-short"))  # what the chat says to the same value
    message = typed.split("\n")[0]
    assert "32文字" in message and message in refused.text
    client, csrf = open_form(url)  # still usable: a refused value does not use up the single use
    done = client.post(url, data={"csrf": csrf, "value": "0123456789abcdef0123456789abcdef"})
    assert done.status_code == 200 and "受け付けました" in done.text
    assert "ベーシックID" in text_of(admin_chat._settle())


def test_the_page_says_accepted_only_when_the_flow_took_the_value(admin_chat):
    url = at_secret_step(admin_chat)
    client, csrf = open_form(url)
    admin_chat.send("0123456789abcdef0123456789abcdef")  # answered in the chat meanwhile
    late = client.post(url, data={"csrf": csrf, "value": "fedcba9876543210fedcba9876543210"})
    assert late.status_code == 410 and "受け付けました" not in late.text
    assert "もう終わっています" in late.text
    assert admin_chat._settle() == []


def test_the_form_speaks_english_when_set(make_wired, admin):
    w = make_wired(locale="en")
    chat = Chat(w, admin.user_id)
    chat.send("menu")
    chat.press("Counter accounts")
    chat.press("Create new")
    chat.send("Form desk")
    chat.press("External channels")
    chat.press("LINE Official Acct")
    chat.press("Set up")
    replies = chat.send("1234567890")
    url = next(a["uri"] for a in replies[-1]["content"]["actions"] if a["label"] == "Enter in a form")
    client, csrf = open_form(url)
    assert heading(client.get(url)) == "Enter the channel secret"
    refused = client.post(url, data={"csrf": csrf, "value": "abc"})
    assert "32 characters" in refused.text

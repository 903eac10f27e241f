"""LINE公式アカウント連携 as the seed describes it, with the LINE side played by the sandbox."""

from __future__ import annotations

import httpx
import pytest

from cxbot import links
from tests.conftest import Chat, text_of

pytestmark = pytest.mark.database


@pytest.fixture
def oa(wired) -> dict:
    """A LINE Official Account as LINE Developers console shows it."""
    resp = wired.http.post("/_sandbox/line/channels", json={"displayName": "サンプル商店"})
    resp.raise_for_status()
    return resp.json()


def start_line(chat: Chat) -> list[dict]:
    chat.send("メニュー")
    chat.press("窓口アカウント")
    chat.press("新規作成")
    chat.send("LINE desk")
    chat.press("外部チャネル連携")
    chat.press("LINE公式アカウント")
    return chat.press("設定")


def enter_fields(chat: Chat, oa: dict, secret: str | None = None, basic_id: str | None = None) -> list[dict]:
    chat.send(oa["channelId"])
    chat.send(secret or oa["channelSecret"])
    chat.send(basic_id or oa["basicId"])
    chat.send(oa["accessToken"])
    return chat.press("次へ")


def webhook_url(replies: list[dict]) -> str:
    return next(a["copyText"] for a in replies[-1]["content"]["actions"] if a["label"] == "URLをコピー")


def test_each_field_says_where_to_find_it_and_is_checked(admin_chat):
    replies = start_line(admin_chat)
    assert "チャネルID" in text_of(replies) and "チャネル基本設定" in text_of(replies)
    assert "数字" in text_of(admin_chat.send("abc"))
    admin_chat.send("1234567890")
    assert "32文字" in text_of(admin_chat.send("not-hex"))
    admin_chat.send("0123456789abcdef0123456789abcdef")
    assert "@から始まります" in text_of(admin_chat.send("basicid"))
    replies = admin_chat.send("@abc12345")
    assert "Messaging API" in text_of(replies)


def test_next_checks_the_token_and_the_basic_id_with_line(admin_chat, oa):
    start_line(admin_chat)
    replies = enter_fields(admin_chat, oa, basic_id="@zzz99999")
    assert oa["basicId"] in text_of(replies) and "ベーシックID" in text_of(replies)
    assert "チャネルアクセストークン" in text_of(admin_chat.press("戻る"))  # back to the token
    admin_chat.send("x" * 40)  # a token LINE does not know
    replies = admin_chat.press("次へ")
    assert "受け付けませんでした" in text_of(replies)


def test_verify_in_the_console_says_success_and_ok_links(admin_chat, wired, oa):
    start_line(admin_chat)
    replies = enter_fields(admin_chat, oa)
    url = webhook_url(replies)
    assert url.startswith(wired.url + "/webhooks/line/") and len(url.rsplit("/", 1)[1]) >= 40
    assert "Verify" in text_of(replies)
    wired.http.post("/_sandbox/line/console/webhook",
                    json={"channelId": oa["channelId"], "endpoint": url, "useWebhook": True}).raise_for_status()
    result = wired.http.post("/_sandbox/line/console/verify", json={"channelId": oa["channelId"]}).json()
    assert result["success"] is True and result["statusCode"] == 200
    assert "Success" in text_of(admin_chat._settle())
    replies = admin_chat.press("OK")
    assert "状態: 連携中" in text_of(replies)
    link = links.by_token(wired.ctx, url.rsplit("/", 1)[1])
    assert link.linked and links.info(link)["basic_id"] == oa["basicId"]
    stored = link.secrets_enc
    assert oa["channelSecret"] not in stored and oa["accessToken"] not in stored  # encrypted at rest


def test_a_wrong_channel_secret_fails_verify_and_the_admin_is_told(admin_chat, wired, oa):
    start_line(admin_chat)
    replies = enter_fields(admin_chat, oa, secret="f" * 32)
    url = webhook_url(replies)
    wired.http.post("/_sandbox/line/console/webhook", json={"channelId": oa["channelId"], "endpoint": url,
                                                            "useWebhook": True})
    result = wired.http.post("/_sandbox/line/console/verify", json={"channelId": oa["channelId"]}).json()
    assert result["success"] is False and result["statusCode"] == 401
    assert "チャネルシークレット" in text_of(admin_chat._settle())


def test_auto_setup_sets_the_endpoint_and_runs_lines_test(admin_chat, wired, oa):
    start_line(admin_chat)
    url = webhook_url(enter_fields(admin_chat, oa))
    replies = admin_chat.press("自動設定")
    assert "テスト送信が成功" in text_of(replies)
    channel = wired.http.get(f"/_sandbox/line/channels/{oa['channelId']}").json()
    assert channel["webhookEndpoint"] == url


def test_nothing_is_saved_before_ok_and_a_deleted_link_answers_410(admin_chat, wired, oa):
    start_line(admin_chat)
    url = webhook_url(enter_fields(admin_chat, oa))
    token = url.rsplit("/", 1)[1]
    assert links.by_token(wired.ctx, token) is None  # not saved yet
    admin_chat.press("OK")
    admin_chat.press("情報を削除")
    replies = admin_chat.press("情報を削除")
    assert "状態: 未設定" in text_of(replies)
    assert httpx.post(url, content=b'{"destination":"x","events":[]}').status_code == 410
    wired.http.post("/_sandbox/line/console/webhook", json={"channelId": oa["channelId"], "endpoint": url,
                                                            "useWebhook": True})
    result = wired.http.post("/_sandbox/line/console/verify", json={"channelId": oa["channelId"]}).json()
    assert result["statusCode"] == 410

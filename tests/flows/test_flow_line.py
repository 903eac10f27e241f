"""LINE公式アカウント連携 as the seed describes it, with the LINE side played by the sandbox."""

from __future__ import annotations

import httpx
import pytest

from cxbot.desk import links
from tests.support.chat import Chat, labels_of, text_of

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


def test_a_short_token_is_told_its_length_and_a_token_with_spaces_is_told_so(admin_chat):
    start_line(admin_chat)
    admin_chat.send("1234567890")
    admin_chat.send("0123456789abcdef0123456789abcdef")
    admin_chat.send("@abc12345")
    short = text_of(admin_chat.send("abc123"))
    assert "短すぎます" in short and "6文字" in short and "空白" not in short
    spaced = text_of(admin_chat.send("abc 123 def 456 ghi 789"))
    assert "空白" in spaced


def test_the_secret_steps_say_what_stays_in_the_talk(admin_chat):
    start_line(admin_chat)
    replies = admin_chat.send("1234567890")
    text = text_of(replies)
    assert "表示しません" not in text or "履歴に残ります" in text  # no promise the chat cannot keep
    assert "貼り付けたメッセージはこのトークの履歴に残ります" in text and "[フォームで入力]" in text
    assert "フォームで入力" in labels_of(replies[-1])


def test_next_checks_the_token_and_the_basic_id_with_line(admin_chat, oa):
    start_line(admin_chat)
    replies = enter_fields(admin_chat, oa, basic_id="@zzz99999")
    assert oa["basicId"] in text_of(replies) and "ベーシックID" in text_of(replies)
    assert "チャネルアクセストークン" in text_of(admin_chat.press("戻る"))  # back to the token
    admin_chat.send("x" * 40)  # a token LINE does not know
    replies = admin_chat.press("次へ")
    assert "受け付けませんでした" in text_of(replies)


def verify_in_console(wired, oa: dict, url: str, use_webhook: bool = True) -> dict:
    """The admin pastes the URL in LINE Developers console, presses [更新] and [検証] (and
    switches "Use webhook" on)."""
    wired.http.post("/_sandbox/line/console/webhook",
                    json={"channelId": oa["channelId"], "endpoint": url, "useWebhook": use_webhook}).raise_for_status()
    return wired.http.post("/_sandbox/line/console/verify", json={"channelId": oa["channelId"]}).json()


def switch_webhook_on(wired, oa: dict) -> None:
    """The admin turns "Use webhook" on in LINE Developers console (no API can)."""
    wired.http.post("/_sandbox/line/console/webhook",
                    json={"channelId": oa["channelId"], "useWebhook": True}).raise_for_status()


def test_the_basic_id_or_the_premium_id_is_taken(admin_chat, wired):
    oa = wired.http.post("/_sandbox/line/channels", json={"displayName": "サンプル商店", "premiumId": "@sampleshop"}).json()
    start_line(admin_chat)
    assert "プレミアムID" in text_of(admin_chat.send(oa["channelId"]) + admin_chat.send(oa["channelSecret"]))
    admin_chat.send("＠SampleShop")  # as typed on a phone: a full-width @, capitals
    admin_chat.send(oa["accessToken"])
    replies = admin_chat.press("次へ")
    assert "URLをコピー" in labels_of(replies[-1])  # taken: on to the Webhook URL
    url = webhook_url(replies)
    verify_in_console(wired, oa, url)
    [success] = admin_chat._settle()
    replies = admin_chat.press("OK", success)
    info = links.info(links.by_token(wired.ctx, url.rsplit("/", 1)[1]))
    assert (info["basic_id"], info["premium_id"]) == (oa["basicId"], "@sampleshop")  # both, as LINE spells them
    text = text_of(replies)
    assert "LINE公式アカウント @sampleshop の情報を保存しました" in text  # the ID named, as LINE spells it
    assert "状態: 連携中" in text and f"ベーシックID: {oa['basicId']}" in text and "プレミアムID: @sampleshop" in text


def test_an_id_that_is_neither_is_told_with_both(admin_chat, wired):
    oa = wired.http.post("/_sandbox/line/channels", json={"displayName": "サンプル商店", "premiumId": "@sampleshop"}).json()
    start_line(admin_chat)
    text = text_of(enter_fields(admin_chat, oa, basic_id="@othershop"))
    assert oa["basicId"] in text and "@sampleshop" in text and "戻る" in text


def test_verify_in_the_console_says_success_with_the_ok_button_and_ok_links(admin_chat, wired, oa):
    start_line(admin_chat)
    replies = enter_fields(admin_chat, oa)
    url = webhook_url(replies)
    assert url.startswith(wired.url + "/webhooks/line/") and len(url.rsplit("/", 1)[1]) >= 40
    assert "[検証](Verify)" in text_of(replies)  # the console's label in Japanese, and in English
    assert "OK" not in labels_of(replies[-1])  # nothing signed has arrived yet
    result = verify_in_console(wired, oa, url)
    assert result["success"] is True and result["statusCode"] == 200
    [success] = admin_chat._settle()
    assert "Success" in text_of([success]) and "OK" in labels_of(success)  # one message: the note and [OK]
    replies = admin_chat.press("OK", success)
    assert "状態: 連携中" in text_of(replies)
    link = links.by_token(wired.ctx, url.rsplit("/", 1)[1])
    assert link.linked and links.info(link)["basic_id"] == oa["basicId"]
    stored = link.secrets_enc
    assert oa["channelSecret"] not in stored and oa["accessToken"] not in stored  # encrypted at rest


def test_a_wrong_channel_secret_cannot_be_saved_and_only_the_secret_is_asked_again(admin_chat, wired, oa):
    start_line(admin_chat)
    replies = enter_fields(admin_chat, oa, secret="f" * 32)
    url = webhook_url(replies)
    result = verify_in_console(wired, oa, url)
    assert result["success"] is False and result["statusCode"] == 401
    [told] = admin_chat._settle()
    assert "一致しません" in text_of([told]) and "401" in text_of([told])
    assert "OK" not in labels_of(told)  # a link with this secret would refuse every customer message
    assert {"シークレットを再入力", "自動設定", "戻る", "キャンセル"} <= set(labels_of(told))
    asked = admin_chat.press("シークレットを再入力", told)
    assert "チャネルシークレットだけ" in text_of(asked) and "フォームで入力" in labels_of(asked[-1])
    replies = admin_chat.send(oa["channelSecret"])
    assert webhook_url(replies) == url  # the same Webhook URL: nothing to paste again
    assert "OK" not in labels_of(replies[-1])
    verify_in_console(wired, oa, url)
    [success] = admin_chat._settle()
    replies = admin_chat.press("OK", success)
    assert "状態: 連携中" in text_of(replies)
    link = links.by_token(wired.ctx, url.rsplit("/", 1)[1])
    assert links.secrets_of(wired.ctx, link)["channel_secret"] == oa["channelSecret"]


def test_a_secret_changed_after_verify_must_be_verified_again(admin_chat, wired, oa):
    start_line(admin_chat)
    url = webhook_url(enter_fields(admin_chat, oa))
    verify_in_console(wired, oa, url)
    assert "OK" in labels_of(admin_chat._settle()[-1])
    for _ in range(4):  # back to the channel secret: webhook → review → token → basic ID → secret
        admin_chat.press("戻る")
    admin_chat.send("d" * 32)
    admin_chat.send(oa["basicId"])
    admin_chat.send(oa["accessToken"])
    replies = admin_chat.press("次へ")
    assert webhook_url(replies) == url and "OK" not in labels_of(replies[-1])


def test_ok_waits_until_line_says_use_webhook_is_on(admin_chat, wired, oa):
    start_line(admin_chat)
    url = webhook_url(enter_fields(admin_chat, oa))
    verify_in_console(wired, oa, url, use_webhook=False)  # [更新] and [検証], the switch forgotten
    [success] = admin_chat._settle()
    replies = admin_chat.press("OK", success)
    text = text_of(replies)
    assert "まだ保存できません" in text and "「Webhookの利用」はまだオフ" in text and "Messaging API設定" in text
    assert "OK" in labels_of(replies[-1])  # pressed again once it is on
    assert links.by_token(wired.ctx, url.rsplit("/", 1)[1]) is None  # nothing linked: LINE would send nothing
    assert "まだオフ" in text_of(admin_chat.press("OK"))  # still off: said again
    switch_webhook_on(wired, oa)
    replies = admin_chat.press("OK")
    assert "状態: 連携中" in text_of(replies)
    assert links.by_token(wired.ctx, url.rsplit("/", 1)[1]).linked


@pytest.mark.parametrize("cache", [60, 0], ids=["line-caches-a-minute", "line-uses-it-at-once"])
@pytest.mark.parametrize("before", ["", "http://127.0.0.1:9/webhooks/line/old-bot"], ids=["new-channel", "old-url"])
def test_auto_setup_tests_the_url_it_set_and_reads_use_webhook_back(admin_chat, wired, oa, cache, before):
    """A test right after the PUT may hit the URL LINE still has cached: the URL goes in the body."""
    wired.http.post("/_sandbox/line/settings", json={"endpointCacheSeconds": cache}).raise_for_status()
    if before:  # the account answered another bot server until now, "Use webhook" on
        verify_in_console(wired, oa, before)
    start_line(admin_chat)
    url = webhook_url(enter_fields(admin_chat, oa))
    replies = admin_chat.press("自動設定")
    text = text_of(replies)
    assert "テスト送信で署名を確認しました" in text and "OK" in labels_of(replies[-1])
    channel = wired.http.get(f"/_sandbox/line/channels/{oa['channelId']}").json()
    assert channel["webhookEndpoint"] == url
    assert admin_chat._settle() == []  # LINE's test request is a Verify too: not told twice
    if before:
        assert "「Webhookの利用」もオンになっています" in text  # read back: already on
    else:
        assert "「Webhookの利用」はまだオフ" in text and "あと一つ" in text and "Messaging API設定 > Webhook設定" in text
        assert "まだオフ" in text_of(admin_chat.press("OK"))
        switch_webhook_on(wired, oa)
    replies = admin_chat.press("OK")
    assert "状態: 連携中" in text_of(replies)


def test_finishing_lists_the_console_settings_cxbot_needs(admin_chat, wired, oa):
    start_line(admin_chat)
    enter_fields(admin_chat, oa)
    admin_chat.press("自動設定")
    switch_webhook_on(wired, oa)
    replies = admin_chat.press("OK")
    saved = next(t for t in (text_of([r]) for r in replies) if "保存しました" in t)
    assert "Webhookの利用: オン" in saved
    assert "Webhookの再送: オンにしてください" in saved and "初期設定はオフ" in saved and "二重に届くことはありません" in saved
    assert "応答メッセージ・あいさつメッセージ: オフにしてください" in saved and "LINE Official Account Manager" in saved
    assert "二つが届きます" in saved


def test_the_setup_speaks_english_when_set(make_wired, admin):
    w = make_wired(locale="en")
    oa = w.http.post("/_sandbox/line/channels", json={"displayName": "Sample Shop", "premiumId": "@sampleshop"}).json()
    chat = Chat(w, admin.user_id)
    chat.send("menu")
    chat.press("Counter accounts")
    chat.press("Create new")
    chat.send("LINE desk")
    chat.press("External channels")
    chat.press("LINE Official Acct")
    chat.press("Set up")
    chat.send(oa["channelId"])
    assert "Premium ID" in text_of(chat.send(oa["channelSecret"]))
    chat.send("@sampleshop")
    chat.send(oa["accessToken"])
    chat.press("Next")
    text = text_of(chat.press("Auto setup"))
    assert '"Use webhook" is still off' in text and "One more step" in text
    assert '"Use webhook" is still off' in text_of(chat.press("OK"))
    switch_webhook_on(w, oa)
    replies = chat.press("OK")
    saved = next(t for t in (text_of([r]) for r in replies) if "Saved" in t)
    assert "Use webhook: on" in saved and "Webhook redelivery: turn it on" in saved and "off by default" in saved
    assert "Auto-reply messages and greeting messages: turn them off" in saved and "two answers" in saved


def test_auto_setup_with_a_wrong_secret_says_so_and_offers_no_ok(admin_chat, wired, oa):
    start_line(admin_chat)
    enter_fields(admin_chat, oa, secret="e" * 32)
    replies = admin_chat.press("自動設定")
    assert "一致しません" in text_of(replies) and "OK" not in labels_of(replies[-1])
    assert admin_chat._settle() == []  # the refused test request's note is the same news
    admin_chat.press("シークレットを再入力")
    admin_chat.send(oa["channelSecret"])
    replies = admin_chat.press("自動設定")
    assert "OK" in labels_of(replies[-1])


def test_nothing_is_saved_before_ok_and_a_deleted_link_answers_410(admin_chat, wired, oa):
    start_line(admin_chat)
    url = webhook_url(enter_fields(admin_chat, oa))
    token = url.rsplit("/", 1)[1]
    assert links.by_token(wired.ctx, token) is None  # not saved yet
    admin_chat.press("自動設定")
    assert links.by_token(wired.ctx, token) is None
    switch_webhook_on(wired, oa)
    admin_chat.press("OK")
    admin_chat.press("情報を削除")
    replies = admin_chat.press("情報を削除")
    assert "状態: 未設定" in text_of(replies)
    assert httpx.post(url, content=b'{"destination":"x","events":[]}').status_code == 410
    wired.http.post("/_sandbox/line/console/webhook", json={"channelId": oa["channelId"], "endpoint": url,
                                                            "useWebhook": True})
    result = wired.http.post("/_sandbox/line/console/verify", json={"channelId": oa["channelId"]}).json()
    assert result["statusCode"] == 410

"""The 外部チャネル連携 menu: メール and LINE WORKS内Bot set up, linked, unlinked and deleted."""

from __future__ import annotations

import json
import secrets

import httpx
import pytest

from cxbot.base.signatures import sign
from cxbot.base.waiting import wait_for
from cxbot.demo import DOMAIN_ID, new_rsa_key
from cxbot.desk import accounts, links
from cxbot.desk.media import default_bot_png
from cxbot.hub import verification
from cxbot.storage.models import FlowState
from tests.support.chat import Chat, labels_of, text_of

pytestmark = pytest.mark.database


def open_channel(chat: Chat, account: str, channel: str) -> list[dict]:
    chat.send("メニュー")
    chat.press("窓口アカウント")
    chat.press("新規作成")
    chat.send(account)
    chat.press("外部チャネル連携")
    return chat.press(channel)


def test_the_channel_menu_shows_each_channel_and_its_state(admin_chat):
    admin_chat.send("メニュー")
    admin_chat.press("窓口アカウント")
    admin_chat.press("新規作成")
    admin_chat.send("Desk")
    replies = admin_chat.press("外部チャネル連携")
    text = text_of(replies)
    for line in ("LINE公式アカウント: 未設定", "メール: 未設定", "LINE WORKS内Bot: 未設定"):
        assert line in text
    assert {"LINE公式アカウント", "メール", "LINE WORKS内Bot"} <= set(labels_of(replies[-1]))


def test_mail_setup_link_unlink_delete(admin_chat, wired):
    replies = open_channel(admin_chat, "Mail desk", "メール")
    assert "状態: 未設定" in text_of(replies)
    assert "連携" not in labels_of(replies[-1])  # nothing to link before [設定]
    replies = admin_chat.press("設定")
    prompt = replies[-1]["content"]
    assert "mail-desk@cxbot.localhost" in prompt["contentText"]
    actions = {a["label"]: a for a in prompt["actions"]}
    assert actions["アドレスをコピー"] == {"type": "copy", "label": "アドレスをコピー",
                                         "copyText": "mail-desk@cxbot.localhost"}
    assert "URLをコピー" not in actions  # it copies an address
    assert actions["Gmail転送ガイド"]["type"] == "uri" and actions["Outlook転送ガイド"]["type"] == "uri"
    replies = admin_chat.press("OK")
    assert "状態: 設定済み・連携オフ" in text_of(replies)
    replies = admin_chat.press("連携")
    assert "状態: 連携中" in text_of(replies)
    admin_chat.press("連携解除")
    replies = admin_chat.press("連携解除")  # the confirmation
    assert "状態: 設定済み・連携オフ" in text_of(replies)
    admin_chat.press("情報を削除")
    replies = admin_chat.find("情報を削除")
    assert "復元できません" in replies["content"]["contentText"]
    replies = admin_chat.press("情報を削除")
    assert "状態: 未設定" in text_of(replies)
    account_id = json.loads(wired.ctx.vault.decrypt(_state(wired, admin_chat.user_id).data_enc))["account_id"]
    assert links.get(wired.ctx, account_id, "mail") is None


def _state(wired, user_id):
    with wired.ctx.db.session() as s:
        return s.get(FlowState, user_id)


def _png(name_ok=True) -> bytes:
    return default_bot_png(64)


def create_bot(chat: Chat, account: str, name: str = "サポート窓口") -> list[dict]:
    open_channel(chat, account, "LINE WORKS内Bot")
    replies = chat.press("設定")
    assert "Developer ConsoleからBotを連携" in text_of(replies)  # the seed's label, verbatim
    chat.press("作成する")
    chat.send(name)
    chat.send("ご質問はこちらへどうぞ。担当者がお答えします。")
    chat.send_file("support1.png", _png(), "image/png")
    return chat.press("公開")


def test_simple_bot_creation_validates_each_answer(admin_chat):
    open_channel(admin_chat, "Desk", "LINE WORKS内Bot")
    admin_chat.press("設定")
    admin_chat.press("作成する")
    assert "20文字以内" in text_of(admin_chat.send("あ" * 21))
    admin_chat.send("社内ヘルプ")
    assert "100文字以内" in text_of(admin_chat.send("い" * 101))
    admin_chat.send("説明です")
    assert "小文字の英字と数字" in text_of(admin_chat.send_file("Logo_1.png", _png(), "image/png"))
    assert "PNGまたはJPEG" in text_of(admin_chat.send_file("logo.png", b"GIF89a....", "image/gif"))
    replies = admin_chat.press("画像なしで進む")
    assert "既定の画像" in text_of(replies)


def test_a_created_bot_is_public_to_members_and_linked_on_ok(admin_chat, wired, employee):
    replies = create_bot(admin_chat, "Helpdesk")
    assert "公開しました" in text_of(replies)
    bots = [b for b in wired.http.get("/_sandbox/bots").json() if b["botName"] == "サポート窓口"]
    assert len(bots) == 1
    bot = bots[0]
    assert bot["enableGroupJoin"] is False and "location" not in bot["callbackEvents"]
    assert "/webhooks/works/" in bot["callbackUrl"]
    photo = httpx.get(bot["photoUrl"])
    assert photo.status_code == 200 and photo.content.startswith(b"\x89PNG")
    rooms = wired.http.get("/_sandbox/rooms", params={"userId": employee.user_id}).json()
    assert any(r.get("botId") == bot["botId"] for r in rooms)  # members find it among talk partners
    replies = admin_chat.press("OK")
    assert "状態: 連携中" in text_of(replies)


def test_without_a_configured_domain_the_bot_is_registered_to_the_admins_own(make_wired, admin, employee):
    w = make_wired(works_domain_id="")
    chat = Chat(w, admin.user_id)
    replies = create_bot(chat, "No domain desk", name="ドメイン窓口")
    assert "公開しました" in text_of(replies)
    bot = next(b for b in w.http.get("/_sandbox/bots").json() if b["botName"] == "ドメイン窓口")
    registered = w.http.get("/_sandbox/requests", params={"path": f"/v1.0/bots/{bot['botId']}/domains/*"}).json()
    assert [(r["method"], r["status"]) for r in registered] == [("POST", 201)]
    rooms = w.http.get("/_sandbox/rooms", params={"userId": employee.user_id}).json()
    assert any(r.get("botId") == bot["botId"] for r in rooms)  # members find it among talk partners


def test_the_bot_is_said_to_be_published_only_once_its_registration_succeeded(admin_chat, wired):
    wired.http.post("/_sandbox/faults", json={"method": "POST", "path": "/v1.0/bots/*/domains/*", "status": 403,
                                              "times": 1})
    replies = create_bot(admin_chat, "Refused desk", name="登録失敗窓口")
    assert "公開しました" not in text_of(replies)
    assert "登録に失敗した" in text_of(replies) and "Forbidden" in text_of(replies)
    link = links.get(wired.ctx, accounts.all_accounts(wired.ctx)[0].id, "works_bot")
    assert link is not None and not link.linked  # the bot is kept, not lost


def test_a_created_bots_secret_is_optional_and_once_given_its_callbacks_are_checked(admin_chat, wired, employee):
    replies = create_bot(admin_chat, "Signed desk", name="署名窓口")
    assert "Bot Secretの入力(任意)" in text_of(replies)
    replies = admin_chat.press("OK")
    assert "Bot Secret: 未入力" in text_of(replies)  # the channel menu warns until it is given
    bot = next(b for b in wired.http.get("/_sandbox/bots").json() if b["botName"] == "署名窓口")
    forged = {"type": "message", "source": {"userId": employee.user_id, "domainId": DOMAIN_ID},
              "issuedTime": "2026-12-03T09:00:00.000Z", "content": {"type": "text", "text": "なりすまし"}}

    def send_forged() -> int:
        return wired.http.post("/_sandbox/act/raw", json={"botId": bot["botId"], "body": forged,
                                                          "signWith": "not-the-bot-secret"}).json()["callback"]["status"]

    assert send_forged() == 200  # only the URL's token guards it so far
    admin_chat.press("Bot Secretを入力")
    replies = admin_chat.send(bot["secret"])
    assert "Bot Secretを保存しました" in text_of(replies) and "未入力" not in text_of(replies)
    forged["content"]["text"] = "なりすまし2"
    assert send_forged() == 401
    sent = wired.http.post("/_sandbox/act/message", json={"userId": employee.user_id, "botId": bot["botId"],
                                                         "content": {"type": "text", "text": "本物です"}}).json()
    assert sent["callback"]["status"] == 200  # LINE WORKS' own signature passes
    wait_for(lambda: "確認" in text_of(admin_chat.w.bot_messages(admin_chat.room)[-1:]),
             what="the admin to hear the Bot Secret is confirmed")


def test_a_second_inquiry_bot_is_refused(admin_chat, wired):
    create_bot(admin_chat, "One bot desk")
    admin_chat.press("OK")
    replies = admin_chat.press("設定")
    assert "1つだけ" in text_of(replies)
    assert len([b for b in wired.http.get("/_sandbox/bots").json() if b["botName"] == "サポート窓口"]) == 1


def test_deleting_a_created_bot_removes_it_and_retires_its_url(admin_chat, wired, employee):
    create_bot(admin_chat, "Short-lived")
    admin_chat.press("OK")
    bot = next(b for b in wired.http.get("/_sandbox/bots").json() if b["botName"] == "サポート窓口")
    # An employee has a talk open with the bot.
    sent = wired.http.post("/_sandbox/act/message", json={
        "userId": employee.user_id, "botId": bot["botId"], "content": {"type": "text", "text": "質問です"}})
    assert sent.status_code == 200
    admin_chat.press("情報を削除")
    replies = admin_chat.press("情報を削除")
    assert "削除しました" in text_of(replies)
    after = wired.http.post("/_sandbox/act/message", json={
        "userId": employee.user_id, "botId": bot["botId"], "content": {"type": "text", "text": "まだ?"}})
    assert after.status_code == 409  # the talk's input is disabled
    rooms = wired.http.get("/_sandbox/rooms", params={"userId": employee.user_id}).json()
    assert all(r["readOnly"] for r in rooms if r.get("botId") == bot["botId"])
    body = b'{"type":"message"}'
    gone = httpx.post(bot["callbackUrl"], content=body, headers={"X-WORKS-BotId": str(bot["botId"])})
    assert gone.status_code == 410


def console_bot(wired, group_join: bool = False) -> dict:
    """What an admin makes in Developers Console: a ClientApp (scope bot) and a Bot."""
    private, public = new_rsa_key()
    app = {"clientId": "console" + secrets.token_hex(4), "clientSecret": secrets.token_urlsafe(16),
           "serviceAccount": "desk.serviceaccount@demo.cxbot.example", "publicKey": public, "scopes": ["bot"]}
    wired.http.post("/_sandbox/apps", json=app).raise_for_status()
    bot = wired.http.post("/_sandbox/bots", json={
        "botName": "総務ヘルプ", "enableCallback": False, "callbackUrl": "", "enableGroupJoin": group_join,
        "domains": [{"domainId": DOMAIN_ID, "visible": True}]}).json()
    return {**app, "privateKey": private, "botId": str(bot["botId"]), "botSecret": bot["secret"]}


def enter_console(chat: Chat, made: dict, key_as_file: bool = True) -> list[dict]:
    open_channel(chat, "Console desk", "LINE WORKS内Bot")
    chat.press("設定")
    chat.press("連携する")
    chat.send(made["clientId"])
    chat.send(made["clientSecret"])
    chat.send(made["serviceAccount"])
    if key_as_file:
        chat.send_file("private_20261124.key", made["privateKey"].encode(), "application/octet-stream", kind="file")
    else:
        chat.send(made["privateKey"])
    chat.send(made["botId"])
    chat.send(made["botSecret"])
    return chat.press("次へ")


def console_url(replies: list[dict]) -> str:
    return next(a["copyText"] for a in replies[-1]["content"]["actions"] if a["label"] == "URLをコピー")


def paste_callback_url(wired, made: dict, url: str) -> None:
    """In Developers Console: Callback URL On, with the Webhook URL cxbot issued."""
    wired.http.patch(f"/_sandbox/bots/{made['botId']}", json={"callbackUrl": url, "enableCallback": True})


def message_bot(wired, user_id: str, made: dict, text: str = "テストです") -> int:
    sent = wired.http.post("/_sandbox/act/message", json={
        "userId": user_id, "botId": int(made["botId"]), "content": {"type": "text", "text": text}})
    assert sent.status_code == 200, sent.text
    return sent.json()["callback"]["status"]


def test_developer_console_bot_is_checked_confirmed_by_a_message_and_linked(admin_chat, wired, employee):
    made = console_bot(wired, group_join=True)
    replies = enter_console(admin_chat, made)
    text = text_of(replies)
    assert "複数人のトークルームに招待可" in text  # the warning, and the console steps
    assert "位置を共有" in text
    assert "1通メッセージを送って" in text  # how the Bot Secret gets checked: LINE WORKS has no Verify button
    url = console_url(replies)
    assert "/webhooks/works/" in url
    for secret in (made["clientSecret"], made["botSecret"], "PRIVATE KEY"):
        assert secret not in text  # never echoed
    paste_callback_url(wired, made, url)
    assert message_bot(wired, admin_chat.user_id, made) == 200
    [confirmed] = admin_chat._settle()
    assert "Bot Secretを確認しました" in text_of([confirmed]) and "OK" in labels_of(confirmed)
    assert "Bot Secretを再入力" not in labels_of(confirmed)
    admin_chat.press("OK", confirmed)
    replies = admin_chat.press("連携")
    assert "状態: 連携中" in text_of(replies) and "Bot Secret: 確認済み" in text_of(replies)  # no warning
    assert message_bot(wired, employee.user_id, made, "PCが壊れました") == 200
    forged = httpx.post(url, content=b'{"type":"message"}', headers={
        "X-WORKS-BotId": made["botId"], "X-WORKS-Signature": sign("wrong", b'{"type":"message"}')})
    assert forged.status_code == 401


def test_a_wrong_bot_secret_is_told_and_only_it_is_asked_again(admin_chat, wired):
    made = console_bot(wired)
    right = made["botSecret"]
    replies = enter_console(admin_chat, {**made, "botSecret": "not-the-bot-secret"})
    url = console_url(replies)
    paste_callback_url(wired, made, url)
    assert message_bot(wired, admin_chat.user_id, made) == 401
    [told] = admin_chat._settle()
    assert "一致しません" in text_of([told]) and "401" in text_of([told])
    asked = admin_chat.press("Bot Secretを再入力", told)
    assert "Bot Secretだけ" in text_of(asked) and "フォームで入力" in labels_of(asked[-1])
    replies = admin_chat.send(right)
    assert console_url(replies) == url  # the same Webhook URL
    assert message_bot(wired, admin_chat.user_id, made) == 200
    assert "Bot Secretを確認しました" in text_of(admin_chat._settle())


def test_linking_an_unconfirmed_console_bot_warns_first_and_the_audit_keeps_the_warning(admin_chat, wired):
    made = console_bot(wired)
    enter_console(admin_chat, made)
    replies = admin_chat.press("OK")
    assert "Bot Secret: 未確認" in text_of(replies)
    replies = admin_chat.press("連携")
    warning = text_of(replies)
    assert "まだ確認できていません" in warning and "401" in warning
    assert {"それでも連携", "Bot Secretを再入力", "戻る", "キャンセル"} <= set(labels_of(replies[-1]))
    link = links.get(wired.ctx, _account_id(wired, admin_chat), "works_bot")
    assert not link.linked  # asked first
    replies = admin_chat.press("それでも連携")
    assert "状態: 連携中" in text_of(replies)
    admin_chat.send("メニュー")
    history = text_of(admin_chat.press("履歴"))
    assert "のLINE WORKS内Bot" in history and "を連携しました ⚠ Bot Secretを確認できないまま連携" in history


def test_a_saved_console_bot_signed_with_another_secret_asks_for_the_bot_secret_only(admin_chat, wired, employee):
    made = console_bot(wired)
    right = made["botSecret"]
    url = console_url(enter_console(admin_chat, {**made, "botSecret": "an-old-bot-secret"}))
    admin_chat.press("OK")
    admin_chat.press("連携")
    admin_chat.press("それでも連携")
    paste_callback_url(wired, made, url)
    assert message_bot(wired, employee.user_id, made, "届きますか") == 401
    replies = admin_chat._settle()
    assert "一致しません" in text_of(replies)
    notice = admin_chat.find("Bot Secretを再入力")
    replies = admin_chat.press("Bot Secretを再入力", notice)
    assert "Bot Secretだけ" in text_of(replies)
    replies = admin_chat.send(right)
    assert "Bot Secretを保存しました" in text_of(replies) and "状態: 連携中" in text_of(replies)
    assert message_bot(wired, employee.user_id, made, "届きますか") == 200
    assert "Bot Secretを確認しました" in text_of(admin_chat._settle())
    link = links.get(wired.ctx, _account_id(wired, admin_chat), "works_bot")
    assert links.info(link)["callback_confirmed"] is True


def test_a_signed_callback_note_stored_by_the_release_before_still_confirms_the_bot_secret(admin_chat, wired):
    made = console_bot(wired)
    enter_console(admin_chat, made)
    admin_chat.press("OK")  # saved; no signed callback has confirmed the Bot Secret yet
    link = links.get(wired.ctx, _account_id(wired, admin_chat), "works_bot")
    # What a web process of the release before stored for a signed callback: the source
    # "works_verify", the channel spelt "works" in the note.
    body = json.dumps({"kind": "works", "token": link.webhook_token, "ok": True,
                       "fp": verification.fingerprint(made["botSecret"])}).encode()
    wired.ctx.inbox.store("works_verify", f"works-ok:{link.webhook_token}:before", body,
                order_key=f"user:{admin_chat.user_id}")
    wired.ctx.wakeup.set()
    wait_for(lambda: wired.ctx.inbox.count("pending", "processing", sources=("works_verify",)) == 0,
             what="the note to be handled")
    assert "Bot Secretを確認しました" in text_of(admin_chat._settle())
    assert links.info(links.get(wired.ctx, link.counter_account_id, "works_bot"))["callback_confirmed"] is True


def _account_id(wired, chat: Chat) -> int:
    return json.loads(wired.ctx.vault.decrypt(_state(wired, chat.user_id).data_enc))["account_id"]


def test_developer_console_credentials_that_do_not_work_are_explained(admin_chat, wired):
    made = console_bot(wired)
    made["clientSecret"] = "not-the-secret"
    replies = enter_console(admin_chat, made, key_as_file=False)
    assert "アクセストークンを発行できませんでした" in text_of(replies)
    assert "client_secret" in text_of(replies)


def test_a_pasted_private_key_that_does_not_parse_is_re_asked(admin_chat, wired):
    open_channel(admin_chat, "Key desk", "LINE WORKS内Bot")
    admin_chat.press("設定")
    admin_chat.press("連携する")
    admin_chat.send("clientid")
    admin_chat.send("secret")
    admin_chat.send("x.serviceaccount@example.com")
    replies = admin_chat.send("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----")
    assert "Private Keyとして読み取れません" in text_of(replies)

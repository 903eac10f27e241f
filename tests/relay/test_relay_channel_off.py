"""[連携解除] and [情報を削除] leave nobody in silence: customers, employees, agents and the admin are told."""

from __future__ import annotations

import pytest

from cxbot.base.waiting import wait_for
from cxbot.demo import ADMIN
from cxbot.desk import links
from tests.support.chat import Chat, labels_of, text_of
from tests.support.relay import (
    agent_says,
    bot_texts,
    employee_says,
    line_chat,
    line_desk,
    line_says,
    make_account,
    room_texts,
    shared_world,
    unique,
    wait_room,
    wait_room_text,
    works_desk,
)

pytestmark = pytest.mark.database


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    with shared_world(tmp_path_factory.mktemp("channel_off"), outbox_backoff=0.02) as world:
        yield world


@pytest.fixture
def admin_chat(w):
    chat = Chat(w, ADMIN.user_id)
    yield chat
    chat.send("キャンセル")  # leave no flow behind for the next test


def open_channel(chat: Chat, account: str, channel: str) -> list[dict]:
    chat.send("メニュー")
    chat.press("窓口アカウント")
    chat.press(account)
    chat.press("外部チャネル連携")
    return chat.press(channel)


def handled(w) -> None:
    wait_for(lambda: w.ctx.inbox.count("pending", "processing", sources=("line", "works_bot")) == 0,
             what="the worker to handle the webhooks")


def bot_lines(w, desk, customer) -> list[dict]:
    return [m for m in line_chat(w, desk, customer) if m["from"] == "bot"]


def test_an_unlinked_official_account_answers_customers_with_its_out_of_service_reply(w, admin_chat):
    account = unique("LINE窓口")
    desk = line_desk(w, customers=1, names=(unique("解除客"),), account=account)
    customer = desk.customers[0]
    line_says(w, desk, customer, {"type": "text", "text": "注文の件です"})
    room = wait_room(w, customer["displayName"])
    wait_room_text(w, room["roomId"], "注文の件です")

    open_channel(admin_chat, account, "LINE公式アカウント")
    admin_chat.press("連携解除")
    replies = admin_chat.press("連携解除")  # the confirmation
    assert "対応中のトークルーム1件に" in text_of(replies)
    note = wait_room_text(w, room["roomId"], "連携を解除しました")[-1]
    assert "サンプル商店" in note and "受付停止中の返信" in note

    # The customer writes while unlinked: a free reply (reply token), no push, nothing in the room.
    line_says(w, desk, customer, {"type": "text", "text": "まだですか"})
    answer = wait_for(lambda: bot_lines(w, desk, customer), what="the out-of-service reply")[-1]
    assert answer["via"] == "reply" and "受け付けていません" in answer["message"]["text"]
    assert not any("まだですか" in t for t in room_texts(w, room["roomId"]))

    # The agent answers anyway: one clear note in Japanese, however many lines; nothing is pushed.
    agent_says(w, room["roomId"], "お待たせしました")
    agent_says(w, room["roomId"], "発送しました")
    agent_says(w, room["roomId"], "/メモ 解除中")
    texts = wait_room_text(w, room["roomId"], "社内メモとして残しました")
    assert sum("連携が解除されているため" in t for t in texts) == 1
    assert not any("送信できませんでした" in t or "not linked" in t for t in texts)
    assert [m["via"] for m in bot_lines(w, desk, customer)] == ["reply"]

    # The admin changes the reply in the channel menu; the next customer message gets the new text.
    replies = admin_chat.press("受付停止中の返信")
    assert "現在の文面(既定)" in text_of(replies) and "受け付けていません" in text_of(replies)
    replies = admin_chat.send("ただいま棚卸しのためお休みしています。8日から再開します。")
    assert "受付停止中の返信を変更しました" in text_of(replies)
    line_says(w, desk, customer, {"type": "text", "text": "いつ再開？"})
    wait_for(lambda: "棚卸し" in bot_lines(w, desk, customer)[-1]["message"].get("text", ""), what="the new reply")

    # A reply token lasts about a minute: when it has run out, the customer is not pushed to instead.
    w.http.post("/_sandbox/line/settings", json={"replyTokenLifetime": 0}).raise_for_status()
    try:
        line_says(w, desk, customer, {"type": "text", "text": "遅れて届く"})
        handled(w)
    finally:
        w.http.post("/_sandbox/line/settings", json={"replyTokenLifetime": 60}).raise_for_status()
    assert len(bot_lines(w, desk, customer)) == 2
    sent = w.http.get("/_sandbox/line/sent", params={"channelId": desk.channel["channelId"]}).json()
    assert [p["via"] for p in sent] == ["reply", "reply"]

    # Back to the default text, and [連携] relays again.
    replies = admin_chat.press("受付停止中の返信")
    assert "棚卸し" in text_of(replies)
    replies = admin_chat.press("既定の文面に戻す")
    assert "既定の文面に戻しました" in text_of(replies)
    admin_chat.press("連携")
    line_says(w, desk, customer, {"type": "text", "text": "再開後の質問"})
    wait_room_text(w, room["roomId"], "再開後の質問")


def test_an_inquiry_bot_answers_employees_with_the_same_per_link_setting(w, admin_chat, employee):
    account = unique("Bot窓口")
    desk = works_desk(w, account=account)
    open_channel(admin_chat, account, "LINE WORKS内Bot")
    admin_chat.press("連携解除")
    admin_chat.press("連携解除")
    admin_chat.press("受付停止中の返信")
    admin_chat.send("総務は本日休みです。急ぎの方は内線100へ。")
    employee_says(w, desk, employee, "誰かいますか")
    wait_for(lambda: any("内線100" in t for t in bot_texts(w, desk, employee)), what="the per-link reply")


def test_deleting_a_line_channel_tells_its_rooms_and_what_to_turn_off_in_the_console(w, admin_chat):
    account = unique("削除窓口")
    desk = line_desk(w, customers=1, names=(unique("削除客"),), account=account, shop=unique("もみじ商店"))
    customer = desk.customers[0]
    line_says(w, desk, customer, {"type": "text", "text": "削除前の質問"})
    room = wait_room(w, customer["displayName"])
    wait_room_text(w, room["roomId"], "削除前の質問")

    replies = open_channel(admin_chat, account, "LINE公式アカウント")
    assert "受付停止中の返信" in labels_of(replies[-1])
    replies = admin_chat.press("情報を削除")
    assert "返信できなくなります" in text_of(replies)
    replies = admin_chat.press("情報を削除")
    text = text_of(replies)
    assert "対応中のトークルーム1件に" in text
    assert "返信できなくなりました" in text and desk.channel["basicId"] in text
    assert "LINE Developers console" in text and "Webhook URLを消して" in text and "「Webhookの利用」をオフ" in text
    wait_room_text(w, room["roomId"], "情報を削除しました")

    agent_says(w, room["roomId"], "削除後の回答")
    texts = wait_room_text(w, room["roomId"], "情報が削除されたため")
    sent = line_says(w, desk, customer, {"type": "text", "text": "削除後の質問"})
    assert sent["webhook"]["status"] == 410
    assert not bot_lines(w, desk, customer)
    assert not any("送信できませんでした" in t for t in texts)


def test_the_out_of_service_reply_outlives_setting_the_channel_up_again(w):
    account_id = make_account(w, unique("再設定"))
    saved = links.save(w.ctx, account_id, "line", actor="test", token=links.new_token(), linked=True,
                       info_={"channel_id": "1", "basic_id": "@a"}, secrets_={"channel_secret": "s", "access_token": "t"})
    links.change_info(w.ctx, saved.link.id, {"out_of_service": "休業中です"}, "test", "out_of_service")
    links.save(w.ctx, account_id, "line", actor="test", token=links.new_token(), linked=True,
               info_={"channel_id": "2", "basic_id": "@b"}, secrets_={"channel_secret": "s2", "access_token": "t2"})
    assert links.info(links.get(w.ctx, account_id, "line")) == {"channel_id": "2", "basic_id": "@b",
                                                                "out_of_service": "休業中です"}

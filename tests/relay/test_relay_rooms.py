"""What agents see and do in a CX Talk room: titles, header cards, notes, files, closing and reopening."""

from __future__ import annotations

import base64

import pytest

from cxbot.base.waiting import wait_for
from tests.support.relay import (
    AGENTS,
    agent_rooms,
    agent_says,
    employee_says,
    intake_rooms,
    line_chat,
    line_desk,
    line_says,
    room_file_names,
    room_texts,
    shared_world,
    unique,
    wait_line_answer,
    wait_room,
    wait_room_text,
    works_desk,
)

pytestmark = pytest.mark.database


@pytest.fixture(scope="module")
def w(tmp_path_factory):
    with shared_world(tmp_path_factory.mktemp("rooms"), outbox_backoff=0.02) as world:
        # The module opens more rooms than LINE WORKS' 10 a minute; that limit has tests of its own.
        world.http.post("/_sandbox/settings", json={"channelCreatePerMinute": 100}).raise_for_status()
        yield world


def one_customer(w, name: str, shop: str = "サンプル商店", account: str | None = None):
    desk = line_desk(w, customers=1, names=(name,), account=account or unique("窓口"), shop=shop)
    return desk, desk.customers[0]


def test_a_note_is_acknowledged_in_the_room_and_not_sent(w):
    desk, customer = one_customer(w, unique("メモ客"))
    line_says(w, desk, customer, {"type": "text", "text": "在庫はありますか"})
    room = wait_room(w, customer["displayName"])
    wait_room_text(w, room["roomId"], "在庫はありますか")
    agent_says(w, room["roomId"], "/メモ 倉庫に確認中")
    agent_says(w, room["roomId"], "/note checking the stock")
    agent_says(w, room["roomId"], "/メモ")
    texts = wait_room_text(w, room["roomId"], "メモの内容がありません")
    assert sum("社内メモとして残しました" in t and "お客様には送られていません" in t for t in texts) == 2
    agent_says(w, room["roomId"], "在庫あります")
    wait_line_answer(w, desk, customer, "在庫あります")
    sent = [m["message"].get("text", "") for m in line_chat(w, desk, customer) if m["from"] == "bot"]
    assert sent == ["在庫あります"]


def test_the_room_title_starts_with_the_customer_and_stays_short(w):
    name = unique("寿限無寿限無五劫の擦り切れ海砂利水魚の水行末")
    account = unique("カスタマーサポートセンター東日本")
    desk, customer = one_customer(w, name, account=account)
    line_says(w, desk, customer, {"type": "text", "text": "長い名前です"})
    room = wait_room(w, name[:8])
    assert room["title"] == "寿限無寿限無五劫の擦り… (LINE・カスタマーサポ…)"


def test_the_header_card_names_the_official_account_written_to(w):
    shop = unique("さくら商店")
    desk, customer = one_customer(w, unique("ヘッダ客"), shop=shop)
    line_says(w, desk, customer, {"type": "text", "text": "こんにちは"})
    room = wait_room(w, customer["displayName"])
    header = wait_room_text(w, room["roomId"], "こんにちは")[0]
    assert f"LINE公式アカウント「{shop}」({desk.channel['basicId']})" in header
    assert customer["displayName"] in header


def test_a_closed_conversation_says_so_and_the_next_one_reopens_in_the_same_room(w):
    desk, customer = one_customer(w, unique("再開客"))
    line_says(w, desk, customer, {"type": "text", "text": "一件目の質問"})
    room = wait_room(w, customer["displayName"])
    wait_room_text(w, room["roomId"], "一件目の質問")
    agent_says(w, room["roomId"], "/終了")
    texts = wait_room_text(w, room["roomId"], "対応を終了しました")
    assert "このトークルームで新しい会話" in texts[-1]
    # Writing in the ended conversation: told once, however many lines, and nothing is sent.
    agent_says(w, room["roomId"], "追伸です")
    agent_says(w, room["roomId"], "もう一行")
    texts = wait_room_text(w, room["roomId"], "この会話は終了しています")
    agent_says(w, room["roomId"], "/メモ 区切り")
    texts = wait_room_text(w, room["roomId"], "社内メモとして残しました")
    assert sum("この会話は終了しています" in t for t in texts) == 1
    assert not [m for m in line_chat(w, desk, customer) if m["from"] == "bot"]

    # Conversations' rooms only: the scheduler makes other tests' intake rooms meanwhile.
    creations = len(agent_rooms(w))
    line_says(w, desk, customer, {"type": "text", "text": "二件目の質問"})
    texts = wait_room_text(w, room["roomId"], "二件目の質問")
    separator = next(t for t in texts if "お客様からの新しいお問い合わせ" in t)
    assert texts.index(separator) == len(texts) - 2  # the new header, then the message
    assert len([r for r in agent_rooms(w) if customer["displayName"] in r["title"]]) == 1
    assert len(agent_rooms(w)) == creations
    agent_says(w, room["roomId"], "二件目の回答")
    wait_line_answer(w, desk, customer, "二件目の回答")


def test_a_line_customers_file_keeps_its_name_in_the_room(w):
    desk, customer = one_customer(w, unique("ファイル客"))
    data = base64.b64encode(b"%PDF-1.4 quote").decode()
    line_says(w, desk, customer, {"type": "file", "fileName": "見積書 2024年度.pdf", "dataBase64": data})
    room = wait_room(w, customer["displayName"])
    assert wait_for(lambda: room_file_names(w, room["roomId"]), what="the file in the room") == ["見積書 2024年度.pdf"]


def test_an_employees_file_keeps_its_name_in_the_room(w, employee):
    account = unique("総務")
    desk = works_desk(w, account=account)
    w.http.post("/_sandbox/act/file", json={
        "userId": employee.user_id, "botId": desk.bot_id, "fileName": "経費精算 3月分.xlsx",
        "contentType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "dataBase64": base64.b64encode(b"PK\x03\x04 sheet").decode(), "kind": "file"}).raise_for_status()
    room = wait_room(w, account)
    assert wait_for(lambda: room_file_names(w, room["roomId"]), what="the file in the room") == ["経費精算 3月分.xlsx"]


def test_an_employee_is_not_called_a_customer(w, employee):
    account = unique("人事")
    desk = works_desk(w, account=account)
    employee_says(w, desk, employee, "有給の残りを知りたいです")
    room = wait_room(w, account)
    wait_room_text(w, room["roomId"], "社員: 田中 一郎")  # the header card, before the agent writes
    w.http.post("/_sandbox/faults", json={"method": "POST", "path": f"/v1.0/bots/{desk.bot_id}/users/*/messages",
                                          "status": 403, "times": 1,
                                          "body": {"code": "FORBIDDEN", "description": "Not allowed"}})
    agent_says(w, room["roomId"], "確認して折り返します")
    agent_says(w, room["roomId"], "/終了")
    texts = wait_room_text(w, room["roomId"], "対応を終了しました")
    texts = wait_for(lambda: (t := room_texts(w, room["roomId"])) and any("送信できませんでした" in x for x in t) and t,
                     what="the undeliverable note")
    assert not any("お客様" in t for t in texts), texts
    note = next(t for t in texts if "送信できませんでした" in t)
    assert "社員に届いていません" in note and "[LINE WORKS 403 FORBIDDEN]" in note
    assert "Not allowed" not in note


def test_failure_reasons_in_a_room_are_in_the_ui_language(w):
    desk, customer = one_customer(w, unique("失敗客"))
    line_says(w, desk, customer, {"type": "text", "text": "届きますか"})
    room = wait_room(w, customer["displayName"])
    wait_room_text(w, room["roomId"], "届きますか")
    w.http.post("/_sandbox/faults", json={"method": "POST", "path": "/line/v2/bot/message/push", "status": 400,
                                          "times": 1, "body": {"message": "The request body has 1 error(s)"}})
    agent_says(w, room["roomId"], "この回答は届かない")
    note = next(t for t in wait_room_text(w, room["roomId"], "送信できませんでした") if "送信できませんでした" in t)
    assert "送信先が受け付けませんでした。 [LINE 400]" in note
    assert "request body" not in note and "LINE 400:" not in note


def test_a_file_line_will_not_hand_over_is_still_shown_in_the_room(w):
    desk, customer = one_customer(w, unique("期限切れ客"))
    w.http.post("/_sandbox/faults", json={"method": "GET", "path": "/line-data/v2/bot/message/*/content",
                                          "status": 404, "times": 1, "body": {"message": "Not found"}})
    line_says(w, desk, customer, {"type": "file", "fileName": "図面.pdf",
                                  "dataBase64": base64.b64encode(b"%PDF-1.4").decode()})
    line_says(w, desk, customer, {"type": "text", "text": "図面を送りました"})
    room = wait_room(w, customer["displayName"])
    texts = wait_room_text(w, room["roomId"], "図面を送りました")
    assert any("ファイル「図面.pdf」を送信しましたが、ファイルを取得できませんでした" in t for t in texts), texts


def test_when_no_room_can_be_made_the_admins_are_told(w, admin):
    account = unique("部屋なし窓口")
    desk, customer = one_customer(w, unique("部屋なし客"), account=account)
    # The account's intake room first, so that the refusal below meets the customer's room.
    wait_for(lambda: any(account in r["title"] for r in intake_rooms(w)), what="the intake room")
    w.http.post("/_sandbox/faults", json={"method": "POST", "path": "/v1.0/bots/*/channels", "status": 403,
                                          "times": 1, "body": {"code": "FORBIDDEN",
                                                               "description": "The bot cannot create channels"}})
    line_says(w, desk, customer, {"type": "text", "text": "誰か見ていますか"})
    dm = w.dm_room(admin.user_id)
    note = wait_for(lambda: next((m["content"].get("text", "") for m in w.bot_messages(dm)
                                  if customer["displayName"] in m["content"].get("text", "")), None),
                    what="the note to the admins")
    assert "トークルームを作成できなかった" in note and "[LINE WORKS 403 FORBIDDEN]" in note
    assert "cannot create" not in note


def hub_texts(w, admin) -> list[str]:
    return [m["content"].get("text", "") for m in w.bot_messages(w.dm_room(admin.user_id))]


def test_when_every_agent_leaves_the_admins_hear_and_the_next_message_opens_a_new_room(w, admin):
    desk, customer = one_customer(w, unique("退出客"))
    line_says(w, desk, customer, {"type": "text", "text": "最初の質問"})
    room = wait_room(w, customer["displayName"])
    wait_room_text(w, room["roomId"], "最初の質問")
    for agent in AGENTS:
        left = w.http.post("/_sandbox/act/leave", json={"userId": agent.user_id, "channelId": room["roomId"]})
        assert left.status_code == 200, left.text
    assert left.json()["events"] == ["left", "leave"]  # nobody left: the bot left by itself
    told = wait_for(lambda: [t for t in hub_texts(w, admin) if "担当者が全員" in t and room["title"] in t],
                    what="the admins to hear that every agent left")
    assert customer["displayName"] in told[0]
    in_dead_room = len(w.messages(room["roomId"]))

    line_says(w, desk, customer, {"type": "text", "text": "二通目です"})
    new = wait_for(lambda: next((r for r in agent_rooms(w) if customer["displayName"] in r["title"]
                                 and r["roomId"] != room["roomId"]), None), what="a new room")
    texts = wait_room_text(w, new["roomId"], "二通目です")
    assert "前のトークルームからBotが退出した" in texts[0] and customer["displayName"] in texts[0]
    agent_says(w, new["roomId"], "新しいルームから回答します")
    wait_line_answer(w, desk, customer, "新しいルームから回答します")
    assert len(w.messages(room["roomId"])) == in_dead_room  # nothing was posted into the dead room

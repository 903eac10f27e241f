"""The hub bot through the sandbox: admins get the main menu, others a polite refusal."""

from __future__ import annotations

import re

import pytest

from cxbot.base.waiting import wait_for

pytestmark = pytest.mark.database

MENU_LABELS = ["窓口アカウント", "外部チャネル連携", "管理者", "履歴", "ヘルプ"]


def labels(message: dict) -> list[str]:
    return [a["label"] for a in message["content"].get("actions", [])]


def test_an_admins_hello_reaches_the_main_menu(wired, admin):
    sent = wired.say(admin.user_id, "こんにちは")
    assert sent["callback"]["status"] == 200
    # The first message also starts the room (begin): the greeting, then the menu.
    menu = wired.wait_bot_messages(sent["roomId"], 2)[-1]
    assert menu["content"]["type"] == "button_template"
    assert labels(menu) == MENU_LABELS
    assert "管理メニュー" in menu["content"]["contentText"]


@pytest.mark.parametrize("with_channel_id", [True, False])  # the docs' examples; the docs' field table
def test_a_one_to_one_talk_is_answered_whether_or_not_its_events_carry_a_channel_id(wired, admin, with_channel_id):
    wired.http.post("/_sandbox/settings", json={"directMessageChannelId": with_channel_id}).raise_for_status()
    sent = wired.say(admin.user_id, "こんにちは")
    menu = wired.wait_bot_messages(sent["roomId"], 2)[-1]
    assert labels(menu) == MENU_LABELS
    wired.press(admin.user_id, menu["messageId"], "ヘルプ")
    assert "外部チャネル" in wired.wait_bot_messages(sent["roomId"], 3)[-1]["content"]["text"]


def test_a_non_admin_is_refused_politely(wired, employee):
    sent = wired.say(employee.user_id, "メニューを見せて")
    reply = wired.wait_bot_messages(sent["roomId"], 1)[-1]
    assert reply["content"]["type"] == "text"
    assert "管理者専用" in reply["content"]["text"]
    assert "actions" not in reply["content"]


def test_pressing_help_answers_with_help(wired, admin):
    sent = wired.say(admin.user_id, "hi")
    menu = wired.wait_bot_messages(sent["roomId"], 2)[-1]
    wired.press(admin.user_id, menu["messageId"], "ヘルプ")
    reply = wired.wait_bot_messages(sent["roomId"], 3)[-1]
    assert reply["content"]["type"] == "text"
    assert "外部チャネル" in reply["content"]["text"]


def test_english_is_a_setting(make_wired, admin):
    w = make_wired(locale="en")
    sent = w.say(admin.user_id, "hello")
    menu = w.wait_bot_messages(sent["roomId"], 2)[-1]
    assert labels(menu) == ["Counter accounts", "External channels", "Admins", "History", "Help"]


def test_each_message_gets_one_answer_and_its_event_is_marked_done(wired, admin):
    first = wired.say(admin.user_id, "one")
    wired.say(admin.user_id, "two")
    wired.wait_bot_messages(first["roomId"], 3)
    # begin + two messages stored; all handled, nothing left behind or failed
    wait_for(lambda: wired.ctx.inbox.count("done") == 3, what="all events handled")
    assert wired.ctx.inbox.count("pending", "processing", "failed") == 0
    assert len(wired.bot_messages(first["roomId"])) == 3  # the greeting, then one menu per message


def open_room(w, user_id: str) -> str:
    """The user opens the hub bot's room in the client, as the chat page does."""
    resp = w.http.post("/_sandbox/act/open", json={"userId": user_id, "botId": int(w.tenant.bot_id)})
    resp.raise_for_status()
    assert resp.json()["event"] == "begin" and resp.json()["callback"]["status"] == 200
    return resp.json()["roomId"]


def test_opening_the_room_greets_an_admin_before_they_write(wired, admin):
    room = open_room(wired, admin.user_id)
    [greeting] = wired.wait_bot_messages(room, 1)
    assert greeting["content"]["type"] == "text"
    text = greeting["content"]["text"]
    assert "メニュー" in text  # how to start
    assert "管理者専用" not in text
    sent = wired.say(admin.user_id, "メニュー")
    greeting_again, menu = wired.wait_bot_messages(sent["roomId"], 2)
    assert greeting_again == greeting and labels(menu) == MENU_LABELS
    wait_for(lambda: wired.ctx.inbox.count("done") == 2, what="both events handled")
    assert len(wired.bot_messages(room)) == 2  # greeted once


def test_opening_the_room_tells_a_non_admin_it_is_for_admins(wired, employee):
    room = open_room(wired, employee.user_id)
    [reply] = wired.wait_bot_messages(room, 1)
    assert "管理者専用" in reply["content"]["text"]


def test_the_greeting_speaks_english_when_set(make_wired, admin):
    w = make_wired(locale="en")
    [greeting] = w.wait_bot_messages(open_room(w, admin.user_id), 1)
    assert "menu" in greeting["content"]["text"] and not re.search(r"[\u3040-\u30ff]", greeting["content"]["text"])

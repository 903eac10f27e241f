"""Counter accounts through the hub bot, and the flow engine's uniform behaviour:
cancel, back, timeout, restart, stale buttons, one flow at a time, non-admins."""

from __future__ import annotations

import datetime as dt

import pytest
from freezegun import freeze_time
from sqlmodel import select

from cxbot.demo import ADMIN, USERS
from cxbot.desk import accounts, audit, links
from cxbot.storage.models import FlowState
from flows import expire_due
from tests.support.chat import Chat, labels_of, text_of
from tests.support.relay import line_desk

pytestmark = pytest.mark.database

AGENTS = [u for u in USERS if u.role == "agent"]


def create_account(chat: Chat, name: str) -> list[dict]:
    chat.send("メニュー")
    chat.press("窓口アカウント")
    chat.press("新規作成")
    return chat.send(name)


def test_creating_a_counter_account_assigns_the_default_address(admin_chat, wired):
    replies = create_account(admin_chat, "Support Desk")
    assert "support-desk@cxbot.localhost" in text_of(replies)
    assert "変更・削除できません" in text_of(replies)
    detail = replies[-1]
    assert detail["content"]["type"] == "button_template"
    assert {"外部チャネル連携", "担当者を設定", "名前を変更", "戻る", "キャンセル"} <= set(labels_of(detail))
    [account] = accounts.all_accounts(wired.ctx)
    assert (account.name, account.default_address) == ("Support Desk", "support-desk@cxbot.localhost")
    assert [e.action for e in audit.recent(wired.ctx)] == ["account.create"]


def test_japanese_names_get_a_unique_ascii_address(admin_chat, wired):
    create_account(admin_chat, "お客様相談室")
    admin_chat.press("キャンセル")
    create_account(admin_chat, "お客様相談室 2")
    addresses = [a.default_address for a in accounts.all_accounts(wired.ctx)]
    assert len(set(addresses)) == 2
    assert all(a.endswith("@cxbot.localhost") and a.isascii() for a in addresses)


def test_bad_names_are_re_prompted_and_nothing_is_saved(admin_chat, wired):
    create_account(admin_chat, "Sales")
    admin_chat.press("窓口アカウント一覧")
    admin_chat.press("新規作成")
    replies = admin_chat.send("Sales")
    assert "すでにあります" in text_of(replies)
    replies = admin_chat.send("x" * 51)
    assert "50文字以内" in text_of(replies)
    assert len(accounts.all_accounts(wired.ctx)) == 1


def test_agents_are_checked_with_the_users_api(admin_chat, wired):
    create_account(admin_chat, "Helpdesk")
    admin_chat.press("担当者を設定")
    replies = admin_chat.send(f"{AGENTS[0].email}, nobody@nowhere.example")
    assert "nobody@nowhere.example" in text_of(replies) and "見つかりません" in text_of(replies)
    assert accounts.agents(accounts.all_accounts(wired.ctx)[0]) == []
    assert "社外のユーザー" in text_of(replies)  # why an outsider cannot be one: bots cannot join rooms with them
    # The same person by email and by user ID is one member (a room's members are unique).
    replies = admin_chat.send(f"{AGENTS[0].email}\n{AGENTS[1].user_id}, {AGENTS[0].user_id}")
    assert "佐藤 健" in text_of(replies) and "鈴木 美咲" in text_of(replies)
    assert accounts.agents(accounts.all_accounts(wired.ctx)[0]) == [AGENTS[0].user_id, AGENTS[1].user_id]


def test_rename_and_the_list(admin_chat, wired):
    create_account(admin_chat, "Old name")
    admin_chat.press("名前を変更")
    admin_chat.send("New name")
    replies = admin_chat.press("窓口アカウント一覧")
    assert "New name" in labels_of(replies[-1])
    assert accounts.all_accounts(wired.ctx)[0].default_address == "old-name@cxbot.localhost"  # never changes


def test_back_returns_to_the_previous_question(admin_chat):
    create_account(admin_chat, "Desk")
    admin_chat.press("名前を変更")
    replies = admin_chat.press("戻る")
    assert "窓口アカウント「Desk」" in text_of(replies)


def test_cancel_drops_the_flow_and_saves_nothing(admin_chat, wired):
    admin_chat.send("メニュー")
    admin_chat.press("窓口アカウント")
    admin_chat.press("新規作成")
    replies = admin_chat.press("キャンセル")
    assert "キャンセルしました" in text_of(replies)
    replies = admin_chat.send("Not a name")  # no flow any more: the menu
    assert "管理メニュー" in text_of(replies)
    assert accounts.all_accounts(wired.ctx) == []


def test_typing_cancel_works_too(admin_chat):
    admin_chat.send("メニュー")
    admin_chat.press("窓口アカウント")
    admin_chat.press("新規作成")
    assert "キャンセルしました" in text_of(admin_chat.send("キャンセル"))


def test_a_stale_button_is_ignored_with_a_note(admin_chat, wired):
    admin_chat.send("メニュー")
    listing = admin_chat.press("窓口アカウント")[-1]
    admin_chat.press("新規作成")
    replies = admin_chat.press("新規作成", message=listing)  # the older message's button
    assert "古いメッセージ" in text_of(replies)
    replies = admin_chat.send("Still asked for a name")
    assert accounts.all_accounts(wired.ctx)[0].name == "Still asked for a name"


def test_starting_another_flow_asks_first(admin_chat):
    admin_chat.send("メニュー")
    admin_chat.press("窓口アカウント")
    admin_chat.press("新規作成")
    assert "管理メニュー" in text_of(admin_chat.send("メニュー"))  # the menu, the flow stays open
    replies = admin_chat.press("管理者")
    assert "途中です" in text_of(replies)
    replies = admin_chat.press("続ける")
    assert "窓口アカウント" in text_of(replies)
    replies = admin_chat.press("管理者", message=admin_chat.find("ヘルプ"))
    replies = admin_chat.press("中止して始める")
    assert "cxbotを設定できる管理者" in text_of(replies)


def test_the_flow_survives_a_restart(make_wired, admin):
    first = make_wired()
    chat = Chat(first, admin.user_id)
    chat.send("メニュー")
    chat.press("窓口アカウント")
    chat.press("新規作成")
    first.runtime.stop()
    second = make_wired()  # another process on the same database
    chat.w = second
    replies = chat.send("After restart")
    assert "After restart" in text_of(replies)
    assert accounts.all_accounts(second.ctx)[0].name == "After restart"


def test_an_idle_flow_times_out_and_the_admin_is_told(admin_chat, wired):
    admin_chat.send("メニュー")
    admin_chat.press("窓口アカウント")
    admin_chat.press("新規作成")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=31)
    with freeze_time(later, tick=True):
        assert expire_due(wired.ctx) == 1
        replies = admin_chat._settle()
    assert "30分間操作がなかったため中止しました" in text_of(replies)
    with wired.ctx.db.session() as s:
        assert s.exec(select(FlowState)).all() == []


def test_a_message_after_the_timeout_gets_the_note_and_the_menu(admin_chat):
    admin_chat.send("メニュー")
    admin_chat.press("窓口アカウント")
    admin_chat.press("新規作成")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=45)
    with freeze_time(later, tick=True):
        replies = admin_chat.send("Too late")
    assert "中止しました" in text_of(replies)


def test_a_non_admin_cannot_configure(wired, employee):
    chat = Chat(wired, employee.user_id)
    replies = chat.send("窓口アカウント")
    assert "管理者専用" in text_of(replies)
    # Even a hand-made button press is refused.
    wired.http.post("/_sandbox/act/raw", json={"botId": int(wired.tenant.bot_id), "body": {
        "type": "message", "source": {"userId": employee.user_id, "domainId": 40029600},
        "issuedTime": "2026-11-24T05:16:05.716Z",
        "content": {"type": "text", "text": "窓口アカウント", "postback": "menu:accounts"}}})
    replies = chat._settle()
    assert "管理者専用" in text_of(replies)
    assert accounts.all_accounts(wired.ctx) == []


def test_admins_added_in_chat_may_configure(admin_chat, wired, employee):
    admin_chat.send("メニュー")
    admin_chat.press("管理者")
    admin_chat.press("管理者を追加")
    replies = admin_chat.send(employee.email)
    assert "管理者に追加しました" in text_of(replies)
    chat = Chat(wired, employee.user_id)
    assert "管理メニュー" in text_of(chat.send("こんにちは"))


def test_the_audit_log_reads_as_sentences_and_holds_no_secret(admin_chat, wired):
    create_account(admin_chat, "Audited")
    admin_chat.press("キャンセル")
    admin_chat.send("メニュー")
    replies = admin_chat.press("履歴")
    text = text_of(replies)
    assert "管理 花子さんが窓口アカウント「Audited」を作成しました" in text
    assert "account.create" not in text and "=" not in text  # no codes, no key=value dumps
    assert ADMIN.user_id not in text  # names, never internal ids


def test_the_audit_log_pages_by_ten(admin_chat, wired):
    for n in range(12):
        audit.record(wired.ctx, ADMIN.user_id, "account.rename", f"窓口{n:02d}", old=f"旧{n:02d}")
    admin_chat.send("メニュー")
    first = text_of(admin_chat.press("履歴"))
    assert "窓口11" in first and "窓口02" in first and "窓口01" not in first
    assert "1〜10件目 / 全12件" in first
    second = text_of(admin_chat.press("次へ"))
    assert "窓口01" in second and "窓口00" in second and "窓口11" not in second
    assert "次へ" not in labels_of(admin_chat.last())
    assert "窓口11" in text_of(admin_chat.press("前へ"))


def test_the_audit_log_tells_a_channel_change_in_words(admin_chat, wired):
    desk = line_desk(wired, customers=0)
    link = links.get(wired.ctx, desk.account_id, "line")
    links.set_linked(wired.ctx, link.id, False, ADMIN.user_id)
    admin_chat.send("メニュー")
    text = text_of(admin_chat.press("履歴"))
    assert "「Support」のLINE公式アカウント「サンプル商店 (" in text and "の連携を解除しました" in text


def test_the_flows_speak_english_when_set(make_wired, admin):
    w = make_wired(locale="en")
    chat = Chat(w, admin.user_id)
    chat.send("menu")
    chat.press("Counter accounts")
    chat.press("Create new")
    replies = chat.send("Global Desk")
    text = text_of(replies)
    assert "global-desk@cxbot.localhost" in text
    assert {"External channels", "Set agents", "Rename", "Back", "Cancel"} <= set(labels_of(replies[-1]))
    replies = chat.press("External channels")
    assert "Not set up" in text_of(replies)

"""Employees ↔ CX Talk rooms through a counter account's inquiry bot."""

from __future__ import annotations

import json

import pytest

from cxbot import inbox
from cxbot.base.waiting import wait_for
from cxbot.desk import links
from tests.support.relay import (
    agent_rooms,
    agent_says,
    bot_texts,
    employee_says,
    wait_room,
    wait_room_text,
    works_desk,
)

pytestmark = pytest.mark.database


@pytest.mark.parametrize("with_channel_id", [True, False])  # the docs' examples; the docs' field table
def test_an_employee_asks_and_gets_the_answer_in_the_same_talk(wired, employee, with_channel_id):
    wired.http.post("/_sandbox/settings", json={"directMessageChannelId": with_channel_id}).raise_for_status()
    desk = works_desk(wired)
    employee_says(wired, desk, employee, "経費精算の締め日はいつですか？")
    # The bot's 説明 greets the member once when the talk begins.
    wait_for(lambda: any("総務への問い合わせ窓口" in t for t in bot_texts(wired, desk, employee)), what="greeting")
    room = wait_room(wired, "田中 一郎")
    assert room["title"] == "田中 一郎 (社内Bot・総務)"
    wait_room_text(wired, room["roomId"], "経費精算の締め日")
    agent_says(wired, room["roomId"], "毎月25日です。")
    wait_for(lambda: "毎月25日です。" in bot_texts(wired, desk, employee), what="the answer in the employee's talk")


def test_an_unlinked_inquiry_bot_tells_the_employee_and_relays_nothing(wired, employee):
    desk = works_desk(wired)
    link = links.by_token(wired.ctx, desk.token)
    links.set_linked(wired.ctx, link.id, False, "test")
    employee_says(wired, desk, employee, "誰かいますか")
    wait_for(lambda: any("受け付けていません" in t for t in bot_texts(wired, desk, employee)), what="the notice")

    assert agent_rooms(wired) == []


def test_a_deleted_link_answers_410(wired, employee):
    import httpx

    desk = works_desk(wired)
    url = links.webhook_url(wired.ctx, "works_bot", desk.token)
    links.delete(wired.ctx, links.by_token(wired.ctx, desk.token).id, "test")
    assert httpx.post(url, content=b"{}", headers={"X-WORKS-BotId": str(desk.bot_id)}).status_code == 410


def test_an_employees_message_stored_by_the_release_before_still_reaches_the_room(wired, employee):
    desk = works_desk(wired, account="経理")
    body = json.dumps({"type": "message", "issuedTime": "2026-01-05T09:00:00.000Z",
                       "source": {"userId": employee.user_id, "domainId": int(wired.ctx.settings.works_domain_id)},
                       "content": {"type": "text", "text": "前の版で届いた問い合わせです"}}).encode()
    # As a web process of the release before stored it: under the inbox source "works".
    wired.ctx.inbox.store("works", inbox.works_key(f"works:{desk.token}", body), body, link_token=desk.token,
                order_key=f"works:{desk.token}:{employee.user_id}")
    wired.ctx.wakeup.set()
    room = wait_room(wired, "田中 一郎 (社内Bot・経理)")
    wait_room_text(wired, room["roomId"], "前の版で届いた問い合わせです")

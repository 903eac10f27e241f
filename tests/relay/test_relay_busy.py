"""The customer hears back at once, for free (issue 11): during a surge, when conversations
wait over a minute for a room of their own, a LINE customer's first message is answered
through its reply token and a mail customer gets one auto-reply.

The surge is real: LINE WORKS (the sandbox) allows one room creation a minute and cxbot's
room budget two (works_rooms_per_min=2: a customer's room and an intake room in the first
minute), so the rooms of several new customers queue.
The first test runs before any surge (a module's world is fresh on every worker)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from sqlmodel import select

from cxbot.base.waiting import wait_for
from cxbot.demo import ADMIN
from cxbot.desk import accounts, links
from cxbot.relay import room_queue
from cxbot.storage.models import Contact, Conversation, OutboxItem
from tests.support.chat import Chat, text_of
from tests.support.relay import (
    Catcher,
    agent_says,
    line_chat,
    line_desk,
    line_says,
    make_account,
    shared_world,
    unique,
    wait_room,
    wait_room_text,
)

pytestmark = pytest.mark.database

BUSY_JA = "ただいま混み合っています。順番にご案内します"


@pytest.fixture(scope="module")
def catcher():
    c = Catcher()
    yield c
    c.server.stop()


@pytest.fixture(scope="module")
def w(tmp_path_factory, catcher):
    with shared_world(tmp_path_factory.mktemp("busy"), outbox_backoff=0.02, works_rooms_per_min=2,
                      smtp_url=f"smtp://127.0.0.1:{catcher.server.port}") as world:
        yield world


_surges: dict[int, object] = {}


def start_surge(w):
    """Room creations queue: one a minute allowed, and four new customers write at once."""
    if id(w) not in _surges:
        w.http.post("/_sandbox/settings", json={"channelCreatePerMinute": 1}).raise_for_status()
        desk = line_desk(w, customers=4, names=tuple(unique("待ち客") for _ in range(4)), account=unique("混雑窓口"))
        for customer in desk.customers:
            line_says(w, desk, customer, {"type": "text", "text": "至急お願いします"})
        wait_for(lambda: room_queue.in_surge(w.ctx), what="a surge: room creations queued past a minute")
        _surges[id(w)] = desk
    return _surges[id(w)]


@pytest.fixture
def surge(w):
    return start_surge(w)


@pytest.fixture
def admin_chat(w):
    chat = Chat(w, ADMIN.user_id)
    yield chat
    chat.send("キャンセル")


def handled(w, sources=("line", "mail")) -> None:
    wait_for(lambda: w.ctx.inbox.count("pending", "processing", sources=sources) == 0,
             what="the worker to handle the events")


def bot_lines(w, desk, customer) -> list[dict]:
    return [m for m in line_chat(w, desk, customer) if m["from"] == "bot"]


def sent_to(w, desk, customer) -> list[dict]:
    """What the Official Account sent the customer through the Messaging API (reply or push)."""
    return w.http.get("/_sandbox/line/sent", params={"channelId": desk.channel["channelId"],
                                                     "to": customer["userId"]}).json()


def conversations_of(w, source_id: str) -> list[Conversation]:
    with w.ctx.db.read() as s:
        return list(s.exec(select(Conversation).join(Contact, Contact.id == Conversation.contact_id)
                           .where(Contact.source_id == source_id).order_by(Conversation.id)))


def mail_desk(w, name: str) -> str:
    account_id = make_account(w, name)
    address = accounts.get(w.ctx, account_id).default_address
    links.save(w.ctx, account_id, "mail", actor="test", token=links.new_token(), linked=True,
               info_={"address": address}, secrets_=None)
    return address


def send_mail(w, to: str, sender: str, subject: str, text: str, **headers) -> str:
    msg = EmailMessage()
    msg["From"] = f"山田 太郎 <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = headers.pop("message_id", make_msgid(domain="customer.example"))
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(text)
    with smtplib.SMTP("127.0.0.1", w.runtime.smtp.port) as smtp:
        smtp.send_message(msg)
    return msg["Message-ID"].strip("<>")


def mails_to(catcher, address: str):
    return [m for m in catcher.wait(0) if address in m.to]


def outbox_settled(w) -> None:
    """No busy notice by mail is left to send (room creations may still wait: the surge)."""
    def settled():
        with w.ctx.db.read() as s:
            return s.exec(select(OutboxItem.id).where(OutboxItem.action == "mail_ack",
                                                      OutboxItem.status.in_(("pending", "sending")))).first() is None
    wait_for(settled, what="the mail notices to be sent")


def test_without_a_surge_nobody_hears_the_busy_reply_and_a_returning_customer_none_in_one(w, catcher):
    assert not room_queue.in_surge(w.ctx) and room_queue.minutes(w.ctx) == 0
    desk = line_desk(w, customers=1, names=(unique("平常客"),), account=unique("平常窓口"))
    customer = desk.customers[0]
    line_says(w, desk, customer, {"type": "text", "text": "こんにちは"})
    room = wait_room(w, customer["displayName"])
    wait_room_text(w, room["roomId"], "こんにちは")
    address = mail_desk(w, unique("平常メール"))
    sender = f"{unique('calm')}@customer.example"
    send_mail(w, address, sender, "在庫について", "在庫はありますか")
    wait_room(w, "山田 太郎")
    handled(w)
    outbox_settled(w)
    assert bot_lines(w, desk, customer) == [] and sent_to(w, desk, customer) == []
    assert mails_to(catcher, sender) == []
    assert [c.busy_ack_at for c in conversations_of(w, customer["userId"]) + conversations_of(w, sender)] == [None] * 2

    # The agent closes the conversation; during a surge the customer writes again: the new
    # conversation opens in their room at once (not in the queue), so no busy reply.
    agent_says(w, room["roomId"], "/終了")
    wait_room_text(w, room["roomId"], "対応を終了しました")
    start_surge(w)
    line_says(w, desk, customer, {"type": "text", "text": "また質問です"})
    wait_room_text(w, room["roomId"], "また質問です")
    assert bot_lines(w, desk, customer) == []
    assert [c.busy_ack_at for c in conversations_of(w, customer["userId"])] == [None, None]


def test_during_a_surge_a_new_line_customer_hears_back_once_through_the_reply_token(w, surge):
    with w.ctx.db.read() as s:
        waiting, minutes = room_queue.length(s), room_queue.minutes(w.ctx, s)
    assert minutes > 1 and minutes == waiting / w.ctx.settings.works_rooms_per_min
    desk = line_desk(w, customers=1, names=(unique("急ぎ客"),), account=unique("急ぎ窓口"))
    customer = desk.customers[0]
    line_says(w, desk, customer, {"type": "text", "text": "注文の件です"})
    got = wait_for(lambda: bot_lines(w, desk, customer), what="the busy reply")
    assert [(m["via"], m["message"]["text"]) for m in got] == [("reply", BUSY_JA)]

    # Further messages of the conversation (each with a fresh reply token) get nothing more.
    line_says(w, desk, customer, {"type": "text", "text": "追加です"})
    line_says(w, desk, customer, {"type": "text", "text": "まだですか"})
    handled(w)
    assert len(bot_lines(w, desk, customer)) == 1
    assert [p["via"] for p in sent_to(w, desk, customer)] == ["reply"]
    [conv] = conversations_of(w, customer["userId"])
    assert conv.busy_ack_at is not None and conv.room_channel_id is None  # still waiting for its room


def test_a_reply_token_too_old_is_not_replaced_by_a_push(w, surge):
    desk = line_desk(w, customers=1, names=(unique("遅延客"),), account=unique("遅延窓口"))
    customer = desk.customers[0]
    w.http.post("/_sandbox/line/settings", json={"replyTokenLifetime": 0}).raise_for_status()
    try:
        line_says(w, desk, customer, {"type": "text", "text": "届いていますか"})
        handled(w)
    finally:
        w.http.post("/_sandbox/line/settings", json={"replyTokenLifetime": 60}).raise_for_status()
    assert sent_to(w, desk, customer) == [] and bot_lines(w, desk, customer) == []
    [conv] = conversations_of(w, customer["userId"])
    assert conv.busy_ack_at is not None  # tried once: a later message does not try again
    line_says(w, desk, customer, {"type": "text", "text": "もしもし"})
    handled(w)
    assert sent_to(w, desk, customer) == []


def test_the_admin_changes_the_busy_reply_in_the_channel_menu(w, surge, admin_chat):
    account = unique("文面窓口")
    desk = line_desk(w, customers=2, names=(unique("文面客"), unique("文面客")), account=account)
    admin_chat.send("メニュー")
    admin_chat.press("窓口アカウント")
    admin_chat.press(account)
    admin_chat.press("外部チャネル連携")
    admin_chat.press("LINE公式アカウント")
    replies = admin_chat.press("混雑時の自動返信")
    assert "現在の文面(既定)" in text_of(replies) and BUSY_JA in text_of(replies)
    assert "既定の文面に戻す" not in [a["label"] for m in replies for a in m["content"].get("actions", [])
                                   if isinstance(a, dict)]
    replies = admin_chat.send("混雑中です。30分ほどお待ちください。")
    assert "混雑時の自動返信を変更しました" in text_of(replies)
    first, second = desk.customers
    line_says(w, desk, first, {"type": "text", "text": "質問です"})
    got = wait_for(lambda: bot_lines(w, desk, first), what="the admin's busy reply")
    assert [m["message"]["text"] for m in got] == ["混雑中です。30分ほどお待ちください。"]

    replies = admin_chat.press("混雑時の自動返信")
    assert "30分ほど" in text_of(replies)
    replies = admin_chat.press("既定の文面に戻す")
    assert "既定の文面に戻しました" in text_of(replies) and BUSY_JA in text_of(replies)
    line_says(w, desk, second, {"type": "text", "text": "質問です"})
    got = wait_for(lambda: bot_lines(w, desk, second), what="the default busy reply again")
    assert [m["message"]["text"] for m in got] == [BUSY_JA]


def test_during_a_surge_a_mail_customer_gets_one_threaded_auto_reply(w, surge, catcher):
    address = mail_desk(w, unique("混雑メール"))
    sender = f"{unique('taro')}@customer.example"
    first = send_mail(w, address, sender, "請求書について", "先月の請求書が届いていません。")
    [ack] = wait_for(lambda: mails_to(catcher, sender), what="the busy notice by mail")
    assert ack.header("Auto-Submitted") == "auto-replied"
    assert ack.from_addr == address and ack.subject == "Re: 請求書について"
    assert ack.in_reply_to == first and first in ack.references
    assert ack.reply_to.startswith("reply+") and ack.reply_to.endswith("@" + w.ctx.settings.mail_domain)
    assert "ただいま混み合っています" in ack.text and "自動送信" in ack.text

    # The customer writes again in the thread (to the notice's Reply-To): no second notice.
    send_mail(w, ack.reply_to, sender, "Re: 請求書について", "追記です。", In_Reply_To=f"<{ack.message_id}>",
              References=f"<{first}> <{ack.message_id}>")
    handled(w)
    outbox_settled(w)
    [conv] = conversations_of(w, sender)
    assert conv.busy_ack_at is not None
    assert len(mails_to(catcher, sender)) == 1


@pytest.mark.parametrize("headers", [{"Auto-Submitted": "auto-generated"}, {"Precedence": "bulk"},
                                     {"List-Id": "<support.customer.example>"},
                                     {"X-Auto-Response-Suppress": "OOF, AutoReply"}],
                         ids=["auto-submitted", "precedence-bulk", "mailing-list", "suppress"])
def test_machine_mail_gets_no_auto_reply(w, surge, catcher, headers):
    address = mail_desk(w, unique("機械メール"))
    sender = f"{unique('robot')}@customer.example"
    send_mail(w, address, sender, "お知らせ", "自動送信のお知らせです。",
              **{k.replace("-", "_"): v for k, v in headers.items()})
    handled(w)
    outbox_settled(w)
    assert mails_to(catcher, sender) == []
    # A list's or a suppressing mail is a person's and reaches the room; it is just not answered.
    assert [c.busy_ack_at for c in conversations_of(w, sender)] == (
        [] if "Auto-Submitted" in headers or "Precedence" in headers else [None])

"""Email customers ↔ CX Talk rooms: real SMTP in, real SMTP out, threaded across replies."""

from __future__ import annotations

import smtplib
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import httpx
import pytest

from cxbot.base.waiting import wait_for
from cxbot.desk import links
from cxbot.relay import mail as ingest_mail
from cxbot.relay import outbox
from cxbot.storage.models import Message
from tests.support.chat import Chat, text_of
from tests.support.relay import (
    Catcher,
    agent_rooms,
    agent_says,
    make_account,
    room_texts,
    wait_room,
    wait_room_text,
)

pytestmark = pytest.mark.database

CUSTOMER = "yamada@customer.example"


@pytest.fixture
def catcher():
    c = Catcher()
    yield c
    c.server.stop()


@pytest.fixture
def desk(make_wired, catcher):
    # A short window keeps the tests quick; the default is 5 s.
    w = make_wired(smtp_url=f"smtp://127.0.0.1:{catcher.server.port}", outbox_backoff=0.02, mail_answer_window=1.0)
    account_id = make_account(w, "Billing")
    address = f"billing@{w.ctx.settings.mail_domain}"
    token = links.new_token()
    links.save(w.ctx, account_id, "mail", actor="test", token=token, linked=True,
               info_={"address": address}, secrets_=None)
    return w, address, token


def send_mail(w, to: str, subject: str, text: str, sender: str = CUSTOMER, **headers) -> str:
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


def test_mail_threads_across_three_replies(desk, catcher):
    w, address, _ = desk
    first = send_mail(w, address, "請求書について", "先月の請求書が届いていません。")
    room = wait_room(w, "山田 太郎")
    assert "メール" in room["title"]
    wait_room_text(w, room["roomId"], "先月の請求書が届いていません")
    agent_says(w, room["roomId"], "再送いたします。")
    [answer1] = catcher.wait(1)
    assert answer1.from_addr == address and answer1.subject == "Re: 請求書について"
    assert answer1.in_reply_to == first and first in answer1.references
    reply_to = answer1.reply_to
    assert reply_to.startswith("reply+") and reply_to.endswith("@" + w.ctx.settings.mail_domain)

    second = send_mail(w, address, "Re: 請求書について", "届きました。ありがとうございます。\n\n> 再送いたします。",
                       In_Reply_To=f"<{answer1.message_id}>", References=f"<{first}> <{answer1.message_id}>")
    texts = wait_room_text(w, room["roomId"], "届きました")
    assert not any("> 再送いたします" in t for t in texts)  # only the new part
    agent_says(w, room["roomId"], "ほかにご不明点はありますか？")
    answer2 = catcher.wait(2)[1]
    assert answer2.in_reply_to == second
    assert answer2.references[:3] == [first, answer1.message_id, second]

    # The third reply comes through the reply+ address only (no threading headers at all).
    send_mail(w, reply_to, "Re: 請求書について", "大丈夫です。")
    wait_room_text(w, room["roomId"], "大丈夫です")
    assert len(agent_rooms(w)) == 1  # one conversation, one room throughout


def test_the_same_message_id_is_relayed_once(desk):
    w, address, _ = desk
    mid = make_msgid(domain="customer.example")
    send_mail(w, address, "重複", "一度だけ表示", message_id=mid)
    send_mail(w, address, "重複", "一度だけ表示", message_id=mid)
    send_mail(w, address, "次", "次のメール")
    room = wait_room(w, "山田 太郎")
    texts = wait_room_text(w, room["roomId"], "次のメール")
    assert sum("一度だけ表示" in t for t in texts) == 1


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"},
    {"Precedence": "bulk"},
    {"X_Autoreply": "yes"},
    {"Return_Path": "<>", "X_Failed_Recipients": "someone@customer.example"},
])
def test_machine_mail_is_never_relayed(desk, headers):
    w, address, _ = desk
    send_mail(w, address, "自動応答: 不在です", "不在にしています。", **headers)
    send_mail(w, address, "本物", "人からのメール", sender="human@customer.example")
    room = wait_room(w, "山田 太郎")
    texts = wait_room_text(w, room["roomId"], "人からのメール")
    assert not any("不在にしています" in t for t in texts)
    assert len(agent_rooms(w)) == 1


def test_mail_from_cxbots_own_addresses_is_not_relayed(desk):
    w, address, _ = desk
    send_mail(w, address, "ループ", "自分から", sender=f"other@{w.ctx.settings.mail_domain}")
    send_mail(w, address, "本物", "顧客から")
    wait_room(w, "山田 太郎")
    assert len(agent_rooms(w)) == 1


def test_a_flood_from_one_sender_is_capped(desk):
    w, address, _ = desk
    original = ingest_mail.SENDER_CAP_PER_HOUR
    ingest_mail.SENDER_CAP_PER_HOUR = 3
    try:
        for i in range(5):
            send_mail(w, address, "連投", f"連投{i}")
        room = wait_room(w, "山田 太郎")
        wait_room_text(w, room["roomId"], "連投2")

        wait_for(lambda: w.ctx.inbox.count("pending", "processing", sources=("mail",)) == 0, what="mail handled")
        assert not any("連投4" in t for t in room_texts(w, room["roomId"]))
    finally:
        ingest_mail.SENDER_CAP_PER_HOUR = original


def test_gmail_forwarding_confirmation_goes_to_the_admin(desk, admin):
    w, address, _ = desk
    link = links.get(w.ctx, links.by_token(w.ctx, desk[2]).counter_account_id, "mail")
    links.save(w.ctx, link.counter_account_id, "mail", actor=admin.user_id, token=link.webhook_token, linked=True,
               info_={"address": address, "configured_by": admin.user_id}, secrets_=None)
    body = ("support@company.example has requested to automatically forward mail to your email address\n"
            f"{address}.\nConfirmation code: 625172093\n\nTo allow support@company.example to automatically "
            "forward mail to your address, please click the link below to confirm the request:\n\n"
            "https://mail-settings.google.com/mail/vf-%5BANGjdJ8abc%5D-abcdef\n")
    send_mail(w, address, "(#625172093) Gmail Forwarding Confirmation - Receive Mail from support@company.example",
              body, sender="forwarding-noreply@google.com")
    chat = Chat(w, admin.user_id)
    chat.room = w.dm_room(admin.user_id)
    messages = wait_for(lambda: (msgs := w.bot_messages(chat.room)) and msgs, what="the admin's note")
    text = text_of(messages)
    assert "625172093" in text and "mail-settings.google.com" in text
    assert agent_rooms(w) == []  # not an inquiry


def test_a_relay_can_post_raw_mime_to_the_webhook(desk):
    w, address, token = desk
    raw = (f"From: Lee <lee@customer.example>\r\nTo: {address}\r\nSubject: =?UTF-8?B?5ZWP44GE5ZCI44KP44Gb?=\r\n"
           f"Message-ID: <raw-1@customer.example>\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n"
           ).encode() + "よろしくお願いします".encode("iso-2022-jp") + b"\r\n"
    resp = httpx.post(links.webhook_url(w.ctx, "mail", token), content=raw,
                      headers={"Content-Type": "message/rfc822"})
    assert resp.status_code == 200
    room = wait_room(w, "Lee")
    texts = wait_room_text(w, room["roomId"], "よろしくお願いします")
    assert any("問い合わせ" in t for t in texts)  # the decoded subject
    assert httpx.post(links.webhook_url(w.ctx, "mail", "nope"), content=raw).status_code == 404


def test_mail_through_a_google_group_is_relayed(desk):
    """support@ as a Google Group forwards customers' mail with List-Id: it is an inquiry."""
    w, address, _ = desk
    send_mail(w, address, "グループ経由", "グループから届いた質問", List_Id="<support.company.example>",
              Precedence="list")
    room = wait_room(w, "山田 太郎")
    wait_room_text(w, room["roomId"], "グループから届いた質問")


def test_an_agents_lines_go_out_as_one_mail_quoting_the_customer_and_signed(desk, catcher):
    w, address, _ = desk
    send_mail(w, address, "請求書について", "先月の請求書が届いていません。\n\n至急お願いします。")
    room = wait_room(w, "山田 太郎")
    wait_room_text(w, room["roomId"], "先月の請求書が届いていません")
    for line in ("山田様", "お世話になっております。", "請求書を再送いたしました。"):
        agent_says(w, room["roomId"], line)
    catcher.wait(1)
    wait_for(lambda: outbox.pending(w.ctx.db) == 0, what="the outbox to drain")
    assert len(catcher.mails) == 1  # one mail for the three lines
    body = message_from_bytes(catcher.mails[0], policy=policy.default).get_body().get_content()
    answer, _, rest = body.partition("\n\n-- \n")
    assert answer == "山田様\nお世話になっております。\n請求書を再送いたしました。"
    signature, _, quote = rest.partition("\n\n")
    assert signature == "Billing"
    header, *quoted = quote.rstrip("\n").split("\n")
    assert header.endswith(" 山田 太郎 <yamada@customer.example>:") and "年" in header and "月" in header
    assert quoted == ["> 先月の請求書が届いていません。", ">", "> 至急お願いします。"]
    with w.ctx.db.session() as s:
        from sqlmodel import select


        statuses = s.exec(select(Message.status).where(Message.direction == "out")).all()
    assert statuses == ["sent", "sent", "sent"]

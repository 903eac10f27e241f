"""An agent's lines to an email customer: gathered into one mail, and never lost or sent twice when a
worker dies with the mail in hand. The worker is played by hand here (no web, no background threads),
so a test can stop it at the exact moment a real one would be killed."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest

from cxbot.base.i18n import Texts
from cxbot.base.waiting import wait_for
from cxbot.desk import accounts, links
from cxbot.mail.compose import Quote, reply_body
from cxbot.relay import outbox, rooms, senders
from cxbot.relay.conversations import Sender, record_inbound
from tests.support.relay import AGENTS, Catcher

pytestmark = pytest.mark.database

WINDOW = 0.3
LEASE = 0.5


@pytest.fixture
def desk(make_ctx):
    catcher = Catcher()
    ctx, _ = make_ctx(smtp_url=f"smtp://127.0.0.1:{catcher.server.port}", mail_answer_window=WINDOW,
                      outbox_lease=LEASE, outbox_backoff=0.02)
    account = accounts.create(ctx, "Billing", "test")
    accounts.set_agents(ctx, account.id, [a.user_id for a in AGENTS], [a.email for a in AGENTS], "test")
    links.save(ctx, account.id, "mail", actor="test", token=links.new_token(), linked=True,
               info_={"address": account.default_address}, secrets_=None)
    yield ctx, account, catcher
    catcher.server.stop()


def drain(ctx) -> None:
    """A live worker's drainer: send until nothing is left (waiting out windows and leases)."""
    drainer = outbox.Drainer(ctx, senders.send, senders.on_dead)
    wait_for(lambda: drainer.run_once() == 0 and outbox.pending(ctx.db) == 0, timeout=10,
             interval=0.02, what="the outbox to drain")


def bodies(catcher: Catcher) -> list[str]:
    return [message_from_bytes(raw, policy=policy.default).get_body().get_content().split("\n\n-- \n")[0]
            for raw in catcher.mails]


def test_a_killed_worker_neither_loses_a_line_nor_sends_one_twice(desk):
    ctx, account, catcher = desk
    link = links.get(ctx, account.id, "mail")
    conv = record_inbound(ctx, Sender(account.id, "mail", "yamada@customer.example", "山田 太郎", link.webhook_token),
                          text="請求書が届きません", subject="請求書", source_id="m1@customer.example")
    drain(ctx)  # the room and its posts
    agent = AGENTS[0].user_id
    rooms.answer(ctx, conv, agent, text="一行目")
    rooms.answer(ctx, conv, agent, text="二行目")
    # A worker takes the gathered mail and is killed before it sends anything.
    taken = wait_for(lambda: outbox.claim(ctx.db, lease=LEASE), what="the mail to be due")
    assert [item.action for item in taken] == ["mail_send"]
    rooms.answer(ctx, conv, agent, text="三行目")  # not added to the mail the dead worker holds
    drain(ctx)  # another worker, once the lease ran out
    assert bodies(catcher) == ["一行目\n二行目", "三行目"]

    # A worker killed after the mail server took the mail, before its drainer noted it: not sent again.
    rooms.answer(ctx, conv, agent, text="四行目")
    [item] = wait_for(lambda: outbox.claim(ctx.db, lease=LEASE), what="the mail to be due")
    senders.send(ctx, item)
    drain(ctx)
    assert bodies(catcher) == ["一行目\n二行目", "三行目", "四行目"]


def test_a_gap_longer_than_the_window_makes_a_new_mail(desk):
    ctx, account, catcher = desk
    link = links.get(ctx, account.id, "mail")
    conv = record_inbound(ctx, Sender(account.id, "mail", "lee@customer.example", "", link.webhook_token),
                          text="質問です", subject="質問", source_id="m2@customer.example")
    drain(ctx)
    rooms.answer(ctx, conv, AGENTS[0].user_id, text="最初の回答")
    drain(ctx)
    rooms.answer(ctx, conv, AGENTS[0].user_id, text="追加の回答")
    drain(ctx)
    assert bodies(catcher) == ["最初の回答", "追加の回答"]
    quote = message_from_bytes(catcher.mails[0], policy=policy.default).get_body().get_content()
    assert "lee@customer.example:\n> 質問です" in quote  # no name: the address alone


def test_a_reply_body_reads_as_a_persons_mail():
    body = reply_body("回答です。\r\n以上です。\n\n", "サポート窓口",
                      Quote("2026年11月24日(火) 9:05 山田 太郎 <yamada@customer.example>:", "一行目\n\n三行目\n"))
    assert body == ("回答です。\n以上です。\n\n-- \nサポート窓口\n\n"
                    "2026年11月24日(火) 9:05 山田 太郎 <yamada@customer.example>:\n> 一行目\n>\n> 三行目\n")
    assert reply_body("Thanks", None, None) == "Thanks\n"


def test_the_attribution_line_in_each_language():
    when = dt.datetime(2026, 11, 24, 9, 5)
    assert Texts("ja").render("relay/mail_quote", when=when, name="山田 太郎", address="y@c.example") == \
        "2026年11月24日(火) 9:05 山田 太郎 <y@c.example>:"
    assert Texts("en").render("relay/mail_quote", when=when, name="Taro", address="y@c.example") == \
        "On Tue, Nov 24, 2026 at 9:05, Taro <y@c.example> wrote:"

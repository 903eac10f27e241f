"""README's promise: every step of every flow has [戻る] and [キャンセル]. [戻る] on a setup
flow's first step goes back to the channel menu it came from; [キャンセル] says what is
kept; a flow is named after what it does.

One wired world for the module (the walk is long); each test leaves no flow open.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from freezegun import freeze_time

from cxbot.base.serving import serve_in_thread
from cxbot.base.waiting import wait_for
from cxbot.demo import ADMIN
from cxbot.sandbox import create_app as create_sandbox
from cxbot.storage.crypto import generate_key
from cxbot.storage.models import FlowState
from flows import REGISTRY, expire_due
from tests.flows.test_flow_channels import console_bot, open_channel, paste_callback_url
from tests.support.chat import Chat, labels_of, text_of
from tests.support.world import Wired, own_database, serve_cxbot

pytestmark = pytest.mark.database


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Wired:
    tmp = tmp_path_factory.mktemp("flows")
    url = own_database(tmp, tag="flow_steps")
    sandbox = serve_in_thread(create_sandbox(), name="sandbox")
    http = httpx.Client(base_url=sandbox.url, timeout=10)
    runtime, tenant = serve_cxbot(tmp, url, sandbox, secret_key=generate_key())
    yield Wired(runtime, tenant, sandbox, http)
    runtime.stop()
    http.close()
    sandbox.stop()


@pytest.fixture
def chat(world: Wired) -> Chat:
    c = Chat(world, ADMIN.user_id)
    resp = world.http.get("/_sandbox/rooms/dm", params={"botId": world.tenant.bot_id, "userId": ADMIN.user_id})
    if resp.status_code == 200:  # earlier tests' messages are not this test's
        c.room = resp.json()["roomId"]
        c.seen = len(world.bot_messages(c.room))
    yield c
    with world.ctx.db.session() as s:
        row = s.get(FlowState, ADMIN.user_id)
        if row is not None:
            s.delete(row)


def where(world: Wired) -> tuple[str, str] | None:
    with world.ctx.db.read() as s:
        state = s.get(FlowState, ADMIN.user_id)
        return (state.flow, state.step) if state else None


class Walk:
    """The admin's chat, checking each step shown: it must offer [戻る] and [キャンセル]."""

    def __init__(self, chat: Chat, world: Wired):
        self.chat, self.world = chat, world
        self.visited: set[tuple[str, str]] = set()

    def check(self, replies: list[dict]) -> list[dict]:
        at = where(self.world)
        assert at is not None, f"no flow open after {text_of(replies)[:200]!r}"
        labels = set(labels_of(replies[-1]))
        assert {"戻る", "キャンセル"} <= labels, f"step {at} offers only {sorted(labels)}"
        self.visited.add(at)
        return replies

    def send(self, text: str) -> list[dict]:
        return self.check(self.chat.send(text))

    def press(self, label: str) -> list[dict]:
        return self.check(self.chat.press(label))


def test_every_step_of_every_flow_has_back_and_cancel(chat, world):
    walk = Walk(chat, world)
    oa = world.http.post("/_sandbox/line/channels", json={"displayName": "歩く商店"}).json()
    made = console_bot(world)
    chat.send("メニュー")
    walk.press("窓口アカウント")
    walk.press("新規作成")
    walk.send("Walk desk")
    walk.press("名前を変更")
    walk.press("戻る")
    walk.press("担当者を設定")
    walk.press("戻る")
    walk.press("外部チャネル連携")
    walk.press("LINE公式アカウント")
    walk.press("設定")  # step 1/4
    walk.send(oa["channelId"])
    walk.send(oa["channelSecret"])
    walk.send(oa["basicId"])
    walk.send(oa["accessToken"])
    walk.press("次へ")
    walk.press("シークレットを再入力")
    walk.send(oa["channelSecret"])
    walk.press("自動設定")
    walk.press("OK")  # "Use webhook" is still off: said, and [OK] again once it is on
    world.http.post("/_sandbox/line/console/webhook", json={"channelId": oa["channelId"], "useWebhook": True})
    walk.press("OK")
    walk.press("連携解除")
    walk.press("戻る")
    walk.press("情報を削除")
    walk.press("戻る")
    walk.press("受付停止中の返信")
    walk.press("戻る")
    walk.press("混雑時の自動返信")
    walk.press("戻る")
    walk.press("戻る")  # the channel menu of the counter account
    walk.press("メール")
    walk.press("設定")
    walk.press("OK")
    walk.press("戻る")
    walk.press("LINE WORKS内Bot")
    walk.press("設定")  # 作成する / 連携する
    walk.press("作成する")  # the bot-name step
    walk.send("歩くBot")
    walk.send("歩いて確かめるBotです。")
    walk.press("画像なしで進む")
    walk.press("公開")
    walk.press("Bot Secretを入力")
    walk.press("戻る")  # back to what was published
    walk.press("戻る")  # the bot exists: back is the channel menu
    walk.press("情報を削除")
    walk.press("情報を削除")
    walk.press("設定")
    walk.press("連携する")
    walk.send(made["clientId"])
    walk.send(made["clientSecret"])
    walk.send(made["serviceAccount"])
    walk.send(made["privateKey"])
    walk.send(made["botId"])
    walk.send(made["botSecret"])
    replies = walk.press("次へ")
    url = next(a["copyText"] for a in replies[-1]["content"]["actions"] if a["label"] == "URLをコピー")
    walk.press("Bot Secretを再入力")
    walk.send(made["botSecret"])
    walk.press("OK")
    walk.press("連携")  # not confirmed yet: the warning
    walk.press("Bot Secretを再入力")
    walk.send("an-old-bot-secret")
    paste_callback_url(world, made, url)
    world.http.post("/_sandbox/act/message", json={"userId": ADMIN.user_id, "botId": int(made["botId"]),
                                                   "content": {"type": "text", "text": "テスト"}})
    walk.check(wait_for(lambda: chat._settle(), what="the mismatch notice"))
    walk.press("Bot Secretを再入力")
    walk.send(made["botSecret"])
    chat.press("キャンセル")
    chat.send("メニュー")
    walk.press("管理者")
    walk.press("管理者を追加")
    walk.press("戻る")
    walk.press("管理者を外す")
    chat.press("キャンセル")
    chat.send("メニュー")
    walk.press("履歴")
    chat.press("キャンセル")
    every = {(flow.name, step.name) for flow in REGISTRY.values() for step in flow.steps}
    assert every - walk.visited == set()


def test_back_from_a_setup_flows_first_step_returns_to_the_channel_menu(chat):
    open_channel(chat, "Back desk", "LINE公式アカウント")
    replies = chat.press("設定")
    assert "(1/4)" in text_of(replies) and "戻る" in labels_of(replies[-1])
    replies = chat.press("戻る")
    assert "「Back desk」のLINE公式アカウント" in text_of(replies) and "設定" in labels_of(replies[-1])
    replies = chat.press("戻る")  # on from there, as before the setup
    assert "「Back desk」の外部チャネル連携" in text_of(replies)
    chat.press("LINE WORKS内Bot")
    chat.press("設定")
    chat.press("作成する")
    replies = chat.press("戻る")  # from the bot-name step
    assert "作成する" in labels_of(replies[-1])
    replies = chat.press("戻る")  # from the 作成する / 連携する choice
    assert "「Back desk」のLINE WORKS内Bot" in text_of(replies)


def test_back_on_the_first_step_of_all_is_the_main_menu(chat):
    chat.send("メニュー")
    chat.press("窓口アカウント")
    replies = chat.press("戻る")
    assert "管理メニュー" in text_of(replies)


def test_cancel_after_a_save_says_what_is_kept(chat):
    open_channel(chat, "Kept desk", "メール")
    chat.press("設定")
    replies = chat.press("OK")
    assert "状態: 設定済み・連携オフ" in text_of(replies)
    replies = chat.press("キャンセル")
    assert "閉じました" in text_of(replies) and "保存していません" not in text_of(replies)
    open_channel(chat, "Kept bot desk", "LINE WORKS内Bot")
    chat.press("設定")
    chat.press("作成する")
    chat.send("残るBot")
    chat.send("説明")
    chat.press("画像なしで進む")
    chat.press("公開")
    replies = chat.press("キャンセル")  # the bot exists now
    assert "残るBot" in text_of(replies) and "保存していません" not in text_of(replies)


def test_a_flow_is_named_after_what_it_does(chat, world):
    open_channel(chat, "Named desk", "LINE公式アカウント")
    chat.press("設定")
    assert "「LINE公式アカウント連携」" in text_of(chat.press("キャンセル"))
    open_channel(chat, "Named desk 2", "LINE WORKS内Bot")
    chat.press("設定")
    assert "「LINE WORKS内Bot連携」" in text_of(chat.press("キャンセル"))
    open_channel(chat, "Named desk 3", "メール")
    chat.press("設定")
    chat.send("メニュー")
    replies = chat.press("管理者")
    assert "「メール連携」" in text_of(replies)  # the switch question
    chat.press("続ける")
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=31)
    with freeze_time(later, tick=True):
        assert expire_due(world.ctx) == 1
        replies = chat._settle()
    assert "「メール連携」は30分間" in text_of(replies)

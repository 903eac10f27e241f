"""A webhook right after [OK] is accepted, whichever web process it reaches.

Web processes remember link lookups. The LINE flow's Verify request asks for a token
that has no link yet; the [OK] a moment later saves it, in the worker. A customer
message that follows must find the link in every web process at once, not after a
remembered "no link" has run out.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from cxbot.base.serving import serve_in_thread
from cxbot.bench.stage import subprocess_env
from cxbot.context import build
from cxbot.desk import accounts, links
from cxbot.web.app import create_app
from tests.flows.test_flow_line import enter_fields, start_line, webhook_url
from tests.support.chat import Chat, text_of
from tests.support.relay import AGENTS, wait_room, wait_room_text

pytestmark = pytest.mark.database

# A second web process as gunicorn would run one: the app factory on the CXBOT_* environment.
_WEB = """
import sys
from cxbot import config
from cxbot.context import build
from cxbot.base.serving import serve_in_thread
from cxbot.web.app import create_app

server = serve_in_thread(create_app(build(config.load(), upgrade=False)), "127.0.0.1", 0, name="web")
print(server.url, flush=True)
sys.stdin.read()  # until the test closes our stdin
server.stop()
"""


@pytest.fixture
def other_web(wired):
    """Another web process on the same database (the worker stays in `wired`)."""
    proc = subprocess.Popen([sys.executable, "-c", _WEB], env=subprocess_env(wired.ctx.settings),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    assert url.startswith("http://"), f"the second web process did not start ({proc.poll()})"
    yield url
    proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@pytest.fixture
def other_runtime_web(wired):
    """Another web side in this process with its own Context, as a second process would have."""
    ctx = build(wired.ctx.settings, upgrade=False)
    server = serve_in_thread(create_app(ctx), name="web-2")
    yield server.url
    server.stop()
    ctx.close()


def _customer_writes_right_after_ok(wired, admin, web_url: str, text: str) -> dict:
    oa = wired.http.post("/_sandbox/line/channels", json={"displayName": "サンプル商店"}).json()
    customer = wired.http.post("/_sandbox/line/users", json={"displayName": "山田 太郎"}).json()
    chat = Chat(wired, admin.user_id)
    start_line(chat)
    desk = next(a for a in accounts.all_accounts(wired.ctx) if a.name == "LINE desk")
    accounts.set_agents(wired.ctx, desk.id, [a.user_id for a in AGENTS], [a.email for a in AGENTS], "test")
    url = webhook_url(enter_fields(chat, oa))
    # The admin pastes the URL in LINE Developers console; it is served by the other web process.
    there = web_url + url[len(wired.url):]
    wired.http.post("/_sandbox/line/console/webhook",
                    json={"channelId": oa["channelId"], "endpoint": there, "useWebhook": True}).raise_for_status()
    verified = wired.http.post("/_sandbox/line/console/verify", json={"channelId": oa["channelId"]}).json()
    assert verified["statusCode"] == 200, verified
    assert "Success" in text_of(chat._settle())
    assert "連携中" in text_of(chat.press("OK"))
    sent = wired.http.post("/_sandbox/line/act/message", json={
        "channelId": oa["channelId"], "userId": customer["userId"], "message": {"type": "text", "text": text}}).json()
    return sent["webhook"]


def test_a_message_right_after_ok_through_another_web_process_reaches_the_room(wired, admin, other_web):
    delivered = _customer_writes_right_after_ok(wired, admin, other_web, "連携直後の問い合わせです")
    assert delivered["status"] == 200, delivered
    room = wait_room(wired, "山田 太郎")
    wait_room_text(wired, room["roomId"], "連携直後の問い合わせです")


def test_the_same_through_another_runtime_in_this_process(wired, admin, other_runtime_web):
    delivered = _customer_writes_right_after_ok(wired, admin, other_runtime_web, "もう一つのランタイムから")
    assert delivered["status"] == 200, delivered
    room = wait_room(wired, "山田 太郎")
    wait_room_text(wired, room["roomId"], "もう一つのランタイムから")


def test_every_link_change_is_seen_at_once_by_another_context(make_ctx):
    """save, set_linked and delete, against a lookup remembered by another Context just before."""
    ctx, tenant = make_ctx()
    other, _ = make_ctx(tenant)
    account = accounts.create(ctx, "Cache desk", "test").id
    token = links.new_token()
    for fresh in (False, True):
        assert links.by_token(other, token, fresh=fresh) is None
    saved = links.save(ctx, account, "mail", actor="test", info_={"address": "a@cxbot.localhost"}, secrets_=None,
                       token=token, linked=False)
    for fresh in (False, True):
        assert links.by_token(other, token, fresh=fresh).linked is False
    links.set_linked(ctx, saved.link.id, True, "test")
    assert links.by_token(other, token).linked is True
    assert links.by_token(other, token, fresh=True).linked is True
    links.delete(ctx, saved.link.id, "test")
    assert links.by_token(other, token) is None

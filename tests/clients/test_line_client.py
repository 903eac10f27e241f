"""cxbot.line: the Messaging API client against the sandbox over real HTTP, its retry
policy against injected faults, the message builders' limits and webhook parsing."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid

import httpx
import pytest
from flask import Flask, request

from cxbot.base.serving import serve_in_thread
from cxbot.base.signatures import verify
from cxbot.line import messages as lm
from cxbot.line.client import LineApiError, LineClient
from cxbot.line.webhook import LineWebhookError, is_verification, parse_webhook
from cxbot.sandbox import World, create_app

PNG = b"\x89PNG\r\n\x1a\n client test"


class RecordingSleep:
    """Really sleeps (briefly), and remembers for how long the client asked to."""

    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(min(seconds, 0.05))


@pytest.fixture(scope="module")
def receiver():
    hits: list[dict] = []
    lock = threading.Lock()
    app = Flask("line-client-receiver")

    @app.post("/webhooks/line/<token>")
    def webhook(token):
        with lock:
            hits.append({"token": token, "body": request.get_data(), "signature": request.headers.get("X-Line-Signature")})
        return "", 401 if token == "refuse" else 200

    srv = serve_in_thread(app, name="line-client-receiver")
    srv.hits = hits
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def sandbox():
    """One sandbox for the module (reset before each test): stopping a server costs half a second."""
    srv = serve_in_thread(create_app(World()), name="sandbox")
    yield srv
    srv.stop()


@pytest.fixture
def sandbox_http(sandbox):
    with httpx.Client(base_url=sandbox.url, timeout=10, trust_env=False) as http:
        assert http.post("/_sandbox/reset").status_code == 200
        yield http


@pytest.fixture
def oa(sandbox, sandbox_http):
    # The account's own greeting and auto-replies off, as cxbot tells the admin: only what the client sends.
    channel = sandbox_http.post("/_sandbox/line/channels", json={"displayName": "テスト窓口", "autoReply": False,
                                                                 "greeting": False}).json()
    user = sandbox_http.post("/_sandbox/line/users", json={"displayName": "佐藤 花子"}).json()
    r = sandbox_http.post("/_sandbox/line/act/follow", json={"channelId": channel["channelId"], "userId": user["userId"]})
    assert r.status_code == 200, r.text
    sleep = RecordingSleep()
    client = LineClient(channel["accessToken"], api_url=sandbox.url + "/line", data_url=sandbox.url + "/line-data",
                        sleep=sleep)
    client.recorded_sleep = sleep
    yield channel, user, client
    client.close()


def requests_log(sandbox_http, path="/line*"):
    return sandbox_http.get("/_sandbox/requests", params={"path": path}).json()


def bot_messages(sandbox_http, channel, user) -> list[dict]:
    chat = sandbox_http.get("/_sandbox/line/chats", params={"channelId": channel["channelId"],
                                                           "userId": user["userId"]}).json()
    return [m for m in chat["messages"] if m["from"] == "bot"]


# --------------------------------------------------------------------------- API calls


def test_bot_info(oa):
    channel, _, client = oa
    info = client.bot_info()
    assert info["userId"] == channel["botUserId"] and info["basicId"] == channel["basicId"]
    assert info["displayName"] == "テスト窓口"


def test_webhook_endpoint_set_get_and_test(oa, receiver, sandbox_http):
    channel, _, client = oa
    with pytest.raises(LineApiError) as err:
        client.get_webhook_endpoint()
    assert err.value.status == 404 and err.value.message == "Webhook endpoint not found"

    url = receiver.url + "/webhooks/line/t0k3n"
    client.set_webhook_endpoint(url)
    assert client.get_webhook_endpoint() == {"endpoint": url, "active": False}

    # Right after the PUT LINE may still have the old URL (none) cached: the URL goes in the body.
    result = client.test_webhook_endpoint(url)
    assert result["success"] is True and result["reason"] == "OK" and result["statusCode"] == 200
    with pytest.raises(LineApiError) as err:
        client.test_webhook_endpoint()
    assert err.value.status == 404
    sandbox_http.post("/_sandbox/line/settings", json={"endpointCacheSeconds": 0})
    client.set_webhook_endpoint(url)
    result = client.test_webhook_endpoint()  # the configured one, once LINE uses it
    assert result["success"] is True and result["reason"] == "OK" and result["statusCode"] == 200
    hit = receiver.hits[-1]
    assert verify(channel["channelSecret"], hit["body"], hit["signature"])
    assert is_verification(hit["body"])
    assert parse_webhook(hit["body"]) == (channel["botUserId"], [])

    refused = client.test_webhook_endpoint(receiver.url + "/webhooks/line/refuse")
    assert (refused["success"], refused["reason"], refused["detail"]) == (False, "ERROR_STATUS_CODE", "401")

    with pytest.raises(LineApiError) as err:
        client.set_webhook_endpoint("http://example.com/not-https")
    assert err.value.status == 400 and err.value.message == "Invalid webhook endpoint URL"


def test_push_and_the_409_of_an_accepted_retry_key(oa, sandbox_http):
    channel, user, client = oa
    key = uuid.uuid4()
    first = client.push(user["userId"], [lm.text("お問い合わせありがとうございます")], retry_key=key)
    assert first["alreadyAccepted"] is False and len(first["sentMessages"]) == 1 and first["requestId"]

    # The answer got lost; the outbox retries with the same key: success, nothing sent twice.
    again = client.push(user["userId"], [lm.text("お問い合わせありがとうございます")], retry_key=str(key))
    assert again["alreadyAccepted"] is True
    assert again["acceptedRequestId"] == first["requestId"]
    assert again["sentMessages"] == first["sentMessages"]
    assert [m["message"]["text"] for m in bot_messages(sandbox_http, channel, user)] == ["お問い合わせありがとうございます"]
    assert [e["status"] for e in requests_log(sandbox_http, "/line/v2/bot/message/push")] == [200, 409]

    with pytest.raises(ValueError):
        client.push(user["userId"], [lm.text("x")], retry_key="not-a-uuid")


def test_a_5xx_push_is_retried_with_the_same_key_and_delivered_once(oa, sandbox_http):
    channel, user, client = oa
    sandbox_http.post("/_sandbox/faults", json={"method": "POST", "path": "/line/v2/bot/message/push",
                                                "status": 503, "times": 2})
    result = client.push(user["userId"], [lm.text("再送テスト"), lm.sticker(446, 1988)], retry_key=uuid.uuid4())
    assert result["alreadyAccepted"] is False and len(result["sentMessages"]) == 2
    assert len(client.recorded_sleep.calls) == 2 and all(0 <= s <= 20 for s in client.recorded_sleep.calls)
    assert [e["status"] for e in requests_log(sandbox_http)] == [503, 503, 200]
    assert len(bot_messages(sandbox_http, channel, user)) == 2


def test_429_waits_as_retry_after_says(oa, sandbox_http):
    _, user, client = oa
    sandbox_http.post("/_sandbox/faults", json={"method": "GET", "path": "/line/v2/bot/profile/*",
                                                "status": 429, "times": 1, "headers": {"Retry-After": "1"}})
    assert client.get_profile(user["userId"])["displayName"] == "佐藤 花子"
    assert client.recorded_sleep.calls == [1.0]
    assert [e["status"] for e in requests_log(sandbox_http)] == [429, 200]


def test_the_monthly_limit_is_not_retried(oa, sandbox_http):
    _, user, client = oa
    sandbox_http.post("/_sandbox/faults", json={"path": "/line/v2/bot/message/push", "status": 429, "times": 5,
                                                "body": {"message": "You have reached your monthly limit."}})
    with pytest.raises(LineApiError) as err:
        client.push(user["userId"], [lm.text("x")], retry_key=uuid.uuid4())
    assert err.value.status == 429 and err.value.message == "You have reached your monthly limit."
    assert len(requests_log(sandbox_http)) == 1


def test_a_persistent_5xx_gives_up_after_the_last_try(oa, sandbox_http):
    _, _, client = oa
    sandbox_http.post("/_sandbox/faults", json={"path": "/line/v2/bot/info", "status": 500, "times": 50})
    with pytest.raises(LineApiError) as err:
        client.bot_info()
    assert err.value.status == 500 and err.value.retryable
    assert len(requests_log(sandbox_http)) == client.attempts


def test_errors_carry_lines_message_and_details(oa, sandbox, sandbox_http):
    channel, user, client = oa
    with pytest.raises(LineApiError) as err:
        client.get_profile("U" + "0" * 32)
    assert err.value.status == 404 and err.value.message == "Not found"

    with pytest.raises(LineApiError) as err:
        client.push("U" + "f" * 32, [lm.text("x")], retry_key=uuid.uuid4())
    assert err.value.status == 400 and err.value.message == "Failed to send messages"

    # A body the client's own checks let through but LINE refuses: details come back.
    with pytest.raises(LineApiError) as err:
        client.request("POST", "/v2/bot/message/push", json={"to": user["userId"], "messages": []})
    assert err.value.details == [{"message": "Size must be between 1 and 5", "property": "messages"}]
    assert "messages: Size must be between 1 and 5" in str(err.value)

    bad = LineClient("wrong-token", api_url=sandbox.url + "/line", data_url=sandbox.url + "/line-data")
    with pytest.raises(LineApiError) as err:
        bad.bot_info()
    assert err.value.status == 401 and err.value.message.startswith("Authentication failed")
    assert err.value.request_id
    bad.close()
    assert [e["status"] for e in requests_log(sandbox_http)][-1] == 401  # once, not retried


def test_limits_are_enforced_before_sending(oa, sandbox_http):
    _, user, client = oa
    with pytest.raises(lm.LineMessageLimitError) as err:
        client.push(user["userId"], [{"type": "text", "text": "あ" * 5001}], retry_key=uuid.uuid4())
    assert err.value.field == "messages[0].text" and err.value.limit == 5000
    with pytest.raises(lm.LineMessageLimitError) as err:
        client.push(user["userId"], [lm.text("x")] * 6, retry_key=uuid.uuid4())
    assert err.value.field == "messages" and err.value.limit == 5
    with pytest.raises(lm.LineMessageLimitError):
        client.reply("token", [{"type": "image", "originalContentUrl": "http://example.com/a.png",
                                "previewImageUrl": "https://example.com/p.png"}])
    assert requests_log(sandbox_http) == []


def test_reply_and_content_download(oa, sandbox_http):
    channel, user, client = oa
    sent = sandbox_http.post("/_sandbox/line/act/message", json={
        "channelId": channel["channelId"], "userId": user["userId"],
        "message": {"type": "image", "dataBase64": base64.b64encode(PNG).decode(), "contentType": "image/png"}}).json()
    data, ctype = client.get_content(sent["messageId"])
    assert (data, ctype) == (PNG, "image/png")
    assert requests_log(sandbox_http)[-1]["path"] == f"/line-data/v2/bot/message/{sent['messageId']}/content"

    result = client.reply(sent["replyToken"], [lm.text("画像を受け取りました")])
    assert len(result["sentMessages"]) == 1
    with pytest.raises(LineApiError) as err:
        client.reply(sent["replyToken"], [lm.text("二回目")])
    assert err.value.status == 400 and err.value.message == "Invalid reply token"


def test_a_timeout_is_retried(oa, sandbox):
    channel, _, _ = oa

    def flaky(req: httpx.Request) -> httpx.Response:
        flaky.calls += 1
        if flaky.calls == 1:
            raise httpx.ReadTimeout("slow", request=req)
        return httpx.Response(200, json={"userId": channel["botUserId"], "basicId": "@x", "displayName": "d",
                                         "chatMode": "bot", "markAsReadMode": "auto"})

    flaky.calls = 0
    client = LineClient("t", http=httpx.Client(transport=httpx.MockTransport(flaky)), sleep=lambda s: None)
    assert client.bot_info()["userId"] == channel["botUserId"] and flaky.calls == 2


# --------------------------------------------------------------------------- builders and parsing


def test_text_counts_utf16_and_splits_safely():
    assert lm.utf16_len("🍎a") == 3
    lm.text("🍎" * 2500)
    with pytest.raises(lm.LineMessageLimitError):
        lm.text("🍎" * 2501)
    pieces = lm.split_text("🍎" * 2501 + "end")
    assert "".join(pieces) == "🍎" * 2501 + "end"
    assert all(lm.utf16_len(p) <= 5000 for p in pieces) and len(pieces) == 2
    assert lm.split_text("short") == ["short"]
    with pytest.raises(lm.LineMessageLimitError) as err:
        lm.image("https://example.com/" + "a" * 2000)
    assert err.value.field == "message.originalContentUrl" and err.value.limit == 2000
    assert lm.location("東京駅", "東京都千代田区", 35.68, 139.76)["type"] == "location"


def test_parse_webhook_checks_the_shape():
    body = json.dumps({"destination": "U" + "a" * 32, "events": [{"type": "message", "webhookEventId": "01X"}]})
    assert parse_webhook(body.encode()) == ("U" + "a" * 32, [{"type": "message", "webhookEventId": "01X"}])
    assert not is_verification(body)
    assert is_verification(b'{"destination":"Uxxx","events":[]}')
    for bad in (b"not json", b"[]", b'{"events":[]}', b'{"destination":"U1"}', b'{"destination":"U1","events":[1]}',
                b'{"destination":"U1","events":[{"mode":"active"}]}', b"\xff"):
        with pytest.raises(LineWebhookError):
            parse_webhook(bad)
        assert not is_verification(bad)

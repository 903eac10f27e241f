"""The LINE side of the sandbox over real HTTP: signed webhooks (checked with
line-bot-sdk's own parser), Verify / the webhook test API, push / reply rules,
limits, tokens, content, and the control API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
import uuid

import httpx
import pytest
from flask import Flask, request
from freezegun import freeze_time
from linebot.v3 import WebhookParser
from linebot.v3.webhooks import (
    CallbackRequest,
    FileMessageContent,
    FollowEvent,
    ImageMessageContent,
    LocationMessageContent,
    MessageEvent,
    StickerMessageContent,
    TextMessageContent,
    UnfollowEvent,
    UserSource,
)

from cxbot.base.serving import serve_in_thread
from cxbot.sandbox import World, create_app

PNG = b"\x89PNG\r\n\x1a\n fake image bytes"


class Receiver:
    """A tiny bot server that records every webhook it gets."""

    def __init__(self):
        self.hits: list[dict] = []
        self.status = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        app = Flask("line-receiver")

        @app.post("/webhook")
        def webhook():
            with self.lock:
                self.hits.append({"headers": dict(request.headers), "body": request.get_data()})
            if self.delay:
                time.sleep(self.delay)
            return "", self.status

        self.srv = serve_in_thread(app, name="line-receiver")

    @property
    def url(self) -> str:
        return self.srv.url + "/webhook"

    def last(self) -> dict:
        return self.hits[-1]

    def last_json(self) -> dict:
        return json.loads(self.hits[-1]["body"])


@pytest.fixture(scope="module")
def servers():
    sandbox = serve_in_thread(create_app(World()), name="sandbox")
    receiver = Receiver()
    yield sandbox, receiver
    sandbox.stop()
    receiver.srv.stop()


class Line:
    def __init__(self, client: httpx.Client, receiver: Receiver, channel: dict, users: list[dict]):
        self.client = client
        self.receiver = receiver
        self.channel = channel
        self.users = users

    @property
    def channel_id(self) -> str:
        return self.channel["channelId"]

    @property
    def secret(self) -> str:
        return self.channel["channelSecret"]

    @property
    def user(self) -> str:
        return self.users[0]["userId"]

    def api(self, method: str, path: str, token: str | None = None, **kw) -> httpx.Response:
        headers = kw.pop("headers", {})
        headers.setdefault("Authorization", f"Bearer {token or self.channel['accessToken']}")
        return self.client.request(method, "/line" + path, headers=headers, **kw)

    def act(self, what: str, **body) -> httpx.Response:
        body.setdefault("channelId", self.channel_id)
        return self.client.post(f"/_sandbox/line/act/{what}", json=body)

    def say(self, message: dict, user: str | None = None) -> dict:
        r = self.act("message", userId=user or self.user, message=message)
        assert r.status_code == 200, r.text
        return r.json()

    def follow(self, user: str | None = None) -> dict:
        r = self.act("follow", userId=user or self.user)
        assert r.status_code == 200, r.text
        return r.json()

    def push(self, messages: list[dict], to: str | None = None, key: str | None = None) -> httpx.Response:
        headers = {"X-Line-Retry-Key": key} if key else {}
        return self.api("POST", "/v2/bot/message/push", json={"to": to or self.user, "messages": messages},
                        headers=headers)

    def chat(self, user: str | None = None) -> dict:
        r = self.client.get("/_sandbox/line/chats", params={"channelId": self.channel_id, "userId": user or self.user})
        assert r.status_code == 200, r.text
        return r.json()

    def parse_last(self):
        """The last webhook, checked and parsed by line-bot-sdk, as a LINE bot server would."""
        hit = self.receiver.last()
        headers = {k.lower(): v for k, v in hit["headers"].items()}
        parser = WebhookParser(self.secret)
        return parser.parse(hit["body"].decode("utf-8"), headers["x-line-signature"], as_payload=True)


@pytest.fixture
def line(servers):
    sandbox, receiver = servers
    receiver.hits.clear()
    receiver.status = 200
    receiver.delay = 0.0
    client = httpx.Client(base_url=sandbox.url, timeout=15, trust_env=False)
    assert client.post("/_sandbox/reset").status_code == 200
    # Set up as cxbot tells the admin: webhook and its redelivery on, the account's own answers off.
    r = client.post("/_sandbox/line/channels", json={"displayName": "サポート窓口", "webhookEndpoint": receiver.url,
                                                      "useWebhook": True, "webhookRedelivery": True,
                                                      "autoReply": False, "greeting": False})
    assert r.status_code == 201, r.text
    channel = r.json()
    r = client.post("/_sandbox/line/users", json=[{"displayName": "山田 太郎", "language": "ja"},
                                                   {"displayName": "Jane Doe", "language": "en"}])
    assert r.status_code == 201, r.text
    yield Line(client, receiver, channel, r.json())
    client.close()


# --------------------------------------------------------------------------- setup


def test_channels_get_realistic_generated_credentials(line):
    ch = line.channel
    assert re.fullmatch(r"\d{10}", ch["channelId"])
    assert re.fullmatch(r"[0-9a-f]{32}", ch["channelSecret"])
    assert re.fullmatch(r"@\d{3}[a-z]{5}", ch["basicId"])
    assert re.fullmatch(r"U[0-9a-f]{32}", ch["botUserId"])
    assert len(ch["accessToken"]) >= 100 and " " not in ch["accessToken"]
    assert all(re.fullmatch(r"U[0-9a-f]{32}", u["userId"]) for u in line.users)

    given = {"channelId": "1656789012", "channelSecret": "8c570fa6dd201bb328f1c1eac23a96d8",
             "accessToken": "token-" + uuid.uuid4().hex, "basicId": "@216ruabc", "displayName": "二つ目"}
    r = line.client.post("/_sandbox/line/channels", json=given)
    assert r.status_code == 201 and {k: r.json()[k] for k in given} == given
    assert line.client.post("/_sandbox/line/channels", json=given).status_code == 409
    r = line.client.post("/_sandbox/line/channels", json={"displayName": "x", "channelSecret": "short"})
    assert r.status_code == 400 and "channelSecret" in r.json()["error"]
    assert line.client.get(f"/_sandbox/line/channels/{given['channelId']}").json()["displayName"] == "二つ目"
    assert len(line.client.get("/_sandbox/line/channels").json()) == 2


def test_reset_clears_the_line_side(line):
    line.follow()
    assert line.client.post("/_sandbox/reset").status_code == 200
    assert line.client.get("/_sandbox/line/channels").json() == []
    assert line.client.get("/_sandbox/line/users").json() == []
    assert line.client.get("/_sandbox/line/webhooks").json() == []


def test_bot_info_and_bearer_tokens(line):
    r = line.api("GET", "/v2/bot/info")
    assert r.status_code == 200, r.text
    assert r.json() == {"userId": line.channel["botUserId"], "basicId": line.channel["basicId"],
                        "displayName": "サポート窓口", "chatMode": "bot", "markAsReadMode": "auto"}
    assert r.headers["X-Line-Request-Id"]

    bad = line.api("GET", "/v2/bot/info", token="not-a-token")
    assert bad.status_code == 401
    assert bad.json() == {"message": "Authentication failed due to the following reason: invalid token. "
                                     "Confirm that the access token in the authorization header is valid."}
    assert line.client.get("/line/v2/bot/info").status_code == 401

    # Reissuing in the console invalidates the old token at once.
    old = line.channel["accessToken"]
    new = line.client.post(f"/_sandbox/line/channels/{line.channel_id}/token").json()["accessToken"]
    assert new != old
    assert line.api("GET", "/v2/bot/info", token=old).status_code == 401
    assert line.api("GET", "/v2/bot/info", token=new).status_code == 200


# --------------------------------------------------------------------------- webhooks


def test_webhooks_are_what_line_sends(line):
    """Every event kind, signed and shaped so that line-bot-sdk parses it into its models."""
    follow = line.follow()
    assert follow["webhook"] == {"sent": True, "status": 200, "error": None}
    hit = line.receiver.last()
    headers = {k.lower(): v for k, v in hit["headers"].items()}
    raw = hit["body"]
    assert headers["x-line-signature"] == base64.b64encode(
        hmac.new(line.secret.encode(), raw, hashlib.sha256).digest()).decode()
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["user-agent"] == "LineBotWebhook/2.0"
    assert b": " not in raw and b", " not in raw  # compact JSON
    CallbackRequest.from_json(raw.decode())  # strict: raises on a missing required field

    payload = line.parse_last()
    assert payload.destination == line.channel["botUserId"]
    [event] = payload.events
    assert isinstance(event, FollowEvent) and event.follow.is_unblocked is False
    assert isinstance(event.source, UserSource) and event.source.user_id == line.user
    assert event.mode.value == "active" and event.delivery_context.is_redelivery is False
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", event.webhook_event_id)
    assert event.webhook_event_id == follow["webhookEventId"]
    assert event.reply_token == follow["replyToken"]

    sent = line.say({"type": "text", "text": "注文した商品が届きません 📦"})
    [event] = line.parse_last().events
    assert isinstance(event, MessageEvent) and isinstance(event.message, TextMessageContent)
    assert event.message.text == "注文した商品が届きません 📦" and event.message.quote_token
    assert event.message.id == sent["messageId"] and re.fullmatch(r"\d{18}", sent["messageId"])
    assert "注文".encode() in line.receiver.last()["body"]  # UTF-8, not \u-escaped
    raw_event = line.receiver.last_json()["events"][0]
    assert isinstance(raw_event["timestamp"], int) and raw_event["message"]["id"] == sent["messageId"]

    sent = line.say({"type": "image", "dataBase64": base64.b64encode(PNG).decode(), "contentType": "image/png"})
    [event] = line.parse_last().events
    assert isinstance(event.message, ImageMessageContent)
    assert event.message.content_provider.type == "line" and event.message.quote_token

    line.say({"type": "sticker", "packageId": "446", "stickerId": "1988"})
    [event] = line.parse_last().events
    assert isinstance(event.message, StickerMessageContent)
    assert (event.message.package_id, event.message.sticker_id) == ("446", "1988")
    assert event.message.sticker_resource_type == "STATIC"

    line.say({"type": "location", "title": "東京駅", "address": "東京都千代田区丸の内1丁目",
              "latitude": 35.681236, "longitude": 139.767125})
    [event] = line.parse_last().events
    assert isinstance(event.message, LocationMessageContent)
    assert event.message.title == "東京駅" and event.message.latitude == pytest.approx(35.681236)

    line.say({"type": "file", "fileName": "見積書.pdf", "dataBase64": base64.b64encode(b"%PDF-1.4").decode()})
    [event] = line.parse_last().events
    assert isinstance(event.message, FileMessageContent)
    assert event.message.file_name == "見積書.pdf" and event.message.file_size == 8

    r = line.act("unfollow", userId=line.user)
    assert r.status_code == 200
    [event] = line.parse_last().events
    assert isinstance(event, UnfollowEvent)
    assert "replyToken" not in line.receiver.last_json()["events"][0]
    assert line.act("message", userId=line.user, message={"type": "text", "text": "?"}).status_code == 409

    line.follow()  # adding the OA again after blocking it is an unblock
    [event] = line.parse_last().events
    assert isinstance(event, FollowEvent) and event.follow.is_unblocked is True

    # Every webhook was one signed POST; all of them parsed strictly too.
    for hit in line.receiver.hits:
        CallbackRequest.from_json(hit["body"].decode())


def test_batch_sends_several_users_events_in_one_webhook(line):
    other = line.users[1]["userId"]
    r = line.act("batch", events=[
        {"userId": line.user, "message": {"type": "text", "text": "一つ目"}},
        {"userId": other, "type": "follow"},
        {"userId": other, "message": {"type": "text", "text": "second"}},
    ])
    assert r.status_code == 200, r.text
    assert r.json()["webhook"]["status"] == 200
    assert len(line.receiver.hits) == 1
    events = line.parse_last().events
    assert [type(e).__name__ for e in events] == ["MessageEvent", "FollowEvent", "MessageEvent"]
    assert [e.source.user_id for e in events] == [line.user, other, other]
    assert [e["webhookEventId"] for e in r.json()["events"]] == [e.webhook_event_id for e in events]

    # A bad item changes nothing and sends nothing.
    r = line.act("batch", events=[{"userId": line.user, "message": {"type": "text", "text": "ok"}},
                                  {"userId": other, "type": "follow"}])  # already a friend
    assert r.status_code == 409 and r.json()["error"].startswith("events[1]:")
    assert len(line.receiver.hits) == 1
    assert [m["message"]["text"] for m in line.chat()["messages"]] == ["一つ目"]


def test_redelivery_resends_the_same_event(line):
    first = line.say({"type": "text", "text": "届いていますか"})
    line.receiver.status = 500
    failed = line.say({"type": "text", "text": "二通目"})
    assert failed["webhook"] == {"sent": True, "status": 500, "error": "the bot server answered 500"}
    line.receiver.status = 200
    r = line.act("redeliver", webhookEventId=failed["webhookEventId"])
    assert r.status_code == 200 and r.json()["webhook"]["status"] == 200
    original = json.loads(line.receiver.hits[1]["body"])["events"][0]
    again = line.receiver.last_json()["events"][0]
    assert again["deliveryContext"] == {"isRedelivery": True}
    assert {k: v for k, v in again.items() if k != "deliveryContext"} == \
        {k: v for k, v in original.items() if k != "deliveryContext"}
    [event] = line.parse_last().events
    assert event.delivery_context.is_redelivery is True
    # Its reply token still works (once).
    reply = line.api("POST", "/v2/bot/message/reply",
                     json={"replyToken": again["replyToken"], "messages": [{"type": "text", "text": "はい"}]})
    assert reply.status_code == 200, reply.text
    assert line.act("redeliver", webhookEventId="01NOPE").status_code == 404
    assert first["webhookEventId"] != failed["webhookEventId"]


def test_no_webhook_unless_use_webhook_is_on(line):
    r = line.client.post("/_sandbox/line/console/webhook", json={"channelId": line.channel_id, "useWebhook": False})
    assert r.status_code == 200 and r.json()["useWebhook"] is False
    result = line.say({"type": "text", "text": "hello?"})
    assert result["webhook"]["sent"] is False and "Use webhook" in result["webhook"]["error"]
    assert line.receiver.hits == []
    log = line.client.get("/_sandbox/line/webhooks", params={"channelId": line.channel_id}).json()
    assert log[-1]["sent"] is False and log[-1]["body"]["events"][0]["message"]["text"] == "hello?"


def test_signature_tests_with_raw_bodies(line):
    r = line.act("raw", text='{"destination":"x","events":[]}', signWith="0" * 32)
    assert r.status_code == 200 and r.json()["webhook"]["status"] == 200
    hit = line.receiver.last()
    expected = base64.b64encode(hmac.new(b"0" * 32, hit["body"], hashlib.sha256).digest()).decode()
    assert {k.lower(): v for k, v in hit["headers"].items()}["x-line-signature"] == expected


# --------------------------------------------------------------------------- Verify and the webhook endpoint API


def test_verify_sends_a_signed_empty_webhook(line):
    r = line.client.post("/_sandbox/line/console/verify", json={"channelId": line.channel_id})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result == {"success": True, "timestamp": result["timestamp"], "statusCode": 200, "reason": "OK",
                      "detail": "200"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", result["timestamp"])
    hit = line.receiver.last()
    assert hit["body"] == json.dumps({"destination": line.channel["botUserId"], "events": []},
                                     separators=(",", ":")).encode()
    payload = line.parse_last()  # the signature verifies with the channel secret
    assert payload.events == [] and payload.destination == line.channel["botUserId"]


def test_verify_reports_errors_as_line_does(line):
    line.receiver.status = 401
    r = line.client.post("/_sandbox/line/console/verify", json={"channelId": line.channel_id})
    assert r.json() | {"timestamp": None} == {"success": False, "timestamp": None, "statusCode": 401,
                                               "reason": "ERROR_STATUS_CODE", "detail": "401"}

    # Nothing listens: COULD_NOT_CONNECT, no status code.
    r = line.client.post("/_sandbox/line/console/webhook", json={
        "channelId": line.channel_id, "endpoint": "http://127.0.0.1:9/webhooks/line/abc"})
    assert r.status_code == 200
    result = line.client.post("/_sandbox/line/console/verify", json={"channelId": line.channel_id}).json()
    assert result["success"] is False and result["statusCode"] == 0 and result["reason"] == "COULD_NOT_CONNECT"
    assert result["detail"] == "Connection failed: http://127.0.0.1:9/webhooks/line/abc"

    # Too slow: REQUEST_TIMEOUT (the timeout is 2 s as on LINE; shortened here).
    line.client.post("/_sandbox/line/settings", json={"webhookTimeout": 0.3})
    line.client.post("/_sandbox/line/console/webhook", json={"channelId": line.channel_id,
                                                             "endpoint": line.receiver.url})
    line.receiver.status, line.receiver.delay = 200, 1.0
    result = line.client.post("/_sandbox/line/console/verify", json={"channelId": line.channel_id}).json()
    assert (result["statusCode"], result["reason"], result["detail"]) == (0, "REQUEST_TIMEOUT", "Request timeout")


def test_webhook_endpoint_api(line):
    r = line.api("GET", "/v2/bot/channel/webhook/endpoint")
    assert r.json() == {"endpoint": line.receiver.url, "active": True}
    for bad in ("http://example.com/webhook", "ftp://example.com/x", "https://example.com/" + "a" * 500, ""):
        r = line.api("PUT", "/v2/bot/channel/webhook/endpoint", json={"endpoint": bad})
        assert r.status_code == 400 and r.json() == {"message": "Invalid webhook endpoint URL"}, bad
    r = line.api("PUT", "/v2/bot/channel/webhook/endpoint", json={"endpoint": "https://cxbot.example/webhooks/line/t"})
    assert r.status_code == 200 and r.json() == {}
    assert line.api("GET", "/v2/bot/channel/webhook/endpoint").json()["endpoint"] == \
        "https://cxbot.example/webhooks/line/t"

    # The test API: with a URL it tests that URL; with {} the configured one.
    r = line.api("POST", "/v2/bot/channel/webhook/test", json={"endpoint": line.receiver.url})
    assert r.status_code == 200 and r.json()["success"] is True
    assert line.receiver.last_json() == {"destination": line.channel["botUserId"], "events": []}
    line.receiver.status = 401
    r = line.api("POST", "/v2/bot/channel/webhook/test", json={"endpoint": line.receiver.url})
    assert (r.json()["reason"], r.json()["detail"], r.json()["statusCode"]) == ("ERROR_STATUS_CODE", "401", 401)

    other = line.client.post("/_sandbox/line/channels", json={"displayName": "未設定"}).json()
    r = line.api("GET", "/v2/bot/channel/webhook/endpoint", token=other["accessToken"])
    assert r.status_code == 404 and r.json() == {"message": "Webhook endpoint not found"}
    r = line.api("POST", "/v2/bot/channel/webhook/test", token=other["accessToken"], json={})
    assert r.status_code == 404


def test_use_webhook_is_a_console_switch_that_no_api_call_turns_on(line):
    line.client.post("/_sandbox/line/settings", json={"endpointCacheSeconds": 0})  # the cache aside here
    new = line.client.post("/_sandbox/line/channels", json={"displayName": "新店舗"}).json()
    assert new["useWebhook"] is False and new["webhookRedelivery"] is False  # as LINE makes a channel
    r = line.api("PUT", "/v2/bot/channel/webhook/endpoint", token=new["accessToken"],
                 json={"endpoint": line.receiver.url})
    assert r.status_code == 200
    r = line.api("GET", "/v2/bot/channel/webhook/endpoint", token=new["accessToken"])
    assert r.json() == {"endpoint": line.receiver.url, "active": False}  # the URL is set; "Use webhook" is not
    sent = line.act("message", channelId=new["channelId"], userId=line.user,
                    message={"type": "text", "text": "届きますか"}).json()
    assert sent["webhook"]["sent"] is False and "Use webhook" in sent["webhook"]["error"]
    assert line.receiver.hits == []  # no event while it is off
    # The console page switches it on: from then on the events come, and GET says so.
    r = line.client.post("/_sandbox/line/console/webhook", json={"channelId": new["channelId"], "useWebhook": True})
    assert r.status_code == 200 and r.json()["useWebhook"] is True
    assert line.api("GET", "/v2/bot/channel/webhook/endpoint", token=new["accessToken"]).json()["active"] is True
    sent = line.act("message", channelId=new["channelId"], userId=line.user,
                    message={"type": "text", "text": "今度は?"}).json()
    assert sent["webhook"] == {"sent": True, "status": 200, "error": None}


@pytest.mark.parametrize("cache", [60, 0], ids=["cached-a-minute", "at-once"])
def test_a_url_set_through_the_api_is_read_back_at_once_but_line_may_use_the_old_one_for_a_minute(line, cache):
    """"Changes can take up to 1 minute because of caching": both ends of "up to"."""
    line.client.post("/_sandbox/line/settings", json={"endpointCacheSeconds": cache})
    fresh = line.client.post("/_sandbox/line/channels", json={"displayName": "新店舗"}).json()
    token = fresh["accessToken"]
    with freeze_time() as frozen:
        new_url = line.receiver.url + "?new"
        assert line.api("PUT", "/v2/bot/channel/webhook/endpoint", token=token,
                        json={"endpoint": new_url}).status_code == 200
        assert line.api("GET", "/v2/bot/channel/webhook/endpoint", token=token).json()["endpoint"] == new_url
        # The test without a URL tests what LINE has cached: nothing yet, on the strict reading.
        r = line.api("POST", "/v2/bot/channel/webhook/test", token=token, json={})
        if cache:
            assert r.status_code == 404 and r.json() == {"message": "Webhook endpoint not found"}
        else:
            assert r.status_code == 200 and r.json()["success"] is True
        # With the URL in the body it tests that URL, whatever is cached.
        r = line.api("POST", "/v2/bot/channel/webhook/test", token=token, json={"endpoint": new_url})
        assert r.status_code == 200 and r.json()["success"] is True
        assert line.receiver.last()["body"] == json.dumps({"destination": fresh["botUserId"], "events": []},
                                                          separators=(",", ":")).encode()

        # An account in use moves to a new URL: its events go on to the old one for the minute.
        line.receiver.hits.clear()
        moved = "http://127.0.0.1:9/webhooks/line/moved"  # nothing listens there
        r = line.api("PUT", "/v2/bot/channel/webhook/endpoint", json={"endpoint": moved})
        assert r.status_code == 200
        channel = line.client.get(f"/_sandbox/line/channels/{line.channel_id}").json()
        assert channel["webhookEndpoint"] == moved
        assert channel["webhookEndpointInUse"] == (line.receiver.url if cache else channel["webhookEndpoint"])
        sent = line.say({"type": "text", "text": "どちらへ?"})
        if cache:
            assert sent["webhook"]["status"] == 200 and len(line.receiver.hits) == 1  # the old URL
            frozen.tick(cache + 1)
        channel = line.client.get(f"/_sandbox/line/channels/{line.channel_id}").json()
        assert channel["webhookEndpointInUse"] == moved
        r = line.api("POST", "/v2/bot/channel/webhook/test", json={})
        assert r.json()["reason"] == "COULD_NOT_CONNECT"  # now the new URL, which nothing serves here


def test_the_console_saves_a_url_for_use_at_once(line):
    # The console's [更新] is not the API's cache: Verify and the events use the URL at once.
    line.client.post("/_sandbox/line/settings", json={"endpointCacheSeconds": 60})
    line.api("PUT", "/v2/bot/channel/webhook/endpoint", json={"endpoint": "https://cxbot.example/webhooks/line/t"})
    r = line.client.post("/_sandbox/line/console/webhook", json={"channelId": line.channel_id,
                                                                  "endpoint": line.receiver.url + "?pasted"})
    assert r.json()["webhookEndpointInUse"] == line.receiver.url + "?pasted"
    assert line.say({"type": "text", "text": "hi"})["webhook"]["status"] == 200


def test_redelivery_is_off_until_switched_on_in_the_console(line):
    line.client.post("/_sandbox/line/console/webhook", json={"channelId": line.channel_id, "webhookRedelivery": False})
    line.receiver.status = 500
    failed = line.say({"type": "text", "text": "届かなかった"})
    line.receiver.status = 200
    r = line.act("redeliver", webhookEventId=failed["webhookEventId"])
    assert r.status_code == 409 and r.json()["code"] == "redelivery_off"
    assert len(line.receiver.hits) == 1  # not sent again
    r = line.client.post("/_sandbox/line/console/webhook",
                         json={"channelId": line.channel_id, "webhookRedelivery": True})
    assert r.status_code == 200 and r.json()["webhookRedelivery"] is True
    assert line.act("redeliver", webhookEventId=failed["webhookEventId"]).json()["webhook"]["status"] == 200
    r = line.client.post("/_sandbox/line/console/webhook",
                         json={"channelId": line.channel_id, "webhookRedelivery": "yes"})
    assert r.status_code == 400 and "webhookRedelivery" in r.json()["error"]


def test_a_new_account_answers_by_itself_until_its_auto_replies_are_off(line):
    shop = line.client.post("/_sandbox/line/channels", json={"displayName": "新店舗", "webhookEndpoint": line.receiver.url,
                                                             "useWebhook": True}).json()
    assert shop["autoReply"] is True and shop["greeting"] is True  # on by default, as in LINE Official Account Manager
    line.act("follow", channelId=shop["channelId"], userId=line.user)
    line.act("message", channelId=shop["channelId"], userId=line.user, message={"type": "text", "text": "質問です"})
    line.api("POST", "/v2/bot/message/push", token=shop["accessToken"],
             json={"to": line.user, "messages": [{"type": "text", "text": "担当者の回答です"}]})
    chat = line.client.get("/_sandbox/line/chats", params={"channelId": shop["channelId"], "userId": line.user}).json()
    said = [(m["from"], m.get("via"), m["message"]["text"]) for m in chat["messages"]]
    assert [(who, via) for who, via, _ in said] == [("bot", "greeting"), ("user", None), ("bot", "auto-reply"),
                                                    ("bot", "push")]  # two answers to one question
    assert "友だち追加" in said[0][2] and said[3][2] == "担当者の回答です"
    assert len(line.receiver.hits) == 2  # the account's own answers are no webhook and no API call
    assert line.client.get("/_sandbox/line/sent", params={"channelId": shop["channelId"]}).json()[0]["via"] == "push"

    r = line.client.post("/_sandbox/line/oam/settings", json={"channelId": shop["channelId"], "autoReply": False,
                                                              "greeting": False})
    assert r.status_code == 200 and (r.json()["autoReply"], r.json()["greeting"]) == (False, False)
    line.act("unfollow", channelId=shop["channelId"], userId=line.user)
    line.act("follow", channelId=shop["channelId"], userId=line.user)
    line.act("message", channelId=shop["channelId"], userId=line.user, message={"type": "text", "text": "もう一度"})
    chat = line.client.get("/_sandbox/line/chats", params={"channelId": shop["channelId"], "userId": line.user}).json()
    assert [m["from"] for m in chat["messages"]][4:] == ["user"]  # no greeting, no auto-reply

    for bad, status in (({"autoReply": "off"}, 400), ({"chatMode": "chat"}, 400), ({}, 400)):
        r = line.client.post("/_sandbox/line/oam/settings", json={"channelId": shop["channelId"], **bad})
        assert r.status_code == status, (bad, r.text)
    r = line.client.post("/_sandbox/line/oam/settings", json={"channelId": "0000000", "greeting": True})
    assert r.status_code == 404


def test_bot_info_gives_the_premium_id_of_an_account_that_has_one(line):
    assert "premiumId" not in line.api("GET", "/v2/bot/info").json()  # left out when there is none
    shop = line.client.post("/_sandbox/line/channels", json={"displayName": "サンプル商店", "premiumId": "@sampleshop"})
    assert shop.status_code == 201 and shop.json()["premiumId"] == "@sampleshop"
    info = line.api("GET", "/v2/bot/info", token=shop.json()["accessToken"]).json()
    assert list(info) == ["userId", "basicId", "premiumId", "displayName", "chatMode", "markAsReadMode"]
    assert info["premiumId"] == "@sampleshop" and info["basicId"] == shop.json()["basicId"] != "@sampleshop"

    # Bought later in LINE Official Account Manager, and given up again.
    r = line.client.post("/_sandbox/line/oam/settings",
                         json={"channelId": line.channel_id, "premiumId": "@support.desk"})
    assert r.status_code == 200 and line.api("GET", "/v2/bot/info").json()["premiumId"] == "@support.desk"
    for bad, code in (("@Sample Shop", "invalid_premium_id"), ("sampleshop", "invalid_premium_id"),
                      ("@sampleshop", "premium_id_taken"), (shop.json()["basicId"], "premium_id_taken")):
        r = line.client.post("/_sandbox/line/oam/settings", json={"channelId": line.channel_id, "premiumId": bad})
        assert r.status_code in (400, 409) and r.json()["code"] == code, (bad, r.text)
    line.client.post("/_sandbox/line/oam/settings", json={"channelId": line.channel_id, "premiumId": ""})
    assert "premiumId" not in line.api("GET", "/v2/bot/info").json()


# --------------------------------------------------------------------------- push and reply


def test_push_with_a_repeated_retry_key_delivers_once(line):
    line.follow()
    key = str(uuid.uuid4())
    messages = [{"type": "text", "text": "ご連絡ありがとうございます"}, {"type": "sticker", "packageId": "446", "stickerId": "1988"}]
    first = line.push(messages, key=key)
    assert first.status_code == 200, first.text
    sent = first.json()["sentMessages"]
    assert len(sent) == 2 and all(re.fullmatch(r"\d{18}", m["id"]) and m["quoteToken"] for m in sent)

    again = line.push(messages, key=key)
    assert again.status_code == 409
    assert again.headers["X-Line-Accepted-Request-Id"] == first.headers["X-Line-Request-Id"]
    assert again.headers["X-Line-Request-Id"] != first.headers["X-Line-Request-Id"]
    assert again.json() == {"message": "The retry key is already accepted", "sentMessages": sent}

    bot_messages = [m for m in line.chat()["messages"] if m["from"] == "bot"]
    assert [m["message"]["type"] for m in bot_messages] == ["text", "sticker"]
    assert [m["messageId"] for m in bot_messages] == [m["id"] for m in sent]

    # Without a key, or with a new one, it is a new push.
    assert line.push(messages[:1]).status_code == 200
    assert line.push(messages[:1], key=str(uuid.uuid4())).status_code == 200
    assert len([m for m in line.chat()["messages"] if m["from"] == "bot"]) == 4
    r = line.push(messages[:1], key="not-a-uuid")
    assert r.status_code == 400 and "X-Line-Retry-Key" in r.json()["message"]


def test_push_reaches_friends_only(line):
    stranger = line.users[1]["userId"]
    r = line.push([{"type": "text", "text": "hi"}], to=stranger)
    assert r.status_code == 200  # LINE answers 200 ...
    assert line.chat(stranger)["messages"] == []  # ... and delivers nothing
    sent = line.client.get("/_sandbox/line/sent", params={"to": stranger}).json()
    assert [e["delivered"] for e in sent] == [False]
    r = line.push([{"type": "text", "text": "hi"}], to="U" + "0" * 32)
    assert r.status_code == 400 and r.json() == {"message": "Failed to send messages"}


def test_a_push_to_a_user_who_blocked_the_account_is_200_and_delivers_nothing(line):
    line.follow()
    assert line.act("unfollow", userId=line.user).status_code == 200
    r = line.push([{"type": "text", "text": "届きますか"}])
    assert r.status_code == 200 and len(r.json()["sentMessages"]) == 1  # LINE says nothing of the block
    assert [m for m in line.chat()["messages"] if m["from"] == "bot"] == []
    line.follow()  # unblocked: pushes reach the user again
    assert line.push([{"type": "text", "text": "また届きます"}]).status_code == 200
    assert [m["message"]["text"] for m in line.chat()["messages"] if m["from"] == "bot"] == ["また届きます"]
    sent = line.client.get("/_sandbox/line/sent", params={"to": line.user}).json()
    assert [e["delivered"] for e in sent] == [False, True]


@pytest.mark.parametrize("messages, prop, text", [
    ([{"type": "text", "text": "あ" * 5001}], "messages[0].text", "Length must be between 0 and 5000"),
    ([{"type": "text", "text": "🍎" * 2501}], "messages[0].text", "Length must be between 0 and 5000"),
    ([{"type": "text", "text": "x"}] * 6, "messages", "Size must be between 1 and 5"),
    ([], "messages", "Size must be between 1 and 5"),
    ([{"type": "text", "text": ""}], "messages[0].text", "May not be empty"),
    ([{"type": "image", "originalContentUrl": "http://example.com/a.png", "previewImageUrl": "https://example.com/p.png"}],
     "messages[0].originalContentUrl", "HTTPS"),
    ([{"type": "image", "originalContentUrl": "https://example.com/" + "a" * 2000, "previewImageUrl": "https://e.example/p"}],
     "messages[0].originalContentUrl", "Length must be between 0 and 2000"),
    ([{"type": "text", "text": "ok"}, {"type": "telepathy"}], "messages[1].type", "Must be one of the following values"),
    ([{"type": "sticker", "packageId": "446"}], "messages[0].stickerId", "May not be empty"),
    ([{"type": "template", "altText": "あ" * 1501, "template": {"type": "confirm", "text": "ok?", "actions": [
        {"type": "message", "label": "y", "text": "y"}]}}], "messages[0].altText", "Length must be between 0 and 1500"),
    ([{"type": "imagemap", "baseUrl": "https://example.com/m", "altText": "🍎" * 751}], "messages[0].altText",
     "Length must be between 0 and 1500"),
    ([{"type": "flex", "altText": "x" * 1501, "contents": {"type": "bubble"}}], "messages[0].altText",
     "Length must be between 0 and 1500"),
    ([{"type": "image", "originalContentUrl": "https://example.com/地図.png", "previewImageUrl": "https://e.example/p"}],
     "messages[0].originalContentUrl", "Must be a valid HTTPS URL"),
    ([{"type": "image", "originalContentUrl": "https://e.example/a.png", "previewImageUrl": "https://e.example/a b.png"}],
     "messages[0].previewImageUrl", "Must be a valid HTTPS URL"),
])
def test_push_limits_are_400_with_the_property(line, messages, prop, text):
    line.follow()
    r = line.push(messages)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["message"] == f"The request body has {len(body['details'])} error(s)"
    assert any(d["property"] == prop and text in d["message"] for d in body["details"]), body
    assert [m for m in line.chat()["messages"] if m["from"] == "bot"] == []


def test_alt_text_of_exactly_1500_characters_is_fine_for_every_kind(line):
    line.follow()
    confirm = {"type": "confirm", "text": "ok?", "actions": [{"type": "message", "label": "y", "text": "y"}]}
    for message in ({"type": "template", "altText": "あ" * 1500, "template": confirm},
                    {"type": "imagemap", "baseUrl": "https://example.com/m", "altText": "🍎" * 750},
                    {"type": "flex", "altText": "x" * 1500, "contents": {"type": "bubble"}}):
        r = line.push([message])
        assert r.status_code == 200, r.text


def test_text_of_exactly_5000_utf16_units_is_fine(line):
    line.follow()
    assert line.push([{"type": "text", "text": "🍎" * 2500}]).status_code == 200
    r = line.api("POST", "/v2/bot/message/push", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["message"].startswith("The request body could not be parsed as JSON")


def test_reply_tokens_are_single_use_and_expire(line):
    with freeze_time() as frozen:
        token = line.say({"type": "text", "text": "質問です"})["replyToken"]
        reply = {"replyToken": token, "messages": [{"type": "text", "text": "回答です"}]}
        r = line.api("POST", "/v2/bot/message/reply", json=reply)
        assert r.status_code == 200, r.text
        assert line.chat()["messages"][-1]["message"]["text"] == "回答です"
        assert line.chat()["messages"][-1]["via"] == "reply"
        r = line.api("POST", "/v2/bot/message/reply", json=reply)
        assert r.status_code == 400 and r.json() == {"message": "Invalid reply token"}

        late = line.say({"type": "text", "text": "もう一つ"})["replyToken"]
        frozen.tick(61)
        r = line.api("POST", "/v2/bot/message/reply", json={"replyToken": late, "messages": [{"type": "text", "text": "x"}]})
        assert r.status_code == 400 and r.json() == {"message": "Invalid reply token"}

    fresh = line.say({"type": "text", "text": "retry key?"})["replyToken"]
    r = line.api("POST", "/v2/bot/message/reply", headers={"X-Line-Retry-Key": str(uuid.uuid4())},
                 json={"replyToken": fresh, "messages": [{"type": "text", "text": "x"}]})
    assert r.status_code == 400


# --------------------------------------------------------------------------- profile and content


def test_profile_is_for_friends_and_people_who_talked(line):
    jane = line.users[1]["userId"]
    assert line.api("GET", f"/v2/bot/profile/{line.user}").status_code == 404
    line.follow()
    r = line.api("GET", f"/v2/bot/profile/{line.user}")
    assert r.status_code == 200 and r.json() == {"displayName": "山田 太郎", "userId": line.user, "language": "ja"}
    line.say({"type": "text", "text": "hello"}, user=jane)  # not a friend, but talked
    assert line.api("GET", f"/v2/bot/profile/{jane}").json()["displayName"] == "Jane Doe"
    line.act("unfollow", userId=line.user)
    assert line.api("GET", f"/v2/bot/profile/{line.user}").json() == {"message": "Not found"}
    assert line.api("GET", "/v2/bot/profile/nobody").status_code == 400


def test_content_a_user_sent_comes_from_the_data_host(line):
    sent = line.say({"type": "image", "dataBase64": base64.b64encode(PNG).decode(), "contentType": "image/png"})
    path = f"/v2/bot/message/{sent['messageId']}/content"
    auth = {"Authorization": f"Bearer {line.channel['accessToken']}"}
    r = line.client.get("/line-data" + path, headers=auth)
    assert r.status_code == 200 and r.content == PNG and r.headers["Content-Type"] == "image/png"
    assert line.client.get("/line" + path, headers=auth).status_code == 404  # not on the API host
    other = line.client.post("/_sandbox/line/channels", json={"displayName": "他社"}).json()
    r = line.client.get("/line-data" + path, headers={"Authorization": f"Bearer {other['accessToken']}"})
    assert r.status_code == 404 and r.json() == {"message": "not found"}
    assert line.client.get(f"/_sandbox/line/content/{sent['messageId']}").content == PNG


# --------------------------------------------------------------------------- shared plumbing, page


def test_faults_and_the_request_log_cover_line_paths(line):
    line.follow()
    r = line.client.post("/_sandbox/faults", json={"method": "POST", "path": "/line/v2/bot/message/push",
                                                   "status": 429, "times": 1, "headers": {"Retry-After": "1"}})
    assert r.status_code == 201
    key = str(uuid.uuid4())
    limited = line.push([{"type": "text", "text": "x"}], key=key)
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
    assert limited.json() == {"message": "The API rate limit has been exceeded. Try again later."}
    assert line.push([{"type": "text", "text": "x"}], key=key).status_code == 200  # the faulted try was not accepted
    log = line.client.get("/_sandbox/requests", params={"path": "/line/*"}).json()
    assert [(e["method"], e["status"]) for e in log] == [("POST", 429), ("POST", 200)]
    assert "fault" in log[0]


def test_the_chat_page_has_the_line_views(line):
    page = line.client.get("/")
    assert page.status_code == 200
    assert "LINE WORKS" in page.text and "LINE Developers" in page.text and 'id="line-view"' in page.text


def test_refusals_the_chat_page_shows_carry_a_code_it_can_say_in_japanese(line):
    # The page says these in Japanese by code; the English `error` is for developers.
    r = line.client.post("/_sandbox/line/console/webhook", json={"channelId": line.channel_id,
                                                                  "endpoint": "ftp://example.com/hook"})
    assert r.status_code == 400 and r.json()["code"] == "invalid_webhook_url"
    r = line.client.post("/_sandbox/line/channels", json={"displayName": "URL なし"})
    r = line.client.post("/_sandbox/line/console/verify", json={"channelId": r.json()["channelId"]})
    assert r.status_code == 400 and r.json()["code"] == "no_webhook_url"
    line.follow()
    r = line.act("follow", userId=line.user)
    assert r.status_code == 409 and r.json()["code"] == "already_friend"
    assert line.act("unfollow", userId=line.user).status_code == 200
    r = line.act("message", userId=line.user, message={"type": "text", "text": "hi"})
    assert r.status_code == 409 and r.json()["code"] == "blocked"

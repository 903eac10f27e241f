"""The LINE WORKS sandbox over real HTTP: tokens, API limits, callbacks, the control API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from datetime import datetime, timezone

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, request
from freezegun import freeze_time

from cxbot.base.serving import serve_in_thread
from cxbot.sandbox import World, create_app

CLIENT_ID = "client-abc"
CLIENT_SECRET = "secret-xyz"
SERVICE_ACCOUNT = "abcde.serviceaccount@example.com"
BOT_ID = 2000001
BOT_SECRET = "bot-secret-123"
DOMAIN_ID = 40029600
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


# --------------------------------------------------------------------------- fixtures


def _keypair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


@pytest.fixture(scope="module")
def keys():
    private_pem, public_pem = _keypair()
    other_private, _ = _keypair()
    return {"private": private_pem, "public": public_pem, "other_private": other_private}


class Receiver:
    """A tiny bot server that records every callback it gets."""

    def __init__(self):
        self.hits: list[dict] = []
        self.status = 200
        self.cond = threading.Condition()
        app = Flask("receiver")

        @app.post("/callback")
        def callback():
            with self.cond:
                self.hits.append({"headers": dict(request.headers), "body": request.get_data()})
                self.cond.notify_all()
            return "", self.status

        self.srv = serve_in_thread(app, name="receiver")

    @property
    def url(self) -> str:
        return self.srv.url + "/callback"

    def wait_for(self, n: int, timeout: float = 5.0) -> list[dict]:
        with self.cond:
            self.cond.wait_for(lambda: len(self.hits) >= n, timeout)
            return list(self.hits)


@pytest.fixture(scope="module")
def servers():
    sandbox = serve_in_thread(create_app(World()), name="sandbox")
    receiver = Receiver()
    yield sandbox, receiver
    sandbox.stop()
    receiver.srv.stop()


@pytest.fixture
def sb(servers, keys):
    """A fresh tenant: one app, three users, one bot calling the receiver."""
    sandbox, receiver = servers
    receiver.hits.clear()
    receiver.status = 200
    client = httpx.Client(base_url=sandbox.url, timeout=15, trust_env=False)
    assert client.post("/_sandbox/reset").status_code == 200
    r = client.post("/_sandbox/apps", json={
        "clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET, "serviceAccount": SERVICE_ACCOUNT,
        "publicKey": keys["public"], "scopes": ["bot", "user.read"],
    })
    assert r.status_code == 201, r.text
    r = client.post("/_sandbox/users", json=[
        {"userId": "admin-1", "email": "admin@example.com", "lastName": "管理", "firstName": "太郎", "isAdministrator": True},
        {"userId": "member-1", "email": "member@example.com", "lastName": "社員", "firstName": "花子"},
        {"userId": "agent-1", "email": "agent@example.com", "lastName": "窓口", "firstName": "一郎"},
    ])
    assert r.status_code == 201, r.text
    r = client.post("/_sandbox/bots", json={
        "botId": BOT_ID, "botName": "cxbot", "secret": BOT_SECRET, "callbackUrl": receiver.url,
        "enableCallback": True, "callbackEvents": ["text", "image", "file"],
        "channelEvents": ["message", "join", "leave", "joined", "left", "postback", "begin"],
        "domains": [{"domainId": DOMAIN_ID, "visible": True}],
    })
    assert r.status_code == 201, r.text
    assert r.json()["secret"] == BOT_SECRET
    yield Ctx(client, receiver, keys)
    client.close()


class Ctx:
    def __init__(self, client: httpx.Client, receiver: Receiver, keys: dict):
        self.client = client
        self.receiver = receiver
        self.keys = keys
        self._token: str | None = None

    def assertion(self, *, key=None, iss=CLIENT_ID, sub=SERVICE_ACCOUNT, iat=None, exp=None) -> str:
        iat = time.time() if iat is None else iat
        exp = iat + 3600 if exp is None else exp
        return jwt.encode({"iss": iss, "sub": sub, "iat": iat, "exp": exp}, key or self.keys["private"],
                          algorithm="RS256")

    def grant(self, *, secret=CLIENT_SECRET, scope="bot user.read", grant_type=JWT_BEARER, **claims) -> httpx.Response:
        return self.client.post("/oauth2/v2.0/token", data={
            "grant_type": grant_type, "assertion": self.assertion(**claims),
            "client_id": CLIENT_ID, "client_secret": secret, "scope": scope,
        })

    @property
    def token(self) -> str:
        if self._token is None:
            r = self.grant()
            assert r.status_code == 200, r.text
            self._token = r.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kw) -> httpx.Response:
        headers = kw.pop("headers", {})
        headers.setdefault("Authorization", f"Bearer {self.token}")
        return self.client.request(method, "/v1.0" + path, headers=headers, **kw)

    def send(self, content: dict, user: str = "member-1") -> httpx.Response:
        return self.api("POST", f"/bots/{BOT_ID}/users/{user}/messages", json={"content": content})

    def dm_room(self, user: str = "member-1") -> dict:
        r = self.client.get("/_sandbox/rooms/dm", params={"botId": BOT_ID, "userId": user})
        assert r.status_code == 200, r.text
        return r.json()

    def messages(self, room_id: str) -> list[dict]:
        return self.client.get(f"/_sandbox/rooms/{room_id}/messages").json()

    def events(self) -> list[dict]:
        return [json.loads(h["body"]) for h in self.receiver.hits]


# --------------------------------------------------------------------------- token endpoint


def test_jwt_grant_issues_a_bearer_token(sb):
    r = sb.grant()
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == "3600"  # a string, as the platform sends it
    assert body["scope"] == "bot user.read"
    assert body["access_token"] and body["refresh_token"]

    # The official Python sample double-encodes grant_type; the platform accepts it.
    r = sb.client.post("/oauth2/v2.0/token", data={
        "grant_type": "urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer",
        "assertion": sb.assertion(iat=time.time() + 0.25),  # float NumericDate
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": "bot",
    })
    assert r.status_code == 200, r.text

    sb.client.post("/_sandbox/settings", json={"expiresInAsString": False})
    assert sb.grant().json()["expires_in"] == 3600


@pytest.mark.parametrize("kwargs, status, error, reason", [
    ({"key": "other"}, 400, "invalid_grant", "signature does not verify"),
    ({"secret": "wrong"}, 401, "invalid_client", "client_secret does not match"),
    ({"iat": time.time() - 7200, "exp": time.time() - 3600}, 400, "invalid_grant", "expired"),
    ({"exp": time.time() + 7200}, 400, "invalid_grant", "at most 3600"),
    ({"sub": "someone.serviceaccount@example.com"}, 400, "invalid_grant", "Service Account"),
    ({"scope": "bot mail"}, 400, "invalid_scope", "mail"),
    ({"grant_type": "password"}, 400, "unsupported_grant_type", "password"),
])
def test_jwt_grant_refusals_say_why(sb, kwargs, status, error, reason):
    if kwargs.get("key") == "other":
        kwargs = dict(kwargs, key=sb.keys["other_private"])
    r = sb.grant(**kwargs)
    assert r.status_code == status, r.text
    assert r.json()["error"] == error
    assert reason in r.json()["error_description"]


def test_refresh_grant_with_rotation(sb, keys):
    sb.client.post("/_sandbox/apps", json={
        "clientId": "rotating", "clientSecret": "s2", "serviceAccount": SERVICE_ACCOUNT,
        "publicKey": keys["public"], "scopes": ["bot"], "refreshRotation": True, "tokenLifetime": 86400,
    })
    now = time.time()
    assertion = jwt.encode({"iss": "rotating", "sub": SERVICE_ACCOUNT, "iat": now, "exp": now + 3600},
                           keys["private"], algorithm="RS256")
    first = sb.client.post("/oauth2/v2.0/token", data={
        "grant_type": JWT_BEARER, "assertion": assertion, "client_id": "rotating", "client_secret": "s2",
        "scope": "bot"}).json()
    assert first["expires_in"] == "86400"

    def refresh(token):
        return sb.client.post("/oauth2/v2.0/token", data={
            "grant_type": "refresh_token", "refresh_token": token, "client_id": "rotating", "client_secret": "s2"})

    r = refresh(first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    # The old refresh token stopped working; the new one works.
    old = refresh(first["refresh_token"])
    assert old.status_code == 400 and old.json()["error"] == "invalid_grant"
    assert refresh(second["refresh_token"]).status_code == 200

    # Without rotation the refresh token stays, and no new one is returned.
    plain = sb.grant().json()
    r = sb.client.post("/oauth2/v2.0/token", data={
        "grant_type": "refresh_token", "refresh_token": plain["refresh_token"],
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    assert r.status_code == 200 and "refresh_token" not in r.json()


def test_expired_or_missing_token_is_401(sb):
    assert sb.api("GET", f"/bots/{BOT_ID}").status_code == 200
    r = sb.api("GET", f"/bots/{BOT_ID}", headers={"Authorization": ""})
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHORIZED"

    assert sb.client.post("/_sandbox/tokens/expire").json()["expired"] >= 1
    r = sb.api("GET", f"/bots/{BOT_ID}")
    assert r.status_code == 401
    assert r.json() == {"code": "UNAUTHORIZED", "description": "The access token has expired"}

    # Time moving past the lifetime expires a fresh token too (freezegun reaches the server thread).
    sb._token = None
    with freeze_time() as frozen:
        assert sb.api("GET", f"/bots/{BOT_ID}").status_code == 200
        frozen.tick(3601)
        assert sb.api("GET", f"/bots/{BOT_ID}").status_code == 401

    statuses = [e["status"] for e in sb.client.get("/_sandbox/requests", params={"path": "/v1.0/bots/*"}).json()]
    assert statuses == [200, 401, 401, 200, 401]
    grants = sb.client.get("/_sandbox/requests", params={"path": "/oauth2/*"}).json()
    assert len(grants) == 2


def test_scopes_are_enforced(sb):
    sb._token = sb.grant(scope="bot").json()["access_token"]
    r = sb.api("GET", "/users/member%40example.com")
    assert r.status_code == 403 and r.json()["code"] == "FORBIDDEN"
    sb._token = None
    r = sb.api("GET", "/users/member%40example.com")
    assert r.status_code == 200
    user = r.json()
    assert user["userId"] == "member-1" and user["domainId"] == DOMAIN_ID
    assert user["userName"] == {"lastName": "社員", "firstName": "花子", "phoneticLastName": None,
                                "phoneticFirstName": None}


# --------------------------------------------------------------------------- messages


def _buttons(n, **action):
    return [{"type": "message", "label": f"b{i}", **action} for i in range(n)]


@pytest.mark.parametrize("content, field, limit", [
    ({"type": "button_template", "contentText": "?", "actions": _buttons(11)}, "content.actions", "at most 10"),
    ({"type": "button_template", "contentText": "?", "actions": [{"type": "message", "label": "x" * 21}]},
     "content.actions[0].label", "at most 20"),
    ({"type": "button_template", "contentText": "?", "actions": [{"type": "postback", "label": "p", "data": "d"}]},
     "content.actions[0].type", "not allowed in button_template"),
    ({"type": "text", "text": "あ" * 2001}, "content.text", "at most 2000"),
    ({"type": "text", "text": "q", "quickReply": {"items": [
        {"action": {"type": "message", "label": f"q{i}", "text": "t"}} for i in range(14)]}},
     "content.quickReply.items", "at most 13"),
    ({"type": "text", "text": "q", "quickReply": {"items": [
        {"action": {"type": "postback", "label": "p", "data": "d"}}]}},
     "content.quickReply.items[0].action.displayText", "required"),
    ({"type": "list_template", "elements": [{"title": f"e{i}"} for i in range(5)]}, "content.elements", "at most 4"),
    ({"type": "carousel", "columns": [{"text": "t", "actions": _buttons(1, text="x")}] * 11},
     "content.columns", "at most 10"),
    ({"type": "button_template", "contentText": "?", "actions": [{"type": "uri", "label": "u", "uri": "ftp://x"}]},
     "content.actions[0].uri", "http/https"),
    ({"type": "telepathy"}, "content.type", "unknown message type"),
])
def test_message_limits_are_400(sb, content, field, limit):
    r = sb.send(content)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] == "INVALID_PARAMETER"
    assert body["description"].startswith(field + ":")
    assert limit in body["description"]


def test_valid_message_is_recorded_in_the_room(sb):
    content = {"type": "button_template", "contentText": "何をしますか？", "actions": _buttons(10)}
    r = sb.send(content, user="member@example.com")  # login email works as userId
    assert r.status_code == 201 and r.content == b""
    room = sb.dm_room()
    [msg] = sb.messages(room["roomId"])
    assert msg["sender"] == {"botId": BOT_ID} and msg["content"] == content
    assert sb.send({"type": "text", "text": "x"}, user="nobody").status_code == 404


# --------------------------------------------------------------------------- channels


@pytest.mark.parametrize("window", ["fixed", "rolling"])
def test_channel_creation_is_limited_to_10_a_minute(sb, window):
    sb.client.post("/_sandbox/settings", json={"rateLimitWindow": window}).raise_for_status()
    minute = datetime.fromtimestamp(time.time() // 60 * 60, timezone.utc)  # a fixed window's start
    with freeze_time(minute) as frozen:
        for i in range(10):
            r = sb.api("POST", f"/bots/{BOT_ID}/channels", json={"members": ["agent-1"], "title": f"room {i}"})
            assert r.status_code == 201, r.text
        r = sb.api("POST", f"/bots/{BOT_ID}/channels", json={"members": ["agent-1"], "title": "one too many"})
        assert r.status_code == 429
        assert r.json() == {"code": "TOO_MANY_REQUESTS", "description": "API rate limit exceeded"}
        assert r.headers["rateLimit-limit"] == "10"
        assert r.headers["rateLimit-remaining"] == "0"
        assert r.headers["rateLimit-reset"] == "60"
        frozen.tick(61)
        r = sb.api("POST", f"/bots/{BOT_ID}/channels", json={"members": ["agent-1", "admin-1"], "title": "CX"})
        assert r.status_code == 201
    channel_id = r.json()["channelId"]
    info = sb.api("GET", f"/bots/{BOT_ID}/channels/{channel_id}").json()
    assert info == {"domainId": DOMAIN_ID, "channelId": channel_id, "title": "CX",
                    "channelType": {"type": "MULTI_USERS"}}
    page = sb.api("GET", f"/bots/{BOT_ID}/channels/{channel_id}/members", params={"count": 1}).json()
    assert page["members"] == ["agent-1"] and page["responseMetaData"]["nextCursor"]

    # join + joined arrive in the background; the callback log can wait for them.
    log = sb.client.get("/_sandbox/callbacks", params={"wait": 5, "type": "joined"}).json()
    assert log[-1]["body"]["members"] == ["agent-1", "admin-1"] and log[-1]["status"] == 200

    # An agent typing in the room reaches the bot with the channelId.
    r = sb.client.post("/_sandbox/act/message", json={
        "userId": "agent-1", "channelId": channel_id, "content": {"type": "text", "text": "回答です"}})
    assert r.status_code == 200 and r.json()["callback"]["status"] == 200
    assert sb.events()[-1]["source"] == {"userId": "agent-1", "channelId": channel_id, "domainId": DOMAIN_ID}
    r = sb.client.post("/_sandbox/act/message", json={
        "userId": "member-1", "channelId": channel_id, "content": {"type": "text", "text": "?"}})
    assert r.status_code == 400

    # The bot leaves: `leave` fires and the room is read-only for its members.
    assert sb.api("DELETE", f"/bots/{BOT_ID}/channels/{channel_id}").status_code == 204
    leave = sb.client.get("/_sandbox/callbacks", params={"wait": 5, "type": "leave"}).json()
    assert leave[-1]["body"]["source"] == {"channelId": channel_id, "domainId": DOMAIN_ID}
    assert sb.client.get(f"/_sandbox/rooms/{channel_id}").json()["readOnly"] is True
    assert sb.api("GET", f"/bots/{BOT_ID}/channels/{channel_id}").status_code == 404


def test_a_room_takes_1_to_100_unique_members_of_the_tenant(sb):
    def create(members):
        return sb.api("POST", f"/bots/{BOT_ID}/channels", json={"members": members, "title": "CX"})

    for members, says in ((["agent-1", "agent-1"], "must be unique"), ([], "1 to 100"),
                          (["agent-1"] * 101, "1 to 100"), (["someone@other-company.example"], "unknown user")):
        r = create(members)
        assert r.status_code == 400 and r.json()["code"] == "INVALID_PARAMETER", members
        assert says in r.json()["description"]


def test_when_the_last_member_leaves_the_bot_leaves_by_itself(sb):
    channel_id = sb.api("POST", f"/bots/{BOT_ID}/channels",
                        json={"members": ["agent-1", "admin-1"], "title": "CX"}).json()["channelId"]
    first = sb.client.post("/_sandbox/act/leave", json={"userId": "agent-1", "channelId": channel_id}).json()
    assert first["events"] == ["left"]
    last = sb.client.post("/_sandbox/act/leave", json={"userId": "admin-1", "channelId": channel_id}).json()
    assert last["events"] == ["left", "leave"]
    assert sb.events()[-1]["source"] == {"channelId": channel_id, "domainId": DOMAIN_ID}
    r = sb.api("POST", f"/bots/{BOT_ID}/channels/{channel_id}/messages", json={"content": {"type": "text", "text": "x"}})
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"  # nothing can be posted into a dead room


# --------------------------------------------------------------------------- callbacks


@pytest.mark.parametrize("with_channel_id", [True, False])  # the docs' examples; the docs' field table
def test_user_message_is_a_signed_callback_with_or_without_channel_id(sb, with_channel_id):
    sb.client.post("/_sandbox/settings", json={"directMessageChannelId": with_channel_id}).raise_for_status()
    r = sb.client.post("/_sandbox/act/message", json={
        "userId": "member-1", "botId": BOT_ID, "content": {"type": "text", "text": "こんにちは"}})
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["callback"] == {"sent": True, "status": 200, "error": None}

    begin, message = sb.receiver.wait_for(2)  # the first message opens the 1:1 room: begin, then message
    raw = message["body"]
    expected = base64.b64encode(hmac.new(BOT_SECRET.encode(), raw, hashlib.sha256).digest()).decode()
    headers = {k.lower(): v for k, v in message["headers"].items()}
    assert headers["x-works-signature"] == expected
    assert headers["x-works-botid"] == str(BOT_ID)
    assert headers["content-type"] == "application/json; charset=UTF-8"
    assert b" " not in raw.replace("こんにちは".encode(), b"")  # compact JSON
    assert "こんにちは".encode() in raw  # not ASCII-escaped

    event = json.loads(raw)
    assert event["type"] == "message"
    assert event["source"] == {"userId": "member-1", "domainId": DOMAIN_ID} | (
        {"channelId": result["roomId"]} if with_channel_id else {})
    assert event["content"] == {"type": "text", "text": "こんにちは"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", event["issuedTime"])
    assert json.loads(begin["body"])["source"]["channelId"] == result["roomId"]

    # A bot server that answers 500 is reported, not raised; an unreachable one too.
    sb.receiver.status = 500
    r = sb.client.post("/_sandbox/act/message", json={
        "userId": "member-1", "botId": BOT_ID, "content": {"type": "text", "text": "again"}})
    assert r.json()["callback"]["status"] == 500
    sb.client.post("/_sandbox/bots", json={"botId": BOT_ID, "callbackUrl": "http://127.0.0.1:9/cb"})
    r = sb.client.post("/_sandbox/act/message", json={
        "userId": "member-1", "botId": BOT_ID, "content": {"type": "text", "text": "anyone?"}})
    assert r.status_code == 200
    assert r.json()["callback"]["status"] is None and "could not connect" in r.json()["callback"]["error"]


def test_opening_a_bot_room_for_the_first_time_sends_begin_once(sb):
    # LINE WORKS: `begin` when "1:1 room with bot starts (user opens it ...)": before any message.
    r = sb.client.post("/_sandbox/act/open", json={"userId": "member-1", "botId": BOT_ID})
    assert r.status_code == 200, r.text
    opened = r.json()
    assert opened["event"] == "begin" and opened["callback"]["status"] == 200
    [begin] = sb.events()
    assert begin["type"] == "begin"
    assert begin["source"] == {"userId": "member-1", "channelId": opened["roomId"], "domainId": DOMAIN_ID}
    assert sb.messages(opened["roomId"]) == []  # opening says nothing in the room

    # Opened again, or written to: no second begin.
    again = sb.client.post("/_sandbox/act/open", json={"userId": "member-1", "channelId": opened["roomId"]})
    assert again.json() == {"roomId": opened["roomId"], "event": None, "callback": None}
    sb.client.post("/_sandbox/act/message", json={
        "userId": "member-1", "botId": BOT_ID, "content": {"type": "text", "text": "こんにちは"}})
    assert [e["type"] for e in sb.events()] == ["begin", "message"]

    # Someone else's room is not theirs to open.
    r = sb.client.post("/_sandbox/act/open", json={"userId": "agent-1", "channelId": opened["roomId"]})
    assert r.status_code == 400


def test_pressing_buttons(sb):
    sb.send({"type": "button_template", "contentText": "設定しますか？", "actions": [
        {"type": "message", "label": "設定", "postback": "flow=line&step=start"},
        {"type": "uri", "label": "ヘルプ", "uri": "https://example.com/help"},
        {"type": "copy", "label": "URLをコピー", "copyText": "https://cxbot.example/webhooks/line/abc"},
    ]})
    room = sb.dm_room()
    [msg] = sb.messages(room["roomId"])

    r = sb.client.post("/_sandbox/act/press", json={"userId": "member-1", "messageId": msg["messageId"], "label": "設定"})
    assert r.status_code == 200, r.text
    assert r.json()["callback"]["status"] == 200
    event = sb.events()[-1]
    assert event["type"] == "message"
    assert event["content"] == {"type": "text", "text": "設定", "postback": "flow=line&step=start"}
    assert event["source"]["channelId"] == room["roomId"]  # a 1:1 message, as the docs' examples show it
    assert sb.messages(room["roomId"])[-1]["sender"] == {"userId": "member-1"}

    r = sb.client.post("/_sandbox/act/press", json={"userId": "member-1", "messageId": msg["messageId"],
                                                     "label": "URLをコピー"})
    assert r.json()["copied"] == "https://cxbot.example/webhooks/line/abc"
    r = sb.client.post("/_sandbox/act/press", json={"userId": "member-1", "messageId": msg["messageId"], "label": "?"})
    assert r.status_code == 404 and r.json()["labels"] == ["設定", "ヘルプ", "URLをコピー"]

    # A postback quick reply sends a postback event (with channelId) and shows its displayText.
    sb.send({"type": "text", "text": "どちら？", "quickReply": {"items": [
        {"action": {"type": "postback", "label": "はい", "data": "answer=yes", "displayText": "はい"}}]}})
    last = sb.messages(room["roomId"])[-1]
    r = sb.client.post("/_sandbox/act/press", json={"userId": "member-1", "messageId": last["messageId"], "index": 0})
    assert r.status_code == 200, r.text
    event = sb.events()[-1]
    assert event["type"] == "postback" and event["data"] == "answer=yes"
    assert event["source"]["channelId"] == room["roomId"]
    assert sb.messages(room["roomId"])[-1]["content"] == {"type": "text", "text": "はい"}
    # Quick replies vanish once something else is said.
    r = sb.client.post("/_sandbox/act/press", json={"userId": "member-1", "messageId": last["messageId"], "index": 0})
    assert r.status_code == 409


def test_deleting_a_bot_makes_its_room_read_only(sb):
    sb.send({"type": "text", "text": "ようこそ"})
    rooms = sb.client.get("/_sandbox/rooms", params={"userId": "member-1"}).json()
    assert [(r["kind"], r["botId"], r["readOnly"]) for r in rooms] == [("bot", BOT_ID, False)]

    assert sb.api("DELETE", f"/bots/{BOT_ID}").status_code == 204
    assert sb.api("GET", f"/bots/{BOT_ID}").status_code == 404
    assert sb.send({"type": "text", "text": "まだいる？"}).status_code == 404

    rooms = sb.client.get("/_sandbox/rooms", params={"userId": "member-1"}).json()
    assert [(r["botId"], r["readOnly"]) for r in rooms] == [(BOT_ID, True)]
    r = sb.client.post("/_sandbox/act/message", json={
        "userId": "member-1", "botId": BOT_ID, "content": {"type": "text", "text": "もしもし"}})
    assert r.status_code == 409 and r.json()["readOnly"] is True
    assert r.json()["code"] == "bot_deleted"  # what the chat page says in Japanese
    # A user who never talked with it no longer finds it.
    assert sb.client.get("/_sandbox/rooms", params={"userId": "agent-1"}).json() == []
    assert sb.client.get(f"/_sandbox/rooms/{rooms[0]['roomId']}").json()["readOnlyReason"] == "bot deleted"


# --------------------------------------------------------------------------- bots, files, faults


def test_create_bot_via_api(sb, servers, photo_url):
    good = {"botName": "総務窓口", "photoUrl": photo_url, "description": "総務への問い合わせ",
            "administrators": ["admin-1"], "enableCallback": True,
            "callbackUrl": "https://cxbot.example/webhooks/works/t0k3n"}
    assert sb.api("POST", "/bots", json=dict(good, photoUrl="http://example.com/p.png")).status_code == 400
    r = sb.api("POST", "/bots", json=dict(good, description="x" * 101))
    assert r.status_code == 400 and "description" in r.json()["description"]
    r = sb.api("POST", "/bots", json=good)
    assert r.status_code == 201, r.text
    bot = r.json()
    assert isinstance(bot["botId"], int) and bot["botName"] == "総務窓口"
    secret = sb.client.get(f"/_sandbox/bots/{bot['botId']}").json()["secret"]
    assert secret

    # Not registered to the domain yet: members can't be messaged, nor find it.
    r = sb.api("POST", f"/bots/{bot['botId']}/users/member-1/messages", json={"content": {"type": "text", "text": "x"}})
    assert r.status_code == 403
    r = sb.api("POST", f"/bots/{bot['botId']}/domains/{DOMAIN_ID}", json={"visible": True, "allowToSelectedMember": False})
    assert r.status_code == 201
    assert r.json() == {"domainId": DOMAIN_ID, "visible": True, "allowToSelectedMember": False}
    rooms = sb.client.get("/_sandbox/rooms", params={"userId": "member-1"}).json()
    assert {r["botName"] for r in rooms} == {"cxbot", "総務窓口"}


def test_attachments_round_trip(sb):
    r = sb.api("POST", f"/bots/{BOT_ID}/attachments", json={"fileName": "manual.pdf"})
    assert r.status_code == 200, r.text
    file_id, upload_url = r.json()["fileId"], r.json()["uploadUrl"]
    assert upload_url.startswith(sb.client.base_url.__str__().rstrip("/") + "/_upload/")
    files = {"FileData": ("manual.pdf", b"%PDF-1.4 hello", "application/pdf")}
    assert sb.client.post(upload_url, files=files).status_code == 401  # Bearer required
    auth = {"Authorization": f"Bearer {sb.token}"}
    assert sb.client.post(upload_url, files=files, headers=auth).status_code == 200
    assert sb.client.post(upload_url, files=files, headers=auth).status_code == 409  # single use
    assert sb.send({"type": "file", "fileId": file_id}).status_code == 201

    # A user's image reaches the bot as {"type": "image", "fileId"} and downloads via a 302.
    r = sb.client.post("/_sandbox/act/file", json={
        "userId": "member-1", "botId": BOT_ID, "fileName": "photo.png", "contentType": "image/png",
        "dataBase64": base64.b64encode(b"\x89PNG fake").decode(), "kind": "image"})
    assert r.status_code == 200, r.text
    content = sb.events()[-1]["content"]
    assert content == {"type": "image", "fileId": r.json()["fileId"]}
    r = sb.api("GET", f"/bots/{BOT_ID}/attachments/{content['fileId']}")
    assert r.status_code == 302
    dl = sb.client.get(r.headers["Location"])
    assert dl.content == b"\x89PNG fake" and dl.headers["Content-Type"] == "image/png"
    assert "photo.png" in dl.headers["Content-Disposition"]


def test_faults_and_request_log(sb):
    r = sb.client.post("/_sandbox/faults", json={
        "method": "POST", "path": "/v1.0/bots/*/users/*/messages", "status": 429, "times": 2,
        "headers": {"rateLimit-reset": "1"}})
    assert r.status_code == 201
    sb.client.post("/_sandbox/faults", json={"path": "/v1.0/users/*", "status": 401})
    first = sb.send({"type": "text", "text": "1"})
    assert first.status_code == 429 and first.headers["rateLimit-reset"] == "1"
    assert first.json()["code"] == "TOO_MANY_REQUESTS"
    assert sb.send({"type": "text", "text": "2"}).status_code == 429
    assert sb.send({"type": "text", "text": "3"}).status_code == 201
    r = sb.api("GET", "/users/member-1")
    assert r.status_code == 401 and r.json()["code"] == "UNAUTHORIZED"
    log = sb.client.get("/_sandbox/requests", params={"path": "/v1.0/bots/*/messages"}).json()
    assert [e["status"] for e in log] == [429, 429, 201]
    assert {"method", "path", "status", "time"} <= set(log[0])
    assert len(sb.messages(sb.dm_room()["roomId"])) == 1  # faulted requests changed nothing


def test_events_raw_and_page(sb):
    r = sb.client.post("/_sandbox/act/event", json={"botId": BOT_ID, "type": "left", "channelId": "c-1",
                                                    "members": ["agent-1"]})
    assert r.status_code == 200 and r.json()["callback"]["status"] == 200
    assert sb.events()[-1] == {"type": "left", "source": {"channelId": "c-1", "domainId": DOMAIN_ID},
                               "issuedTime": r.json()["event"]["issuedTime"], "members": ["agent-1"]}
    r = sb.client.post("/_sandbox/act/event", json={"botId": BOT_ID, "type": "end", "userId": "member-1"})
    assert r.json()["callback"]["error"].startswith("not sent")  # "end" is not in channelEvents
    r = sb.client.post("/_sandbox/act/raw", json={"botId": BOT_ID, "body": {"type": "whatever"}})
    assert r.json()["callback"]["status"] == 200
    hit = sb.receiver.hits[-1]
    assert hit["body"] == b'{"type":"whatever"}'

    page = sb.client.get("/")
    assert page.status_code == 200 and "LINE WORKS" in page.text and "社員 花子" in page.text

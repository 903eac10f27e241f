"""LINE WORKS' rate limits in the sandbox over real HTTP (reference §7.1): per API
operation, room creation's own 10, the rateLimit-* headers, both window readings, the
time scale, and the platform's view at /_sandbox/rate."""

from __future__ import annotations

import time
from datetime import datetime, timezone

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from freezegun import freeze_time

from cxbot.base.serving import serve_in_thread
from cxbot.sandbox import World, create_app

CLIENT_ID = "client-rate"
CLIENT_SECRET = "secret-rate"
SERVICE_ACCOUNT = "rate.serviceaccount@example.com"
BOT_ID = 2000001
USERS_OP = "GET /v1.0/users/<path:user_id>"
SEND_OP = "POST /v1.0/bots/<bot_id>/users/<user_id>/messages"
ROOM_OP = "POST /v1.0/bots/<bot_id>/channels"
RATE_HEADERS = ("rateLimit-ssed", "rateLimit-limit", "rateLimit-remaining", "rateLimit-reset")
READINGS = pytest.mark.parametrize("window", ["fixed", "rolling"])


@pytest.fixture(scope="module")
def server():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    srv = serve_in_thread(create_app(World()), name="sandbox")
    yield srv, key
    srv.stop()


class Tenant:
    def __init__(self, client: httpx.Client, key) -> None:
        self.client = client
        self.key = key
        self._token: str | None = None

    def settings(self, **values) -> dict:
        r = self.client.post("/_sandbox/settings", json=values)
        assert r.status_code == 200, r.text
        return r.json()

    @property
    def token(self) -> str:
        if self._token is None:
            t = time.time()
            assertion = jwt.encode({"iss": CLIENT_ID, "sub": SERVICE_ACCOUNT, "iat": t, "exp": t + 3600},
                                   self.key, algorithm="RS256")
            r = self.client.post("/oauth2/v2.0/token", data={
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": assertion,
                "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "scope": "bot user.read"})
            assert r.status_code == 200, r.text
            assert not any(h in r.headers for h in RATE_HEADERS)  # the token endpoint is no API operation
            self._token = r.json()["access_token"]
        return self._token

    def api(self, method: str, path: str, **kw) -> httpx.Response:
        return self.client.request(method, "/v1.0" + path, headers={"Authorization": f"Bearer {self.token}"}, **kw)

    def user(self, user: str = "member-1") -> httpx.Response:
        return self.api("GET", f"/users/{user}")

    def send(self, body: dict | None = None, user: str = "member-1") -> httpx.Response:
        return self.api("POST", f"/bots/{BOT_ID}/users/{user}/messages",
                        json={"content": {"type": "text", "text": "hi"}} if body is None else body)

    def room(self) -> httpx.Response:
        return self.api("POST", f"/bots/{BOT_ID}/channels", json={"members": ["member-1"], "title": "CX"})

    def rate(self) -> dict:
        r = self.client.get("/_sandbox/rate")
        assert r.status_code == 200, r.text
        return r.json()

    def op(self, name: str) -> dict:
        return self.rate()["operations"][name]


@pytest.fixture
def tenant(server):
    srv, key = server
    client = httpx.Client(base_url=srv.url, timeout=15, trust_env=False)
    assert client.post("/_sandbox/reset").status_code == 200
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    client.post("/_sandbox/apps", json={"clientId": CLIENT_ID, "clientSecret": CLIENT_SECRET,
                                        "serviceAccount": SERVICE_ACCOUNT, "publicKey": public,
                                        "scopes": ["bot", "user.read"]}).raise_for_status()
    client.post("/_sandbox/users", json=[{"userId": "member-1", "email": "member@example.com"},
                                         {"userId": "agent-1", "email": "agent@example.com"}]).raise_for_status()
    client.post("/_sandbox/bots", json={"botId": BOT_ID, "botName": "cxbot",
                                        "domains": [{"domainId": 40029600}]}).raise_for_status()
    yield Tenant(client, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()).decode())
    client.close()


def window_start(span: float = 60.0, offset: float = 0.0) -> datetime:
    """A moment `offset` s into a fixed window of `span` s (fixed windows start at multiples of it)."""
    return datetime.fromtimestamp(time.time() // span * span + offset, timezone.utc)


def rate_headers(r: httpx.Response) -> tuple[int, int, int, int]:
    return tuple(int(r.headers[h]) for h in RATE_HEADERS)


# --------------------------------------------------------------------------- per operation


@READINGS
def test_the_241st_call_to_an_operation_is_429_while_another_operation_passes(tenant, window):
    tenant.settings(rateLimitWindow=window)
    with freeze_time(window_start()):
        for i in range(1, 241):
            r = tenant.user()
            assert r.status_code == 200, r.text
            assert rate_headers(r) == (i, 240, 240 - i, 60)  # counts down on every success
        r = tenant.user("agent-1")  # other ids, the same operation
        assert r.status_code == 429
        assert r.json() == {"code": "TOO_MANY_REQUESTS", "description": "API rate limit exceeded"}
        assert rate_headers(r) == (240, 240, 0, 60)
        other = tenant.send()
        assert other.status_code == 201, other.text
        assert rate_headers(other) == (1, 240, 239, 60)
    assert tenant.op(USERS_OP) == {"limit": 240, "calls": 240, "rejected": 1, "maxInWindow": 240}
    assert tenant.op(SEND_OP)["calls"] == 1


def test_the_429_comes_before_anything_and_errors_count(tenant):
    tenant.settings(apiCallsPerMinute=2)
    with freeze_time(window_start()):
        bad = tenant.send({"content": {"type": "text"}})  # no text: a 400 the platform served
        assert bad.status_code == 400 and rate_headers(bad) == (1, 2, 1, 60)
        missing = tenant.send(user="nobody")
        assert missing.status_code == 404 and rate_headers(missing) == (2, 2, 0, 60)
        # Over the limit, a bad body, an unknown user and a missing token are all 429:
        # nothing of the request is looked at, and nothing is performed.
        assert tenant.send({"content": {"type": "text"}}).status_code == 429
        assert tenant.send().status_code == 429
        anonymous = tenant.client.get("/v1.0/users/member-1")
        assert anonymous.status_code == 401 and rate_headers(anonymous) == (1, 2, 1, 60)
        assert tenant.user().status_code == 200
        assert tenant.client.get("/v1.0/users/member-1").status_code == 429
    rooms = tenant.client.get("/_sandbox/rooms").json()
    assert all(not tenant.client.get(f"/_sandbox/rooms/{r['roomId']}/messages").json() for r in rooms)
    assert tenant.op(SEND_OP) == {"limit": 2, "calls": 2, "rejected": 2, "maxInWindow": 2}


@pytest.mark.parametrize("window, full, at_60, at_89, at_90", [
    # 3 calls at 30, 40 and 50 s into a fixed minute; what a call at 50, 60, 89.5, 90 s gets.
    ("fixed", (3, 3, 0, 10), (200, (1, 3, 2, 60)), (200, (2, 3, 1, 31)), (200, (3, 3, 0, 30))),
    ("rolling", (3, 3, 0, 40), (429, (3, 3, 0, 30)), (429, (3, 3, 0, 1)), (200, (3, 3, 0, 10))),
])
def test_a_fixed_window_resets_at_its_boundary_a_rolling_one_60s_after_the_oldest_call(
        tenant, window, full, at_60, at_89, at_90):
    tenant.settings(rateLimitWindow=window, apiCallsPerMinute=3)
    with freeze_time(window_start(offset=30)) as frozen:
        for tick in (10, 10, 0):
            assert tenant.user().status_code == 200
            frozen.tick(tick)
        r = tenant.user()
        assert r.status_code == 429 and rate_headers(r) == full
        for expected, tick in ((at_60, 10), (at_89, 29.5), (at_90, 0.5)):
            frozen.tick(tick)
            r = tenant.user()
            assert (r.status_code, rate_headers(r)) == expected
    assert tenant.op(USERS_OP)["maxInWindow"] == 3


@READINGS
def test_room_creation_has_its_own_10_and_not_the_operations_budget(tenant, window):
    tenant.settings(rateLimitWindow=window, apiCallsPerMinute=5)
    with freeze_time(window_start()) as frozen:
        for i in range(1, 11):
            r = tenant.room()
            assert r.status_code == 201, r.text
            assert rate_headers(r) == (i, 10, 10 - i, 60)
        r = tenant.room()
        assert r.status_code == 429 and rate_headers(r) == (10, 10, 0, 60)
        assert rate_headers(tenant.user()) == (1, 5, 4, 60)  # the rooms took nothing from other operations
        frozen.tick(60)
        assert tenant.room().status_code == 201
    assert tenant.op(ROOM_OP) == {"limit": 10, "calls": 11, "rejected": 1, "maxInWindow": 10}
    tenant.settings(channelCreatePerMinute=0)  # 0 switches it off
    r = tenant.room()
    assert r.status_code == 201 and not any(h in r.headers for h in RATE_HEADERS)


def test_the_download_302_and_the_file_urls_carry_no_rate_limit_headers(tenant):
    tenant.settings(apiCallsPerMinute=1)
    made = tenant.api("POST", f"/bots/{BOT_ID}/attachments", json={"fileName": "a.txt"})
    assert made.status_code == 200 and rate_headers(made)[:3] == (1, 1, 0)
    up = tenant.client.post(made.json()["uploadUrl"], files={"FileData": ("a.txt", b"hello", "text/plain")},
                            headers={"Authorization": f"Bearer {tenant.token}"})
    assert up.status_code == 200, up.text
    for _ in range(3):  # beyond the limit of 1: the 302 is not limited
        r = tenant.api("GET", f"/bots/{BOT_ID}/attachments/{made.json()['fileId']}")
        assert r.status_code == 302 and not any(h in r.headers for h in RATE_HEADERS)
    dl = tenant.client.get(r.headers["Location"])
    assert dl.content == b"hello" and not any(h in dl.headers for h in RATE_HEADERS)
    assert not any(h in up.headers for h in RATE_HEADERS)
    assert list(tenant.rate()["operations"]) == ["POST /v1.0/bots/<bot_id>/attachments"]


# --------------------------------------------------------------------------- time scale, settings


@READINGS
def test_a_time_scale_shrinks_the_window(tenant, window):
    tenant.settings(rateLimitWindow=window, timeScale=10, apiCallsPerMinute=3, channelCreatePerMinute=1)
    assert tenant.rate()["windowSeconds"] == 6
    with freeze_time(window_start(6)) as frozen:
        for i in range(1, 4):
            assert rate_headers(tenant.user()) == (i, 3, 3 - i, 6)  # wall seconds
        assert tenant.room().status_code == 201
        assert tenant.room().status_code == 429
        frozen.tick(5.5)
        r = tenant.user()
        assert r.status_code == 429 and rate_headers(r) == (3, 3, 0, 1)
        frozen.tick(0.5)
        assert tenant.user().status_code == 200
        assert tenant.room().status_code == 201


def test_a_time_scale_works_on_the_wall_clock(tenant):
    tenant.settings(rateLimitWindow="rolling", timeScale=60, apiCallsPerMinute=2)  # 2 calls a second
    assert tenant.token
    assert [tenant.user().status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(1.05)
    assert tenant.user().status_code == 200


def test_settings_defaults_and_checks(tenant):
    got = tenant.client.get("/_sandbox/settings").json()
    assert (got["apiCallsPerMinute"], got["channelCreatePerMinute"]) == (240, 10)
    assert (got["rateLimitWindow"], got["timeScale"]) == ("fixed", 1.0)
    for bad in ({"timeScale": 0.5}, {"rateLimitWindow": "sliding"}, {"apiCallsPerMinute": -1}):
        assert tenant.client.post("/_sandbox/settings", json=bad).status_code == 400
    tenant.settings(apiCallsPerMinute=0)  # off: no headers, but the platform still counts
    with freeze_time(window_start()):
        for _ in range(3):
            r = tenant.user()
            assert r.status_code == 200 and not any(h in r.headers for h in RATE_HEADERS)
    assert tenant.op(USERS_OP) == {"limit": 0, "calls": 3, "rejected": 0, "maxInWindow": 3}


# --------------------------------------------------------------------------- the platform's view, faults


def test_the_rate_endpoint_reports_each_reading_and_is_reset(tenant):
    tenant.settings(apiCallsPerMinute=3)
    with freeze_time(window_start(offset=50)) as frozen:
        for _ in range(2):
            tenant.user()
        frozen.tick(11)  # into the next fixed minute, 11 s after
        for _ in range(5):
            tenant.user()
    fixed = tenant.rate()
    assert fixed["window"] == "fixed" and fixed["timeScale"] == 1.0 and fixed["windowSeconds"] == 60
    assert fixed["operations"][USERS_OP] == {"limit": 3, "calls": 5, "rejected": 2, "maxInWindow": 3}
    tenant.settings(rateLimitWindow="rolling")  # the same calls: 5 within 11 s
    assert tenant.op(USERS_OP)["maxInWindow"] == 5
    assert tenant.client.delete("/_sandbox/rate").status_code == 200
    assert tenant.rate()["operations"] == {}
    tenant.user()
    assert tenant.client.post("/_sandbox/reset").status_code == 200
    assert tenant.rate() == {"window": "fixed", "timeScale": 1.0, "windowSeconds": 60.0, "operations": {}}


def test_an_injected_429_carries_the_operations_headers_and_is_not_counted(tenant):
    tenant.client.post("/_sandbox/faults", json=[
        {"path": "/v1.0/users/*", "status": 429}, {"path": "/v1.0/bots/*/channels", "status": 429}]
    ).raise_for_status()
    with freeze_time(window_start(offset=20)):
        r = tenant.user()
        assert r.status_code == 429 and r.json()["code"] == "TOO_MANY_REQUESTS"
        assert rate_headers(r) == (240, 240, 0, 40)
        assert rate_headers(tenant.room()) == (10, 10, 0, 40)
        assert rate_headers(tenant.user()) == (1, 240, 239, 40)  # the fault was used up, not counted
    assert tenant.op(USERS_OP) == {"limit": 240, "calls": 1, "rejected": 0, "maxInWindow": 1}

"""The API client's retry policy, against the sandbox's injected faults."""

from __future__ import annotations

import time

import pytest

from cxbot.works import messages as m
from cxbot.works.client import WorksApiError

pytestmark = pytest.mark.database


class RecordingSleep:
    """Really sleeps, and remembers for how long: the test checks the client honoured the header."""

    def __init__(self):
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        time.sleep(seconds)


def log(sandbox_http, path="/v1.0/*"):
    return sandbox_http.get("/_sandbox/requests", params={"path": path}).json()


@pytest.mark.parametrize("status", [401, 403])  # the error-code page's reading, and the official samples'
def test_an_expired_token_is_reissued_once_and_the_call_succeeds(make_ctx, sandbox_http, admin, status):
    ctx, _ = make_ctx()
    sandbox_http.post("/_sandbox/settings", json={"expiredTokenStatus": status}).raise_for_status()
    before = ctx.tokens.get(ctx.hub_app)
    sandbox_http.post("/_sandbox/tokens/expire")
    assert ctx.works.get_user(admin.user_id)["userId"] == admin.user_id
    assert [r["status"] for r in log(sandbox_http)] == [status, 200]
    assert ctx.tokens.get(ctx.hub_app) != before


def test_a_403_other_than_an_expired_token_is_final_and_names_the_platforms_code(make_ctx, sandbox_http, admin):
    ctx, _ = make_ctx()
    sandbox_http.post("/_sandbox/faults", json={"method": "GET", "path": "/v1.0/users/*", "status": 403, "times": 5})
    with pytest.raises(WorksApiError) as err:
        ctx.works.get_user(admin.user_id)
    assert (err.value.status, err.value.code) == (403, "FORBIDDEN")
    assert "FORBIDDEN" in str(err.value) and err.value.description in str(err.value)
    assert len(log(sandbox_http)) == 1  # neither renewed nor retried


def test_429_waits_as_rate_limit_reset_says(make_ctx, sandbox_http, admin):
    ctx, tenant = make_ctx()
    ctx.works.sleep = sleep = RecordingSleep()
    sandbox_http.post("/_sandbox/faults", json={
        "method": "POST", "path": "/v1.0/bots/*/users/*/messages", "status": 429, "times": 1,
        "headers": {"rateLimit-reset": "1", "rateLimit-limit": "240", "rateLimit-remaining": "0"}})
    ctx.works.send_to_user(tenant.bot_id, admin.user_id, m.text("after the limit"))
    assert sleep.calls == [1.0]
    assert [r["status"] for r in log(sandbox_http, "/v1.0/bots/*")] == [429, 201]


def test_5xx_is_retried_with_backoff(make_ctx, sandbox_http, admin):
    ctx, tenant = make_ctx()
    ctx.works.sleep = sleep = RecordingSleep()
    sandbox_http.post("/_sandbox/faults", json={
        "method": "POST", "path": "/v1.0/bots/*/users/*/messages", "status": 503, "times": 2})
    ctx.works.send_to_user(tenant.bot_id, admin.user_id, m.text("eventually"))
    assert len(sleep.calls) == 2 and all(0 <= s <= 20 for s in sleep.calls)
    assert [r["status"] for r in log(sandbox_http, "/v1.0/bots/*")] == [503, 503, 201]


def test_a_persistent_5xx_gives_up_after_the_last_try(make_ctx, sandbox_http, admin):
    ctx, tenant = make_ctx()
    ctx.works.sleep = lambda s: None
    sandbox_http.post("/_sandbox/faults", json={
        "method": "GET", "path": "/v1.0/users/*", "status": 500, "times": 50})
    with pytest.raises(WorksApiError) as err:
        ctx.works.get_user(admin.user_id)
    assert err.value.status == 500
    assert len(log(sandbox_http)) == ctx.works.attempts


def test_other_errors_carry_the_platforms_code_and_description(make_ctx, sandbox_http, admin):
    ctx, tenant = make_ctx()
    with pytest.raises(WorksApiError) as err:
        ctx.works.send_to_user(tenant.bot_id, admin.user_id, {"type": "text", "text": "x" * 2001})
    assert err.value.status == 400
    assert err.value.code and "2000" in err.value.description
    assert len(log(sandbox_http, "/v1.0/bots/*")) == 1  # not retried


def test_unknown_user_is_404(make_ctx):
    ctx, _ = make_ctx()
    with pytest.raises(WorksApiError) as err:
        ctx.works.get_user("nobody@nowhere.example")
    assert err.value.status == 404 and err.value.code == "NOT_FOUND"

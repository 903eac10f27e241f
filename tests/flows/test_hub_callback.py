"""POST /callback: refused requests store nothing; good ones are stored and acked."""

from __future__ import annotations

import json

import httpx
import pytest

from cxbot.base.signatures import sign

pytestmark = pytest.mark.database

EVENT = {"type": "message", "source": {"userId": "u-1", "domainId": 40029600},
         "issuedTime": "2026-11-24T05:16:05.716Z", "content": {"type": "text", "text": "hello"}}


def body_of(event=EVENT) -> bytes:
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


@pytest.fixture
def cx(make_wired):
    w = make_wired()
    # Keep the worker from consuming what these tests store, so the table shows exactly what was kept.
    w.runtime.stop_event.set()
    w.ctx.wakeup.set()
    for thread in w.runtime.worker_threads:
        thread.join(5)
    return w


def post(cx, body: bytes, headers: dict) -> httpx.Response:
    return httpx.post(f"{cx.url}/callback", content=body, headers={"Content-Type": "application/json", **headers})


def test_a_signed_event_is_stored_and_acknowledged(cx):
    body = body_of()
    resp = post(cx, body, {"X-WORKS-BotId": cx.tenant.bot_id, "X-WORKS-Signature": sign(cx.tenant.bot_secret, body)})
    assert resp.status_code == 200
    assert cx.ctx.inbox.count() == 1


def test_header_names_are_case_insensitive(cx):
    body = body_of()
    resp = post(cx, body, {"x-works-botid": cx.tenant.bot_id, "x-works-signature": sign(cx.tenant.bot_secret, body)})
    assert resp.status_code == 200


def test_the_same_body_delivered_twice_is_stored_once(cx):
    body = body_of()
    headers = {"X-WORKS-BotId": cx.tenant.bot_id, "X-WORKS-Signature": sign(cx.tenant.bot_secret, body)}
    assert post(cx, body, headers).status_code == 200
    assert post(cx, body, headers).status_code == 200
    assert cx.ctx.inbox.count() == 1


@pytest.mark.parametrize("case", ["forged", "missing", "wrong bot", "re-serialised body"])
def test_refused_requests_store_nothing(cx, case):
    body = body_of()
    good = sign(cx.tenant.bot_secret, body)
    headers = {"X-WORKS-BotId": cx.tenant.bot_id, "X-WORKS-Signature": good}
    if case == "forged":
        headers["X-WORKS-Signature"] = sign("not-the-bot-secret", body)
    elif case == "missing":
        del headers["X-WORKS-Signature"]
    elif case == "wrong bot":
        headers["X-WORKS-BotId"] = "2999999"
    else:
        # The signature covers the exact bytes: pretty-printing the same JSON breaks it.
        body = json.dumps(EVENT, indent=2, ensure_ascii=False).encode()
    resp = post(cx, body, headers)
    assert resp.status_code == 401
    assert "error" in resp.json()
    assert cx.ctx.inbox.count() == 0


def test_oversize_body_is_413(cx):
    big = body_of({**EVENT, "content": {"type": "text", "text": "x" * (1024 * 1024)}})
    resp = post(cx, big, {"X-WORKS-BotId": cx.tenant.bot_id, "X-WORKS-Signature": sign(cx.tenant.bot_secret, big)})
    assert resp.status_code == 413
    assert cx.ctx.inbox.count() == 0


@pytest.mark.parametrize("raw", [b"{not json", b"[1,2,3]", b'{"source":{}}', "\u3042".encode("shift_jis")])
def test_malformed_json_is_400(cx, raw):
    resp = post(cx, raw, {"X-WORKS-BotId": cx.tenant.bot_id, "X-WORKS-Signature": sign(cx.tenant.bot_secret, raw)})
    assert resp.status_code == 400
    assert cx.ctx.inbox.count() == 0


def test_healthz_reports_database_and_worker(make_wired):
    w = make_wired()
    resp = httpx.get(f"{w.url}/healthz")
    assert resp.status_code == 200
    body = resp.json()
    assert body["database"] == "ok"
    assert body["worker"]["alive"] is True

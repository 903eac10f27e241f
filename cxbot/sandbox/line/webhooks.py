"""Signed webhooks, sandbox -> bot server, as the LINE Platform sends them (reference A1, A2, A7).

- Body: compact JSON, UTF-8, `{"destination": <bot userId>, "events": [...]}`.
- Headers: `Content-Type: application/json; charset=utf-8`, `User-Agent: LineBotWebhook/2.0`,
  `x-line-signature` = base64(HMAC-SHA256(channel secret, raw body)).
- No answer within `webhook_timeout` (2 s) is a request timeout; any non-2xx is an error.
- Deliveries are synchronous (the control request waits and reports the outcome),
  never made while the world lock is held, and never retried on their own
  (`act/redeliver` resends an event with `isRedelivery: true`).

`test_delivery` is the Verify button / `POST /v2/bot/channel/webhook/test`: an empty
`events` array, reported as `{success, timestamp, statusCode, reason, detail}`.
"""

from __future__ import annotations

import copy

import httpx

from .. import outbound
from ..clock import iso_ms, now, now_ms
from ..signing import encode_body, sign
from .model import LineChannel, StoredEvent, ulid
from .state import LineWorld

USER_AGENT = "LineBotWebhook/2.0"


# --------------------------------------------------------------------------- events


def base_event(line: LineWorld, channel: LineChannel, kind: str, user_id: str, *, reply: bool) -> dict:
    """Common properties, in LINE's order; a reply token where the event type has one."""
    t = now()
    event: dict = {"type": kind, "mode": "active", "timestamp": int(t * 1000),
                   "source": {"type": "user", "userId": user_id},
                   "webhookEventId": ulid(), "deliveryContext": {"isRedelivery": False}}
    if reply:
        event["replyToken"] = line.issue_reply_token(channel.channel_id, user_id, t)
    return event


def remember(line: LineWorld, channel: LineChannel, event: dict) -> None:
    """Keep the event so `act/redeliver` can send it again."""
    with line.lock:
        line.events[event["webhookEventId"]] = StoredEvent(channel.channel_id, copy.deepcopy(event))


def redelivered(event: dict) -> dict:
    again = copy.deepcopy(event)
    again["deliveryContext"] = {"isRedelivery": True}
    return again


# --------------------------------------------------------------------------- delivery


CACHED_NO_URL = ("not sent: LINE still uses the webhook URL from before it was set through the API "
                 "(changes take up to 1 minute), and there was none")


def skip_reason(channel: LineChannel) -> str | None:
    if not channel.webhook_endpoint:
        return "not sent: the channel has no webhook URL"
    if not channel.use_webhook:
        return "not sent: 'Use webhook' is off for this channel"
    if not channel.endpoint_in_use():
        return CACHED_NO_URL
    return None


def deliver(line: LineWorld, channel: LineChannel, events: list[dict]) -> dict:
    """POST events to the channel's webhook if it is on; `{"sent", "status", "error"}`.
    Right after a URL change through the API they go to the URL LINE still has cached."""
    with line.lock:
        reason = skip_reason(channel)
        url, secret, destination = channel.endpoint_in_use(), channel.channel_secret, channel.bot_user_id
        timeout = line.settings.webhook_timeout
    body = {"destination": destination, "events": events}
    if reason:
        _log(line, channel, "events", url, body, None, reason, sent=False)
        return {"sent": False, "status": None, "error": reason}
    raw = encode_body(body)
    outcome = post(url, raw, sign(secret, raw), timeout)
    error = None if outcome["reason"] == "OK" else _error_text(outcome, url)
    _log(line, channel, "events", url, body, outcome["status"], error, sent=True, response=outcome.get("response"))
    return {"sent": True, "status": outcome["status"], "error": error}


def deliver_raw(line: LineWorld, channel: LineChannel, raw: bytes, body, *, secret: str | None = None) -> dict:
    """POST an exact body signed with the channel secret (or `secret`) to the webhook URL,
    even if 'Use webhook' is off (for signature tests)."""
    with line.lock:
        url = channel.endpoint_in_use()
        timeout = line.settings.webhook_timeout
        key = channel.channel_secret if secret is None else secret
    if not url:
        reason = CACHED_NO_URL if channel.webhook_endpoint else "not sent: the channel has no webhook URL"
        _log(line, channel, "raw", url, body, None, reason, sent=False)
        return {"sent": False, "status": None, "error": reason}
    outcome = post(url, raw, sign(key, raw), timeout)
    error = None if outcome["reason"] == "OK" else _error_text(outcome, url)
    _log(line, channel, "raw", url, body, outcome["status"], error, sent=True, response=outcome.get("response"))
    return {"sent": True, "status": outcome["status"], "error": error}


def test_delivery(line: LineWorld, channel: LineChannel, url: str) -> dict:
    """The Verify button: POST a signed `{"destination", "events": []}` and report as the test API does."""
    with line.lock:
        secret, destination = channel.channel_secret, channel.bot_user_id
        timeout = line.settings.webhook_timeout
    body = {"destination": destination, "events": []}
    raw = encode_body(body)
    started = now()
    outcome = post(url, raw, sign(secret, raw), timeout)
    result = {
        "success": outcome["reason"] == "OK",
        "timestamp": iso_ms(started),
        "statusCode": outcome["status"] if outcome["status"] is not None else 0,
        "reason": outcome["reason"],
        "detail": outcome["detail"],
    }
    error = None if result["success"] else _error_text(outcome, url)
    _log(line, channel, "verify", url, body, outcome["status"], error, sent=True, response=outcome.get("response"))
    return result


def post(url: str, raw: bytes, signature: str, timeout: float) -> dict:
    """One POST; `{"status", "reason", "detail"}` in the test API's terms."""
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "x-line-signature": signature,
    }
    try:
        resp = outbound.client.post(url, content=raw, headers=headers, timeout=httpx.Timeout(timeout))
    except httpx.ConnectTimeout:
        return {"status": None, "reason": "COULD_NOT_CONNECT", "detail": f"Connection timeout: {url}"}
    except httpx.TimeoutException:
        return {"status": None, "reason": "REQUEST_TIMEOUT", "detail": "Request timeout"}
    except httpx.ConnectError as exc:
        text = str(exc).lower()
        if "ssl" in text or "certificate" in text or "tls" in text:
            kind = "TLS handshake failure"
        elif "name or service" in text or "nodename" in text or "getaddrinfo" in text or "resolution" in text:
            kind = "Unknown host"
        else:
            kind = "Connection failed"
        return {"status": None, "reason": "COULD_NOT_CONNECT", "detail": f"{kind}: {url}"}
    except httpx.HTTPError:
        return {"status": None, "reason": "UNCLASSIFIED", "detail": "Unclassified webhook dispatch error"}
    if 200 <= resp.status_code < 300:
        return {"status": resp.status_code, "reason": "OK", "detail": str(resp.status_code),
                "response": resp.text[:500]}
    return {"status": resp.status_code, "reason": "ERROR_STATUS_CODE", "detail": str(resp.status_code),
            "response": resp.text[:500]}


def _error_text(outcome: dict, url: str) -> str:
    if outcome["reason"] == "ERROR_STATUS_CODE":
        return f"the bot server answered {outcome['status']}"
    if outcome["reason"] == "REQUEST_TIMEOUT":
        return f"no answer from {url} in time (request_timeout)"
    return f"{outcome['reason'].lower()}: {outcome['detail']}"


def _log(line: LineWorld, channel: LineChannel, kind: str, url: str, body, status, error, *, sent: bool,
         response: str | None = None) -> None:
    with line.lock:
        entry = {
            "id": len(line.webhook_log) + 1,
            "channelId": channel.channel_id,
            "kind": kind,
            "url": url or None,
            "body": body,
            "sent": sent,
            "status": status,
            "error": error,
            "timestamp": now_ms(),
        }
        if response:
            entry["response"] = response
        line.webhook_log.append(entry)

"""The LINE Messaging API client. Nothing else in cxbot builds LINE URLs.

    line = LineClient(access_token, api_url=settings.line_api_url, data_url=settings.line_data_url)
    line.bot_info()["userId"]
    line.push(user_id, [lm.text("回答です")], retry_key=str(outbox_row.retry_key))

Retry policy (reference A3): 429 (except the monthly quota, which no wait fixes),
5xx, timeouts and connection failures are retried with jittered exponential
backoff, honouring `Retry-After` when LINE sends it; 4xx errors raise at once as
`LineApiError` with LINE's `message` and `details`.

Push carries `X-Line-Retry-Key`. The caller persists the key with the outbound row,
so a retry (here or after a crash) never sends twice: LINE answers a repeated key
with 409 + `X-Line-Accepted-Request-Id`, which `push` reports as success with
`alreadyAccepted: True`.
"""

from __future__ import annotations

import json as jsonlib
import logging
import time
import uuid
from typing import Any, Callable
from urllib.parse import quote

import httpx

from cxbot.base.httpjson import json_object
from cxbot.base.retry import retrying
from cxbot.line.messages import check_messages

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.line.me"
DEFAULT_DATA_URL = "https://api-data.line.me"
# Never sleep longer than this on one 429 / 5xx, whatever Retry-After says.
MAX_RETRY_AFTER = 60.0
MONTHLY_LIMIT_MESSAGE = "You have reached your monthly limit."


class LineApiError(Exception):
    """A LINE API call failed. `status` is 0 when no HTTP answer came (timeout, refused)."""

    def __init__(self, status: int, message: str, details: list | None = None, *, method: str = "",
                 path: str = "", request_id: str | None = None):
        self.status = status
        self.message = message
        self.details = details or []
        self.method = method
        self.path = path
        self.request_id = request_id
        # Seconds LINE asked us to wait (Retry-After), when it said.
        self.retry_after: float | None = None
        text = f"LINE {method} {path} → {status}: {message}"
        if self.details:
            text += " (" + "; ".join(
                f"{d.get('property')}: {d.get('message')}" if d.get("property") else str(d.get("message"))
                for d in self.details if isinstance(d, dict)
            ) + ")"
        super().__init__(text)

    @property
    def retryable(self) -> bool:
        if self.status == 429:
            return self.message != MONTHLY_LIMIT_MESSAGE
        return self.status == 0 or self.status >= 500 or self.status == 202


def _error_from(resp: httpx.Response, method: str, path: str) -> LineApiError:
    body = json_object(resp)
    details = body.get("details") if isinstance(body.get("details"), list) else []
    err = LineApiError(
        resp.status_code,
        str(body.get("message") or resp.reason_phrase or "error"),
        details,
        method=method,
        path=path,
        request_id=resp.headers.get("X-Line-Request-Id"),
    )
    retry_after = resp.headers.get("Retry-After")
    if retry_after:
        try:
            err.retry_after = max(0.0, float(retry_after))
        except ValueError:
            err.retry_after = None
    return err


def _check_retry_key(retry_key) -> str:
    try:
        return str(uuid.UUID(str(retry_key)))
    except (TypeError, ValueError):
        raise ValueError(f"retry_key must be a UUID (got {retry_key!r})") from None


class LineClient:
    def __init__(
        self,
        access_token: str,
        api_url: str = DEFAULT_API_URL,
        data_url: str = DEFAULT_DATA_URL,
        http: httpx.Client | None = None,
        attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        backoff_max: float = 20.0,
    ):
        self.access_token = access_token
        self.api_url = api_url.rstrip("/")
        self.data_url = data_url.rstrip("/")
        self._own_http = http is None
        self.http = http or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0))
        self.attempts = attempts
        self.sleep = sleep
        self.backoff_max = backoff_max

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> "LineClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transport -------------------------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None, data_host: bool = False,
                headers: dict | None = None, ok: tuple[int, ...] = ()) -> httpx.Response:
        """Send with retries. `ok` lists extra statuses returned rather than raised."""
        retry = retrying(LineApiError, attempts=self.attempts, sleep=self.sleep, backoff_max=self.backoff_max,
                         asked_wait=lambda e: e.retry_after, most_wait=MAX_RETRY_AFTER)
        body = None
        if json is not None:
            # Serialised once: every retry sends the same bytes, as LINE requires with a retry key.
            body = jsonlib.dumps(json, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return retry(self._once, method, path, body, data_host, headers or {}, ok)

    def _once(self, method, path, body, data_host, extra_headers, ok) -> httpx.Response:
        base = self.data_url if data_host else self.api_url
        headers = {"Authorization": f"Bearer {self.access_token}", **extra_headers}
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            resp = self.http.request(method, f"{base}{path}", content=body, headers=headers)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            log.warning("LINE %s %s failed: %s; will retry", method, path, exc.__class__.__name__)
            raise LineApiError(0, f"{exc.__class__.__name__}: {exc}", method=method, path=path) from None
        if (resp.status_code < 300 and resp.status_code != 202) or resp.status_code in ok:
            return resp
        if resp.status_code == 202:
            err = LineApiError(202, "the content is still being prepared", method=method, path=path)
        else:
            err = _error_from(resp, method, path)
        if err.retryable:
            log.warning("LINE %s %s answered %s (%s); will retry", method, path, err.status, err.message)
        raise err

    def _json(self, method: str, path: str, **kw) -> dict:
        resp = self.request(method, path, **kw)
        if not resp.content:
            return {}
        data = resp.json()
        return data if isinstance(data, dict) else {"data": data}

    # -- bot and webhook settings -------------------------------------------------------

    def bot_info(self) -> dict:
        """`{userId, basicId, displayName, pictureUrl?, chatMode, markAsReadMode, premiumId?}`."""
        return self._json("GET", "/v2/bot/info")

    def get_webhook_endpoint(self) -> dict:
        """`{endpoint, active}`; LineApiError 404 when no URL is set."""
        return self._json("GET", "/v2/bot/channel/webhook/endpoint")

    def set_webhook_endpoint(self, url: str) -> None:
        self.request("PUT", "/v2/bot/channel/webhook/endpoint", json={"endpoint": url})

    def test_webhook_endpoint(self, url: str | None = None) -> dict:
        """`{success, timestamp, statusCode, reason, detail}` of a test delivery to `url`
        (or to the configured URL)."""
        return self._json("POST", "/v2/bot/channel/webhook/test", json={"endpoint": url} if url else {})

    # -- messages ------------------------------------------------------------------------

    def push(self, to: str, messages: list[dict], retry_key: str | uuid.UUID) -> dict:
        """Push messages; returns `{sentMessages, requestId, alreadyAccepted[, acceptedRequestId]}`.

        `alreadyAccepted` is True when LINE had accepted this retry key before (409):
        the messages were sent then, and are not sent again."""
        key = _check_retry_key(retry_key)
        check_messages(messages)
        resp = self.request("POST", "/v2/bot/message/push", json={"to": to, "messages": list(messages)},
                            headers={"X-Line-Retry-Key": key}, ok=(409,))
        body = resp.json() if resp.content else {}
        if not isinstance(body, dict):
            body = {}
        if resp.status_code == 409:
            accepted = resp.headers.get("X-Line-Accepted-Request-Id")
            if not accepted:
                # A 409 without the header is some other conflict, not our retry key.
                raise _error_from(resp, "POST", "/v2/bot/message/push")
            log.info("LINE push with retry key %s was already accepted (request %s)", key, accepted)
            return {"sentMessages": body.get("sentMessages") or [], "requestId": resp.headers.get("X-Line-Request-Id"),
                    "alreadyAccepted": True, "acceptedRequestId": accepted}
        return {"sentMessages": body.get("sentMessages") or [], "requestId": resp.headers.get("X-Line-Request-Id"),
                "alreadyAccepted": False}

    def reply(self, reply_token: str, messages: list[dict]) -> dict:
        """Reply with a webhook's reply token (single use, about a minute); `{sentMessages}`."""
        check_messages(messages)
        return self._json("POST", "/v2/bot/message/reply",
                          json={"replyToken": reply_token, "messages": list(messages)})

    # -- users and content ---------------------------------------------------------------

    def get_profile(self, user_id: str) -> dict:
        """`{userId, displayName, pictureUrl?, language?, statusMessage?}`; 404 if not a friend."""
        return self._json("GET", f"/v2/bot/profile/{quote(user_id, safe='')}")

    def get_content(self, message_id: str) -> tuple[bytes, str] | None:
        """(bytes, content type) of an image / video / audio / file a user sent (data host);
        None while LINE still prepares a large video or audio (202: ask `content_transcoding`)."""
        path = f"/v2/bot/message/{quote(str(message_id), safe='')}/content"
        resp = self.request("GET", path, data_host=True, ok=(202,))
        if resp.status_code == 202:
            return None
        return resp.content, resp.headers.get("Content-Type", "application/octet-stream")

    def content_transcoding(self, message_id: str) -> str:
        """How far LINE is in preparing a user's video or audio: processing, succeeded or failed."""
        path = f"/v2/bot/message/{quote(str(message_id), safe='')}/content/transcoding"
        return str(self._json("GET", path, data_host=True).get("status") or "")

"""The LINE WORKS API 2.0 client. Nothing else in cxbot builds LINE WORKS URLs.

Retry policy (reference §7): a 401 UNAUTHORIZED re-issues the token once and
retries; a 429 waits as `rateLimit-reset` says; 5xx and timeouts retry with
jittered exponential backoff; anything else raises WorksApiError with the
platform's `code` and `description`. With `rates`, every API call first takes its
place in the tenant's shared budget (works/rates.py): a call the budget has no place
for is a 429 of cxbot's own (`own_budget`), sent to nobody.
"""

from __future__ import annotations

import logging
import time
from email.header import decode_header, make_header
from email.message import Message as EmailHeaders
from email.utils import collapse_rfc2231_value
from typing import Any, Callable
from urllib.parse import quote

import httpx

from cxbot.base.httpjson import json_object
from cxbot.base.retry import retrying
from cxbot.works.auth import WorksApp
from cxbot.works.rates import BudgetSpent, WorksRates, operation
from cxbot.works.tokens import TokenStore

log = logging.getLogger(__name__)

# Never sleep longer than this on one 429, whatever the header says.
MAX_RATE_LIMIT_WAIT = 60.0


class WorksApiError(Exception):
    def __init__(self, status: int, code: str, description: str, method: str = "", path: str = ""):
        self.status = status
        self.code = code
        self.description = description
        self.method = method
        self.path = path
        # Seconds the platform asked us to wait (429 rateLimit-reset), when it said.
        self.reset_after: float | None = None
        self.own_budget = False  # refused by cxbot's budget before it was sent
        super().__init__(f"LINE WORKS {method} {path} → {status} {code}: {description}")

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500 or self.status == 0


def _error_from(resp: httpx.Response, method: str, path: str) -> WorksApiError:
    body = json_object(resp)
    return WorksApiError(
        resp.status_code,
        str(body.get("code") or resp.reason_phrase or "ERROR"),
        str(body.get("description") or resp.text[:300]),
        method,
        path,
    )


def disposition_filename(value: str) -> str | None:
    """The file name of a Content-Disposition header: `filename*=UTF-8''…` (RFC 6266/5987, preferred
    over the ASCII fallback), a quoted or bare `filename=`, or an encoded word inside it; no path."""
    if not value:
        return None
    header = EmailHeaders()
    header["Content-Disposition"] = value
    names = [v for k, v in header.get_params(header="content-disposition", failobj=[]) if k.lower() == "filename"]
    extended = [v for v in names if isinstance(v, tuple)]
    if extended:
        name = collapse_rfc2231_value(extended[0], errors="replace")
    elif names:
        name = str(make_header(decode_header(names[0]))) if "=?" in names[0] else names[0]
    else:
        return None
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


class WorksClient:
    def __init__(
        self,
        app: WorksApp,
        tokens: TokenStore,
        api_url: str,
        http: httpx.Client | None = None,
        attempts: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        backoff_max: float = 20.0,
        rates: WorksRates | None = None,
        patience: float = 0.0,
    ):
        self.app = app
        self.tokens = tokens
        self.api_url = api_url.rstrip("/")
        self.http = http or httpx.Client(timeout=httpx.Timeout(15.0, connect=5.0))
        self.attempts = attempts
        self.sleep = sleep
        self.backoff_max = backoff_max
        self.rates = rates
        self.patience = patience  # how long a call may wait for its place in the budget

    # -- transport -------------------------------------------------------------------

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                files: dict | None = None, url: str | None = None) -> httpx.Response:
        retry = retrying(WorksApiError, attempts=self.attempts, sleep=self.sleep, backoff_max=self.backoff_max,
                         asked_wait=lambda e: e.reset_after, most_wait=MAX_RATE_LIMIT_WAIT)
        return retry(self._once, method, path, json, params, files, url)

    def _once(self, method, path, json, params, files, url) -> httpx.Response:
        target = url or f"{self.api_url}{path}"
        token = self.tokens.get(self.app)
        # The file URLs are storage, not API operations: no budget, no rateLimit headers.
        op = operation(method, path) if self.rates is not None and url is None else None
        resp = self._counted(op, method, target, path, token, json, params, files)
        if resp.status_code in (401, 403) and self._code(resp) == "UNAUTHORIZED":
            # The token was revoked or expired early: one re-issue, then one more try. The
            # error-code page says 401; the official samples all check 403: either is taken.
            token = self.tokens.renew(self.app, stale=token)
            resp = self._counted(op, method, target, path, token, json, params, files)
        if resp.status_code < 400:
            return resp
        err = _error_from(resp, method, path)
        if resp.status_code == 429:
            reset = resp.headers.get("rateLimit-reset")
            try:
                err.reset_after = max(0.0, float(reset)) if reset else None
            except ValueError:
                err.reset_after = None
            log.warning("LINE WORKS rate limit on %s %s; reset in %s s", method, path, reset)
        elif resp.status_code >= 500:
            log.warning("LINE WORKS %s %s answered %s; will retry", method, path, resp.status_code)
        raise err

    def _counted(self, op, method, target, path, token, json, params, files) -> httpx.Response:
        if op is None:
            return self._send(method, target, path, token, json, params, files)
        try:
            left = self.rates.spend(op, self.patience)
        except BudgetSpent as spent:
            err = WorksApiError(429, "TOO_MANY_REQUESTS", f"cxbot's rate budget: {spent}", method, path)
            err.reset_after, err.own_budget = spent.wait, True
            raise err from None
        resp = self._send(method, target, path, token, json, params, files)
        self.rates.heard(op, resp.headers, resp.status_code, left)
        return resp

    def _send(self, method, target, path, token, json, params, files) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"}
        try:
            return self.http.request(method, target, json=json, params=params, files=files, headers=headers)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            raise WorksApiError(0, "UNREACHABLE", f"{exc.__class__.__name__}: {exc}", method, path) from None

    @staticmethod
    def _code(resp: httpx.Response) -> str:
        return str(json_object(resp).get("code", ""))

    def _json(self, method: str, path: str, **kw) -> dict:
        resp = self.request(method, path, **kw)
        return resp.json() if resp.content else {}

    # -- messages --------------------------------------------------------------------

    def send_to_user(self, bot_id: str | int, user_id: str, content: dict) -> None:
        self.request("POST", f"/bots/{bot_id}/users/{quote(str(user_id), safe='')}/messages", json={"content": content})

    def send_to_channel(self, bot_id: str | int, channel_id: str, content: dict) -> None:
        self.request("POST", f"/bots/{bot_id}/channels/{quote(str(channel_id), safe='')}/messages",
                     json={"content": content})

    # -- bots ------------------------------------------------------------------------

    def create_bot(self, bot: dict) -> dict:
        return self._json("POST", "/bots", json=bot)

    def get_bot(self, bot_id: str | int) -> dict:
        return self._json("GET", f"/bots/{bot_id}")

    def list_bots(self) -> list[dict]:
        return self._paged("/bots", "bots")

    def patch_bot(self, bot_id: str | int, changes: dict) -> dict:
        return self._json("PATCH", f"/bots/{bot_id}", json=changes)

    def delete_bot(self, bot_id: str | int) -> None:
        self.request("DELETE", f"/bots/{bot_id}")

    def register_bot_domain(self, bot_id: str | int, domain_id: str | int, visible: bool = True,
                            allow_to_selected_member: bool = False) -> dict:
        return self._json("POST", f"/bots/{bot_id}/domains/{domain_id}",
                          json={"visible": visible, "allowToSelectedMember": allow_to_selected_member})

    # -- channels (message rooms) ----------------------------------------------------

    def create_channel(self, bot_id: str | int, members: list[str], title: str) -> dict:
        return self._json("POST", f"/bots/{bot_id}/channels", json={"members": members, "title": title})

    def get_channel(self, bot_id: str | int, channel_id: str) -> dict:
        return self._json("GET", f"/bots/{bot_id}/channels/{quote(channel_id, safe='')}")

    def channel_members(self, bot_id: str | int, channel_id: str) -> list[str]:
        return self._paged(f"/bots/{bot_id}/channels/{quote(channel_id, safe='')}/members", "members")

    def leave_channel(self, bot_id: str | int, channel_id: str) -> None:
        self.request("DELETE", f"/bots/{bot_id}/channels/{quote(channel_id, safe='')}")

    def _paged(self, path: str, key: str) -> list:
        items: list = []
        cursor = None
        while True:
            params = {"count": 100}
            if cursor:
                params["cursor"] = cursor
            body = self._json("GET", path, params=params)
            items.extend(body.get(key, []))
            cursor = (body.get("responseMetaData") or {}).get("nextCursor")
            if not cursor:
                return items

    # -- users -----------------------------------------------------------------------

    def get_user(self, user_id: str) -> dict:
        return self._json("GET", f"/users/{quote(user_id, safe='')}")

    # -- attachments -----------------------------------------------------------------

    def create_attachment(self, bot_id: str | int, file_name: str) -> dict:
        return self._json("POST", f"/bots/{bot_id}/attachments", json={"fileName": file_name})

    def upload_attachment(self, bot_id: str | int, file_name: str, data: bytes,
                          content_type: str = "application/octet-stream") -> str:
        """Create an attachment slot, upload the bytes to it, return the fileId."""
        slot = self.create_attachment(bot_id, file_name)
        self.request("POST", "/attachments/upload", url=slot["uploadUrl"],
                     files={"FileData": (file_name, data, content_type)})
        return slot["fileId"]

    def download_attachment(self, bot_id: str | int, file_id: str) -> tuple[bytes, str, str | None]:
        """(bytes, content type, file name) of a file a user sent; follows the documented 302."""
        resp = self.request("GET", f"/bots/{bot_id}/attachments/{quote(file_id, safe='')}")
        if resp.status_code == 302:
            resp = self.request("GET", "/attachments/download", url=resp.headers["Location"])
        name = disposition_filename(resp.headers.get("Content-Disposition", ""))
        return resp.content, resp.headers.get("Content-Type", "application/octet-stream"), name

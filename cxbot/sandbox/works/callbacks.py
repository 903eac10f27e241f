"""Signed callback delivery, sandbox -> bot server, as LINE WORKS does it (reference §2).

- Body: compact JSON, UTF-8, no ASCII escaping.
- Headers: `Content-Type: application/json; charset=UTF-8`, `X-WORKS-BotId`,
  `X-WORKS-Signature` = base64(HMAC-SHA256(bot secret, raw body)).
- No retries. Failures (refused, timeout) are reported, never raised.

All deliveries of a world go through one worker thread, in order, so that a `begin`
queued by an API call arrives before the `message` a user sends right after.
Events caused by a user (control API `act/*`) wait for their delivery and report its
HTTP status; events caused by an API call (`join`, `joined`, `leave`, `begin` on a
bot's first message) are delivered in the background, as the real platform does,
so that a bot server calling the API inside its own callback handler never waits on
itself. `Deliverer.wait_idle()` lets tests wait for those.

The signature is the sandbox's own (signing.py), written from the docs.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from .. import outbound
from ..clock import iso_ms, now
from ..signing import encode_body, sign
from .model import Bot


def envelope(event_type: str, *, domain_id: int, user_id: str | None = None,
             channel_id: str | None = None, **fields) -> dict:
    """`{"type", "source": {"userId"?, "channelId"?, "domainId"}, "issuedTime", ...}`."""
    source: dict = {}
    if user_id is not None:
        source["userId"] = user_id
    if channel_id is not None:
        source["channelId"] = channel_id
    source["domainId"] = domain_id
    return {"type": event_type, "source": source, "issuedTime": iso_ms(now()), **fields}


def skip_reason(bot: Bot, event_type: str | None, content_type: str | None = None) -> str | None:
    """Why LINE WORKS would not send this event to the bot, or None if it would."""
    if bot.deleted:
        return "not sent: the bot was deleted"
    if not bot.enable_callback:
        return "not sent: the bot's enableCallback is off"
    if not bot.callback_url:
        return "not sent: the bot has no callbackUrl"
    if event_type is not None and event_type not in bot.channel_events:
        return f"not sent: event type {event_type!r} is not in the bot's channelEvents {bot.channel_events}"
    if content_type is not None and content_type not in bot.callback_events:
        return f"not sent: message type {content_type!r} is not in the bot's callbackEvents {bot.callback_events}"
    return None


@dataclass
class _Job:
    bot_id: int
    url: str
    secret: str
    body: bytes
    obj: object
    timeout: float
    done: threading.Event = field(default_factory=threading.Event)
    result: dict | None = None


class CallbackHost(Protocol):
    """What a deliverer needs of the state that owns it (state.WorksWorld)."""

    lock: threading.RLock
    settings: Any  # its callback_timeout, in seconds

    def log_callback(self, entry: dict) -> None: ...


class Deliverer:
    def __init__(self, world: CallbackHost):
        self.world = world
        self._cond = threading.Condition()
        self._queue: deque[_Job] = deque()
        self._pending = 0
        self._running = False

    # ------------------------------------------------------------------ public

    def send_event(self, bot: Bot, event: dict, *, wait: bool, content_type: str | None = None) -> dict:
        """Deliver `event` to `bot` if the bot subscribes to it.

        Returns `{"sent", "status", "error"}`; with wait=False `status` is None and
        the outcome shows up later in the callback log.
        """
        with self.world.lock:
            reason = skip_reason(bot, event.get("type"), content_type)
            if reason:
                self._log(bot.bot_id, bot.callback_url, event, None, reason, sent=False)
                return {"sent": False, "status": None, "error": reason}
            job = _Job(bot.bot_id, bot.callback_url, bot.secret, encode_body(event), event,
                       float(self.world.settings.callback_timeout))
        return self._submit(job, wait)

    def send_raw(self, bot: Bot, body: dict | str, *, secret: str | None = None) -> dict:
        """Sign and POST a JSON object (compact) or an exact text body to the bot's
        callbackUrl, ignoring its subscriptions; `secret` overrides the bot secret."""
        with self.world.lock:
            if not bot.callback_url:
                reason = "not sent: the bot has no callbackUrl"
                self._log(bot.bot_id, "", body, None, reason, sent=False)
                return {"sent": False, "status": None, "error": reason}
            raw = body.encode("utf-8") if isinstance(body, str) else encode_body(body)
            job = _Job(bot.bot_id, bot.callback_url, secret if secret is not None else bot.secret, raw, body,
                       float(self.world.settings.callback_timeout))
        return self._submit(job, wait=True)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery has finished; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._pending == 0, timeout)

    # ------------------------------------------------------------------ worker

    def _submit(self, job: _Job, wait: bool) -> dict:
        with self._cond:
            self._queue.append(job)
            self._pending += 1
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name="sandbox-callbacks", daemon=True).start()
        if not wait:
            return {"sent": True, "status": None, "error": None, "queued": True}
        # The job's own timeout bounds the POST; allow for jobs queued ahead of it.
        if not job.done.wait(timeout=job.timeout * 6 + 5):
            return {"sent": True, "status": None, "error": "delivery did not finish in time (queue busy)"}
        return job.result

    def _run(self) -> None:
        while True:
            with self._cond:
                if not self._queue:
                    self._running = False
                    self._cond.notify_all()
                    return
                job = self._queue.popleft()
            try:
                job.result = self._post(job)
            except Exception as exc:  # noqa: BLE001 - never let the worker die
                job.result = {"sent": True, "status": None, "error": f"delivery failed: {exc!r}"}
            self._log(job.bot_id, job.url, job.obj, job.result["status"], job.result["error"], sent=True,
                      response=job.result.pop("_response", None))
            job.done.set()
            with self._cond:
                self._pending -= 1
                self._cond.notify_all()

    @staticmethod
    def _post(job: _Job) -> dict:
        headers = {
            "Content-Type": "application/json; charset=UTF-8",
            "X-WORKS-BotId": str(job.bot_id),
            "X-WORKS-Signature": sign(job.secret, job.body),
        }
        try:
            resp = outbound.client.post(job.url, content=job.body, headers=headers, timeout=job.timeout)
        except httpx.ConnectError as exc:
            return {"sent": True, "status": None, "error": f"could not connect to {job.url}: {exc}"}
        except httpx.TimeoutException:
            return {"sent": True, "status": None, "error": f"no answer from {job.url} within {job.timeout:g} s"}
        except httpx.HTTPError as exc:
            return {"sent": True, "status": None, "error": f"request to {job.url} failed: {exc!r}"}
        error = None if 200 <= resp.status_code < 300 else f"the bot server answered {resp.status_code}"
        return {"sent": True, "status": resp.status_code, "error": error, "_response": resp.text[:500]}

    def _log(self, bot_id: int, url: str, obj, status, error, *, sent: bool, response: str | None = None) -> None:
        entry = {
            "botId": bot_id,
            "url": url,
            "type": obj.get("type") if isinstance(obj, dict) else None,
            "body": obj,
            "sent": sent,
            "status": status,
            "error": error,
            "time": now(),
        }
        if response:
            entry["response"] = response
        self.world.log_callback(entry)

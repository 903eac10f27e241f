"""The LINE Messaging API, as the sandbox serves it (reference A2, A3).

    BASE/line/v2/bot/info                          GET
    BASE/line/v2/bot/channel/webhook/endpoint      GET, PUT  (PUT sets the URL only, and is cached)
    BASE/line/v2/bot/channel/webhook/test          POST   (really POSTs to the endpoint)
    BASE/line/v2/bot/message/push                  POST   (X-Line-Retry-Key)
    BASE/line/v2/bot/message/reply                 POST
    BASE/line/v2/bot/profile/<userId>              GET
    BASE/line-data/...                             content.py (the data host)

cxbot is pointed here with CXBOT_LINE_API_URL=BASE/line and CXBOT_LINE_DATA_URL=BASE/line-data.
Every call needs `Authorization: Bearer <channel access token>`; the token names the
channel. "Use webhook" is a console switch no API turns on (`GET .../endpoint` reports
it as `active`); a URL set with `PUT .../endpoint` is read back at once but LINE goes on
sending events, and `POST .../test` without `endpoint`, to the URL from before for
`endpointCacheSeconds` (60: "up to 1 minute"; 0: at once). Errors are LINE's
`{"message", "details"?}`; every response carries `X-Line-Request-Id`. These paths share
the sandbox's request log and fault injection.
"""

from __future__ import annotations

import json
import time
import uuid

from flask import Blueprint, Flask, current_app, g, jsonify, request

from ..clock import now
from . import media_check
from .model import (
    TO_RE,
    USER_ID_RE,
    AcceptedPush,
    ChatEntry,
    LineChannel,
    new_quote_token,
    new_request_id,
)
from .state import LineWorld
from .validate import Checker, endpoint_problem, quote_token_for
from .webhooks import test_delivery

API_PREFIX = "/line"
DATA_PREFIX = "/line-data"
PREFIXES = (API_PREFIX + "/", DATA_PREFIX + "/")
MAX_BODY = 2 * 1024 * 1024

INVALID_TOKEN = ("Authentication failed due to the following reason: invalid token. "
                 "Confirm that the access token in the authorization header is valid.")
MISSING_TOKEN = "Authorization header required. Must follow the scheme, 'Authorization: Bearer <ACCESS TOKEN>'"
RATE_LIMITED = "The API rate limit has been exceeded. Try again later."

FAULT_MESSAGES = {
    400: "The request body has 1 error(s)",
    401: INVALID_TOKEN,
    403: "Access to this API is not available for your account",
    404: "Not found",
    409: "The retry key is already accepted",
    410: "The content is gone",
    413: "Request Entity Too Large",
    415: "The content type, application/octet-stream, is not supported",
    429: RATE_LIMITED,
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}

bp = Blueprint("sandbox_line_api", __name__, url_prefix=API_PREFIX)


class LineError(Exception):
    """An answer in the Messaging API's error shape."""

    def __init__(self, status: int, message: str, details: list | None = None, headers: dict | None = None,
                 **extra):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []
        self.headers = headers or {}
        self.extra = extra

    def response(self):
        body: dict = {"message": self.message}
        if self.details:
            body["details"] = self.details
        body.update(self.extra)
        resp = jsonify(body)
        resp.status_code = self.status
        for name, value in self.headers.items():
            resp.headers[name] = str(value)
        return resp


def line_world() -> LineWorld:
    return current_app.world.line


def is_line_path(path: str) -> bool:
    return path.startswith(PREFIXES)


# --------------------------------------------------------------------------- plumbing


def require_channel() -> LineChannel:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if not header or scheme.lower() != "bearer" or not value.strip():
        raise LineError(401, MISSING_TOKEN)
    channel = line_world().channel_by_token(value.strip())
    if channel is None:
        raise LineError(401, INVALID_TOKEN)
    return channel


def json_body(*, empty_ok: bool = False) -> dict:
    raw = request.get_data(cache=True)
    if not raw and empty_ok:
        return {}
    ctype = request.mimetype or ""
    if ctype != "application/json":
        raise LineError(415, f"The content type, {request.content_type or 'none'}, is not supported")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise LineError(400, "The request body could not be parsed as JSON (line: 1, column: 1)") from None
    except json.JSONDecodeError as exc:
        raise LineError(400, f"The request body could not be parsed as JSON (line: {exc.lineno}, column: {exc.colno})") from None
    if not isinstance(data, dict):
        raise LineError(400, "The request body could not be parsed as JSON (line: 1, column: 1)")
    return data


def body_errors(checker: Checker) -> None:
    if checker.details:
        n = len(checker.details)
        raise LineError(400, f"The request body has {n} error(s)", checker.details)


def fault_response(fault):
    body = fault.body
    if body is None:
        body = {"message": FAULT_MESSAGES.get(fault.status, f"Injected fault {fault.status}")}
    resp = jsonify(body)
    resp.status_code = fault.status
    for name, value in fault.headers.items():
        resp.headers[name] = str(value)
    return resp


def install_hooks(app: Flask) -> None:
    """Faults, the request log, size limit, unknown paths and X-Line-Request-Id for LINE paths."""

    @app.before_request
    def _line_before():
        if not is_line_path(request.path):
            return None
        g.sandbox_platform = True  # traffic.py's after_request logs it
        g.line_request_id = new_request_id()
        fault = app.world.traffic.take_fault(request.method, request.path)
        if fault is not None:
            g.sandbox_fault = fault.fault_id
            return fault_response(fault)
        if (request.content_length or 0) > MAX_BODY:
            return LineError(413, "Request Entity Too Large").response()
        exc = request.routing_exception
        if exc is not None:
            status = getattr(exc, "code", 404) or 404
            message = "Not found" if status == 404 else f"{getattr(exc, 'name', 'Error')}: {request.method} {request.path}"
            return LineError(status, message).response()
        return None

    @app.after_request
    def _line_after(resp):
        if is_line_path(request.path):
            resp.headers.setdefault("X-Line-Request-Id", g.get("line_request_id") or new_request_id())
        return resp

    app.register_error_handler(LineError, lambda exc: exc.response())


# --------------------------------------------------------------------------- bot info, webhook settings


@bp.get("/v2/bot/info")
def bot_info():
    channel = require_channel()
    with line_world().lock:
        return jsonify(channel.bot_info())


@bp.get("/v2/bot/channel/webhook/endpoint")
def get_webhook_endpoint():
    channel = require_channel()
    with line_world().lock:
        if not channel.webhook_endpoint:
            raise LineError(404, "Webhook endpoint not found")
        return jsonify({"endpoint": channel.webhook_endpoint, "active": channel.use_webhook})


def _endpoint_from(data: dict) -> str:
    url = data.get("endpoint")
    if not isinstance(url, str) or endpoint_problem(url, allow_http=current_app.world.settings.allow_http_urls):
        raise LineError(400, "Invalid webhook endpoint URL")
    return url


@bp.put("/v2/bot/channel/webhook/endpoint")
def set_webhook_endpoint():
    channel = require_channel()
    url = _endpoint_from(json_body())
    # The URL only: "Use webhook" stays as the console has it. LINE may go on using the old
    # URL for up to a minute (LineSettings.endpoint_cache_seconds).
    line_world().set_endpoint_by_api(channel, url)
    return jsonify({})


@bp.post("/v2/bot/channel/webhook/test")
def test_webhook_endpoint():
    channel = require_channel()
    data = json_body(empty_ok=True)
    line = line_world()
    with line.lock:
        if "endpoint" in data and data["endpoint"] is not None:
            url = _endpoint_from(data)
        elif channel.endpoint_in_use():
            # "The configured one" is what LINE has cached: right after a PUT, maybe the old URL.
            url = channel.endpoint_in_use()
        else:
            raise LineError(404, "Webhook endpoint not found")
        t = now()
        while channel.test_calls and channel.test_calls[0] <= t - 3600:
            channel.test_calls.popleft()
        if len(channel.test_calls) >= line.settings.test_webhook_per_hour:
            raise LineError(429, RATE_LIMITED)
        channel.test_calls.append(t)
    return jsonify(test_delivery(line, channel, url))


# --------------------------------------------------------------------------- messages


def _sent_messages(line: LineWorld, messages: list[dict]) -> list[dict]:
    sent = []
    for msg in messages:
        item = {"id": line.new_message_id()}
        if quote_token_for(msg):
            item["quoteToken"] = new_quote_token()
        sent.append(item)
    return sent


def _record(line: LineWorld, channel: LineChannel, user_id: str | None, messages: list[dict], sent: list[dict],
            via: str, delivered: bool, request_id: str) -> list[ChatEntry]:
    """Called with the lock held: the OA's messages enter the user's chat (if delivered)."""
    entries = []
    for msg, item in zip(messages, sent):
        shown = {"id": item["id"], **msg}
        if delivered and user_id:
            entries.append(line.add_chat(channel.channel_id, user_id, "bot", shown, via=via))
        line.sent_log.append({"channelId": channel.channel_id, "to": user_id, "via": via, "requestId": request_id,
                              "message": shown, "delivered": delivered, "timestamp": int(now() * 1000)})
    return entries


def _look_at_media(line: LineWorld, entries: list[ChatEntry]) -> None:
    """The user's app fetches the files of what it got (outside the lock: the URLs may be
    served by the very bot server that is waiting for this answer)."""
    for entry in entries:
        found = media_check.problems(entry.message)
        if found:
            with line.lock:
                entry.problems = found


@bp.post("/v2/bot/message/push")
def push():
    channel = require_channel()
    line = line_world()
    if line.settings.push_delay:
        time.sleep(line.settings.push_delay)
    key = request.headers.get("X-Line-Retry-Key")
    if key is not None:
        try:
            uuid.UUID(key.strip())
        except ValueError:
            raise LineError(400, "The value of the X-Line-Retry-Key header is invalid. Specify a UUID.") from None
        key = key.strip().lower()
    data = json_body()
    with line.lock:
        if key is not None:
            accepted = line.accepted_push(channel, key)
            if accepted is not None:
                raise LineError(409, "The retry key is already accepted",
                                headers={"X-Line-Accepted-Request-Id": accepted.request_id},
                                sentMessages=accepted.sent_messages)
        checker = Checker(allow_http_urls=current_app.world.settings.allow_http_urls)
        to = data.get("to")
        if to is None or to == "":
            checker.fail("to", "May not be empty")
        elif not isinstance(to, str) or not TO_RE.match(to):
            checker.fail("to", "Must be a valid user, group or room ID")
        checker.messages(data.get("messages"))
        if "notificationDisabled" in data and not isinstance(data["notificationDisabled"], bool):
            checker.fail("notificationDisabled", "Must be a boolean")
        body_errors(checker)
        if to.startswith("U"):
            if to not in line.users:
                raise LineError(400, "Failed to send messages")
            # Blocked or never-met users: LINE answers 200 and delivers nothing.
            delivered = line.friendship(channel.channel_id, to).reachable
        else:
            raise LineError(400, "Failed to send messages")  # the sandbox has no groups or rooms
        messages = data["messages"]
        sent = _sent_messages(line, messages)
        request_id = g.line_request_id
        entries = _record(line, channel, to, messages, sent, "push", delivered, request_id)
        if key is not None:
            channel.retry_keys[key] = AcceptedPush(request_id, sent, now())
    _look_at_media(line, entries)
    return jsonify({"sentMessages": sent})


@bp.post("/v2/bot/message/reply")
def reply():
    channel = require_channel()
    line = line_world()
    if request.headers.get("X-Line-Retry-Key") is not None:
        raise LineError(400, "The X-Line-Retry-Key header is not supported for this API")
    data = json_body()
    checker = Checker(allow_http_urls=current_app.world.settings.allow_http_urls)
    token = data.get("replyToken")
    if not isinstance(token, str) or not token:
        checker.fail("replyToken", "May not be empty")
    checker.messages(data.get("messages"))
    if "notificationDisabled" in data and not isinstance(data["notificationDisabled"], bool):
        checker.fail("notificationDisabled", "Must be a boolean")
    body_errors(checker)
    with line.lock:
        rt = line.take_reply_token(channel.channel_id, token)
        if rt is None:
            raise LineError(400, "Invalid reply token")
        delivered = line.friendship(channel.channel_id, rt.user_id).status != "blocked"
        messages = data["messages"]
        sent = _sent_messages(line, messages)
        entries = _record(line, channel, rt.user_id, messages, sent, "reply", delivered, g.line_request_id)
    _look_at_media(line, entries)
    return jsonify({"sentMessages": sent})


# --------------------------------------------------------------------------- users, content


@bp.get("/v2/bot/profile/<user_id>")
def profile(user_id: str):
    channel = require_channel()
    line = line_world()
    if not USER_ID_RE.match(user_id):
        raise LineError(400, "Invalid userId")
    with line.lock:
        user = line.users.get(user_id)
        if user is None or not line.friendship(channel.channel_id, user_id).reachable:
            raise LineError(404, "Not found")
        return jsonify(user.profile())

"""The LINE part of the control API, under `/_sandbox/line/`. JSON in, JSON out;
errors are `{"error": "...", ...}` with a 4xx status, as in the rest of `/_sandbox`.

World setup
    POST /_sandbox/line/channels            {channelId?, channelSecret?, accessToken?, basicId?, botUserId?,
                                              displayName, pictureUrl?, webhookEndpoint?, useWebhook?,
                                              webhookRedelivery?, premiumId?, autoReply?, greeting?} -> 201
    GET  /_sandbox/line/channels            GET /_sandbox/line/channels/<channelId>
    POST /_sandbox/line/channels/<channelId>/token              reissue the access token (the old one stops working)
    POST /_sandbox/line/users               {userId?, displayName, pictureUrl?, language?, statusMessage?} (or an array) -> 201
    GET  /_sandbox/line/users
    GET/POST /_sandbox/line/settings        {webhookTimeout, replyTokenLifetime, testWebhookPerHour, pushDelay,
                                              endpointCacheSeconds}

LINE Developers console (a new channel has "Use webhook" and "Webhook redelivery" off)
    POST /_sandbox/line/console/webhook     {channelId, endpoint?, useWebhook?, webhookRedelivery?}
    POST /_sandbox/line/console/verify      {channelId} -> {success, timestamp, statusCode, reason, detail}

LINE Official Account Manager (a new account has 応答メッセージ and あいさつメッセージ on: the
account answers a message, and greets a new friend, by itself besides the bot)
    POST /_sandbox/line/oam/settings        {channelId, premiumId?, autoReply?, greeting?}

Acting as a LINE user (each delivers the webhook and reports {sent, status, error})
    POST /_sandbox/line/act/follow          {channelId, userId}
    POST /_sandbox/line/act/unfollow        {channelId, userId}
    POST /_sandbox/line/act/message         {channelId, userId, message}
        media: {type, dataBase64, contentType?, fileName?, duration?, transcoding?: processing|failed}
        or LINE-external media: {type, contentProvider: {type: external, originalContentUrl, previewImageUrl?}}
    POST /_sandbox/line/act/unsend          {channelId, userId, messageId}   (its content answers 410 after)
    POST /_sandbox/line/act/batch           {channelId, events: [{userId, message} | {userId, type}]}
    POST /_sandbox/line/act/redeliver       {channelId?, webhookEventId | webhookEventIds}  (409 while the
                                              channel's "Webhook redelivery" is off)
    POST /_sandbox/line/act/raw             {channelId, body | text, signWith?}

Inspecting
    GET  /_sandbox/line/chats?channelId=&userId=[&after=seq]   the conversation as the user sees it
    GET  /_sandbox/line/content/<messageId>                    bytes a user sent (for the page)
    POST /_sandbox/line/content/<messageId>/transcoding        {status: processing|succeeded|failed}
    GET/DELETE /_sandbox/line/webhooks[?channelId=&kind=]      webhooks sent (or not sent, and why)
    GET  /_sandbox/line/sent[?channelId=&to=]                  messages the OA sent via push / reply
    GET  /_sandbox/line/state
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, current_app, jsonify, request

from ..errors import ControlError, control_errors, settings_routes
from ..errors import created as _created
from ..errors import json_body as _body
from . import acts
from .state import ChannelConflict, LineWorld
from .validate import endpoint_problem
from .webhooks import test_delivery

bp = Blueprint("sandbox_line_control", __name__, url_prefix="/_sandbox/line")


def _line() -> LineWorld:
    return current_app.world.line


control_errors(bp)
settings_routes(bp, _line)


@bp.errorhandler(ChannelConflict)
def _conflict(exc: ChannelConflict):
    return ControlError(409, str(exc)).response()


# --------------------------------------------------------------------------- setup


@bp.post("/channels")
def add_channel():
    data = _body()
    known = {"channelId", "channelSecret", "accessToken", "basicId", "botUserId", "displayName", "pictureUrl",
             "webhookEndpoint", "useWebhook", "webhookRedelivery", "premiumId", "autoReply", "greeting"}
    unknown = set(data) - known
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}", known=sorted(known))
    channel = _line().add_channel(
        channel_id=data.get("channelId"),
        channel_secret=data.get("channelSecret"),
        access_token=data.get("accessToken"),
        basic_id=data.get("basicId"),
        bot_user_id=data.get("botUserId"),
        display_name=data.get("displayName"),
        picture_url=data.get("pictureUrl"),
        webhook_endpoint=data.get("webhookEndpoint"),
        use_webhook=data.get("useWebhook"),
        webhook_redelivery=data.get("webhookRedelivery"),
        premium_id=data.get("premiumId"),
        auto_reply=data.get("autoReply"),
        greeting=data.get("greeting"),
    )
    with _line().lock:
        return _created(channel.to_json())


@bp.get("/channels")
def list_channels():
    with _line().lock:
        return jsonify([c.to_json() for c in _line().channels.values()])


@bp.get("/channels/<channel_id>")
def get_channel(channel_id: str):
    channel = acts.get_channel(_line(), channel_id)
    with _line().lock:
        return jsonify(channel.to_json())


@bp.post("/channels/<channel_id>/token")
def reissue_token(channel_id: str):
    line = _line()
    channel = acts.get_channel(line, channel_id)
    line.reissue_token(channel)
    with line.lock:
        return jsonify(channel.to_json())


def _add_user(data) -> dict:
    if not isinstance(data, dict):
        raise ControlError(400, "each user must be a JSON object")
    user = _line().add_user(user_id=data.get("userId"), display_name=data.get("displayName"),
                            picture_url=data.get("pictureUrl"), language=data.get("language", "ja"),
                            status_message=data.get("statusMessage"))
    return user.to_json()


@bp.post("/users")
def add_users():
    data = _body((dict, list))
    if isinstance(data, list):
        return _created([_add_user(item) for item in data])
    return _created(_add_user(data))


@bp.get("/users")
def list_users():
    with _line().lock:
        return jsonify([u.to_json() for u in _line().users.values()])


# --------------------------------------------------------------------------- console


@bp.post("/console/webhook")
def console_webhook():
    """What the admin does on the Messaging API tab: paste the Webhook URL, switch 'Use webhook'
    and 'Webhook redelivery'."""
    line = _line()
    data = _body()
    channel = acts.get_channel(line, data.get("channelId"))
    endpoint = data.get("endpoint")
    use = data.get("useWebhook")
    redelivery = data.get("webhookRedelivery")
    if endpoint is None and use is None and redelivery is None:
        raise ControlError(400, "give endpoint (the Webhook URL), useWebhook and/or webhookRedelivery (true/false)")
    if use is True and not (endpoint or channel.webhook_endpoint):
        raise ControlError(400, "set a Webhook URL before turning 'Use webhook' on", code="no_webhook_url")
    allow_http = line.world.settings.allow_http_urls
    if isinstance(endpoint, str) and endpoint and (problem := endpoint_problem(endpoint, allow_http=allow_http)):
        raise ControlError(400, f"Invalid webhook endpoint URL: {problem}", code="invalid_webhook_url")
    line.set_webhook(channel, endpoint, use, redelivery)
    with line.lock:
        return jsonify(channel.to_json())


@bp.post("/oam/settings")
def oam_settings():
    """LINE Official Account Manager: the premium ID bought for the account, and its 応答設定."""
    line = _line()
    data = _body()
    channel = acts.get_channel(line, data.get("channelId"))
    fields = {"premiumId": "premium_id", "autoReply": "auto_reply", "greeting": "greeting"}
    unknown = set(data) - set(fields) - {"channelId"}
    if unknown:
        raise ControlError(400, f"unknown field(s): {', '.join(sorted(unknown))}", known=sorted(fields))
    if not set(data) & set(fields):
        raise ControlError(400, "give premiumId, autoReply and/or greeting")
    try:
        line.set_oam(channel, **{attr: data.get(name) for name, attr in fields.items()})
    except ChannelConflict as exc:
        raise ControlError(409, str(exc), code="premium_id_taken") from None
    except ValueError as exc:
        code = "invalid_premium_id" if str(exc).startswith("premiumId") else "invalid_setting"
        raise ControlError(400, str(exc), code=code) from None
    with line.lock:
        return jsonify(channel.to_json())


@bp.post("/console/verify")
def console_verify():
    """The [Verify] button: a signed `{"destination", "events": []}` to the saved Webhook URL."""
    line = _line()
    channel = acts.get_channel(line, _body().get("channelId"))
    with line.lock:
        url = channel.webhook_endpoint
    if not url:
        raise ControlError(400, "this channel has no Webhook URL; set one first (console/webhook)",
                           code="no_webhook_url")
    return jsonify(test_delivery(line, channel, url))


# --------------------------------------------------------------------------- acts


@bp.post("/act/follow")
def act_follow():
    return jsonify(acts.follow(_line(), _body()))


@bp.post("/act/unfollow")
def act_unfollow():
    return jsonify(acts.unfollow(_line(), _body()))


@bp.post("/act/message")
def act_message():
    return jsonify(acts.message(_line(), _body()))


@bp.post("/act/unsend")
def act_unsend():
    return jsonify(acts.unsend(_line(), _body()))


@bp.post("/content/<message_id>/transcoding")
def content_transcoding(message_id: str):
    return jsonify(acts.set_transcoding(_line(), message_id, _body()))


@bp.post("/act/batch")
def act_batch():
    return jsonify(acts.batch(_line(), _body()))


@bp.post("/act/redeliver")
def act_redeliver():
    return jsonify(acts.redeliver(_line(), _body()))


@bp.post("/act/raw")
def act_raw():
    return jsonify(acts.raw(_line(), _body()))


# --------------------------------------------------------------------------- inspecting


@bp.get("/chats")
def chats():
    line = _line()
    channel = acts.get_channel(line, request.args.get("channelId"))
    user = acts.get_user(line, request.args.get("userId"))
    after = request.args.get("after") or "0"
    if not after.isdigit():
        raise ControlError(400, "after must be a seq number from an earlier answer")
    return jsonify(acts.chat_json(line, channel, user, int(after)))


@bp.get("/content/<message_id>")
def content(message_id: str):
    line = _line()
    with line.lock:
        item = line.contents.get(message_id)
    if item is None or item.gone:
        raise ControlError(404 if item is None else 410, f"no content for message {message_id!r}")
    resp = current_app.response_class(item.data, content_type=item.content_type)
    if item.file_name:
        resp.headers["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(item.file_name, safe='')}"
    return resp


@bp.get("/webhooks")
def list_webhooks():
    channel_id = request.args.get("channelId")
    kind = request.args.get("kind")
    with _line().lock:
        return jsonify([dict(e) for e in _line().webhook_log
                        if (not channel_id or e["channelId"] == channel_id) and (not kind or e["kind"] == kind)])


@bp.delete("/webhooks")
def clear_webhooks():
    with _line().lock:
        _line().webhook_log.clear()
    return jsonify({"ok": True})


@bp.get("/sent")
def list_sent():
    channel_id = request.args.get("channelId")
    to = request.args.get("to")
    with _line().lock:
        return jsonify([dict(e) for e in _line().sent_log
                        if (not channel_id or e["channelId"] == channel_id) and (not to or e["to"] == to)])


@bp.get("/state")
def state():
    return jsonify(_line().to_json())

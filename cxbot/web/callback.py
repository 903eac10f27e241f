"""POST /callback: the hub bot's callbacks from LINE WORKS, checked (bot id, signature on
the raw bytes, a JSON event) and stored for the worker, which answers the admins."""

from __future__ import annotations

import json

from flask import Blueprint, jsonify, request

from cxbot import inbox
from cxbot.base import signatures
from cxbot.context import Context
from cxbot.relay.conversations import is_room
from cxbot.web.webhooks import refused


def _read_json_object(raw: bytes):
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, "body is not valid JSON"
    if not isinstance(body, dict):
        return None, "body must be a JSON object"
    return body, None


def blueprint(ctx: Context) -> Blueprint:
    bp = Blueprint("callback", __name__)

    @bp.post("/callback")
    def hub_callback():
        s = ctx.settings
        # A body over the app's MAX_CONTENT_LENGTH is refused here with 413 (the app's error handler).
        raw = request.get_data(cache=False)
        bot_id = request.headers.get("X-WORKS-BotId", "")
        if not s.works_bot_secret or bot_id != str(s.works_bot_id):
            return refused("hub", "", 401, "unknown bot", f"X-WORKS-BotId {bot_id[:40]!r}")
        if not signatures.verify(s.works_bot_secret.get_secret_value(), raw, request.headers.get("X-WORKS-Signature")):
            return refused("hub", "", 401, "signature does not match")
        body, problem = _read_json_object(raw)
        if problem or not body.get("type"):
            return jsonify({"error": problem or "event has no type"}), 400
        source = body.get("source") or {}
        # One room's events in order, and one admin's: their chat, forms and Verify share
        # `user:` (a 1:1 talk may carry a channelId too, so only a room cxbot made is a room).
        room = source.get("channelId")
        if room and (not source.get("userId") or is_room(ctx, str(room))):
            order = f"room:{room}"
        else:
            order = f"user:{source.get('userId')}"
        ctx.inbox.store("hub", inbox.works_key("hub", raw), raw, order_key=order)
        return "", 200

    return bp

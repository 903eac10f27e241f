"""Webhook URLs issued per channel link: /webhooks/line|works|mail/<token>.

The token is unguessable and names the link; a deleted link's token answers 410.
Verification and storage only: the worker does the rest.
"""

from __future__ import annotations

import hashlib
import json
import logging

from flask import Blueprint, Response, abort, jsonify, request

from cxbot import inbox, links, media, signatures, verification
from cxbot.context import Context
from cxbot.relay import ingest_mail

MAIL_MAX_BYTES = 25 * 1024 * 1024

log = logging.getLogger(__name__)


def _gone_or_missing(ctx: Context, token: str):
    if links.is_retired(ctx, token):
        return jsonify({"error": "this webhook URL was deleted"}), 410
    return jsonify({"error": "unknown webhook URL"}), 404


def blueprint(ctx: Context) -> Blueprint:
    bp = Blueprint("webhooks", __name__)

    @bp.post("/webhooks/line/<token>")
    def line(token: str):
        raw = request.get_data(cache=False)
        link = links.by_token(ctx, token)
        flow = None
        if link is not None and link.kind == "line":
            secret = links.secrets_of(ctx, link).get("channel_secret", "")
        else:
            flow = verification.pending_flow(ctx, token)
            if flow is None:
                return _gone_or_missing(ctx, token)
            secret = verification.flow_secret(ctx, flow, "channel_secret")
        if not signatures.verify(secret, raw, request.headers.get("x-line-signature")):
            # Usually a mistyped channel secret: the admin hears it in chat (one note per minute).
            bucket = hashlib.sha256(raw).hexdigest()[:16]
            if inbox.store(ctx.db, "line_verify", f"line-verify-bad:{token}:{bucket}", verification.note(token, False),
                           order_key=f"verify:{token}"):
                ctx.wakeup.set()
            return jsonify({"error": "signature does not match"}), 401
        try:
            body = json.loads(raw)
            events = body["events"]
            assert isinstance(events, list)
        except (ValueError, KeyError, TypeError, AssertionError):
            return jsonify({"error": "body is not a LINE webhook"}), 400
        if not events:
            key = f"line-verify:{token}:{hashlib.sha256(raw).hexdigest()}"
            if inbox.store(ctx.db, "line_verify", key, verification.note(token, True), order_key=f"verify:{token}"):
                ctx.wakeup.set()
            return "", 200
        if link is None:
            return "", 200  # a customer writing before [OK] saved the link: nothing to relay yet
        # Stored while unlinked too (連携解除): the worker answers with the out-of-service reply.
        stored = False
        for event in events:
            event_id = event.get("webhookEventId") or hashlib.sha256(
                json.dumps(event, sort_keys=True).encode()).hexdigest()
            envelope = json.dumps({"destination": body.get("destination"), "event": event}, ensure_ascii=False)
            sender = (event.get("source") or {}).get("userId", "")
            stored |= inbox.store(ctx.db, "line", f"line:{event_id}", envelope.encode(), link_token=token,
                                  order_key=f"line:{token}:{sender}")
        if stored:
            ctx.wakeup.set()
        return "", 200

    @bp.post("/webhooks/works/<token>")
    def works(token: str):
        raw = request.get_data(cache=False)
        link = links.by_token(ctx, token)
        if link is None or link.kind != "works_bot":
            return _gone_or_missing(ctx, token)
        info = links.info(link)
        if request.headers.get("X-WORKS-BotId", "") != info.get("bot_id"):
            return jsonify({"error": "unknown bot"}), 401
        secret = links.secrets_of(ctx, link).get("bot_secret")
        # A bot cxbot created through the API has no secret we could know: its URL token is the guard.
        if secret and not signatures.verify(secret, raw, request.headers.get("X-WORKS-Signature")):
            return jsonify({"error": "signature does not match"}), 401
        try:
            body = json.loads(raw)
            assert isinstance(body, dict) and body.get("type")
        except (ValueError, AssertionError):
            return jsonify({"error": "body is not a LINE WORKS callback"}), 400
        # Stored even while unlinked: the employee is told the desk is not taking inquiries.
        sender = (body.get("source") or {}).get("userId", "")
        if inbox.store(ctx.db, "works", inbox.works_key(f"works:{token}", raw), raw, link_token=token,
                       order_key=f"works:{token}:{sender}"):
            ctx.wakeup.set()
        return "", 200

    @bp.post("/webhooks/mail/<token>")
    def mail(token: str):
        """A mail relay (for hosts where SMTP can't be exposed) posts the raw MIME here."""
        link = links.by_token(ctx, token)
        if link is None or link.kind != "mail":
            return _gone_or_missing(ctx, token)
        request.max_content_length = MAIL_MAX_BYTES
        raw = request.get_data(cache=False)
        if not raw.strip() or b":" not in raw[:1000]:
            return jsonify({"error": "body is not a MIME message"}), 400
        ingest_mail.store(ctx, raw, [links.info(link).get("address", "")], link_token=token)
        return "", 200

    @bp.get("/media/<token>/<name>")
    def media_file(token: str, name: str):
        item = media.get(ctx, token)
        if item is None or item.file_name != name:
            abort(404)
        return Response(item.data, mimetype=item.content_type,
                        headers={"Cache-Control": "public, max-age=86400"})

    return bp

"""Webhook URLs issued per channel link: /webhooks/<the channel's webhook path>/<token>
(line, works, mail; see cxbot.channels), one receiver per channel.

The token is unguessable and names the link; a deleted link's token answers 410.
Verification and storage only: the worker does the rest.
"""

from __future__ import annotations

import hashlib
import json
import logging

from flask import Blueprint, jsonify, request

from cxbot import channels, inbox
from cxbot.base import signatures
from cxbot.channels import LINE, MAIL, WORKS_BOT
from cxbot.context import Context
from cxbot.desk import links
from cxbot.hub import verification
from cxbot.line import webhook as line_webhook
from cxbot.relay import mail as ingest_mail

MAIL_MAX_BYTES = 25 * 1024 * 1024

log = logging.getLogger(__name__)


def refused(kind: str, token: str, status: int, reason: str, detail: str = ""):
    """The answer to a refused webhook, logged once at INFO. Only the token's first 6
    characters are logged: the whole token is what makes the URL unguessable."""
    where = f" (token {token[:6]!r}…)" if token else ""
    log.info("refused %s webhook%s: %d %s%s", kind, where, status, reason, f" ({detail})" if detail else "")
    return jsonify({"error": reason}), status


def _gone_or_missing(ctx: Context, kind: str, token: str):
    if links.is_retired(ctx, token):
        return refused(kind, token, 410, "this webhook URL was deleted")
    return refused(kind, token, 404, "unknown webhook URL")


def blueprint(ctx: Context) -> Blueprint:
    bp = Blueprint("webhooks", __name__)

    def line(token: str):
        raw = request.get_data(cache=False)
        link = links.by_token(ctx, token)
        flow = None
        if link is not None and link.kind == LINE.kind:
            secret = links.secrets_of(ctx, link).get(LINE.signing_secret, "")
        else:
            flow = verification.pending_flow(ctx, token, LINE.verify_flow)
            if flow is None:
                return _gone_or_missing(ctx, LINE.kind, token)
            secret = verification.flow_secret(ctx, flow, LINE.signing_secret)
        if not signatures.verify(secret, raw, request.headers.get(line_webhook.SIGNATURE_HEADER)):
            # Usually a mistyped channel secret: the admin hears it in chat (one note a minute).
            verification.note(ctx, LINE.kind, token, False, secret, verification.admin_of(link, flow))
            return refused(LINE.kind, token, 401, "signature does not match")
        try:
            destination, events = line_webhook.parse_webhook(raw)
        except line_webhook.LineWebhookError as exc:
            return refused(LINE.kind, token, 400, f"body is not a LINE webhook: {exc}")
        if not events:
            # Verify, or [自動設定]'s test: the admin hears it in chat.
            verification.note(ctx, LINE.kind, token, True, secret, verification.admin_of(link, flow))
            return "", 200
        if link is None:
            return "", 200  # a customer writing before [OK] saved the link: nothing to relay yet
        # Stored while unlinked too (連携解除): the worker answers with the out-of-service reply.
        for event in events:
            event_id = event.get("webhookEventId") or hashlib.sha256(
                json.dumps(event, sort_keys=True).encode()).hexdigest()
            envelope = json.dumps({"destination": destination, "event": event}, ensure_ascii=False)
            sender = (event.get("source") or {}).get("userId", "")
            ctx.inbox.store(LINE.kind, f"line:{event_id}", envelope.encode(), link_token=token,
                            order_key=f"line:{token}:{sender}")
        return "", 200

    def works_bot(token: str):
        raw = request.get_data(cache=False)
        link = links.by_token(ctx, token)
        signature = request.headers.get("X-WORKS-Signature")
        if link is None:
            # A Developers Console setup not saved yet: the admin's test message checks the Bot Secret.
            signed = verification.works_setup_callback(ctx, token, raw, request.headers.get("X-WORKS-BotId", ""),
                                                       signature)
            if signed is not None:
                return ("", 200) if signed else (jsonify({"error": "signature does not match"}), 401)
        if link is None or link.kind != WORKS_BOT.kind:
            return _gone_or_missing(ctx, WORKS_BOT.kind, token)
        info = links.info(link)
        if request.headers.get("X-WORKS-BotId", "") != info.get("bot_id"):
            return refused(WORKS_BOT.kind, token, 401, "unknown bot")
        secret = links.secrets_of(ctx, link).get(WORKS_BOT.signing_secret)
        # A bot cxbot created through the API has no secret we could know: its URL token is the guard.
        if secret:
            signed = signatures.verify(secret, raw, signature)
            verification.works_link_callback(ctx, link, token, signed, secret)  # remembered, or the admin told
            if not signed:
                return refused(WORKS_BOT.kind, token, 401, "signature does not match")
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict) or not body.get("type"):
            return refused(WORKS_BOT.kind, token, 400, "body is not a LINE WORKS callback")
        # Stored even while unlinked: the employee is told the desk is not taking inquiries.
        # The keys keep the spelling they were first stored with: a redelivery across an
        # upgrade is still a duplicate, and a sender's events stay in order.
        sender = (body.get("source") or {}).get("userId", "")
        ctx.inbox.store(WORKS_BOT.kind, inbox.works_key(f"works:{token}", raw), raw, link_token=token,
                        order_key=f"works:{token}:{sender}")
        return "", 200

    def mail(token: str):
        """A mail relay (for hosts where SMTP can't be exposed) posts the raw MIME here."""
        link = links.by_token(ctx, token)
        if link is None or link.kind != MAIL.kind:
            return _gone_or_missing(ctx, MAIL.kind, token)
        request.max_content_length = MAIL_MAX_BYTES
        raw = request.get_data(cache=False)
        if not raw.strip() or b":" not in raw[:1000]:
            return refused(MAIL.kind, token, 400, "body is not a MIME message")
        ingest_mail.store(ctx, raw, [links.info(link).get("address", "")], link_token=token)
        return "", 200

    receivers = {LINE.kind: line, WORKS_BOT.kind: works_bot, MAIL.kind: mail}
    for channel in channels.ALL:
        bp.add_url_rule(f"/webhooks/{channel.webhook_path}/<token>", endpoint=channel.kind,
                        view_func=receivers[channel.kind], methods=["POST"])
    return bp

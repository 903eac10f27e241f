"""Parsing LINE webhook bodies (reference A1).

    destination, events = parse_webhook(raw_body)   # after verifying x-line-signature

The signature is checked by the caller on the raw bytes, before anything here runs
(`cxbot.base.signatures.verify(channel_secret, body, request.headers.get(SIGNATURE_HEADER))`;
Flask's headers are case-insensitive, as LINE asks).

Shape checks are deliberately light: LINE may add properties, event types and
message types without notice, so only what cxbot relies on is checked: a string
`destination` and an `events` array of objects each with a string `type`.
"""

from __future__ import annotations

import json

SIGNATURE_HEADER = "x-line-signature"


class LineWebhookError(ValueError):
    """The body is not a LINE webhook (bad JSON or the wrong shape)."""


def parse_webhook(body: bytes | str) -> tuple[str, list[dict]]:
    """(destination, events) of a webhook body; raises LineWebhookError."""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            raise LineWebhookError("the body is not UTF-8") from None
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise LineWebhookError(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise LineWebhookError("the body must be a JSON object")
    destination = data.get("destination")
    if not isinstance(destination, str) or not destination:
        raise LineWebhookError("destination is missing (the bot's user ID)")
    events = data.get("events")
    if not isinstance(events, list):
        raise LineWebhookError("events is missing (an array)")
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            raise LineWebhookError(f"events[{i}] must be an object")
        if not isinstance(event.get("type"), str) or not event["type"]:
            raise LineWebhookError(f"events[{i}].type is missing")
        event_id = event.get("webhookEventId")
        if event_id is not None and not isinstance(event_id, str):
            raise LineWebhookError(f"events[{i}].webhookEventId must be a string")
    return destination, events


def is_verification(body: bytes | str) -> bool:
    """True for the Verify button's / test API's request: a webhook with no events."""
    try:
        _, events = parse_webhook(body)
    except LineWebhookError:
        return False
    return events == []


def source_user_id(event: dict) -> str | None:
    """The LINE user ID behind an event, if it names one."""
    source = event.get("source")
    return source.get("userId") if isinstance(source, dict) else None


def is_redelivery(event: dict) -> bool:
    ctx = event.get("deliveryContext")
    return bool(ctx.get("isRedelivery")) if isinstance(ctx, dict) else False

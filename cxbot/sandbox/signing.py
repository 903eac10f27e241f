"""The one signer of the sandbox: how LINE WORKS signs a callback and LINE a webhook.

Both platforms document the same scheme: base64(HMAC-SHA256(secret, raw body)), the
body being compact UTF-8 JSON. Written here from those docs, not taken from cxbot, so
that a bug in cxbot's own check cannot hide behind a shared copy.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json


def encode_body(obj) -> bytes:
    """Compact JSON, UTF-8, no ASCII escaping: the bytes that get signed and sent."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def sign(secret: str, body: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")

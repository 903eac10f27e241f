"""HMAC-SHA256 webhook signatures (LINE WORKS X-WORKS-Signature, LINE x-line-signature).

Both platforms sign the raw body with a shared secret and send the Base64 digest;
we compute it over the bytes exactly as received and compare in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def sign(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def verify(secret: str, body: bytes, signature: str | None) -> bool:
    if not secret or not signature:
        return False
    return hmac.compare_digest(sign(secret, body).encode("ascii"), signature.strip().encode("ascii", "replace"))

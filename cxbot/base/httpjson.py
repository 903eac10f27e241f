"""Reading platform error bodies: JSON when they are JSON objects, else nothing."""

from __future__ import annotations

import httpx


def json_object(resp: httpx.Response) -> dict:
    """The response body as a dict; {} for an empty, non-JSON or non-object body."""
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

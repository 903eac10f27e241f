"""A bot's `photoUrl` (and each `i18nPhotoUrls[].photoUrl`), checked as LINE WORKS states
it: "PNG format, 640×640 recommended, only HTTPS allowed" (reference §4.1, jp/reference/
bot-create). The platform shows the image, so it must reach it: the sandbox fetches the URL
when a bot is created or changed, as it reaches a bot's callbackUrl (loopback hosts may use
http, a laptop demo), and refuses a URL that does not answer 200 with a PNG, judged by its
bytes. Whether the real platform fetches at that moment is not documented; the setting
`fetchPhotoUrls` (on by default) turns the fetch off.
"""

from __future__ import annotations

import httpx

from .. import outbound
from .errors import invalid
from .state import WorksWorld
from .validate import ContentError, check_url

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FETCH_TIMEOUT = 5.0


def checked(w: WorksWorld, url, field: str) -> str:
    """The URL, once it is HTTPS (or loopback http) and serves a PNG; else 400 INVALID_PARAMETER."""
    try:
        check_url(url, field, https_only=True, allow_http=w.settings.allow_http_urls)
    except ContentError as exc:
        raise invalid(str(exc)) from None
    if w.settings.fetch_photo_urls:
        _fetch_png(url, field)
    return url


def checked_i18n(w: WorksWorld, items: list) -> list:
    for i, item in enumerate(items):
        checked(w, item["photoUrl"], f"i18nPhotoUrls[{i}].photoUrl")
    return items


def _fetch_png(url: str, field: str) -> None:
    try:
        resp = outbound.client.get(url, timeout=FETCH_TIMEOUT, follow_redirects=True)
    except httpx.HTTPError as exc:
        raise invalid(f"{field}: the image at {url!r} could not be fetched ({exc.__class__.__name__})") from None
    if resp.status_code != 200:
        raise invalid(f"{field}: the image at {url!r} answered HTTP {resp.status_code}, not the image")
    if not resp.content.startswith(PNG_SIGNATURE):
        what = resp.headers.get("Content-Type") or "no content type"
        raise invalid(f"{field}: must be a PNG image; {url!r} serves something else ({what})")

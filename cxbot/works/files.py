"""What LINE WORKS takes as a file, as documented (reference §3.6, §4.1): the file
extensions its file security blocks in a bot's messages, the largest upload, and the
rule for a bot's `photoUrl` (HTTPS only; a loopback host may use http, for the demo and
the tests, as the sandbox allows)."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from cxbot.base.hosts import is_loopback_host
from cxbot.works.limits import MessageLimitError

PHOTO_URL_MAX_CHARS = 1000


def extension(file_name: str) -> str:
    """`Report.EXE` -> "exe"; "" when the name has none."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base.strip(".") else ""


def blocked_extension(file_name: str, blocked: Iterable[str]) -> str | None:
    """The file's extension when LINE WORKS' file security blocks it, else None."""
    ext = extension(file_name)
    return ext if ext and ext in set(blocked) else None


def check_photo_url(url: str) -> None:
    """Raise MessageLimitError unless LINE WORKS would take `url` as a bot's photoUrl."""
    if len(url) > PHOTO_URL_MAX_CHARS:
        raise MessageLimitError("photoUrl", PHOTO_URL_MAX_CHARS,
                                f"{len(url)} characters, the limit is {PHOTO_URL_MAX_CHARS}")
    parts = urlsplit(url)
    ok = parts.scheme == "https" or (parts.scheme == "http" and is_loopback_host(parts.hostname))
    if not ok or not parts.netloc:
        raise MessageLimitError("photoUrl", "https", f"must be an https URL (got {url[:80]!r})")

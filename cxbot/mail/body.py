"""A mail's MIME tree read: its text (text/plain preferred, else the HTML's text;
format=flowed joined), its HTML, and its attachments, inline images and attached mails
included. Nothing here raises on a malformed part.
"""

from __future__ import annotations

import email.utils
import mimetypes
import re
from dataclasses import dataclass
from email.message import Message
from typing import NamedTuple

from .charsets import decode_bytes
from .flowed import unflow
from .headers import decode_header_value
from .html_text import html_to_text


class Attachment(NamedTuple):
    """One attached (or inline) file; unpacks as `(filename, content_type, data)`."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Body:
    text: str  # the text/plain parts, or the text of the HTML ones when there is no plain part
    html: str | None  # every text/html part, joined
    attachments: list[Attachment]


def read_body(msg: Message) -> Body:
    bodies: list[tuple[str, str]] = []
    attachments: list[Attachment] = []
    all_html: list[str] = []
    _collect(msg, bodies, attachments, all_html)
    plain = [t for kind, t in bodies if kind == "plain"]
    htmls = [t for kind, t in bodies if kind == "html"]
    if plain:
        text = "\n\n".join(t.strip("\n") for t in plain if t.strip())
    else:
        text = "\n\n".join(html_to_text(h) for h in htmls if h.strip())
    return Body(_clean(text), "\n".join(all_html) if all_html else None, attachments)


def content_type(part: Message) -> str:
    try:
        return part.get_content_type()
    except Exception:
        return "application/octet-stream"


def _disposition(part: Message) -> str | None:
    try:
        return part.get_content_disposition()
    except Exception:
        return None


def _filename(part: Message) -> str | None:
    name = None
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if not name:
        try:
            name = part.get_param("name")
            if isinstance(name, tuple):
                name = email.utils.collapse_rfc2231_value(name)
        except Exception:
            name = None
    if not name:
        return None
    name = str(name)
    if "=?" in name or re.search(r"[\udc80-\udcff]", name):
        name = decode_header_value(name)
    name = name.replace("\\", "/").rsplit("/", 1)[-1].strip().strip('"').strip()
    return name or None


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if data is None:
        payload = part.get_payload()
        if isinstance(payload, str):
            return payload.encode("utf-8", "surrogateescape")
        return b""
    return data


def _part_text(part: Message) -> str:
    data = _payload(part)
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    text = decode_bytes(data, charset).replace("\r\n", "\n").replace("\r", "\n")
    try:
        fmt = (part.get_param("format") or "").lower() if content_type(part) == "text/plain" else ""
        delsp = (part.get_param("delsp") or "").lower() == "yes"
    except Exception:
        fmt, delsp = "", False
    if fmt == "flowed":
        text = unflow(text, delsp)
    return text


def _attach(part: Message, attachments: list[Attachment]) -> None:
    ctype = content_type(part)
    name = _filename(part)
    if ctype == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        try:
            data = inner.as_bytes() if isinstance(inner, Message) else _payload(part)
        except Exception:
            data = _payload(part)
        if not name and isinstance(inner, Message):
            subject = decode_header_value(inner.get("Subject", "")) if inner.get("Subject") else ""
            name = (re.sub(r'[\\/:*?"<>|\r\n\t]+', "_", subject).strip() or "message")[:80] + ".eml"
    else:
        data = _payload(part)
    if not name:
        ext = mimetypes.guess_extension(ctype) or ".bin"
        stem = "image" if ctype.startswith("image/") else "attachment"
        name = f"{stem}-{len(attachments) + 1}{ext}"
    if ctype in ("application/octet-stream", "application/x-unknown"):
        guessed = mimetypes.guess_type(name)[0]
        if guessed:
            ctype = guessed
    attachments.append(Attachment(name, ctype, data))


def _collect(part: Message, bodies: list[tuple[str, str]], attachments: list[Attachment],
             all_html: list[str]) -> None:
    ctype = content_type(part)
    main = ctype.split("/", 1)[0]
    if part.is_multipart() and main == "multipart":
        children = [c for c in (part.get_payload() or []) if isinstance(c, Message)]
        if ctype == "multipart/alternative":
            # Prefer text/plain; keep the attachments (inline images) of every alternative.
            results = []
            for child in children:
                b: list[tuple[str, str]] = []
                _collect(child, b, attachments, all_html)
                results.append(b)
            chosen = next((b for b in results if any(k == "plain" and t.strip() for k, t in b)), None)
            if chosen is None:
                chosen = next((b for b in reversed(results) if any(t.strip() for _, t in b)), [])
            bodies.extend(chosen)
            return
        for child in children:
            _collect(child, bodies, attachments, all_html)
        return
    if ctype == "message/rfc822":
        _attach(part, attachments)
        return
    if main == "message":
        return  # message/delivery-status, message/disposition-notification, ...: machine text
    if main == "multipart":
        # A multipart whose boundary never appears: what is there is the text.
        bodies.append(("plain", _part_text(part)))
        return
    disposition = _disposition(part)
    has_name = _filename(part) is not None
    if ctype in ("text/plain", "text/html") and disposition != "attachment" and not has_name:
        content = _part_text(part)
        bodies.append(("plain" if ctype == "text/plain" else "html", content))
        if ctype == "text/html":
            all_html.append(content)
        return
    if ctype == "text/rfc822-headers":
        return
    _attach(part, attachments)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "")
    return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")

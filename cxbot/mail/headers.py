"""Header values read as text: unfolded, RFC 2047 encoded words decoded (raw 8-bit
bytes too), and the addresses, Message-IDs and dates in them. Nothing here raises on
a malformed header: what does not parse comes out empty.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import re
from datetime import datetime

from .charsets import decode_bytes, fix_surrogates

_EW = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])")
ADDR_SPEC = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_MSGID = re.compile(r"<([^<>\s]+)>")


def unfold(value: str) -> str:
    return _FOLD.sub("", value).replace("\r", "").replace("\n", " ")


def _ew_payload(kind: str, text: str) -> bytes:
    if kind in "bB":
        text = text.strip()
        text += "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text)
        except (binascii.Error, ValueError):
            try:
                return base64.b64decode(text.rstrip("="), validate=False)
            except (binascii.Error, ValueError):
                return text.encode("ascii", "replace")
    out = bytearray()
    i = 0
    raw = text.encode("ascii", "surrogateescape")
    while i < len(raw):
        c = raw[i]
        if c == 0x5F:  # "_"
            out.append(0x20)
        elif c == 0x3D and re.fullmatch(rb"[0-9A-Fa-f]{2}", raw[i + 1:i + 3]):
            out.append(int(raw[i + 1:i + 3], 16))
            i += 2
        else:
            out.append(c)
        i += 1
    return bytes(out)


def decode_header_value(value: str | None) -> str:
    """Unfold and decode a header value: RFC 2047 encoded words (also the common
    non-standard ones: inside quotes, split in the middle of a character) and raw
    8-bit bytes. Never raises."""
    if not value:
        return ""
    value = unfold(str(value))
    pieces: list[list] = []  # [kind, payload, charset]
    pos = 0
    for m in _EW.finditer(value):
        between = value[pos:m.start()]
        if between and not (between.isspace() and pieces and pieces[-1][0] == "ew"):
            pieces.append(["text", between, None])
        charset = m.group(1).lower()
        payload = _ew_payload(m.group(2), m.group(3))
        if pieces and pieces[-1][0] == "ew" and pieces[-1][2] == charset:
            pieces[-1][1] += payload
        else:
            pieces.append(["ew", payload, charset])
        pos = m.end()
    if pos < len(value):
        pieces.append(["text", value[pos:], None])
    out = []
    for kind, payload, charset in pieces:
        out.append(decode_bytes(payload, charset) if kind == "ew" else fix_surrogates(payload))
    return "".join(out).replace("\x00", "").strip()


def normalise_address(addr: str, lower_local: bool = True) -> str:
    """An address without angle brackets, its domain lower-cased (and its local part, unless told not to)."""
    addr = fix_surrogates(addr).strip().strip("<>").strip()
    local, at, domain = addr.rpartition("@")
    if not at:
        return addr.lower() if lower_local else addr
    return (local.lower() if lower_local else local) + "@" + domain.lower().rstrip(".")


def named_addresses(values: list[str]) -> list[tuple[str, str]]:
    """[(display name, address)] from address headers; entries without an @ are skipped."""
    out: list[tuple[str, str]] = []
    for value in values:
        value = unfold(value)
        try:
            pairs = email.utils.getaddresses([value])
        except Exception:
            pairs = []
        if not any("@" in a for _, a in pairs):
            pairs = [("", a) for a in ADDR_SPEC.findall(value)]
        for name, addr in pairs:
            if "@" not in addr:
                continue
            out.append((decode_header_value(name).strip().strip('"').strip(), normalise_address(addr)))
    return out


def address_specs(values: list[str]) -> list[str]:
    """The bare addresses in headers such as Delivered-To, normalised, without duplicates."""
    out: list[str] = []
    for value in values:
        for addr in ADDR_SPEC.findall(fix_surrogates(unfold(value))):
            addr = normalise_address(addr)
            if addr not in out:
                out.append(addr)
    return out


def first_msgid(value: str | None) -> str:
    """The first Message-ID in a header (without angle brackets), or ""."""
    ids = all_msgids(value)
    return ids[0] if ids else ""


def all_msgids(value: str | None) -> list[str]:
    """Every Message-ID in a header such as References; bare ids when none is bracketed."""
    if not value:
        return []
    value = fix_surrogates(unfold(value))
    found = _MSGID.findall(value)
    if found:
        return found
    return [t for t in value.split() if "@" in t][:50] or ([value.strip()] if value.strip() else [])


def header_date(value: str | None) -> datetime | None:
    """A Date header as a datetime, or None when it does not parse."""
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(unfold(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None

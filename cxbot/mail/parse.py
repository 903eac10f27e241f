"""`parse(raw) -> ParsedMail`: everything cxbot needs from one inbound mail.

    mail = parse(raw_bytes)
    mail.message_id            # "CAF=abc@mail.gmail.com" (no angle brackets; synthetic when missing)
    mail.new_text              # the reply without the quoted history
    mail.auto_kind             # None for a person, else "auto-submitted" | "auto-reply" | "list" | "bounce"
    mail.recipients(envelope)  # which of our addresses it was for
    mail.reply_token(domain)   # the <token> of a reply+<token>@domain recipient

Addresses are lower-cased. Nothing here raises on a malformed mail: headers that do
not parse come out empty, bodies in an unknown charset come out with U+FFFD.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from .body import Attachment, read_body
from .charsets import fix_surrogates
from .gmail import GmailForwardingConfirmation, gmail_confirmation
from .headers import (
    ADDR_SPEC,
    address_specs,
    all_msgids,
    decode_header_value,
    first_msgid,
    header_date,
    named_addresses,
    normalise_address,
    unfold,
)
from .machine import auto_kind
from .quotes import strip_quoted

SYNTHETIC_DOMAIN = "cxbot.invalid"


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    message_id_synthetic: bool
    in_reply_to: str | None
    references: list[str]
    subject: str
    from_addr: str
    from_name: str
    reply_to: str | None
    to: list[str]
    cc: list[str]
    delivered_to: list[str]
    x_forwarded_to: list[str]
    x_forwarded_for: list[str]
    return_path: str | None
    date: datetime | None
    text: str
    html: str | None
    new_text: str
    attachments: list[Attachment]
    auto_kind: str | None
    gmail_forwarding_confirmation: GmailForwardingConfirmation | None
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    # ------------------------------------------------------------------ helpers

    def header(self, name: str) -> str | None:
        """The first header of that name, unfolded and decoded, or None."""
        lowered = name.lower()
        for key, value in self.headers:
            if key.lower() == lowered:
                return decode_header_value(value)
        return None

    @property
    def sender(self) -> str:
        """Where an answer should go: Reply-To when given, else From."""
        return self.reply_to or self.from_addr

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this mail answers, newest first (In-Reply-To, then References backwards)."""
        out: list[str] = []
        for mid in ([self.in_reply_to] if self.in_reply_to else []) + list(reversed(self.references)):
            if mid not in out:
                out.append(mid)
        return out

    def recipients(self, envelope: Iterable[str] = ()) -> list[str]:
        """Every address the mail was for, lower-cased, without duplicates: the envelope
        recipients the caller got from SMTP (most reliable, so first), then To, Cc,
        Delivered-To, X-Forwarded-To and X-Forwarded-For (Gmail forwarding keeps the
        original To and names the forwarding address in these)."""
        out: list[str] = []
        for addr in _recipients_case_kept(self, envelope):
            addr = addr.lower()
            if addr not in out:
                out.append(addr)
        return out

    def reply_token(self, domain: str, envelope: Iterable[str] = ()) -> str | None:
        """The token of the first `reply+<token>@<domain>` recipient (case kept), or None."""
        suffix = "@" + domain.lower().strip().rstrip(".")
        for addr in _recipients_case_kept(self, envelope):
            local, at, dom = addr.rpartition("@")
            if not at or "@" + dom.lower().rstrip(".") != suffix:
                continue
            m = re.fullmatch(r"reply\+([A-Za-z0-9_.=-]+)", local, re.I)
            if m:
                return m.group(1)
        return None

    @property
    def is_auto(self) -> bool:
        return self.auto_kind is not None


def _recipients_case_kept(mail: ParsedMail, envelope: Iterable[str]) -> list[str]:
    found: list[str] = []
    for addr in envelope or ():
        found.extend(ADDR_SPEC.findall(str(addr)))
    for name in ("To", "Cc", "Delivered-To", "X-Forwarded-To", "X-Forwarded-For", "X-Original-To", "Envelope-To"):
        for key, value in mail.headers:
            if key.lower() == name.lower():
                found.extend(ADDR_SPEC.findall(fix_surrogates(unfold(value))))
    return [normalise_address(a, lower_local=False) for a in found]


# --------------------------------------------------------------------------- parse


def parse(raw: bytes | str) -> ParsedMail:
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogateescape")
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    headers = tuple((str(k), str(v)) for k, v in msg.raw_items())

    def first(name: str) -> str | None:
        for key, value in headers:
            if key.lower() == name.lower():
                return value
        return None

    def all_of(name: str) -> list[str]:
        return [value for key, value in headers if key.lower() == name.lower()]

    message_id = first_msgid(first("Message-ID"))
    synthetic = not message_id
    if synthetic:
        message_id = f"{hashlib.sha256(raw).hexdigest()}@{SYNTHETIC_DOMAIN}"
    refs: list[str] = []
    for value in all_of("References"):
        for mid in all_msgids(value):
            if mid not in refs:
                refs.append(mid)

    from_list = named_addresses(all_of("From")) or named_addresses(all_of("Sender"))
    from_name, from_addr = from_list[0] if from_list else ("", "")
    reply_to = [a for _, a in named_addresses(all_of("Reply-To"))]
    subject = decode_header_value(first("Subject"))

    body = read_body(msg)
    text, html, attachments = body.text, body.html, body.attachments

    new_text = text if _is_forward(subject) else strip_quoted(text)
    return_path_raw = first("Return-Path")
    return_path = None
    if return_path_raw is not None:
        specs = ADDR_SPEC.findall(return_path_raw)
        return_path = normalise_address(specs[0]) if specs else ""

    partial = dict(
        message_id=message_id,
        message_id_synthetic=synthetic,
        in_reply_to=first_msgid(first("In-Reply-To")) or None,
        references=refs,
        subject=subject,
        from_addr=from_addr,
        from_name=from_name,
        reply_to=reply_to[0] if reply_to else None,
        to=[a for _, a in named_addresses(all_of("To"))],
        cc=[a for _, a in named_addresses(all_of("Cc"))],
        delivered_to=address_specs(all_of("Delivered-To")),
        x_forwarded_to=address_specs(all_of("X-Forwarded-To")),
        x_forwarded_for=address_specs(all_of("X-Forwarded-For")),
        return_path=return_path,
        date=header_date(first("Date")),
        text=text,
        html=html,
        new_text=new_text,
        attachments=attachments,
        headers=headers,
    )
    auto = auto_kind(msg, headers, from_addr, subject, return_path_raw)
    confirmation = gmail_confirmation(from_addr, subject, text, html or "", partial)
    return ParsedMail(auto_kind=auto, gmail_forwarding_confirmation=confirmation, **partial)


def _is_forward(subject: str) -> bool:
    return bool(re.match(r"^\s*(?:fwd?|fw|転送|tr|wg)\s*[:：]", subject, re.I))

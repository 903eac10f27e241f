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
import email.utils
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage, Message
from html import unescape as html_unescape
from typing import Iterable, NamedTuple
from urllib.parse import urlsplit

from .text import (
    decode_bytes,
    decode_header_value,
    fix_surrogates,
    html_to_text,
    strip_quoted,
    unflow,
    unfold,
)

SYNTHETIC_DOMAIN = "cxbot.invalid"

_ADDR_SPEC = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+")
_MSGID = re.compile(r"<([^<>\s]+)>")


class Attachment(NamedTuple):
    """One attached (or inline) file; unpacks as `(filename, content_type, data)`."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class GmailForwardingConfirmation:
    """Gmail's "forwarding confirmation" mail, sent to the address a Gmail user wants
    to forward to. Show `code` / `link` to the admin so they can confirm it."""

    code: str | None
    link: str | None
    requester: str | None


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
        found.extend(_ADDR_SPEC.findall(str(addr)))
    for name in ("To", "Cc", "Delivered-To", "X-Forwarded-To", "X-Forwarded-For", "X-Original-To", "Envelope-To"):
        for key, value in mail.headers:
            if key.lower() == name.lower():
                found.extend(_ADDR_SPEC.findall(fix_surrogates(unfold(value))))
    return [_normalise(a, lower_local=False) for a in found]


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

    message_id = _first_msgid(first("Message-ID"))
    synthetic = not message_id
    if synthetic:
        message_id = f"{hashlib.sha256(raw).hexdigest()}@{SYNTHETIC_DOMAIN}"
    refs: list[str] = []
    for value in all_of("References"):
        for mid in _all_msgids(value):
            if mid not in refs:
                refs.append(mid)

    from_list = _addresses(all_of("From")) or _addresses(all_of("Sender"))
    from_name, from_addr = from_list[0] if from_list else ("", "")
    reply_to = [a for _, a in _addresses(all_of("Reply-To"))]
    subject = decode_header_value(first("Subject"))

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
    text = _clean(text)
    html = "\n".join(all_html) if all_html else None

    new_text = text if _is_forward(subject) else strip_quoted(text)
    return_path_raw = first("Return-Path")
    return_path = None
    if return_path_raw is not None:
        specs = _ADDR_SPEC.findall(return_path_raw)
        return_path = _normalise(specs[0]) if specs else ""

    partial = dict(
        message_id=message_id,
        message_id_synthetic=synthetic,
        in_reply_to=_first_msgid(first("In-Reply-To")) or None,
        references=refs,
        subject=subject,
        from_addr=from_addr,
        from_name=from_name,
        reply_to=reply_to[0] if reply_to else None,
        to=[a for _, a in _addresses(all_of("To"))],
        cc=[a for _, a in _addresses(all_of("Cc"))],
        delivered_to=_specs(all_of("Delivered-To")),
        x_forwarded_to=_specs(all_of("X-Forwarded-To")),
        x_forwarded_for=_specs(all_of("X-Forwarded-For")),
        return_path=return_path,
        date=_date(first("Date")),
        text=text,
        html=html,
        new_text=new_text,
        attachments=attachments,
        headers=headers,
    )
    auto = _auto_kind(msg, headers, from_addr, subject, return_path_raw)
    confirmation = _gmail_confirmation(from_addr, subject, text, html or "", partial)
    return ParsedMail(auto_kind=auto, gmail_forwarding_confirmation=confirmation, **partial)


# --------------------------------------------------------------------------- headers


def _normalise(addr: str, lower_local: bool = True) -> str:
    addr = fix_surrogates(addr).strip().strip("<>").strip()
    local, at, domain = addr.rpartition("@")
    if not at:
        return addr.lower() if lower_local else addr
    return (local.lower() if lower_local else local) + "@" + domain.lower().rstrip(".")


def _addresses(values: list[str]) -> list[tuple[str, str]]:
    """[(display name, address)] from address headers; entries without an @ are skipped."""
    out: list[tuple[str, str]] = []
    for value in values:
        value = unfold(value)
        try:
            pairs = email.utils.getaddresses([value])
        except Exception:
            pairs = []
        if not any("@" in a for _, a in pairs):
            pairs = [("", a) for a in _ADDR_SPEC.findall(value)]
        for name, addr in pairs:
            if "@" not in addr:
                continue
            out.append((decode_header_value(name).strip().strip('"').strip(), _normalise(addr)))
    return out


def _specs(values: list[str]) -> list[str]:
    out: list[str] = []
    for value in values:
        for addr in _ADDR_SPEC.findall(fix_surrogates(unfold(value))):
            addr = _normalise(addr)
            if addr not in out:
                out.append(addr)
    return out


def _first_msgid(value: str | None) -> str:
    ids = _all_msgids(value)
    return ids[0] if ids else ""


def _all_msgids(value: str | None) -> list[str]:
    if not value:
        return []
    value = fix_surrogates(unfold(value))
    found = _MSGID.findall(value)
    if found:
        return found
    return [t for t in value.split() if "@" in t][:50] or ([value.strip()] if value.strip() else [])


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(unfold(value))
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _is_forward(subject: str) -> bool:
    return bool(re.match(r"^\s*(?:fwd?|fw|転送|tr|wg)\s*[:：]", subject, re.I))


# --------------------------------------------------------------------------- body


def _content_type(part: Message) -> str:
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
        fmt = (part.get_param("format") or "").lower() if _content_type(part) == "text/plain" else ""
        delsp = (part.get_param("delsp") or "").lower() == "yes"
    except Exception:
        fmt, delsp = "", False
    if fmt == "flowed":
        text = unflow(text, delsp)
    return text


def _attach(part: Message, attachments: list[Attachment]) -> None:
    ctype = _content_type(part)
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
    ctype = _content_type(part)
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


# --------------------------------------------------------------------------- machine mail

_OOF_SUBJECT = re.compile(
    r"^\s*[\[【［(（<＜]?\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|autoresponse|"
    r"out of (?:the )?office|out-of-office|vacation(?: reply| response)?|abwesenheit\w*|r[ée]ponse automatique|"
    r"自動応答|自動返信|自動送信|自動返答|不在通知|不在のお知らせ|不在連絡|休暇のお知らせ)\s*(?:[\]】］)）>＞:：]|\b)",
    re.I,
)
_PRECEDENCE_AUTO = {"bulk", "junk", "auto_reply", "auto-reply"}
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailer_daemon"}


def _auto_kind(msg: EmailMessage, headers, from_addr: str, subject: str, return_path: str | None) -> str | None:
    def get(name: str) -> str | None:
        for key, value in headers:
            if key.lower() == name.lower():
                return unfold(value).strip()
        return None

    # bounces: delivery status notifications
    ctype = _content_type(msg)
    report_type = ""
    try:
        report_type = (msg.get_param("report-type") or "").lower() if ctype == "multipart/report" else ""
    except Exception:
        report_type = ""
    if ctype == "multipart/report" and report_type in ("delivery-status", ""):
        return "bounce"
    if get("X-Failed-Recipients") is not None:
        return "bounce"
    if return_path is not None and re.fullmatch(r"\s*<\s*>\s*", return_path):
        return "bounce"
    local = from_addr.rpartition("@")[0]
    if local in _BOUNCE_SENDERS:
        return "bounce"
    if ctype == "multipart/report":  # read receipts and other reports
        return "auto-reply"

    auto_submitted = get("Auto-Submitted")
    if auto_submitted is not None and auto_submitted.split(";")[0].strip().lower() not in ("no", ""):
        return "auto-submitted"

    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Autoresponse", "X-Auto-Reply-From",
                 "X-Autoreply-From"):
        value = get(name)
        if value is not None and value.lower() not in ("no", "false", "0"):
            return "auto-reply"
    for name in ("Precedence", "X-Precedence"):
        value = (get(name) or "").lower()
        if value in _PRECEDENCE_AUTO:
            return "auto-reply"
    if get("X-Loop") is not None:
        return "auto-reply"
    if any((v or "").lower().startswith("autoresponder") for k, v in headers if k.lower() == "delivered-to"):
        return "auto-reply"
    suppress = get("X-Auto-Response-Suppress")
    if suppress is not None and get("X-MS-Exchange-Inbox-Rules-Loop") is not None:
        return "auto-reply"  # Exchange out-of-office
    if _OOF_SUBJECT.search(subject):
        return "auto-reply"

    if get("List-Id") is not None or get("List-Unsubscribe") is not None:
        return "list"
    for name in ("Precedence", "X-Precedence"):
        if (get(name) or "").lower() == "list":
            return "list"
    return None


# --------------------------------------------------------------------------- Gmail forwarding

_GMAIL_SUBJECT = re.compile(
    r"(?:Gmail\s*Forwarding\s*Confirmation|Gmail\s*の?\s*転送の確認|Gmail\s*-?\s*Weiterleitungsbestätigung|"
    r"Confirmation de transfert Gmail|Confirmación de reenvío de Gmail|Gmail\s*转发确认|Gmail\s*轉寄確認)",
    re.I,
)
_URL = re.compile(r"https://[^\s<>\"')\]]+")


def _google_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "google.com" or host.endswith(".google.com")


def _gmail_confirmation(from_addr: str, subject: str, text: str, html: str, fields: dict
                        ) -> GmailForwardingConfirmation | None:
    """Gmail's forwarding-verification mail (From forwarding-noreply@ / mail-noreply@google.com,
    "(#123456789) Gmail Forwarding Confirmation - Receive Mail from a@b" or "Gmail の転送の確認
    (#123456789) - a@b からメールを受信"). Only https links on google.com hosts are taken, so a
    look-alike mail cannot plant its own "confirm" link."""
    from_google = from_addr.rpartition("@")[2] in ("google.com", "gmail.com") and \
        re.search(r"forwarding|noreply|no-reply", from_addr) is not None
    subject_hit = bool(_GMAIL_SUBJECT.search(subject))
    body_hit = re.search(r"requested to automatically forward mail|自動転送.{0,40}(?:リクエスト|許可)|"
                         r"(?:メールを|mail\s+)(?:自動)?転送.{0,20}確認", text + "\n" + html, re.I) is not None
    if not (subject_hit or (from_google and body_hit)):
        return None
    body = text + "\n" + html
    code_match = re.search(r"\(\s*#?\s*(\d{6,12})\s*\)", subject) or re.search(
        r"(?:Confirmation code|確認コード|確認番号|Bestätigungscode|Code de confirmation|Código de confirmación|"
        r"确认码|驗證碼)\s*(?:is)?\s*[:：]?\s*(\d{6,12})", body, re.I)
    code = code_match.group(1) if code_match else None
    urls = [html_unescape(u).rstrip(".,;") for u in _URL.findall(body)]
    urls = [u for u in urls if _google_host(u)]
    link = next((u for u in urls if "/vf-" in u), None) or next(
        (u for u in urls if re.search(r"/mail/(?:u/\d+/)?vf", u)), None)
    if code is None and link is None:
        return None

    ours = {a.lower() for a in fields["to"] + fields["delivered_to"] + fields["x_forwarded_to"]}
    requester = None
    m = re.search(r"(?:Receive Mail from|from)\s+([^\s<>()]+@[^\s<>()]+)", subject, re.I) or \
        re.search(r"([^\s<>()]+@[^\s<>()]+)\s*(?:さん)?\s*(?:から|より)", subject)
    if m:
        requester = m.group(1)
    if requester is None:
        m = re.search(r"([^\s<>()]+@[^\s<>()]+?)\s*(?:さん)?\s*(?:has requested|から|より|が)", text)
        if m and m.group(1).lower() not in ours:
            requester = m.group(1)
    if requester is None:
        for addr in _ADDR_SPEC.findall(body):
            addr = addr.strip(".,;").lower()
            if addr not in ours and not addr.endswith("google.com"):
                requester = addr
                break
    if requester:
        requester = requester.strip(".,;:").lower()
    return GmailForwardingConfirmation(code=code, link=link, requester=requester)

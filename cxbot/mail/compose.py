"""Outbound replies: an agent's answer as a threaded mail.

    msg = reply(from_addr="support@cx.example", from_name="サポート窓口",
                to_addr="taro@example.com", subject="見積について", text="お世話になっております。…",
                in_reply_to="CAF=abc@mail.gmail.com", references=["..."],
                message_id_domain="cx.example", reply_token="k3j2...")
    smtp.send(target, msg)

Threading follows RFC 5322 3.6.4 and what helpdesks do (Chatwoot, FreeScout):
In-Reply-To is the customer's last Message-ID, References is their References plus
that ID (trimmed to ~1500 characters keeping the first and the newest), the subject
gets one "Re: ". The Message-ID is `<cxbot.<random>@<domain>>` so that our own
mail coming back (a loop, a bounce quoting it) is recognised by `is_own_message_id`.
This is a person's answer, so there is no Auto-Submitted header; it does carry
`X-Auto-Response-Suppress: All` so Exchange does not send out-of-office mail back.

The body reads as a person's reply: the answer, the signature after the "-- "
separator line (RFC 3676 4.3), then the customer's message quoted below an
attribution line ("On …, … wrote:"), each line prefixed "> ".
"""

from __future__ import annotations

import mimetypes
import re
import secrets
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate
from typing import Iterable, Sequence

MESSAGE_ID_PREFIX = "cxbot."
REFERENCES_MAX_CHARS = 1500

# "Re:", "RE :", "Re[2]:", "Re(3):", "Re^2:", "AW:", "SV:", "VS:", "回复:", and their full-width forms.
_RE_PREFIX = re.compile(
    r"^\s*(?:re|ｒｅ|aw|sv|vs|antw|答复|回复|回覆|返信)\s*(?:\[\d+\]|\(\d+\)|\^\d+|［\d+］)?\s*[:：]\s*",
    re.I,
)


@dataclass(frozen=True)
class Quote:
    """The message answered: its attribution line ("On <date>, <name> wrote:") and text."""

    header: str
    text: str


SIGNATURE_SEPARATOR = "-- "


def quoted(text: str) -> str:
    """`text` with each line prefixed "> " (">" alone on an empty line), as mail clients quote."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    return "\n".join(f"> {line}" if line.strip() else ">" for line in lines)


def reply_body(text: str, signature: str | None = None, quote: Quote | None = None) -> str:
    """The plain-text body: answer, "-- " and the signature, then the quoted message."""
    body = (text or "").replace("\r\n", "\n").replace("\r", "\n").rstrip("\n")
    if signature and signature.strip():
        body += f"\n\n{SIGNATURE_SEPARATOR}\n{signature.strip()}"
    if quote is not None and quote.text.strip():
        body += f"\n\n{quote.header.strip()}\n{quoted(quote.text)}"
    return body + "\n"


def _bare(message_id: str) -> str:
    m = re.search(r"<([^<>\s]+)>", message_id or "")
    return m.group(1) if m else (message_id or "").strip().strip("<>").strip()


def _bracketed(message_id: str) -> str:
    return f"<{_bare(message_id)}>"


def new_message_id(domain: str) -> str:
    """`<cxbot.<32 hex>@domain>`."""
    return f"<{MESSAGE_ID_PREFIX}{secrets.token_hex(16)}@{domain.strip().lower()}>"


def is_own_message_id(message_id: str | None, domain: str) -> bool:
    """True when the Message-ID (with or without <>) is one cxbot made for `domain`."""
    bare = _bare(message_id or "").lower()
    return bare.startswith(MESSAGE_ID_PREFIX) and bare.endswith("@" + domain.strip().lower())


def reply_subject(subject: str | None) -> str:
    """`Re: <subject>` with exactly one prefix, whatever stack of Re:/RE:/Re[2]:/Ｒｅ： came in."""
    subject = re.sub(r"\s+", " ", subject or "").strip()
    while True:
        stripped = _RE_PREFIX.sub("", subject, count=1)
        if stripped == subject:
            break
        subject = stripped.strip()
    return f"Re: {subject}" if subject else "Re:"


def build_references(references: Iterable[str] | str | None, in_reply_to: str | None,
                     max_chars: int = REFERENCES_MAX_CHARS) -> list[str]:
    """The References list (bracketed ids): previous ones, then in_reply_to last, without
    duplicates; over `max_chars` the first (the thread root) and the newest are kept."""
    if isinstance(references, str):
        references = re.findall(r"<[^<>\s]+>", references) or references.split()
    ids: list[str] = []
    for ref in references or ():
        bare = _bare(str(ref))
        if bare and f"<{bare}>" not in ids:
            ids.append(f"<{bare}>")
    if in_reply_to and _bare(in_reply_to):
        parent = _bracketed(in_reply_to)
        if parent in ids:
            ids.remove(parent)
        ids.append(parent)

    def size(items: Sequence[str]) -> int:
        return sum(len(i) for i in items) + max(0, len(items) - 1)

    if size(ids) <= max_chars or len(ids) <= 2:
        return ids
    head, tail = ids[0], ids[1:]
    kept: list[str] = []
    for ref in reversed(tail):
        if size([head, ref, *kept]) > max_chars:
            break
        kept.insert(0, ref)
    return [head, *kept] if kept else [head, ids[-1]]


def reply(
    *,
    from_addr: str,
    from_name: str | None,
    to_addr: str,
    subject: str | None,
    text: str,
    in_reply_to: str | None,
    references: Iterable[str] | str | None,
    message_id_domain: str,
    reply_token: str | None = None,
    attachments: Iterable[tuple[str, str | None, bytes]] = (),
    message_id: str | None = None,
    signature: str | None = None,
    quote: Quote | None = None,
) -> EmailMessage:
    """An agent's answer as a threaded reply. `attachments` are (filename, content type, bytes);
    `signature` goes below a "-- " line, `quote` (the message answered) below that.
    `message_id` may be passed to reuse an id (a retried send must not make a new one);
    by default a new `<cxbot.…@message_id_domain>` is made; read it back from msg["Message-ID"]."""
    if not from_addr or "@" not in from_addr:
        raise ValueError(f"from_addr must be an email address, not {from_addr!r}")
    if not to_addr or "@" not in to_addr:
        raise ValueError(f"to_addr must be an email address, not {to_addr!r}")
    domain = message_id_domain.strip().lower()
    msg = EmailMessage()
    local, _, dom = from_addr.strip().rpartition("@")
    msg["From"] = Address(display_name=(from_name or "").strip(), username=local, domain=dom)
    msg["To"] = to_addr.strip()
    msg["Subject"] = reply_subject(subject)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = _bracketed(message_id) if message_id else new_message_id(domain)
    if in_reply_to and _bare(in_reply_to):
        msg["In-Reply-To"] = _bracketed(in_reply_to)
    refs = build_references(references, in_reply_to)
    if refs:
        msg["References"] = " ".join(refs)
    if reply_token:
        if not re.fullmatch(r"[A-Za-z0-9_.=-]+", reply_token):
            raise ValueError("reply_token may contain only letters, digits and _ . = -")
        msg["Reply-To"] = f"reply+{reply_token}@{domain}"
    msg["X-Auto-Response-Suppress"] = "All"

    body = reply_body(text, signature, quote)
    if body.isascii() and max((len(line) for line in body.split("\n")), default=0) <= 900:
        msg.set_content(body, subtype="plain", charset="utf-8", cte="7bit")
    else:
        msg.set_content(body, subtype="plain", charset="utf-8", cte="base64")

    for filename, content_type, data in attachments:
        ctype = (content_type or mimetypes.guess_type(filename)[0] or "application/octet-stream").lower()
        maintype, _, subtype = ctype.partition("/")
        if not subtype or maintype in ("message", "multipart"):
            # message/* may not be base64 (RFC 2046 5.2.1); a .eml file name still opens as mail.
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(bytes(data), maintype=maintype, subtype=subtype, filename=filename)
    return msg


def auto_reply(**fields) -> EmailMessage:
    """An automatic answer (a notice no person wrote), threaded like `reply` (same fields), and
    marked `Auto-Submitted: auto-replied` (RFC 3834 5) so that other robots (an out-of-office,
    another helpdesk) do not answer it and start a loop."""
    msg = reply(**fields)
    msg["Auto-Submitted"] = "auto-replied"
    return msg

"""The email side of the sandbox world: what cxbot sent (caught by the SMTP catcher),
what the sandbox's email customers sent, delivery settings and catcher faults.

It lives on the sandbox World as `world.mail` and shares `world.lock`.
`world.reset()` clears the mail lists, but keeps the settings and a running
catcher (cxbot is configured with its port).

The sandbox reads mail with the standard library only, not with `cxbot.mail`: it
plays the outside world and must not share cxbot's bugs.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message

from ..clock import iso_ms


@dataclass
class MailSettings:
    """Where a customer's mail goes by default, and how the catcher behaves."""

    target: str = "smtp"  # smtp | http
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 2525  # cxbot's default CXBOT_SMTP_LISTEN
    http_url: str = ""  # cxbot's /webhooks/mail/<token>
    catcher_require_auth: bool = False
    catcher_user: str | None = None  # when set, only this user name / password may log in
    catcher_password: str | None = field(default=None, repr=False)

    FIELDS = {
        "target": ("target", str),
        "smtpHost": ("smtp_host", str),
        "smtpPort": ("smtp_port", int),
        "httpUrl": ("http_url", str),
        "catcherRequireAuth": ("catcher_require_auth", bool),
        "catcherUser": ("catcher_user", (str, type(None))),
        "catcherPassword": ("catcher_password", (str, type(None))),
    }

    def to_json(self) -> dict:
        out = {name: getattr(self, attr) for name, (attr, _) in self.FIELDS.items()}
        out["catcherPassword"] = "***" if self.catcher_password else None
        return out

    def update(self, data: dict) -> None:
        unknown = set(data) - set(self.FIELDS)
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}; known: {', '.join(self.FIELDS)}")
        for name, value in data.items():
            attr, kind = self.FIELDS[name]
            if kind is int and isinstance(value, str) and value.isdigit():
                value = int(value)
            if kind is int:
                ok = isinstance(value, int) and not isinstance(value, bool)
            else:
                ok = isinstance(value, kind)
            if not ok:
                raise ValueError(f"{name}: wrong type")
            if name == "target" and value not in ("smtp", "http"):
                raise ValueError("target must be smtp or http")
            if name == "smtpPort" and not 0 < value < 65536:
                raise ValueError("smtpPort must be 1-65535")
            setattr(self, attr, value)


@dataclass
class CatcherFault:
    stage: str  # mail | rcpt | data
    code: int
    message: str
    count: int

    def to_json(self) -> dict:
        return {"stage": self.stage, "code": self.code, "message": self.message, "count": self.count}


# --------------------------------------------------------------------------- reading mail


def _decoded(value) -> str:
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:
        return str(value)


def _addresses(msg: Message, name: str) -> list[dict]:
    values = msg.get_all(name) or []
    out = []
    for display, addr in email.utils.getaddresses([_decoded(v) for v in values]):
        if "@" in addr:
            out.append({"name": display, "address": addr.lower()})
    return out


def _ids(value) -> list[str]:
    return re.findall(r"<[^<>\s]+>", str(value or ""))


def read_mail(raw: bytes) -> dict:
    """Headers, text and attachment names of a mail, with the standard library."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text = ""
    html = None
    try:
        body = msg.get_body(preferencelist=("plain",))
        if body is not None:
            text = body.get_content()
        html_part = msg.get_body(preferencelist=("html",))
        if html_part is not None:
            html = html_part.get_content()
    except Exception as exc:  # a broken mail is shown as broken, not hidden
        text = f"(unreadable body: {exc})"
    if not text and html:
        text = re.sub(r"<[^>]+>", "", re.sub(r"(?i)<br\s*/?>|</p>|</div>", "\n", html)).strip()
    attachments = []
    try:
        parts = list(msg.iter_attachments())
    except Exception:
        parts = []
    for part in parts:
        data = part.get_payload(decode=True) or b""
        attachments.append({"fileName": part.get_filename() or "(no name)", "contentType": part.get_content_type(),
                            "size": len(data)})
    sender = _addresses(msg, "From")
    return {
        "from": sender[0]["address"] if sender else "",
        "fromName": sender[0]["name"] if sender else "",
        "to": [a["address"] for a in _addresses(msg, "To")],
        "cc": [a["address"] for a in _addresses(msg, "Cc")],
        "replyTo": [a["address"] for a in _addresses(msg, "Reply-To")],
        "subject": _decoded(msg.get("Subject")),
        "messageId": (_ids(msg.get("Message-ID")) or [None])[0],
        "inReplyTo": (_ids(msg.get("In-Reply-To")) or [None])[0],
        "references": _ids(msg.get("References")),
        "date": str(msg.get("Date") or ""),
        "text": text.replace("\r\n", "\n"),
        "html": html,
        "attachments": attachments,
        "headers": [[k, _decoded(v)] for k, v in msg.raw_items()],
    }


def attachment_bytes(raw: bytes, index: int) -> tuple[str, str, bytes]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    parts = list(msg.iter_attachments())
    part = parts[index]
    return part.get_filename() or "attachment", part.get_content_type(), part.get_payload(decode=True) or b""


# --------------------------------------------------------------------------- records


@dataclass
class CaughtMail:
    """A mail cxbot sent, as the catcher (cxbot's outbound relay) received it."""

    seq: int
    received_at: float
    envelope_from: str
    envelope_to: list[str]
    raw: bytes
    auth_user: str | None
    peer: str
    parsed: dict

    def addressed_to(self, address: str) -> bool:
        address = address.lower()
        return address in [a.lower() for a in self.envelope_to] or address in self.parsed["to"] or \
            address in self.parsed["cc"]

    def to_json(self, full: bool = False) -> dict:
        p = self.parsed
        out = {
            "seq": self.seq,
            "receivedAt": iso_ms(self.received_at),
            "envelopeFrom": self.envelope_from,
            "envelopeTo": list(self.envelope_to),
            "authUser": self.auth_user,
            **{k: p[k] for k in ("from", "fromName", "to", "cc", "replyTo", "subject", "messageId", "inReplyTo",
                                 "references", "date", "text", "attachments")},
            "size": len(self.raw),
        }
        if full:
            out["html"] = p["html"]
            out["headers"] = p["headers"]
        return out


@dataclass
class SentMail:
    """A mail a sandbox customer sent (or Gmail sent on their behalf), and how delivery went."""

    seq: int
    sent_at: float
    kind: str  # mail | gmail-confirmation
    raw: bytes
    envelope_from: str
    envelope_to: list[str]
    target: str
    delivered_to: str
    sent: bool
    status: int
    error: str | None
    parsed: dict
    extra: dict = field(default_factory=dict)

    def to_json(self, full: bool = False) -> dict:
        p = self.parsed
        out = {
            "seq": self.seq,
            "kind": self.kind,
            "sentAt": iso_ms(self.sent_at),
            **{k: p[k] for k in ("from", "fromName", "to", "cc", "subject", "messageId", "inReplyTo", "references",
                                 "date", "text", "attachments")},
            "envelopeFrom": self.envelope_from,
            "envelopeTo": list(self.envelope_to),
            "target": self.target,
            "deliveredTo": self.delivered_to,
            "sent": self.sent,
            "status": self.status,
            "error": self.error,
            **self.extra,
        }
        if full:
            out["html"] = p["html"]
            out["headers"] = p["headers"]
        return out


class MailWorld:
    def __init__(self, world) -> None:
        self.world = world
        self.lock = world.lock
        self.settings = MailSettings()
        self.catcher = None  # catcher.Catcher while running
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.outbox: list[CaughtMail] = []
            self.sent: list[SentMail] = []
            self.faults: list[CatcherFault] = []
            self._seq = 0

    def next_seq(self) -> int:
        with self.lock:
            self._seq += 1
            return self._seq

    def take_fault(self, stage: str) -> CatcherFault | None:
        with self.lock:
            for fault in self.faults:
                if fault.stage == stage and fault.count > 0:
                    fault.count -= 1
                    return fault
            return None

    # ----------------------------------------------------------------- views

    def mailbox(self, address: str) -> dict:
        """The conversation as `address` sees it: what they sent and what they received, threaded."""
        address = address.strip().lower()
        with self.lock:
            items = []
            for s in self.sent:
                if s.parsed["from"] == address or s.envelope_from.lower() == address:
                    items.append({"direction": "sent", "at": s.sent_at, **s.to_json()})
            for c in self.outbox:
                if c.addressed_to(address):
                    items.append({"direction": "received", "at": c.received_at, **c.to_json()})
        items.sort(key=lambda m: (m["at"], m["seq"]))
        threads = thread(items)
        for m in items:
            m.pop("at", None)
        return {"address": address, "threads": threads, "messages": items}


def thread(items: list[dict]) -> list[dict]:
    """Group mails into threads: mails sharing any Message-ID in Message-ID / In-Reply-To /
    References belong together (union-find). Newest thread first."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    keys = []
    for i, m in enumerate(items):
        key = m.get("messageId") or f"#{i}"
        keys.append(key)
        for other in [m.get("inReplyTo"), *(m.get("references") or [])]:
            if other:
                union(key, other)
    groups: dict[str, list[dict]] = {}
    for key, m in zip(keys, items):
        groups.setdefault(find(key), []).append(m)
    threads = []
    for members in groups.values():
        first = members[0]
        threads.append({
            "threadId": first.get("messageId"),
            "subject": first.get("subject"),
            "count": len(members),
            "lastAt": members[-1].get("sentAt") or members[-1].get("receivedAt"),
            "messages": [{k: v for k, v in m.items() if k != "at"} for m in members],
            "_last": members[-1]["at"],
        })
    threads.sort(key=lambda t: t["_last"], reverse=True)
    for t in threads:
        t.pop("_last")
    return threads

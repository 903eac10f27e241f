"""Mail written by a machine rather than a person: bounces, out-of-office and other
auto-replies, mailing lists. cxbot answers none of them (an answer could start a loop).
"""

from __future__ import annotations

import re
from email.message import EmailMessage

from .body import content_type
from .headers import unfold

_OOF_SUBJECT = re.compile(
    r"^\s*[\[【［(（<＜]?\s*(?:automatic reply|auto(?:matic)?[- ]?(?:reply|response)|autoreply|autoresponse|"
    r"out of (?:the )?office|out-of-office|vacation(?: reply| response)?|abwesenheit\w*|r[ée]ponse automatique|"
    r"自動応答|自動返信|自動送信|自動返答|不在通知|不在のお知らせ|不在連絡|休暇のお知らせ)\s*(?:[\]】］)）>＞:：]|\b)",
    re.I,
)
_PRECEDENCE_AUTO = {"bulk", "junk", "auto_reply", "auto-reply"}
_BOUNCE_SENDERS = {"mailer-daemon", "postmaster", "mail-daemon", "mailer_daemon"}


def auto_kind(msg: EmailMessage, headers, from_addr: str, subject: str, return_path: str | None) -> str | None:
    """None for a person; else "auto-submitted", "auto-reply", "list" or "bounce"."""

    def get(name: str) -> str | None:
        for key, value in headers:
            if key.lower() == name.lower():
                return unfold(value).strip()
        return None

    # bounces: delivery status notifications
    ctype = content_type(msg)
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

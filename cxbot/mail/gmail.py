"""Gmail's forwarding-confirmation mail: a Gmail user who forwards to a counter account's
address gets a code and a link that cxbot shows the admin in chat.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape as html_unescape
from urllib.parse import urlsplit

from .headers import ADDR_SPEC


@dataclass(frozen=True)
class GmailForwardingConfirmation:
    """Gmail's "forwarding confirmation" mail, sent to the address a Gmail user wants
    to forward to. Show `code` / `link` to the admin so they can confirm it."""

    code: str | None
    link: str | None
    requester: str | None


_GMAIL_SUBJECT = re.compile(
    r"(?:Gmail\s*Forwarding\s*Confirmation|Gmail\s*の?\s*転送の確認|Gmail\s*-?\s*Weiterleitungsbestätigung|"
    r"Confirmation de transfert Gmail|Confirmación de reenvío de Gmail|Gmail\s*转发确认|Gmail\s*轉寄確認)",
    re.I,
)
_URL = re.compile(r"https://[^\s<>\"')\]]+")


def _google_host(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return host == "google.com" or host.endswith(".google.com")


def gmail_confirmation(from_addr: str, subject: str, text: str, html: str, fields: dict
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
        for addr in ADDR_SPEC.findall(body):
            addr = addr.strip(".,;").lower()
            if addr not in ours and not addr.endswith("google.com"):
                requester = addr
                break
    if requester:
        requester = requester.strip(".,;:").lower()
    return GmailForwardingConfirmation(code=code, link=link, requester=requester)

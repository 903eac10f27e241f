"""Playing an email customer (and Gmail): realistic MIME mail, delivered over SMTP to
cxbot's receiver or POSTed as raw MIME to cxbot's `/webhooks/mail/<token>`.

- UTF-8 mail is shaped like Gmail's: multipart/alternative (text + HTML) when HTML is
  given, base64 bodies, RFC 2231 file names.
- ISO-2022-JP mail is shaped like a classic Japanese mailer's: 7bit JIS body,
  encoded-word Subject / From / file names.
- `forward_to`: the mail was addressed to a company mailbox (`to`) whose Gmail
  auto-forwarding passes it on; Gmail keeps From / To / Message-ID and adds
  `X-Forwarded-To`, `X-Forwarded-For` and `Delivered-To`.
"""

from __future__ import annotations

import base64
import secrets
import smtplib
import socket
import uuid
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate

import httpx

from .. import outbound

GMAIL_SENDER = ("Gmail Team", "forwarding-noreply@google.com")


class MailInputError(ValueError):
    """The request cannot become a mail (400)."""


def new_message_id(from_addr: str) -> str:
    domain = from_addr.rpartition("@")[2].lower() or "sandbox.invalid"
    if domain in ("gmail.com", "googlemail.com"):
        token = base64.urlsafe_b64encode(secrets.token_bytes(30)).decode().rstrip("=")
        return f"<CA{token}@mail.gmail.com>"
    return f"<{uuid.uuid4().hex}@{domain}>"


def _bracket(mid: str) -> str:
    mid = mid.strip()
    return mid if mid.startswith("<") else f"<{mid.strip('<>')}>"


def build_mail(*, from_addr: str, from_name: str = "", to: list[str], cc: list[str] = (), subject: str = "",
               text: str = "", html: str | None = None, in_reply_to: str | None = None,
               references: list[str] | str | None = None, attachments: list[tuple[str, str, bytes]] = (),
               charset: str = "utf-8", message_id: str | None = None, extra_headers: list[tuple[str, str]] = ()
               ) -> tuple[bytes, str]:
    """(raw bytes with CRLF line ends, Message-ID)."""
    if "@" not in (from_addr or ""):
        raise MailInputError("from: an email address is required")
    if not to or any("@" not in a for a in to):
        raise MailInputError("to: at least one email address is required")
    if not (text or html or attachments):
        raise MailInputError("text (or html, or an attachment) is required")
    charset = (charset or "utf-8").lower()
    mid = _bracket(message_id) if message_id else new_message_id(from_addr)
    if isinstance(references, str):
        references = references.split()
    refs = [_bracket(r) for r in (references or []) if r.strip()]
    if in_reply_to and _bracket(in_reply_to) not in refs:
        refs.append(_bracket(in_reply_to))

    if charset in ("iso-2022-jp", "iso2022jp", "jis"):
        msg = _build_jis(from_addr, from_name, to, cc, subject, text, html, attachments)
    elif charset in ("utf-8", "utf8"):
        msg = _build_utf8(from_addr, from_name, to, cc, subject, text, html, attachments)
    else:
        raise MailInputError('charset must be "utf-8" or "iso-2022-jp"')
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = mid
    if in_reply_to:
        msg["In-Reply-To"] = _bracket(in_reply_to)
    if refs:
        msg["References"] = " ".join(refs)
    for name, value in extra_headers:
        msg[name] = value
    raw = msg.as_bytes() if isinstance(msg, EmailMessage) else msg.as_string().encode("ascii")
    raw = raw.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return raw, mid


def _build_utf8(from_addr, from_name, to, cc, subject, text, html, attachments) -> EmailMessage:
    msg = EmailMessage()
    local, _, domain = from_addr.rpartition("@")
    msg["From"] = Address(display_name=from_name or "", username=local, domain=domain)
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = subject or ""
    if text:
        msg.set_content(text if text.endswith("\n") else text + "\n", charset="utf-8", cte="base64")
        if html:
            msg.add_alternative(html, subtype="html", charset="utf-8", cte="base64")
    elif html:
        msg.set_content(html, subtype="html", charset="utf-8", cte="base64")
    for name, ctype, data in attachments:
        maintype, _, subtype = (ctype or "application/octet-stream").partition("/")
        if maintype in ("multipart", "message") or not subtype:
            maintype, subtype = "application", "octet-stream"
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def _jis_check(label: str, value: str) -> None:
    try:
        value.encode("iso2022_jp")
    except UnicodeEncodeError as exc:
        bad = value[exc.start:exc.end]
        raise MailInputError(f"{label}: {bad!r} cannot be written in ISO-2022-JP; use charset utf-8") from None


def _build_jis(from_addr, from_name, to, cc, subject, text, html, attachments):
    for label, value in (("fromName", from_name), ("subject", subject), ("text", text), ("html", html or "")):
        _jis_check(label, value or "")
    body_parts = []
    if text:
        body_parts.append(MIMEText(text if text.endswith("\n") else text + "\n", "plain", "iso-2022-jp"))
    if html:
        body_parts.append(MIMEText(html, "html", "iso-2022-jp"))
    if len(body_parts) > 1:
        body = MIMEMultipart("alternative")
        for p in body_parts:
            body.attach(p)
    else:
        body = body_parts[0] if body_parts else None
    if attachments:
        msg = MIMEMultipart("mixed")
        if body is not None:
            msg.attach(body)
        for name, ctype, data in attachments:
            maintype, _, subtype = (ctype or "application/octet-stream").partition("/")
            part = MIMEApplication(data, _subtype=subtype or "octet-stream")
            if maintype != "application":
                part.replace_header("Content-Type", f"{maintype}/{subtype}")
            try:
                name.encode("ascii")
                encoded = name
            except UnicodeEncodeError:
                _jis_check("attachments.fileName", name)
                encoded = Header(name, "iso-2022-jp").encode(maxlinelen=998)
            part.set_param("name", encoded)
            part.add_header("Content-Disposition", "attachment")
            part.set_param("filename", encoded, header="Content-Disposition")
            msg.attach(part)
    else:
        msg = body
    msg["From"] = formataddr((str(Header(from_name, "iso-2022-jp")) if from_name else "", from_addr))
    msg["To"] = ", ".join(to)
    if cc:
        msg["Cc"] = ", ".join(cc)
    msg["Subject"] = Header(subject or "", "iso-2022-jp")
    if msg.get("MIME-Version") is None:
        msg["MIME-Version"] = "1.0"
    msg["X-Mailer"] = "Becky! ver. 2.81.05"
    return msg


def gmail_forwarding_headers(gmail: str, forward_to: str) -> list[tuple[str, str]]:
    """What Gmail's auto-forwarding puts on a mail it passes on (prepended, newest first)."""
    return [("X-Forwarded-To", forward_to), ("X-Forwarded-For", f"{gmail} {forward_to}"), ("Delivered-To", gmail)]


def prepend_headers(raw: bytes, headers: list[tuple[str, str]]) -> bytes:
    top = b"".join(f"{name}: {value}\r\n".encode("utf-8") for name, value in headers)
    return top + raw


# --------------------------------------------------------------------------- Gmail's confirmation mail


def gmail_confirmation(gmail: str, to: str, code: str | None = None, language: str = "en"
                       ) -> tuple[bytes, str, str, str]:
    """(raw, Message-ID, code, link) of Gmail's "forwarding confirmation" mail."""
    code = code or "".join(secrets.choice("0123456789") for _ in range(9))
    token = base64.urlsafe_b64encode(secrets.token_bytes(24)).decode().rstrip("=")
    tail = base64.urlsafe_b64encode(secrets.token_bytes(15)).decode().rstrip("=")
    link = f"https://mail-settings.google.com/mail/vf-%5B{token}%5D-{tail}"
    cancel = f"https://mail-settings.google.com/mail/uf-%5B{token}%5D-{tail}"
    if language == "ja":
        subject = f"Gmail の転送の確認(#{code}) - {gmail} からメールを受信"
        text = (f"{gmail} から {to} へのメールの自動転送がリクエストされました。\n"
                f"確認コード: {code}\n\n"
                f"{gmail} からあなたのアドレスへのメールの自動転送を許可するには、"
                f"下記のリンクをクリックしてリクエストを確認してください。\n\n{link}\n\n"
                "リンクをクリックしても機能しない場合は、URL をコピーして新しいブラウザ ウィンドウに貼り付けてください。"
                f"リンクにアクセスできない場合は、確認コード {code} を {gmail} に送信してください。\n\n"
                "今後ともGmailをよろしくお願いいたします。\n\nGmail チーム\n\n"
                "このリクエストを承認しない場合は、何もする必要はありません。"
                f"上のリンクをクリックしてリクエストを確認しない限り、{gmail} からあなたのアドレスにメールが自動転送されることはありません。"
                f"誤ってリンクをクリックした場合に確認を取り消すには、次のリンクをクリックしてください:\n{cancel}\n")
    else:
        subject = f"({'#' + code}) Gmail Forwarding Confirmation - Receive Mail from {gmail}"
        text = (f"{gmail} has requested to automatically forward mail to your email\naddress {to}.\n"
                f"Confirmation code: {code}\n\n"
                f"To allow {gmail} to automatically forward mail to your address,\n"
                f"please click the link below to confirm the request:\n\n{link}\n\n"
                "If you click the link and it appears to be broken, please copy and paste it\n"
                "into a new browser window. If you aren't able to access the link, you can\n"
                f"send the confirmation code {code} to {gmail}.\n\n"
                "Thanks for using Gmail!\n\nSincerely,\n\nThe Gmail Team\n\n"
                "If you do not approve this request, no further action is required.\n"
                f"{gmail} cannot automatically forward messages to your email address\n"
                "unless you confirm the request by clicking the link above. If you\n"
                "accidentally clicked the link, but you do not want to allow\n"
                f"{gmail} to automatically forward messages to your address,\n"
                f"click this link to cancel this verification:\n{cancel}\n\n"
                "To learn more about why you might have received this message, please visit:\n"
                "http://support.google.com/mail/bin/answer.py?answer=184973.\n")
    html = "<html><body>" + "".join(
        f'<p><a href="{line}">{line}</a></p>' if line.startswith("https://") else f"<p>{line}</p>"
        for line in text.split("\n\n")).replace("\n", "<br>") + "</body></html>"
    raw, mid = build_mail(from_addr=GMAIL_SENDER[1], from_name=GMAIL_SENDER[0], to=[to], subject=subject,
                          text=text, html=html, message_id=new_message_id("x@gmail.com"),
                          extra_headers=[("Auto-Submitted", "auto-generated")])
    return raw, mid, code, link


# --------------------------------------------------------------------------- delivery


def deliver_smtp(raw: bytes, mail_from: str, rcpts: list[str], host: str, port: int, timeout: float = 15
                 ) -> tuple[bool, int, str | None, dict[str, str]]:
    """(sent, SMTP status, error, refused recipients). A refusal is a result, not an exception.
    Like a real MTA talking to one MX, recipients the server refuses while accepting
    others are reported in `refused` and the mail still counts as sent."""
    def text(msg) -> str:
        return msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)

    try:
        with smtplib.SMTP(host, port, timeout=timeout, local_hostname="mail-customer.sandbox.invalid") as smtp:
            refused = smtp.sendmail(mail_from, rcpts, raw)
        return True, 250, None, {a: f"{code} {text(msg)}" for a, (code, msg) in (refused or {}).items()}
    except smtplib.SMTPRecipientsRefused as exc:
        code, msg = next(iter(exc.recipients.values()))
        refused = {a: f"{c} {text(m)}" for a, (c, m) in exc.recipients.items()}
        return False, code, f"{code} {text(msg)}", refused
    except smtplib.SMTPResponseException as exc:
        return False, exc.smtp_code, f"{exc.smtp_code} {text(exc.smtp_error)}", {}
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        return False, 0, f"cannot reach {host}:{port}: {type(exc).__name__}: {exc}", {}


def deliver_http(raw: bytes, url: str, timeout: float = 15) -> tuple[bool, int, str | None, dict[str, str]]:
    try:
        resp = outbound.client.post(url, content=raw, headers={"Content-Type": "message/rfc822"}, timeout=timeout)
    except httpx.HTTPError as exc:
        return False, 0, f"cannot reach {url}: {type(exc).__name__}: {exc}", {}
    if 200 <= resp.status_code < 300:
        return True, resp.status_code, None, {}
    return False, resp.status_code, (resp.text or "")[:500] or f"HTTP {resp.status_code}", {}

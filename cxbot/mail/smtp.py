"""Outbound SMTP: `CXBOT_SMTP_URL` and sending one message.

    target = parse_smtp_url("smtp://user:p%40ss@smtp.example.com:587?starttls=1")
    send(target, msg)          # raises MailSendError(retryable, detail)

URL forms (user and password are URL-decoded):

    smtp://host[:port]                       plain SMTP (port 25), no TLS: a local relay / the sandbox
    smtp://user:pass@host:587?starttls=1     STARTTLS required (also: starttls=auto, use it when offered)
    smtps://user:pass@host[:465]             TLS from the first byte (SMTP_SSL)

Query options: `starttls` (1/0/true/false/yes/no/auto), `timeout` (seconds),
`helo` (the name to greet with). Errors: a 4xx reply or a connection problem is
retryable; a 5xx reply is not. The password is never logged, put in an error
message or shown by repr().
"""

from __future__ import annotations

import logging
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Iterable
from urllib.parse import parse_qsl, unquote, urlsplit

log = logging.getLogger("cxbot.mail.smtp")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class SmtpUrlError(ValueError):
    """CXBOT_SMTP_URL cannot be used; the message says why (never with the password)."""


class MailSendError(Exception):
    """Sending failed. `retryable` says whether trying again later may work."""

    def __init__(self, retryable: bool, detail: str, code: int | None = None):
        super().__init__(detail)
        self.retryable = retryable
        self.detail = detail
        self.code = code

    def __repr__(self) -> str:
        return f"MailSendError(retryable={self.retryable}, detail={self.detail!r}, code={self.code})"


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    ssl: bool = False  # smtps: TLS from the start
    starttls: bool | str = False  # True, False or "auto"
    timeout: float | None = None
    helo: str | None = None

    def __str__(self) -> str:
        return self.redacted()

    def redacted(self) -> str:
        scheme = "smtps" if self.ssl else "smtp"
        user = f"{self.username}:***@" if self.username and self.password else \
            (f"{self.username}@" if self.username else "")
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = "?starttls=1" if self.starttls is True else ("?starttls=auto" if self.starttls == "auto" else "")
        return f"{scheme}://{user}{host}:{self.port}{query}"


def parse_smtp_url(url: str) -> SmtpTarget:
    """`smtp://user:pass@host:587?starttls=1` / `smtps://user:pass@host:465` -> SmtpTarget."""
    if not url or not str(url).strip():
        raise SmtpUrlError("the SMTP URL is empty; use smtp://user:pass@host:587?starttls=1 or smtps://host:465")
    url = str(url).strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SmtpUrlError(f"the SMTP URL has a bad port or host ({_redact_message(str(exc))})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps"):
        shown = scheme or "(none)"
        raise SmtpUrlError(f"the SMTP URL must start with smtp:// or smtps://, not {shown}")
    host = parts.hostname
    if not host:
        raise SmtpUrlError("the SMTP URL has no host; use smtp://host:port")
    if parts.path not in ("", "/"):
        raise SmtpUrlError("the SMTP URL must not have a path; put options in the query (?starttls=1)")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise SmtpUrlError("the SMTP URL has a password but no user name")

    starttls: bool | str = False
    timeout: float | None = None
    helo: str | None = None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        key_l, value_l = key.lower(), value.strip().lower()
        if key_l in ("starttls", "tls"):
            if value_l == "auto":
                starttls = "auto"
            elif value_l in _TRUE:
                starttls = True
            elif value_l in _FALSE:
                starttls = False
            else:
                raise SmtpUrlError(f"starttls must be 1, 0 or auto, not {value!r}")
        elif key_l == "timeout":
            try:
                timeout = float(value)
            except ValueError:
                raise SmtpUrlError(f"timeout must be a number of seconds, not {value!r}") from None
            if timeout <= 0:
                raise SmtpUrlError("timeout must be more than 0 seconds")
        elif key_l in ("helo", "ehlo", "local_hostname"):
            helo = value.strip() or None
        else:
            raise SmtpUrlError(f"unknown SMTP URL option {key!r}; known: starttls, timeout, helo")
    if scheme == "smtps" and starttls:
        raise SmtpUrlError("smtps:// is TLS already; starttls applies to smtp:// only")
    if port is None:
        port = 465 if scheme == "smtps" else (587 if starttls is True else 25)
    if not 0 < port < 65536:
        raise SmtpUrlError(f"the SMTP port must be 1-65535, not {port}")
    return SmtpTarget(host=host, port=port, username=username, password=password, ssl=scheme == "smtps",
                      starttls=starttls, timeout=timeout, helo=helo)


def _redact_message(text: str) -> str:
    # urllib's messages quote the port part only, but be safe.
    return text.split("@")[-1]


def _code_retryable(code: int | None) -> bool:
    return code is None or 400 <= code < 500


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def send(target: SmtpTarget, message: EmailMessage, timeout: float = 15, *,
         mail_from: str | None = None, rcpt_to: Iterable[str] | None = None) -> dict[str, tuple[int, str]]:
    """Send one message. Envelope sender / recipients come from the headers unless given.
    Returns the recipients the server refused while accepting others (usually {})."""
    timeout = target.timeout or timeout
    where = f"{target.host}:{target.port}"
    context = ssl.create_default_context()
    server: smtplib.SMTP | None = None
    try:
        if target.ssl:
            server = smtplib.SMTP_SSL(target.host, target.port, local_hostname=target.helo, timeout=timeout,
                                      context=context)
        else:
            server = smtplib.SMTP(target.host, target.port, local_hostname=target.helo, timeout=timeout)
        server.ehlo_or_helo_if_needed()
        if target.starttls and not target.ssl:
            if server.has_extn("starttls"):
                server.starttls(context=context)
                server.ehlo()
            elif target.starttls is True:
                raise MailSendError(False, f"{where} does not offer STARTTLS (starttls=1 in CXBOT_SMTP_URL)")
        if target.username:
            server.login(target.username, target.password or "")
        refused = server.send_message(message, from_addr=mail_from,
                                      to_addrs=list(rcpt_to) if rcpt_to is not None else None)
        log.info("mail %s sent via %s", message.get("Message-ID", "?"), where)
        return {k: (v[0], _text(v[1])) for k, v in (refused or {}).items()}
    except MailSendError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        detail = "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg) in exc.recipients.items())
        retryable = bool(codes) and all(_code_retryable(c) for c in codes)
        raise MailSendError(retryable, f"recipient refused by {where}: {detail}", max(codes) if codes else None) \
            from None
    except smtplib.SMTPNotSupportedError as exc:
        raise MailSendError(False, f"{where}: {exc}") from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailSendError(_code_retryable(exc.smtp_code),
                            f"{where} refused the login for {target.username!r}: {exc.smtp_code} "
                            f"{_text(exc.smtp_error)}", exc.smtp_code) from None
    except smtplib.SMTPResponseException as exc:  # sender refused, data error, helo error, ...
        raise MailSendError(_code_retryable(exc.smtp_code),
                            f"{where} answered {exc.smtp_code} {_text(exc.smtp_error)}", exc.smtp_code) from None
    except smtplib.SMTPServerDisconnected as exc:
        raise MailSendError(True, f"{where} closed the connection: {exc}") from None
    except ssl.SSLCertVerificationError as exc:
        raise MailSendError(False, f"TLS certificate of {where} not trusted: {exc.verify_message}") from None
    except (ssl.SSLError, socket.timeout, TimeoutError, ConnectionError, OSError) as exc:
        raise MailSendError(True, f"cannot reach {where}: {type(exc).__name__}: {exc}") from None
    except smtplib.SMTPException as exc:
        raise MailSendError(True, f"{where}: {type(exc).__name__}: {exc}") from None
    finally:
        if server is not None:
            try:
                server.quit()
            except Exception:
                try:
                    server.close()
                except Exception:
                    pass

"""The SMTP catcher: plays cxbot's outbound mail relay (`CXBOT_SMTP_URL=smtp://127.0.0.1:<port>`).

It accepts every message (any sender, any recipient), keeps it in memory on
`world.mail.outbox`, and answers like a relay would. It offers AUTH PLAIN/LOGIN
without TLS (any user name and password, or only the configured ones), can require
it (`catcherRequireAuth`), and can answer with an injected 4xx/5xx at MAIL, RCPT or
DATA (`/_sandbox/mail/catcher/faults`), so cxbot's retry rules can be tested.

    port = start_catcher(world)        # port 0 by default: a free port
    stop_catcher(world)
"""

from __future__ import annotations

import logging
import threading

from aiosmtpd.smtp import AuthResult, LoginPassword

from ..clock import now
from .listener import SmtpListener
from .state import CaughtMail, MailWorld, read_mail

log = logging.getLogger("cxbot.sandbox.mail")

MAX_BYTES = 50 * 1024 * 1024


class _Handler:
    def __init__(self, mail: MailWorld):
        self.mail = mail

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        settings = self.mail.settings
        if settings.catcher_require_auth and not session.authenticated:
            return "530 5.7.0 Authentication required"
        fault = self.mail.take_fault("mail")
        if fault:
            return f"{fault.code} {fault.message}"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        fault = self.mail.take_fault("rcpt")
        if fault:
            return f"{fault.code} {fault.message}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        fault = self.mail.take_fault("data")
        if fault:
            return f"{fault.code} {fault.message}"
        raw = envelope.original_content or b""
        auth_user = session.auth_data.decode("utf-8", "replace") if isinstance(session.auth_data, bytes) else \
            (str(session.auth_data) if session.auth_data else None)
        parsed = read_mail(raw)
        with self.mail.lock:
            item = CaughtMail(seq=self.mail.next_seq(), received_at=now(), envelope_from=envelope.mail_from or "",
                              envelope_to=list(envelope.rcpt_tos), raw=raw, auth_user=auth_user,
                              peer=str(session.peer[0]) if session.peer else "", parsed=parsed)
            self.mail.outbox.append(item)
        log.info("catcher: mail %s from %s to %s", parsed.get("messageId"), envelope.mail_from, envelope.rcpt_tos)
        return f"250 2.0.0 Ok: queued as S{item.seq}"


class Catcher:
    def __init__(self, mail: MailWorld, host: str = "127.0.0.1", port: int = 0):
        self.mail = mail
        self.host = host
        self.wanted_port = port
        self.listener: SmtpListener | None = None

    def _authenticate(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        settings = self.mail.settings
        login = auth_data.login.decode("utf-8", "replace")
        password = auth_data.password.decode("utf-8", "replace")
        if settings.catcher_user is not None and (login != settings.catcher_user or
                                                  password != (settings.catcher_password or "")):
            return AuthResult(success=False, handled=False)
        return AuthResult(success=True, auth_data=auth_data.login)

    @property
    def port(self) -> int:
        return self.listener.port if self.listener else self.wanted_port

    def start(self) -> int:
        listener = SmtpListener(_Handler(self.mail), self.host, self.wanted_port,
                                server_hostname="smtp.sandbox.invalid", data_size_limit=MAX_BYTES,
                                authenticator=self._authenticate, auth_require_tls=False,
                                auth_exclude_mechanism=["CRAM-MD5"])
        listener.start()
        self.listener = listener
        return self.port

    def stop(self) -> None:
        listener, self.listener = self.listener, None
        if listener is not None:
            try:
                listener.stop()
            except Exception:
                log.debug("catcher stop", exc_info=True)

    def to_json(self) -> dict:
        return {"running": self.listener is not None, "host": self.host, "port": self.port}


_start_lock = threading.Lock()


def start_catcher(world, host: str = "127.0.0.1", port: int = 0) -> int:
    """Start the world's SMTP catcher (once) and return its port."""
    mail = world.mail
    with _start_lock:
        if mail.catcher is not None and mail.catcher.listener is not None:
            if port and port != mail.catcher.port:
                raise ValueError(f"the catcher is already running on port {mail.catcher.port}")
            return mail.catcher.port
        catcher = Catcher(mail, host, port)
        catcher.start()
        mail.catcher = catcher
        log.info("SMTP catcher listening on %s:%s", host, catcher.port)
        return catcher.port


def stop_catcher(world) -> None:
    mail = world.mail
    with _start_lock:
        catcher, mail.catcher = mail.catcher, None
    if catcher is not None:
        catcher.stop()


def catcher_state(world) -> dict:
    catcher = world.mail.catcher
    if catcher is None:
        return {"running": False, "host": None, "port": None}
    return catcher.to_json()

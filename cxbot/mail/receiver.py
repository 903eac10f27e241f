"""The built-in SMTP receiver (`CXBOT_SMTP_LISTEN`): the final stop for mail to
`<slug>@CXBOT_MAIL_DOMAIN` and `reply+<token>@CXBOT_MAIL_DOMAIN`.

    def on_mail(raw: bytes, rcpts: list[str]) -> None:   # store it; raise to make the sender retry
        ...
    receiver = SmtpReceiver("0.0.0.0:25", {"cx.example"}, on_mail)
    receiver.start(); receiver.port; ...; receiver.stop()

- Not an open relay: RCPT TO outside `domains` gets 550.
- `on_mail` runs in a worker thread (not on the SMTP event loop) and gets the raw
  bytes as received, with a `Return-Path: <MAIL FROM>` line on top (what the final
  MTA adds, RFC 5321 4.4; an empty `<>` marks a bounce), and the envelope recipients.
- If `on_mail` raises, the client gets `451 Try again later` and keeps the mail in
  its queue: aiosmtpd is not an MTA, nothing is lost only because of that.
- Over `max_bytes` the client gets 552. Port 0 picks a free port; `.port` tells it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from aiosmtpd.controller import Controller

log = logging.getLogger("cxbot.mail.receiver")

MAX_RECIPIENTS = 100


def parse_listen(listen: str) -> tuple[str, int]:
    """`host:port`, `[::1]:port`, `:port` (all interfaces) or `port` -> (host, port)."""
    value = (listen or "").strip()
    if not value:
        raise ValueError("the SMTP listen address is empty; use host:port, e.g. 127.0.0.1:2525")
    if value.startswith("["):
        host, sep, rest = value[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else ""
        if not sep or not port_text:
            raise ValueError(f"bad SMTP listen address {listen!r}; use [::1]:2525")
    elif value.isdigit():
        host, port_text = "", value
    else:
        host, sep, port_text = value.rpartition(":")
        if not sep:
            raise ValueError(f"bad SMTP listen address {listen!r}; use host:port, e.g. 127.0.0.1:2525")
    try:
        port = int(port_text)
    except ValueError:
        raise ValueError(f"bad port in SMTP listen address {listen!r}") from None
    if not 0 <= port < 65536:
        raise ValueError(f"port out of range in SMTP listen address {listen!r}")
    return host, port


class PortZeroController(Controller):
    """aiosmtpd's Controller, but port 0 works: the bound port is read back before the
    controller connects to itself to check it is up."""

    def _create_server(self):
        creating = super()._create_server()

        async def bind():
            server = await creating
            if server.sockets:
                self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


def _recipient_ok(address: str, domains: set[str]) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local) and domain.lower().rstrip(".") in domains


class _Handler:
    def __init__(self, receiver: "SmtpReceiver"):
        self.receiver = receiver

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if not _recipient_ok(address, self.receiver.domains):
            log.info("SMTP: refused RCPT %s from %s (not a local domain)", address, session.peer)
            return "550 5.7.1 Relaying denied: not a local address"
        if len(envelope.rcpt_tos) >= MAX_RECIPIENTS:
            return "452 4.5.3 Too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content
        if content is None:
            content = envelope.content if isinstance(envelope.content, bytes) else \
                (envelope.content or "").encode("utf-8", "surrogateescape")
        mail_from = envelope.mail_from or ""
        if mail_from in ("<>",):
            mail_from = ""
        raw = b"Return-Path: <" + mail_from.encode("utf-8", "replace") + b">\r\n" + content
        rcpts = list(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.receiver._executor, self.receiver.on_mail, raw, rcpts)
        except Exception:
            log.exception("SMTP: storing a mail for %s failed; answering 451 so the sender retries", rcpts)
            return "451 4.3.0 Try again later"
        return "250 2.0.0 OK: queued"


class SmtpReceiver:
    def __init__(self, listen: str, domains: set[str] | frozenset[str] | list[str],
                 on_mail: Callable[[bytes, list[str]], None], max_bytes: int = 25 * 1024 * 1024,
                 hostname: str | None = None, workers: int = 4):
        self.host, self._wanted_port = parse_listen(listen)
        self.domains = {d.strip().lower().rstrip(".") for d in domains if d and d.strip()}
        if not self.domains:
            raise ValueError("SmtpReceiver needs at least one mail domain to accept mail for")
        self.on_mail = on_mail
        self.max_bytes = int(max_bytes)
        self.hostname = hostname or sorted(self.domains)[0]
        self.workers = workers
        self._controller: PortZeroController | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        if self._controller is not None:
            return int(self._controller.port)
        return self._wanted_port

    @property
    def running(self) -> bool:
        return self._controller is not None

    def _factory_kwargs(self) -> dict:
        return dict(data_size_limit=self.max_bytes, enable_SMTPUTF8=True, decode_data=False)

    def start(self) -> "SmtpReceiver":
        with self._lock:
            if self._controller is not None:
                return self
            self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="smtp-receiver")
            controller = PortZeroController(_Handler(self), hostname=self.host, port=self._wanted_port,
                                     server_hostname=self.hostname, **self._factory_kwargs())
            try:
                controller.start()
            except BaseException:
                try:
                    controller.stop()
                except Exception:
                    pass
                self._executor.shutdown(wait=False)
                self._executor = None
                raise
            self._controller = controller
            log.info("SMTP receiver listening on %s:%s for %s", self.host or "*", self.port,
                     ", ".join(sorted(self.domains)))
            return self

    def stop(self) -> None:
        with self._lock:
            controller, self._controller = self._controller, None
            executor, self._executor = self._executor, None
        if controller is not None:
            self._wanted_port = int(controller.port)  # a restart gets the same port
            try:
                controller.stop()
            except Exception:  # already stopped / never fully started
                log.debug("SMTP receiver stop", exc_info=True)
        if executor is not None:
            executor.shutdown(wait=True)

    def __enter__(self) -> "SmtpReceiver":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


__all__ = ["SmtpReceiver", "parse_listen", "MAX_RECIPIENTS"]

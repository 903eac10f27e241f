"""Start the long-running parts in this process: web server, worker thread, scheduler."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from cxbot.base.serving import ServerThread, serve_in_thread
from cxbot.config import Settings
from cxbot.context import Context, build
from cxbot.mail.receiver import SmtpReceiver
from cxbot.relay import mail as ingest_mail
from cxbot.relay import senders
from cxbot.relay.outbox import Drainer
from cxbot.runtime.scheduler import Scheduler
from cxbot.runtime.worker import Worker
from cxbot.web.app import create_app

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    ctx: Context
    stop_event: threading.Event
    worker_threads: tuple[threading.Thread, ...]
    scheduler: Scheduler | None
    web: ServerThread | None = None
    drainer_threads: tuple[threading.Thread, ...] = ()
    smtp: SmtpReceiver | None = None

    def stop(self) -> None:
        self.stop_event.set()
        self.ctx.wakeup.set()
        if self.web is not None:
            self.web.stop()
        if self.smtp is not None:
            self.smtp.stop()
        self.ctx.outbox_wakeup.set()
        if self.scheduler is not None:
            self.scheduler.stop()
        for thread in self.worker_threads + self.drainer_threads:
            thread.join(timeout=10)
        self.ctx.close()


def start_background(settings: Settings, stop: threading.Event, web: bool = True,
                     host: str = "127.0.0.1", port: int = 8000, ctx: Context | None = None) -> Runtime:
    ctx = ctx or build(settings)
    server = serve_in_thread(create_app(ctx), host, port, name="cxbot") if web else None
    n_workers, n_drainers = settings.thread_counts
    workers = tuple(Worker(ctx).start(stop) for _ in range(n_workers))
    drainers = []
    for i in range(n_drainers):
        drainer = Drainer(ctx, senders.send, senders.on_dead, name=f"outbox-{i}", spent=senders.spent,
                          later=senders.LATER, keep=senders.KEEP, on_stuck=senders.on_stuck)
        drainers.append(drainer.start(stop, ctx.outbox_wakeup))
    scheduler = Scheduler(ctx)
    scheduler.start()
    return Runtime(ctx, stop, workers, scheduler, server, tuple(drainers), start_smtp(ctx))


def start_smtp(ctx: Context) -> SmtpReceiver | None:
    """The built-in SMTP receiver for the counter accounts' addresses (CXBOT_SMTP_LISTEN)."""
    receiver = SmtpReceiver(ctx.settings.smtp_listen, ingest_mail.mail_domains(ctx),
                            on_mail=lambda raw, rcpts: ingest_mail.store(ctx, raw, rcpts))
    try:
        return receiver.start()
    except (OSError, RuntimeError, TimeoutError) as exc:
        # Mail can still arrive through /webhooks/mail/<token>; everything else works.
        log.error("SMTP receiver could not listen on %s: %s", ctx.settings.smtp_listen, exc)
        return None

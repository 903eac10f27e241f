"""The worker: handles stored webhook events and keeps a heartbeat for /healthz."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Callable

from cxbot import channels, inbox
from cxbot.base.polling import poll
from cxbot.context import Context
from cxbot.hub import bot as hub
from cxbot.hub import forms, verification
from cxbot.line.client import LineApiError
from cxbot.relay import given_up
from cxbot.relay.channels import ingest_handlers
from cxbot.relay.outbox import Failure
from cxbot.storage.models import WorkerHeartbeat
from cxbot.works.client import WorksApiError
from cxbot.works.events import EventParseError

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0
Handler = Callable[[Context, str, "str | None"], None]


# What people wait on is handled before a surge's backlog of inbound messages: the hub bot's
# events (an agent's answer in a room, an admin's setup chat) and the setup forms.
INTERACTIVE = ("hub", "form")


class Worker:
    def __init__(self, ctx: Context, name: str | None = None):
        self.ctx = ctx
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        # By inbox source; rows stored under an older name of a source are handled too.
        self.handlers: dict[str, Handler] = channels.with_stored_names({
            "hub": hub.handle,
            "form": forms.handle_submission,
            **{channel.verify_source: verification.handle for channel in verification.VERIFIED},
            **ingest_handlers(),
        })
        self._last_beat = 0.0

    def run_once(self, look: bool = True) -> int:
        """Handle what is due now; returns how many events were handled."""
        self.heartbeat()
        self.ctx.inbox.take()
        handled = 0
        for event in self.ctx.inbox.claim(self.handlers, lease=self.ctx.settings.outbox_lease, look=look,
                                          first=INTERACTIVE):
            handler = self.handlers.get(event.source)
            token = inbox.current_event.set(event.id)
            last = inbox.last_try.set(event.attempts >= inbox.MAX_ATTEMPTS)
            finished = inbox.finished.set(False)
            try:
                if handler is None:
                    raise RuntimeError(f"no handler for source {event.source!r}")
                handler(self.ctx, event.body, event.link_token)
            except EventParseError as exc:
                log.warning("event %s cannot be parsed: %s", event.id, exc)
                self._failed(event, exc, str(exc), final=True)
            except (WorksApiError, LineApiError, Failure) as exc:
                log.warning("event %s: %s", event.id, exc)
                self._failed(event, exc, str(exc), final=not exc.retryable)
            except Exception as exc:  # keep the worker alive; the row records what went wrong
                # A bug does not go away on a retry, and a retry could repeat what already happened.
                log.exception("event %s failed", event.id)
                self._failed(event, exc, f"{exc.__class__.__name__}: {exc}", final=True)
            else:
                if not inbox.finished.get():
                    self.ctx.inbox.finish(event.id)
            finally:
                inbox.finished.reset(finished)
                inbox.last_try.reset(last)
                inbox.current_event.reset(token)
            handled += 1
        return handled

    def _failed(self, event: inbox.Claimed, exc: Exception, error: str, final: bool) -> None:
        if inbox.finished.get():
            # What the event produced is committed with its "done": handling it again would repeat it.
            log.warning("event %s: error after its message was recorded; not handled again", event.id)
            return
        # Given up, the admins hear of it in the hub chat, in the same transaction: told once.
        if self.ctx.inbox.failed(event, error, final=final,
                                 on_given_up=lambda s: given_up.tell_admins(self.ctx, s, event, exc)):
            log.error("event %s (%s) given up on try %d of %d: %s", event.id, event.source, event.attempts,
                      inbox.MAX_ATTEMPTS, error)
            self.ctx.outbox_wakeup.set()

    def heartbeat(self, force: bool = False) -> None:
        now = time.time()
        if not force and now - self._last_beat < HEARTBEAT_EVERY:
            return
        self._last_beat = now
        with self.ctx.db.session() as s:
            row = s.get(WorkerHeartbeat, self.name) or WorkerHeartbeat(name=self.name, seen_at=now)
            row.seen_at = now
            s.add(row)

    def run(self, stop: threading.Event) -> None:
        log.info("worker %s started", self.name)
        poll(stop, self.run_once, self._wait, log, "worker loop")
        log.info("worker %s stopped", self.name)

    def _wait(self) -> bool:
        self.ctx.wakeup.wait(self.ctx.settings.worker_poll_interval)
        self.ctx.wakeup.clear()
        return True  # events may come from other processes too: always look

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="cxbot-worker", daemon=True)
        thread.start()
        return thread

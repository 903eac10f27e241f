"""Scheduled jobs (APScheduler), run by exactly one process in the whole deployment.

Every process that runs a worker starts a Scheduler, but its jobs only act while
that process holds the "scheduler" lock (a PostgreSQL advisory lock, or a file
lock beside the SQLite file). The lock is taken on the first tick and kept; if
the holder dies, the lock is freed and another process takes over on its next tick.
"""

from __future__ import annotations

import logging

from apscheduler.schedulers.background import BackgroundScheduler

from cxbot.context import Context
from cxbot.desk import media
from cxbot.desk.links import console_apps
from cxbot.relay import intake
from cxbot.storage.locks import NamedLock
from cxbot.storage.tidy import vacuum_queues
from cxbot.works.auth import TokenGrantError, WorksApp
from cxbot.works.client import WorksApiError
from flows import expire_due

log = logging.getLogger(__name__)

# A surge changes thousands of queue rows a minute: their dead versions are cleared this often.
TIDY_EVERY = 15.0


def works_apps(ctx: Context) -> dict[str, WorksApp]:
    """Every ClientApp whose token the scheduler keeps fresh: the hub's and linked console bots'."""
    apps = {app.client_id: app for app in console_apps(ctx)}
    if ctx.settings.hub_configured:
        apps[ctx.hub_app.client_id] = ctx.hub_app
    return apps


def refresh_due_tokens(ctx: Context) -> int:
    """Renew every stored access token that expires within the margin; returns how many."""
    apps = works_apps(ctx)
    margin = ctx.settings.token_refresh_margin
    renewed = 0
    for client_id in ctx.tokens.due(margin):
        app = apps.get(client_id)
        if app is None:
            # Its channel link was deleted: nobody will use the token again.
            ctx.tokens.forget(client_id)
            continue
        try:
            ctx.tokens.renew(app, within=margin)
            renewed += 1
        except (TokenGrantError, WorksApiError) as exc:
            log.error("could not renew the token of client %s: %s", client_id, exc)
    return renewed


class Scheduler:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.lock = NamedLock(ctx.db.engine, "scheduler")
        self._aps = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})

    @property
    def leading(self) -> bool:
        return self.lock.held

    def tick(self) -> int:
        """One scheduler round: runs the jobs if this process leads. Returns tokens renewed."""
        if not self.lock.acquire(blocking=False):
            return 0
        renewed = refresh_due_tokens(self.ctx)
        try:
            expire_due(self.ctx)
        except Exception:
            log.exception("could not expire idle setup conversations")
        try:
            media.purge_expired(self.ctx)
        except Exception:
            log.exception("could not delete the files whose retention has passed")
        return renewed

    def look_at_intake(self) -> int:
        """The intake rooms' round (relay/intake.py), more often than the others: a customer
        waiting for a room must be seen within seconds. Only the leading process posts."""
        if not self.lock.acquire(blocking=False):
            return 0
        try:
            return intake.tick(self.ctx)
        except Exception:
            log.exception("could not bring the intake rooms up to date")
            return 0

    def tidy(self) -> list[str]:
        """The queue tables vacuumed when they need it (storage/tidy.py); only the leading process."""
        if not self.lock.acquire(blocking=False):
            return []
        try:
            return vacuum_queues(self.ctx.db)
        except Exception:
            log.exception("could not vacuum the queue tables")
            return []

    def start(self) -> None:
        interval = self.ctx.settings.token_refresh_interval
        self._aps.add_job(self.tick, "interval", seconds=min(interval, 60), id="token-refresh", next_run_time=None)
        self._aps.add_job(self.look_at_intake, "interval", seconds=intake.platform_seconds(self.ctx, intake.LOOK_EVERY),
                          id="intake")
        self._aps.add_job(self.tidy, "interval", seconds=TIDY_EVERY, id="tidy")
        self._aps.start()
        # Run once at start so a process that slept through a refresh catches up at once.
        self._aps.modify_job("token-refresh", next_run_time=_now())

    def stop(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)
        self.lock.release()


def _now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)

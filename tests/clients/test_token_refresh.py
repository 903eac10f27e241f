"""The scheduler keeps tokens fresh: two simulated days (some fifty renewals) with no caller ever seeing a 401."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from cxbot.runtime.scheduler import Scheduler

pytestmark = pytest.mark.database

STEP = 600  # the scheduler's tick, in simulated seconds
SPAN = 2 * 24 * 3600  # some fifty renewals of a one-hour token


def test_two_days_of_one_hour_tokens_never_shows_a_caller_a_401(make_ctx, sandbox_http, admin):
    with freeze_time("2026-03-02 09:00:00") as clock:
        ctx, _ = make_ctx(token_lifetime=3600, token_refresh_margin=900)
        scheduler = Scheduler(ctx)
        try:
            ctx.works.get_user(admin.user_id)
            for _ in range(SPAN // STEP):
                clock.tick(STEP)
                scheduler.tick()
                ctx.works.get_user(admin.user_id)  # a caller, any time
        finally:
            scheduler.stop()
    log = sandbox_http.get("/_sandbox/requests").json()
    assert [r for r in log if r["status"] == 401] == []
    api_calls = [r for r in log if r["path"].startswith("/v1.0/")]
    assert len(api_calls) == SPAN // STEP + 1
    grants = [r for r in log if r["path"].startswith("/oauth2/")]
    # 1-hour tokens renewed 15 minutes early, on a 10-minute tick: about one grant every 50 minutes.
    assert SPAN / 3600 <= len(grants) <= SPAN / (40 * 60)
    assert all(g["status"] == 200 for g in grants)


def test_only_one_process_runs_the_scheduled_jobs(make_ctx):
    ctx1, tenant = make_ctx()
    ctx2, _ = make_ctx(tenant)
    a, b = Scheduler(ctx1), Scheduler(ctx2)
    try:
        a.tick()
        b.tick()
        assert a.leading and not b.leading
        a.stop()  # the leader goes away: the other takes over on its next tick
        b.tick()
        assert b.leading
    finally:
        a.stop()
        b.stop()
